import XCTest

@testable import Mail

/// What a whole-archive reader keeps of a message must give the same series, trailers and robot
/// reports as the full message.
final class CompactionTests: XCTestCase {
    let reply = """
        Received: from relay.example.invalid by list.example.invalid
        DKIM-Signature: v=1; a=rsa-sha256; b=AAAA
        From: Rita Reviewer <r@example.invalid>
        Subject: Re: [PATCH v2 3/5] iommu/foo: Allow building as a module
        Message-Id: <reply@example.invalid>
        In-Reply-To: <p3@example.invalid>
        References: <p0@example.invalid> <p3@example.invalid>
        Date: Wed, 30 Oct 2019 15:00:00 +0000

        On Wed, Oct 30, 2019 Ann wrote:
        > Signed-off-by: Ann Author <a@example.invalid>
        > +\ttristate "Foo IOMMU"
        Looks right to me.

        Reviewed-by: Rita Reviewer <r@example.invalid>
        --\u{20}
        Tested-by: Not A Trailer <sig@example.invalid>

        """

    func testReplyKeepsThreadingAndTrailersOnly() throws {
        let full = try MailParser.parse(bytes(reply), sourceName: "reply")
        let compact = full.compactedForArchive()
        XCTAssertEqual(compact.messageID, full.messageID)
        XCTAssertEqual(compact.inReplyTo, full.inReplyTo)
        XCTAssertEqual(compact.references, full.references)
        XCTAssertEqual(compact.subject, full.subject)
        XCTAssertEqual(compact.from, full.from)
        XCTAssertEqual(compact.date, full.date)
        XCTAssertNil(compact.header("DKIM-Signature"), "archive headers nobody reads are dropped")
        XCTAssertEqual(TrailerParser.trailers(in: compact.body), TrailerParser.trailers(in: full.body))
        XCTAssertEqual(TrailerParser.trailers(in: compact.body).map(\.kind), ["Reviewed-by"])
        XCTAssertFalse(text(compact.body).contains("tristate"), "quoted text dropped")
        XCTAssertLessThan(compact.body.count, full.body.count)
    }

    func testPatchesAndRobotReportsKeepTheirBody() throws {
        let patch = try MailParser.parse(
            bytes("From: a@example.invalid\nSubject: [PATCH] x\nMessage-Id: <p@example.invalid>\n\n---\n" + sampleDiff),
            sourceName: "patch")
        XCTAssertEqual(patch.compactedForArchive().patchText, patch.patchText)
        let robot = try MailParser.parse(
            bytes(
                "From: kernel test robot <lkp@intel.com>\nSubject: Re: [PATCH] x\nMessage-Id: <r@example.invalid>\n\n> quoted\nERROR: modpost: \"foo\" [drivers/iommu/foo.ko] undefined!\n"
            ), sourceName: "robot")
        XCTAssertTrue(KernelTestRobot.isBuildFailureReport(robot.compactedForArchive()))
        XCTAssertEqual(robot.compactedForArchive().body, robot.body)
    }
}

final class BaseCommitTrailerTests: XCTestCase {
    func testTheBaseCommitLineOfAPatch() throws {
        func base(_ body: String) throws -> String? {
            try MailParser.parse(Array("Subject: [PATCH] x\nMessage-Id: <b@x>\n\n\(body)".utf8), sourceName: "m").baseCommit
        }
        let id = "1a2943d8a64fe9962c26740ebee6f23d14a98253"
        XCTAssertEqual(try base("text\n---\n diff\n\nbase-commit: \(id)\n-- \n2.39\n"), id)
        XCTAssertEqual(try base("base-commit:  1a2943d8a64f\r\n"), "1a2943d8a64f", "abbreviated, CRLF")
        XCTAssertNil(try base("see base-commit: \(id)\n"), "not at the start of a line")
        XCTAssertNil(try base("base-commit: v5.4\n"), "not an id")
        XCTAssertNil(try base("base-commit: \(id)x\n"))
    }
}
