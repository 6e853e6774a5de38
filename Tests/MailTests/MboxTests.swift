import Foundation
import XCTest

@testable import Mail

final class MboxTests: XCTestCase {
    func message(_ subject: String, id: String, replyTo: String? = nil, body: String) -> String {
        var s =
            "From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Ann <ann@example.invalid>\nSubject: \(subject)\nMessage-Id: <\(id)>\n"
        if let replyTo { s += "In-Reply-To: <\(replyTo)>\nReferences: <\(replyTo)>\n" }
        return s + "\n" + body + "\n"
    }

    func testMboxrdUnquotingVersusMboxo() {
        let mbox =
            message(
                "[PATCH 1/2] one", id: "p1",
                body: ">From the body\n>>From quoted twice\n>>>From thrice\n> From not quoting\n" + sampleDiff
            )
            + message("[PATCH 2/2] two", id: "p2", body: sampleDiff)
        let rd = Mbox.split(bytes(mbox), sourceName: "s.mbox")
        XCTAssertEqual(rd.messages.count, 2)
        XCTAssertEqual(rd.diagnostics, [])
        let first = text(rd.messages[0])
        XCTAssertTrue(
            first.contains("\nFrom the body\n>From quoted twice\n>>From thrice\n> From not quoting\n"), first)
        XCTAssertTrue(first.hasPrefix("From: Ann"), "the separator line is not part of the message")
        XCTAssertTrue(first.hasSuffix(sampleDiff), "the blank line before the next separator is dropped")

        let o = Mbox.split(bytes(mbox), sourceName: "s.mbox", quoting: .mboxo)
        let firstO = text(o.messages[0])
        XCTAssertTrue(firstO.contains("\nFrom the body\n>>From quoted twice\n>>>From thrice\n"), firstO)
    }

    func testTruncatedMbox() {
        let mbox =
            message("[PATCH 1/2] one", id: "p1", body: sampleDiff)
            + "From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Ann <ann@example.invalid>\nSubject: [PATCH 2/2] two\n\n"
            + "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b"
        let (messages, diagnostics) = Mbox.split(bytes(mbox), sourceName: "t.mbox")
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(diagnostics.count, 1)
        XCTAssertEqual(diagnostics.first?.source, "t.mbox[2]")
        XCTAssertTrue(diagnostics.first?.message.contains("truncated") ?? false)
        let read = PatchInput.read(path: "t.mbox", bytes: bytes(mbox))
        XCTAssertEqual(read.messages.map(\.sourceName), ["t.mbox[1]", "t.mbox[2]"])
        XCTAssertTrue(text(read.messages[1].body).hasSuffix("+b"))

        // Cut inside the header block: still a message, with its subject.
        let cut = Array(bytes(message("[PATCH] cut", id: "c", body: "x")).prefix(90))
        let cutRead = PatchInput.read(path: "cut.mbox", bytes: cut)
        XCTAssertEqual(cutRead.messages.count, 1)
        XCTAssertEqual(cutRead.messages.first?.from, "Ann <ann@example.invalid>")
    }

    func testCRLFMbox() throws {
        let lf =
            message("[PATCH 1/2] one", id: "p1", body: ">From here\n" + sampleDiff)
            + message("[PATCH 2/2] two", id: "p2", body: sampleDiff)
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        let read = PatchInput.read(path: "w.mbox", bytes: bytes(crlf))
        XCTAssertEqual(read.messages.count, 2)
        XCTAssertEqual(read.diagnostics, [])
        XCTAssertEqual(read.messages.map(\.subject), ["[PATCH 1/2] one", "[PATCH 2/2] two"])
        XCTAssertEqual(read.messages.map(\.messageID), ["p1", "p2"])
        let body = text(read.messages[0].body)
        XCTAssertFalse(body.contains("\r"), "decoded bodies use LF")
        XCTAssertTrue(body.hasPrefix("From here\n"), body)
        XCTAssertTrue(text(try XCTUnwrap(read.messages[1].patchText)).hasSuffix(sampleDiff))
    }

    func testReplyInTheMiddleIsNotAPatch() {
        let mbox =
            message("[PATCH 0/2] iommu: modular foo", id: "c", body: "cover text")
            + message("[PATCH 1/2] iommu: export bar", id: "p1", replyTo: "c", body: sampleDiff)
            + message(
                "Re: [PATCH 1/2] iommu: export bar", id: "r1", replyTo: "p1",
                body: "> diff --git a/x b/x\n> --- a/x\n\nLooks fine.\n\nAcked-by: Joe <joe@example.invalid>")
            + message("[PATCH 2/2] iommu: make foo tristate", id: "p2", replyTo: "c", body: sampleDiff)
        let read = PatchInput.read(path: "m.mbox", bytes: bytes(mbox))
        XCTAssertEqual(read.messages.count, 4)
        XCTAssertNil(read.messages[2].patchText, "a reply quoting a diff holds none")
        XCTAssertEqual(SeriesGrouper.ordered(read.messages).map(\.messageID), ["p1", "p2"])
        let series = SeriesGrouper.group(read.messages)
        XCTAssertEqual(series.count, 1)
        XCTAssertEqual(series[0].patches.map(\.messageID), ["p1", "p2"])
        XCTAssertEqual(series[0].replies.map(\.messageID), ["r1"])
        XCTAssertEqual(series[0].trailers, [Trailer(kind: "Acked-by", person: "Joe <joe@example.invalid>")])
    }

