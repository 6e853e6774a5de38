import Foundation
import XCTest

@testable import Mail

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// A small kernel-like diff used by many messages below.
let sampleDiff = """
    diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig
    --- a/drivers/iommu/Kconfig
    +++ b/drivers/iommu/Kconfig
    @@ -1,3 +1,3 @@
     config FOO_IOMMU
    -\tbool "Foo IOMMU"
    +\ttristate "Foo IOMMU"
     \tdepends on ARM64

    """

final class MessageTests: XCTestCase {
    func testQuotedPrintableSoftBreaksAndEscapes() throws {
        let raw = """
            From: Ann Dev <ann@example.invalid>
            Subject: [PATCH] iommu/foo: allow building as a module
            Message-Id: <qp-1@example.invalid>
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            A long line that the sender's mailer wrapped=
             here, an =3D sign, caf=C3=A9 and a soft break with trailing blanks=\u{20}\u{20}
            joined.
            ---
            \(sampleDiff.replacingOccurrences(of: "=", with: "=3D"))
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "qp.eml")
        let body = text(m.body)
        XCTAssertTrue(
            body.contains("wrapped here, an = sign, café and a soft break with trailing blanksjoined."), body)
        XCTAssertTrue(m.hasDiff)
        let patch = try XCTUnwrap(m.patchText.map(text))
        XCTAssertTrue(
            patch.hasPrefix(
                "From: Ann Dev <ann@example.invalid>\nSubject: [PATCH] iommu/foo: allow building as a module\n\n"
            ), patch)
        XCTAssertTrue(patch.contains("+\ttristate \"Foo IOMMU\"\n"), patch)
        XCTAssertEqual(m.diagnostics, [])
    }

    /// Content-Type values with spaces and tabs around their parts (trimmed as bytes for ASCII,
    /// by Foundation otherwise).
    func testContentTypeParametersAreTrimmed() {
        let t = ContentType(" \tText/Plain ;\tcharset = \"utf-8\" ; format=flowed\t")
        XCTAssertEqual(t.mimeType, "text/plain")
        XCTAssertEqual(t.parameter("charset"), "utf-8")
        XCTAssertEqual(t.parameter("format"), "flowed")
        XCTAssertEqual(" \u{00A0}text/plain\u{00A0} ".trimmedSpaces, "text/plain", "a no-break space is whitespace too")
        XCTAssertEqual("\t \t".trimmedSpaces, "")
        XCTAssertEqual("a b".trimmedSpaces, "a b")
    }

    func testBase64Body() throws {
        let payload = "Make FOO modular.\n\nSigned-off-by: Ann <ann@example.invalid>\n---\n" + sampleDiff
        var encoded = Data(payload.utf8).base64EncodedString()
        // Real mailers wrap base64 at 76 columns.
        var wrapped = ""
        while !encoded.isEmpty {
            wrapped += String(encoded.prefix(76)) + "\r\n"
            encoded = String(encoded.dropFirst(76))
        }
        let raw =
            "From: ann@example.invalid\r\nSubject: [PATCH] foo\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + wrapped
        let m = try MailParser.parse(bytes(raw), sourceName: "b64.eml")
        XCTAssertEqual(text(m.body), payload)
        XCTAssertNotNil(m.patchText)
        XCTAssertEqual(m.subject, "[PATCH] foo")
    }

    func testMultipartMixedWithPatchAttachment() throws {
        let raw = """
            From: Bob <bob@example.invalid>
            Subject: [PATCH] iommu/bar: add missing MODULE_DEVICE_TABLE
            Message-Id: <mp-1@example.invalid>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="=-=-=boundary42"

            This is a multi-part message in MIME format.
            --=-=-=boundary42
            Content-Type: text/plain; charset=us-ascii

            Patch attached, my mailer mangles inline patches.

            --=-=-=boundary42
            Content-Type: text/html; charset=us-ascii

            <p>Patch attached</p>
            --=-=-=boundary42
            Content-Type: text/x-patch; name="0001-bar.patch"
            Content-Disposition: attachment; filename="0001-bar.patch"
            Content-Transfer-Encoding: 7bit

            \(sampleDiff)
            --=-=-=boundary42--

            """
        let m = try MailParser.parse(bytes(raw), sourceName: "mp.eml")
        let body = text(m.body)
        XCTAssertTrue(body.hasPrefix("Patch attached, my mailer mangles inline patches.\n"), body)
        XCTAssertFalse(body.contains("<p>"), "the HTML alternative is not part of the body")
        XCTAssertFalse(
            body.contains("multi-part message in MIME format"), "the preamble is not part of the body")
        XCTAssertTrue(body.contains("diff --git a/drivers/iommu/Kconfig"), body)
        let patch = text(try XCTUnwrap(m.patchText))
        XCTAssertFalse(patch.contains("mailer mangles"), "patchText holds only the diff part")
        XCTAssertTrue(
            patch.contains("\n\ndiff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig\n"), patch)
        XCTAssertEqual(m.diagnostics, [])
    }

    func testOctetStreamAttachmentOnlyWhenItIsADiff() throws {
        let encodedDiff = Data(sampleDiff.utf8).base64EncodedString()
        let encodedBlob = Data([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]).base64EncodedString()
        let raw = """
            From: c@example.invalid
            Subject: [PATCH] x
            Content-Type: multipart/mixed; boundary=B

            --B
            Content-Type: text/plain

            see attachments
            --B
            Content-Type: application/gzip
            Content-Transfer-Encoding: base64

            \(encodedBlob)
            --B
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64

            \(encodedDiff)
            --B--
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "o.eml")
        XCTAssertEqual(text(m.body), "see attachments\n" + sampleDiff)
        XCTAssertNotNil(m.patchText)
    }

    func testEightBitLatin1AndWindows1252Bodies() throws {
        var latin1 = bytes(
            "From: d@example.invalid\nSubject: x\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\nJ"
        )
        latin1 += [0xf6] + bytes("rg says ") + [0xb5] + bytes("s\n")
        let m = try MailParser.parse(latin1, sourceName: "l1.eml")
        XCTAssertEqual(text(m.body), "Jörg says µs\n")

        var cp1252 = bytes(
            "From: d@example.invalid\nSubject: x\nContent-Type: text/plain; charset=windows-1252\n\n")
        cp1252 += [0x93] + bytes("quoted") + [0x94] + bytes(" ") + [0x80] + bytes("\n")
        XCTAssertEqual(
            text(try MailParser.parse(cp1252, sourceName: "w.eml").body), "\u{201C}quoted\u{201D} €\n")

        // UTF-8 labelled as us-ascii stays UTF-8; unknown charsets keep their bytes.
        let utf8 = bytes(
            "From: d@example.invalid\nSubject: x\nContent-Type: text/plain; charset=us-ascii\n\nJörg\n")
        XCTAssertEqual(text(try MailParser.parse(utf8, sourceName: "u.eml").body), "Jörg\n")
        var koi = bytes("From: d@example.invalid\nSubject: x\nContent-Type: text/plain; charset=koi8-r\n\n")
        koi += [0xf0, 0xd2, 0x0a]
        XCTAssertEqual(try MailParser.parse(koi, sourceName: "k.eml").body, [0xf0, 0xd2, 0x0a])
    }

    func testFoldedHeadersAndThreadingFields() throws {
        let raw = """
            From: Will Example <will@example.invalid>
            Subject: [PATCH 1/7] drivers/iommu: Export core IOMMU API symbols to permit
            \tmodular drivers
            Message-Id:
             <20191030145112.1-2-will@example.invalid>
            In-Reply-To: <20191030145112.1-1-will@example.invalid> (Will's message)
            References: <root@example.invalid>
             <20191030145112.1-1-will@example.invalid>
            X-Mailer: git-send-email 2.24.0.rc0.303.g954a862665-goog
            Date: Wed, 30 Oct 2019 14:51:06 +0000
            cc: one@example.invalid
            Cc: two@example.invalid

            body
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "f.eml")
        XCTAssertEqual(
            m.subject, "[PATCH 1/7] drivers/iommu: Export core IOMMU API symbols to permit modular drivers")
        XCTAssertEqual(m.messageID, "20191030145112.1-2-will@example.invalid")
        XCTAssertEqual(m.inReplyTo, "20191030145112.1-1-will@example.invalid")
        XCTAssertEqual(m.references, ["root@example.invalid", "20191030145112.1-1-will@example.invalid"])
        XCTAssertEqual(m.header("x-mailer"), "git-send-email 2.24.0.rc0.303.g954a862665-goog")
        XCTAssertEqual(m.header("CC"), "one@example.invalid", "case-insensitive, first")
        XCTAssertEqual(m.headers(named: "cc"), ["one@example.invalid", "two@example.invalid"])
        XCTAssertEqual(m.headers.map(\.name).first, "From")
        XCTAssertEqual(m.headers.count, 9)
        XCTAssertEqual(m.date, Date(timeIntervalSince1970: 1_572_447_066))
        XCTAssertEqual(m.senderAddress, "will@example.invalid")
        XCTAssertNil(m.patchText, "no diff")
        XCTAssertEqual(text(m.body), "body")
    }

    func testEncodedWordSubjects() throws {
        let raw = """
            From: =?iso-8859-1?q?J=F6rg_R=F6del?= <joro@example.invalid>
            Subject: =?UTF-8?q?=5BPATCH=5D=20iommu/foo=3A=20fix=20?=
             =?UTF-8?B?w6lsw6h2ZQ==?= handling
            Message-Id: <e@example.invalid>

            x
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "w.eml")
        XCTAssertEqual(m.from, "Jörg Rödel <joro@example.invalid>")
        XCTAssertEqual(m.subject, "[PATCH] iommu/foo: fix élève handling")
        XCTAssertEqual(SubjectParser.parse(m.subject ?? "").title, "iommu/foo: fix élève handling")
        // Not an encoded word: left alone.
        XCTAssertEqual(EncodedWords.decode(bytes("a =?x b ?= c")), bytes("a =?x b ?= c"))
    }

    func testMessageWithoutMessageIDAndDates() throws {
        let m = try MailParser.parse(
            bytes("From: a@example.invalid\nSubject: [PATCH] x\n\n" + sampleDiff), sourceName: "n.eml")
        XCTAssertNil(m.messageID)
        XCTAssertNil(m.inReplyTo)
        XCTAssertEqual(m.references, [])
        XCTAssertNil(m.date)
        XCTAssertNotNil(m.patchText)
        XCTAssertEqual(
            MailDate.parse("Sat, 27 Apr 2019 12:18:50 -0400 (EDT)"),
            Date(timeIntervalSince1970: 1_556_381_930))
        XCTAssertEqual(MailDate.parse("27 Apr 2019 16:18:50 GMT"), Date(timeIntervalSince1970: 1_556_381_930))
        XCTAssertEqual(
            MailDate.parse("Sat, 27 Apr 19 09:18:50 PDT"), Date(timeIntervalSince1970: 1_556_381_930))
        XCTAssertNil(MailDate.parse("yesterday"))
        XCTAssertNil(MailDate.parse("Mon, 45 Foo 2019 99:99:99 +0000"))
    }

    func testBrokenMIMEGivesADiagnosticAndStillAMessage() throws {
        let raw = """
            From: a@example.invalid
            Subject: [PATCH] x
            Content-Type: multipart/mixed; boundary="QQ"

            --QQ
            Content-Type: text/plain

            hello
            --QQ
            Content-Type: text/x-diff

            \(sampleDiff)
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "broken.eml")
        XCTAssertTrue(text(m.body).hasPrefix("hello\n"), text(m.body))
        XCTAssertNotNil(m.patchText)
        let d = try XCTUnwrap(m.diagnostics.first)
        XCTAssertEqual(d.source, "broken.eml")
        XCTAssertEqual(d.line, 5, "the line where the multipart body begins")
        XCTAssertTrue(d.message.contains("closing boundary '--QQ--'"), d.message)

        let noBoundary = try MailParser.parse(
            bytes("From: a@b.invalid\nContent-Type: multipart/mixed\n\ntext\n"), sourceName: "nb.eml")
        XCTAssertEqual(text(noBoundary.body), "text\n")
        XCTAssertTrue(noBoundary.diagnostics.contains { $0.message.contains("without a boundary") })

        let badBase64 = try MailParser.parse(
            bytes("From: a@b.invalid\nContent-Transfer-Encoding: base64\n\naGVsbG8K\n!!\n"),
            sourceName: "bb.eml")
        XCTAssertEqual(text(badBase64.body), "hello\n")
        XCTAssertEqual(badBase64.diagnostics.first?.line, 4)
    }

    func testNotAMessageNamesSourceAndLine() {
        XCTAssertThrowsError(try MailParser.parse(bytes("just some text\nmore\n"), sourceName: "junk.txt")) {
            error in
            let e = error as? MailParseError
            XCTAssertEqual(e?.source, "junk.txt")
            XCTAssertEqual(e?.line, 1)
            XCTAssertTrue("\(error)".hasPrefix("junk.txt:1: "), "\(error)")
        }
        XCTAssertThrowsError(try MailParser.parse([], sourceName: "empty"))
    }

    func testHeaderBlockWithoutBlankLine() throws {
        let m = try MailParser.parse(
            bytes("From: a@b.invalid\nSubject: x\n" + sampleDiff), sourceName: "h.eml")
        XCTAssertEqual(m.subject, "x")
        XCTAssertNotNil(m.patchText)
        XCTAssertEqual(m.diagnostics.first?.line, 3)
    }

    func testNestedMultipartSignedAndAlternative() throws {
        let raw = """
            From: a@example.invalid
            Subject: Re: [PATCH] x
            Content-Type: multipart/signed; boundary=OUT; protocol="application/pgp-signature"

            --OUT
            Content-Type: multipart/alternative; boundary=ALT

            --ALT
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            Reviewed-by: A <a@example.invalid>
            --ALT
            Content-Type: text/html

            <b>Reviewed</b>
            --ALT--
            --OUT
            Content-Type: application/pgp-signature

            -----BEGIN PGP SIGNATURE-----
            --OUT--
            """
        let m = try MailParser.parse(bytes(raw), sourceName: "s.eml")
        XCTAssertEqual(text(m.body), "Reviewed-by: A <a@example.invalid>")
        XCTAssertEqual(m.diagnostics, [])
        XCTAssertEqual(
            TrailerParser.trailers(in: m.body),
            [Trailer(kind: "Reviewed-by", person: "A <a@example.invalid>")])
    }

    func testBuiltMessageAndPlainUnifiedDiff() {
        let quilt = "Index: a.c\n--- a.orig/a.c\n+++ a/a.c\n@@ -1 +1 @@\n-x\n+y\n"
        let m = MailMessage(
            headers: [MailHeader(name: "Subject", value: "[PATCH] y")], body: bytes(quilt), sourceName: "q")
        XCTAssertEqual(m.subject, "[PATCH] y")
        XCTAssertEqual(m.header("subject"), "[PATCH] y")
        XCTAssertNotNil(m.patchText)
        XCTAssertFalse(
            Bytes.containsDiff(bytes("> --- a/x\n> +++ b/x\n")), "quoted diffs in replies are not diffs")
        XCTAssertFalse(Bytes.containsDiff(bytes("---\n drivers/x.c | 2 +-\n")), "a diffstat is not a diff")
    }

    func testSeedMessages() throws {
        let dir = "/work/data/seed"
        guard FileManager.default.fileExists(atPath: dir + "/0.eml") else {
            throw XCTSkip("seed messages not present")
        }
        var messages: [MailMessage] = []
        for n in 0...7 {
            let data = try XCTUnwrap(FileManager.default.contents(atPath: "\(dir)/\(n).eml"))
            let read = PatchInput.read(path: "\(n).eml", bytes: [UInt8](data))
            XCTAssertEqual(read.messages.count, 1)
            XCTAssertEqual(read.diagnostics, [])
            messages += read.messages
        }
        XCTAssertNil(messages[0].patchText, "the cover letter has no diff")
        XCTAssertTrue(messages.dropFirst().allSatisfy { $0.patchText != nil })
        let cover = try XCTUnwrap(messages[0].messageID)
        XCTAssertTrue(messages.dropFirst().allSatisfy { $0.inReplyTo == cover })
        let series = SeriesGrouper.group(messages.reversed())
        XCTAssertEqual(series.count, 1)
        XCTAssertEqual(series.first?.patches.count, 7)
        XCTAssertEqual(series.first?.missing, [])
        XCTAssertEqual(series.first?.messageID, cover)
        XCTAssertEqual(
            SeriesGrouper.ordered(messages.shuffled()).map { SubjectParser.parse($0.subject ?? "").index },
            Array(1...7))
    }
}
