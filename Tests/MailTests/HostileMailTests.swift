import Foundation
import XCTest

@testable import Mail

/// Mail built to hurt: each must parse to a usable message (or a clear diagnostic naming the
/// source and line) in bounded time, never a crash.
final class HostileMailTests: XCTestCase {
    /// Wall-clock seconds of `body`; hostile inputs must stay far below a pathological blow-up.
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    /// 10,000 multipart levels, each a part holding the next: parsing stops at the depth cap and
    /// says so, and the diff in the innermost leaf is not the body.
    func testTenThousandNestedMIMEParts() throws {
        let levels = 10_000
        var raw = "From: a@example.invalid\nSubject: [PATCH] nested\nMessage-Id: <nest@example.invalid>\n"
        raw += "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
        for i in 0..<levels {
            raw += "--b\(i)\nContent-Type: multipart/mixed; boundary=\"b\(i + 1)\"\n\n"
        }
        raw += "--b\(levels)\nContent-Type: text/plain\n\n" + sampleDiff
        for i in stride(from: levels, through: 0, by: -1) { raw += "--b\(i)--\n" }
        var message: MailMessage?
        let t = try seconds { message = try MailParser.parse(bytes(raw), sourceName: "nested.eml") }
        let m = try XCTUnwrap(message)
        XCTAssertLessThan(t, 10)
        XCTAssertEqual(m.subject, "[PATCH] nested")
        let cap = m.diagnostics.filter { $0.message.contains("nested deeper than \(MailParser.maxDepth)") }
        XCTAssertEqual(cap.count, 1, "\(m.diagnostics.prefix(5))")
        XCTAssertTrue(cap[0].description.hasPrefix("nested.eml:"), cap[0].description)
        XCTAssertNil(m.patchText, "the diff lies below the depth cap")
    }

    /// 10,000 sibling parts: the part cap holds and is reported once.
    func testTenThousandSiblingMIMEParts() throws {
        var raw = "From: a@example.invalid\nSubject: [PATCH] wide\n"
        raw += "Content-Type: multipart/mixed; boundary=\"x\"\n\n"
        for i in 0..<10_000 { raw += "--x\nContent-Type: text/plain\n\npart \(i)\n" }
        raw += "--x--\n"
        var message: MailMessage?
        let t = try seconds { message = try MailParser.parse(bytes(raw), sourceName: "wide.eml") }
        let m = try XCTUnwrap(message)
        XCTAssertLessThan(t, 10)
        XCTAssertEqual(
            m.diagnostics.filter { $0.message.contains("more than \(MailParser.maxParts) MIME parts") }.count, 1)
        XCTAssertTrue(text(m.body).contains("part 0\n"))
        XCTAssertFalse(text(m.body).contains("part 9999"))
    }

    /// A one-megabyte subject, plain, folded, bracket-heavy and RFC 2047-encoded: parsed linearly.
    func testOneMegabyteSubject() throws {
        let megabyte = 1 << 20
        let plain = "[PATCH v2 3/7] " + String(repeating: "x", count: megabyte)
        let brackets = String(repeating: "[", count: megabyte) + " t"
        let groups = String(repeating: "[PATCH] ", count: megabyte / 8) + "title"
        let replies = String(repeating: "Re[2]: ", count: megabyte / 7) + "title"
        let folded = (0..<(megabyte / 64)).map { _ in String(repeating: "w", count: 62) }.joined(separator: "\n ")
        let encoded = (0..<(megabyte / 32)).map { _ in "=?utf-8?q?=C3=A9t=C3=A9?=" }.joined(separator: " ")
        for (name, subject) in [
            ("plain", plain), ("brackets", brackets), ("groups", groups), ("replies", replies),
            ("folded", folded), ("encoded", encoded),
        ] {
            let raw = "From: a@example.invalid\nSubject: \(subject)\n\n" + sampleDiff
            var message: MailMessage?
            let t = try seconds {
                message = try MailParser.parse(bytes(raw), sourceName: name)
                _ = message?.subject.map(SubjectParser.parse)
            }
            let m = try XCTUnwrap(message, name)
            XCTAssertLessThan(t, 5, name)
            // Encoded words shrink to their text (5 bytes of "été" for 24 encoded): still 160 KB.
            XCTAssertGreaterThan(m.subject?.utf8.count ?? 0, megabyte / 8, name)
            XCTAssertNotNil(m.patchText, name)
        }
        XCTAssertEqual(SubjectParser.parse(plain).index, 3)
        XCTAssertEqual(SubjectParser.parse(plain).version, 2)
    }

    /// Invalid UTF-8 in header names and values, encoded words, the body and the diff's paths:
    /// decoded with replacement characters, never a trap, the diff still found.
    func testInvalidUTF8Everywhere() throws {
        let bad: [UInt8] = [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]
        var raw: [UInt8] = []
        raw += bytes("From: ") + bad + bytes(" <a@example.invalid>\n")
        raw += bytes("Subject: [PATCH] iommu: ") + bad + bytes(" =?utf-8?b?/w==?= =?x-unknown?q?=FF?=\n")
        raw += bytes("X-") + bad + bytes(": value\n")
        raw += bytes("Message-Id: <") + bad + bytes("@example.invalid>\n")
        raw += bytes("Content-Type: text/plain; charset=\"") + bad + bytes("\"\n\n")
        raw += bytes("body ") + bad + bytes("\n---\n")
        raw += bytes("diff --git a/drivers/iommu/") + bad + bytes(".c b/drivers/iommu/") + bad + bytes(".c\n")
        raw += bytes("--- a/drivers/iommu/") + bad + bytes(".c\n+++ b/drivers/iommu/") + bad + bytes(".c\n")
        raw += bytes("@@ -1 +1 @@\n-") + bad + bytes("\n+") + bad + bytes("x\n")
        let m = try MailParser.parse(raw, sourceName: "bad.eml")
        XCTAssertTrue(m.subject?.hasPrefix("[PATCH] iommu: ") ?? false, m.subject ?? "nil")
        XCTAssertTrue(SubjectParser.parse(m.subject ?? "").isPatch)
        XCTAssertNotNil(m.from)
        XCTAssertNotNil(m.patchText)
        XCTAssertFalse(m.headers.isEmpty)
        // The same bytes as an mbox of two, and as a maildir file name never read: still two messages.
        let mbox = bytes("From x Mon Sep 17 00:00:00 2001\n") + raw + bytes("\nFrom x Mon Sep 17 00:00:00 2001\n") + raw
        let read = PatchInput.read(path: "bad.mbox", bytes: mbox)
        XCTAssertEqual(read.messages.count, 2)
    }

    /// Not a message at all: binary noise is a clear one-line error naming the source and line.
    func testBinaryNoiseIsAClearError() throws {
        var noise: [UInt8] = []
        var x: UInt32 = 12345
        for _ in 0..<(1 << 20) {
            x = x &* 1_103_515_245 &+ 12345
            noise.append(UInt8(truncatingIfNeeded: x >> 16) | 0x80)
        }
        XCTAssertThrowsError(try MailParser.parse(noise, sourceName: "noise.bin")) { error in
            XCTAssertTrue("\(error)".hasPrefix("noise.bin:1: not a mail message"), "\(error)")
        }
        let read = PatchInput.read(path: "noise.bin", bytes: noise)
        XCTAssertTrue(read.messages.isEmpty)
        XCTAssertEqual(read.diagnostics.first?.description.hasPrefix("noise.bin:1:"), true)
    }
}
