import Foundation
import Mail
import XCTest

final class MailTests: XCTestCase {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    let diff = "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b\n"

    func testQuotedPrintableFoldedHeadersAndEncodedWords() throws {
        let raw = """
            From: =?iso-8859-1?q?J=F6rg?= <j@example.invalid>
            Subject: [PATCH v2 3/7] iommu/foo:
             =?utf-8?b?w6lsw6h2ZQ==?= it
            Message-Id: <abc@example.invalid>
            In-Reply-To: <cover@example.invalid>
            References: <cover@example.invalid>
             <other@example.invalid>
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            A long line that is wrapped=
             here, =3D sign.
            ---
            \(diff.replacingOccurrences(of: "=", with: "=3D"))
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "t.eml")
        XCTAssertEqual(m.from, "Jörg <j@example.invalid>")
        XCTAssertEqual(m.subject, "[PATCH v2 3/7] iommu/foo: élève it")
        XCTAssertEqual(m.messageID, "abc@example.invalid")
        XCTAssertEqual(m.inReplyTo, "cover@example.invalid")
        XCTAssertEqual(m.references, ["cover@example.invalid", "other@example.invalid"])
        let body = String(decoding: m.body, as: UTF8.self)
        XCTAssertTrue(body.contains("wrapped here, = sign."), body)
        XCTAssertNotNil(m.patchText)
    }

    func testMultipartAttachmentBase64AndLatin1() throws {
        let encoded = Data(diff.utf8).base64EncodedString()
        let raw = """
            From: a@example.invalid
            Subject: [PATCH] x
            Content-Type: multipart/mixed; boundary="BOUND"

            --BOUND
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: 8bit

            caf\u{e9} text
            --BOUND
            Content-Type: text/x-patch; name="0001.patch"
            Content-Transfer-Encoding: base64

            \(encoded)
            --BOUND--

            """
        var data = bytes(raw)
        // Make the Latin-1 body really 8-bit ISO-8859-1 (é = 0xE9), not UTF-8.
        if let i = data.firstIndex(of: 0xc3) { data.replaceSubrange(i...(i + 1), with: [0xe9]) }
        let m = try MailParser.parse(data, sourceName: "m.eml")
        let body = String(decoding: m.body, as: UTF8.self)
        XCTAssertTrue(body.contains("café text"), body)
        XCTAssertTrue(body.contains("diff --git a/f.c b/f.c"), body)
        XCTAssertNil(m.messageID, "no Message-Id is fine")
        XCTAssertNotNil(m.patchText)
    }

    func testBrokenMIMEGivesADiagnosticAndStillAMessage() throws {
        let raw =
            "From: a@b\nSubject: x\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain\n\nhello\n"
        let m = try MailParser.parse(bytes(raw), sourceName: "b.eml")
        XCTAssertEqual(String(decoding: m.body, as: UTF8.self), "hello\n")
        XCTAssertTrue(m.diagnostics.contains { $0.message.contains("closing boundary") })
        XCTAssertThrowsError(try MailParser.parse(bytes("not a mail at all"), sourceName: "junk.txt")) {
            error in
            XCTAssertTrue("\(error)".contains("junk.txt"))
        }
    }

    func testMboxrdAndMboxoQuotingAndTruncation() {
        let mbox = """
            From mboxrd@z Thu Jan  1 00:00:00 1970
            From: a@b
            Subject: [PATCH 1/2] one

            >From the body
            >>From quoted twice
            \(diff)
            From mboxrd@z Thu Jan  1 00:00:00 1970
            From: a@b
            Subject: Re: [PATCH 1/2] one

            a reply
            From mboxrd@z Thu Jan  1 00:00:00 1970
            From: a@b
            Subject: [PATCH 2/2] two

            truncated mid-
            """
        let (messages, diagnostics) = Mbox.split(bytes(mbox), sourceName: "s.mbox")
        XCTAssertEqual(messages.count, 3)
        XCTAssertEqual(diagnostics, [])
        let first = String(decoding: messages[0], as: UTF8.self)
        XCTAssertTrue(first.contains("\nFrom the body\n>From quoted twice\n"), first)
        let read = PatchInput.read(path: "s.mbox", bytes: bytes(mbox))
        XCTAssertEqual(read.messages.count, 3)
        let ordered = SeriesGrouper.ordered(read.messages)
        XCTAssertEqual(
            ordered.map { $0.subject ?? "" }, ["[PATCH 1/2] one", "[PATCH 2/2] two"],
            "replies are not patches")
    }

    func testSubjectTable() {
        let table: [(String, Bool, Int, Int?, Int?, Bool, String)] = [
            ("[PATCH] x", true, 1, nil, nil, false, "x"),
            ("[PATCH v2 3/7] x", true, 2, 3, 7, false, "x"),
            ("[PATCH 0/7] x", true, 1, 0, 7, false, "x"),
            ("[RFC PATCH v3 01/12] x", true, 3, 1, 12, true, "x"),
            ("[PATCH RFC v2 2/3] x", true, 2, 2, 3, true, "x"),
            ("[PATCH -next] x", true, 1, nil, nil, false, "x"),
            ("[PATCH net-next v4 5/5] x", true, 4, 5, 5, false, "x"),
            ("[PATCH RESEND 1/2] x", true, 1, 1, 2, false, "x"),
            ("[PATCHv3 2/4] x", true, 3, 2, 4, false, "x"),
            ("[PATCH V2 1/1] x", true, 2, 1, 1, false, "x"),
            ("[PATCH 1/3 v2] x", true, 2, 1, 3, false, "x"),
            ("Re: [PATCH 2/7] x", false, 1, 2, 7, false, "x"),
            ("RE: [PATCH] x", false, 1, nil, nil, false, "x"),
            ("Aw: [PATCH] x", false, 1, nil, nil, false, "x"),
            ("[v2,3/7] x", true, 2, 3, 7, false, "x"),
            ("[PATCH 1/2][RESEND] x", true, 1, 1, 2, false, "x"),
            ("plain subject", false, 1, nil, nil, false, "plain subject"),
        ]
        for (subject, isPatch, version, index, total, rfc, title) in table {
            let t = SubjectParser.parse(subject)
            XCTAssertEqual(t.isPatch, isPatch, subject)
            XCTAssertEqual(t.version, version, subject)
            XCTAssertEqual(t.index, index, subject)
            XCTAssertEqual(t.total, total, subject)
            XCTAssertEqual(t.isRFC, rfc, subject)
            XCTAssertEqual(t.title, title, subject)
        }
        XCTAssertTrue(SubjectParser.parse("[PATCH RESEND 1/2] x").isResend)
    }

    func testSeriesGroupingVersionsAndMissingPatches() throws {
        func msg(_ id: String, _ subject: String, replyTo: String? = nil) throws -> MailMessage {
            var raw = "From: W <w@example.invalid>\nSubject: \(subject)\nMessage-Id: <\(id)>\n"
            if let replyTo { raw += "In-Reply-To: <\(replyTo)>\nReferences: <\(replyTo)>\n" }
            return try MailParser.parse(bytes(raw + "\n" + diff), sourceName: id)
        }
        let messages = [
            try msg("c1", "[PATCH 0/3] iommu: modular"), try msg("p1", "[PATCH 1/3] a", replyTo: "c1"),
            try msg("p3", "[PATCH 3/3] c", replyTo: "c1"), try msg("r1", "Re: [PATCH 1/3] a", replyTo: "p1"),
            try msg("c2", "[PATCH v2 0/2] iommu: modular"), try msg("q1", "[PATCH v2 1/2] a", replyTo: "c2"),
            try msg("q2", "[PATCH v2 2/2] b", replyTo: "c2"),
            try msg("q2", "[PATCH v2 2/2] b", replyTo: "c2"),
        ]
        let series = SeriesGrouper.group(messages)
        XCTAssertEqual(series.count, 2)
        XCTAssertEqual(series[0].missing, [2])
        XCTAssertEqual(series[0].patches.count, 2)
        XCTAssertEqual(series[0].replies.map(\.messageID), ["r1"])
        XCTAssertEqual(series[1].patches.count, 2, "duplicate Message-Id dropped")
        let versions = SeriesGrouper.linkVersions(series)
        XCTAssertEqual(versions.count, 1)
        XCTAssertEqual(versions[0].map(\.version), [1, 2])
    }
}
