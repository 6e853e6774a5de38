import XCTest

@testable import Mail

/// Inputs libFuzzer (scripts/fuzz) found to crash the mail reader, reduced to their shape.
final class MailFuzzRegressionTests: XCTestCase {
    /// A Date header with a 17-digit year overflowed the day arithmetic (arithmetic-overflow trap).
    func testAbsurdYearIsNoDate() throws {
        let message = try MailParser.parse(
            bytes("From: a@example.invalid\nSubject: x\nDate: Wed, 30 Oct 22222222222222019 14:51:13 +0000\n\nbody\n"),
            sourceName: "fuzz")
        XCTAssertNil(message.date)
        XCTAssertNil(MailDate.parse("Wed, 30 Oct -9223372036854775807 14:51:13 +0000"))
        XCTAssertNotNil(MailDate.parse("Wed, 30 Oct 2019 14:51:13 +0000"))
    }
}
