import XCTest
final class MailPlaceholderTests: XCTestCase { func testNothing() {} }