    func testUnquotedFormatPatchStdoutAndSeparatorsWithoutBlankLine() {
        // `git format-patch --stdout` does not quote: a commit message paragraph may begin with "From ".
        let mbox = """
            From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001
            From: Ann <ann@example.invalid>
            Subject: [PATCH 1/2] one

            From the datasheet: the unit can be reset.

            \(sampleDiff)-- 
            2.30.0
            From 2234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001
            From: Ann <ann@example.invalid>
            Subject: [PATCH 2/2] two

            \(sampleDiff)
            """
        let (messages, diagnostics) = Mbox.split(bytes(mbox), sourceName: "fp.mbox")
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(diagnostics, [])
        XCTAssertTrue(text(messages[0]).contains("\n\nFrom the datasheet: the unit can be reset.\n"))
    }

    func testPatchInputSniffing() throws {
        let bare = PatchInput.read(path: "x.diff", bytes: bytes("\n" + sampleDiff))
        XCTAssertEqual(bare.messages.count, 1)
        XCTAssertNil(bare.messages[0].subject)
        XCTAssertEqual(bare.messages[0].patchText.map(text), "\n" + sampleDiff)

        let raw = PatchInput.read(
            path: "r.eml", bytes: bytes("Subject: [PATCH] r\nFrom: a@b.invalid\n\n" + sampleDiff))
        XCTAssertEqual(raw.messages.first?.subject, "[PATCH] r")

        let gitShow = PatchInput.read(
            path: "show.txt",
            bytes: bytes("commit 0123abcd\nAuthor: A <a@b.invalid>\n\n    msg\n\n" + sampleDiff))
        XCTAssertEqual(gitShow.messages.count, 1)
        XCTAssertNotNil(gitShow.messages.first?.patchText)
        XCTAssertEqual(gitShow.diagnostics.first?.source, "show.txt")

        let junk = PatchInput.read(path: "j.txt", bytes: bytes("hello world\n"))
        XCTAssertEqual(junk.messages.count, 0)
        XCTAssertEqual(junk.diagnostics.first?.description.hasPrefix("j.txt:1: not a mail message"), true)
        XCTAssertEqual(PatchInput.read(path: "e", bytes: []).messages.count, 0)
    }

    func testMaildir() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "maildir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try Data(bytes("From: a@b.invalid\nSubject: [PATCH 2/2] b\n\n" + sampleDiff)).write(
            to: root.appendingPathComponent("cur/1700000002.M2.host:2,S"))
        try Data(bytes("From: a@b.invalid\nSubject: [PATCH 1/2] a\n\n" + sampleDiff)).write(
            to: root.appendingPathComponent("new/1700000001.M1.host"))
        let read = PatchInput.readMaildir(path: root.path)
        XCTAssertEqual(read.messages.count, 2)
        XCTAssertEqual(
            SeriesGrouper.ordered(read.messages).map(\.subject), ["[PATCH 1/2] a", "[PATCH 2/2] b"])
        XCTAssertEqual(PatchInput.readMaildir(path: root.path + "/nonexistent").diagnostics.count, 1)
    }

    func testHostileInputDoesNotTrap() {
        let inputs: [[UInt8]] = [
            [], bytes("From "), bytes("From \n"), bytes(">From x\n"), bytes("From: \n\n"), bytes(":\n"),
            bytes("From: a\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n"),
            bytes("From: a\nContent-Type: multipart/mixed; boundary=x\n\n--x"),
            bytes("From: a\nContent-Transfer-Encoding: quoted-printable\n\n=\n=4\n=ZZ="),
            bytes("From: a\nSubject: =?utf-8?q?\n\n"), bytes("From: a\nSubject: =?utf-8?b?====?=\n\n"),
            bytes("From: a\nSubject: [PATCH 999999999/9999999999] x\nReferences: <a> <"),
            [0xff, 0xfe, 0x00, 0x0a], Array(repeating: 0x3e, count: 100),
        ]
        for input in inputs {
            let read = PatchInput.read(path: "h", bytes: input)
            _ = SeriesGrouper.group(read.messages)
            _ = read.messages.map { ($0.headers, $0.date, $0.patchText) }
        }
        // Deep nesting is cut off with a diagnostic.
        var deep = "From: a\nContent-Type: multipart/mixed; boundary=b0\n\n"
        for n in 1...40 { deep += "--b\(n - 1)\nContent-Type: multipart/mixed; boundary=b\(n)\n\n" }
        let m = PatchInput.read(path: "deep", bytes: bytes(deep))
        XCTAssertTrue(m.diagnostics.contains { $0.message.contains("nested deeper") })
    }
}
