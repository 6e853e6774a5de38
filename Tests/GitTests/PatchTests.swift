import Foundation
import XCTest

@testable import Git

final class PatchParserTests: GitTestCase {
    /// A format-patch mail as a list delivers it: headers, message, diffstat, signature, footer.
    var mail: String {
        """
        From 1f2e3d4c5b6a7980 Mon Sep 17 00:00:00 2001
        From: Jane Developer <jane@example.invalid>
        To: iommu@lists.example.invalid
        Subject: [PATCH 2/3] iommu/foo: Allow building as a module
        Date: Wed, 30 Oct 2019 14:51:10 +0000
        Message-Id: <20191030145112.1-3-jane@example.invalid>
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: 7bit

        Make the driver tristate and export what it needs.

        Signed-off-by: Jane Developer <jane@example.invalid>
        ---
         drivers/iommu/Kconfig | 2 +-
         drivers/iommu/foo.c   | 5 +++--
         drivers/iommu/foo.h   | 3 +++
         3 files changed, 8 insertions(+), 3 deletions(-)
         create mode 100644 drivers/iommu/foo.h

        diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig
        index e3842eabcfdd..7583d47fc4d5 100644
        --- a/drivers/iommu/Kconfig
        +++ b/drivers/iommu/Kconfig
        @@ -10,7 +10,7 @@ config IOMMU_SUPPORT
         
         config FOO_IOMMU
        -\tbool "Foo IOMMU"
        +\ttristate "Foo IOMMU"
         \tdepends on ARM64
         \tselect IOMMU_API
         \thelp
         \t  Support for the Foo IOMMU.
        diff --git a/drivers/iommu/foo.c b/drivers/iommu/foo.c
        index 1111111..2222222 100644
        --- a/drivers/iommu/foo.c
        +++ b/drivers/iommu/foo.c
        @@ -1,4 +1,5 @@
         // SPDX-License-Identifier: GPL-2.0
        +#include <linux/module.h>
         #include <linux/iommu.h>
         
         static int foo_probe(struct platform_device *pdev)
        @@ -40,5 +41,6 @@ static struct platform_driver foo_driver = {
         \t.driver = {
         \t\t.name = "foo-iommu",
         \t},
        -};
        -builtin_platform_driver(foo_driver);
        +};
        +module_platform_driver(foo_driver);
        +MODULE_LICENSE("GPL v2");
        diff --git a/drivers/iommu/foo.h b/drivers/iommu/foo.h
        new file mode 100644
        index 0000000..3333333
        --- /dev/null
        +++ b/drivers/iommu/foo.h
        @@ -0,0 +1,3 @@
        +/* SPDX-License-Identifier: GPL-2.0 */
        +struct foo_iommu;
        +int foo_attach(struct foo_iommu *foo);
        -- 
        2.24.0

        _______________________________________________
        iommu mailing list
        iommu@lists.example.invalid

        """
    }

    func testParsesAWholeMail() throws {
        let files = try PatchParser.parse(bytes(mail))
        XCTAssertEqual(
            files.map(\.path), ["drivers/iommu/Kconfig", "drivers/iommu/foo.c", "drivers/iommu/foo.h"])
        XCTAssertEqual(files.map(\.status), [.modified, .modified, .added])
        XCTAssertEqual(files[0].oldPath, "drivers/iommu/Kconfig")
        XCTAssertEqual(files[0].newMode, 0o100644)
        XCTAssertFalse(files[0].isBinary)
        let kconfig = try XCTUnwrap(files[0].hunks.first)
        XCTAssertEqual(
            [kconfig.oldStart, kconfig.oldCount, kconfig.newStart, kconfig.newCount], [10, 7, 10, 7])
        XCTAssertEqual(kconfig.header, "@@ -10,7 +10,7 @@ config IOMMU_SUPPORT")
        XCTAssertEqual(
            kconfig.lines.map(\.origin),
            [.context, .context, .deletion, .addition, .context, .context, .context, .context])
        XCTAssertEqual(kconfig.lines[0].content, [], "an empty context line")
        XCTAssertEqual(kconfig.lines[3].content, bytes("\ttristate \"Foo IOMMU\""))
        XCTAssertTrue(kconfig.lines.allSatisfy(\.hasNewline))
        XCTAssertEqual(files[1].hunks.count, 2)
        XCTAssertEqual(files[1].hunks[1].lines.last?.content, bytes("MODULE_LICENSE(\"GPL v2\");"))
        XCTAssertNil(files[2].oldPath)
        XCTAssertEqual(files[2].hunks.first?.lines.count, 3)
        XCTAssertEqual([files[2].hunks[0].oldStart, files[2].hunks[0].oldCount], [0, 0])
    }

    /// Plain `diff -u` output (quilt's `Index:` lines and `.orig` names with timestamps, a `diff`
    /// command line, `/dev/null` for a new or a deleted file, "\ No newline" markers), as the
    /// stable queue and quilt users post it, reads as the same files and hunks as git's.
    func testPlainUnifiedDiffsReadAsGitDiffs() throws {
        var plain: [String] = []
        for line in mail.components(separatedBy: "\n") {
            if line.hasPrefix("diff --git a/drivers/iommu/Kconfig") {
                plain += ["Index: linux/drivers/iommu/Kconfig", String(repeating: "=", count: 67)]
            } else if line.hasPrefix("diff --git a/drivers/iommu/foo.c") {
                plain.append("diff -u a/drivers/iommu/foo.c b/drivers/iommu/foo.c")
            } else if line.hasPrefix("diff --git") || line.hasPrefix("index ") || line.hasPrefix("new file mode") {
                continue
            } else if line == "--- a/drivers/iommu/Kconfig" {
                plain.append("--- linux.orig/drivers/iommu/Kconfig\t2019-10-30 14:51:10.000000000 +0000")
            } else if line == "+++ b/drivers/iommu/Kconfig" {
                plain.append("+++ linux/drivers/iommu/Kconfig\t2019-10-30 14:52:10.000000000 +0000")
            } else {
                plain.append(line)
            }
        }
        let text = plain.joined(separator: "\n")
        XCTAssertFalse(text.contains("diff --git"))
        let git = try PatchParser.parse(bytes(mail))
        let read = try PatchParser.parse(bytes(text))
        XCTAssertEqual(read.map(\.path), git.map(\.path))
        XCTAssertEqual(read.map(\.oldPath), git.map(\.oldPath))
        XCTAssertEqual(read.map(\.status), git.map(\.status))
        XCTAssertEqual(read.map(\.hunks), git.map(\.hunks))

        // A deleted file, a file without a last newline, a context line whose space a mailer
        // dropped, and a second file's header quoted in the message (no hunk after it).
        let more = """
            The old header said
            --- a/drivers/iommu/quoted.c
            +++ b/drivers/iommu/quoted.c
            and nothing else.
            ---
            --- a/drivers/iommu/Makefile
            +++ b/drivers/iommu/Makefile
            @@ -1,3 +1,3 @@
             obj-y += a.o

            -obj-y += b.o
            \\ No newline at end of file
            +obj-m += b.o
            \\ No newline at end of file
            --- a/drivers/iommu/gone.c\t2019-10-30 14:51:10.000000000 +0000
            +++ /dev/null\t1970-01-01 00:00:00.000000000 +0000
            @@ -1 +0,0 @@
            -int gone;
            -- 
            2.24.0

            """
        let files = try PatchParser.parse(bytes(more))
        XCTAssertEqual(files.map(\.path), ["drivers/iommu/Makefile", "drivers/iommu/gone.c"])
        XCTAssertEqual(files.map(\.status), [.modified, .deleted])
        XCTAssertEqual(files[1].hunks.first?.lines.map(\.origin), [.deletion])
        let hunk = try XCTUnwrap(files[0].hunks.first)
        XCTAssertEqual(hunk.lines.map(\.origin), [.context, .context, .deletion, .addition])
        XCTAssertEqual(hunk.lines.map(\.hasNewline), [true, true, false, false])
        XCTAssertEqual(hunk.lines[3].content, bytes("obj-m += b.o"))
    }

    /// A plain diff's NUL byte is refused naming the line of the input (not of the text it is
    /// rewritten to).
    func testANULInAPlainDiffNamesTheInputsLine() {
        let text = "Subject: x\n\n--- a/a.c\n+++ b/a.c\n@@ -1,2 +1,2 @@\n x\n-y\u{0}z\n+w\n"
        XCTAssertThrowsError(try PatchParser.parse(bytes(text))) { error in
            XCTAssertTrue("\(error)".contains("a NUL byte on line 7 of the patch"), "\(error)")
        }
        // libgit2's complaint about a line of the rewritten text names the line it stands for.
        let malformed = "Subject: x\n\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n\\ x\n-a\n+b\n"
        XCTAssertThrowsError(try PatchParser.parse(bytes(malformed))) { error in
            XCTAssertTrue("\(error)".contains("at line 6 of the patch"), "\(error)")
        }
    }

    func testNoDiffMeansNoPatches() throws {
        XCTAssertEqual(
            try PatchParser.parse(bytes("Subject: Re: [PATCH 0/7] cover letter\n\nThanks, applied.\n")), [])
        XCTAssertEqual(try PatchParser.parse([]), [])
    }

    func testHunkHeaderLookalikesOutsideTheDiff() throws {
        // The message quotes a hunk header before the diff, and a reply quotes one after the signature.
        let quoted =
            "Subject: x\n\nThe old code had\n@@ -1,2 +1,2 @@\nin it.\n---\n"
            + mail.components(separatedBy: "diff --git").dropFirst().map { "diff --git" + $0 }.joined()
            + "\n@@ -5,6 +5,7 @@ quoted in a reply\n"
        XCTAssertEqual(try PatchParser.parse(bytes(quoted)).count, 3)
    }

    func testNoNewlineMarkersAndMissingFinalNewline() throws {
        let text = """
            diff --git a/Makefile b/Makefile
            --- a/Makefile
            +++ b/Makefile
            @@ -1,2 +1,2 @@
             obj-y += a.o
            -obj-y += b.o
            \\ No newline at end of file
            +obj-m += b.o
            """
        let hunk = try XCTUnwrap(try PatchParser.parse(bytes(text)).first?.hunks.first)
        XCTAssertEqual(hunk.lines.map(\.hasNewline), [true, false, true])
        XCTAssertEqual(hunk.lines[2].content, bytes("obj-m += b.o"))
    }

    func testCRLFContentKeepsCarriageReturns() throws {
        let text = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one\r\n+two\r\n"
        let hunk = try XCTUnwrap(try PatchParser.parse(bytes(text)).first?.hunks.first)
        XCTAssertEqual(hunk.lines.map(\.content), [bytes("one\r"), bytes("two\r")])
    }

    func testBinaryRenameDeleteAndModeChange() throws {
        let text = """
            diff --git a/firmware/foo.bin b/firmware/foo.bin
            index 1234567..89abcde 100644
            Binary files a/firmware/foo.bin and b/firmware/foo.bin differ
            diff --git a/drivers/iommu/old.c b/drivers/iommu/new.c
            similarity index 100%
            rename from drivers/iommu/old.c
            rename to drivers/iommu/new.c
            diff --git a/drivers/iommu/gone.c b/drivers/iommu/gone.c
            deleted file mode 100644
            index 1234567..0000000
            --- a/drivers/iommu/gone.c
            +++ /dev/null
            @@ -1 +0,0 @@
            -int gone;
            diff --git a/scripts/run.sh b/scripts/run.sh
            old mode 100644
            new mode 100755

            """
        let files = try PatchParser.parse(bytes(text))
        XCTAssertEqual(files.count, 4)
        XCTAssertTrue(files[0].isBinary)
        XCTAssertEqual(files[1].status, .renamed)
        XCTAssertEqual(files[1].oldPath, "drivers/iommu/old.c")
        XCTAssertEqual(files[1].newPath, "drivers/iommu/new.c")
        XCTAssertEqual(files[2].status, .deleted)
        XCTAssertNil(files[2].newPath)
        XCTAssertEqual(files[2].path, "drivers/iommu/gone.c")
        XCTAssertEqual(files[3].oldMode, 0o100644)
        XCTAssertEqual(files[3].newMode, 0o100755)
        XCTAssertTrue(files[3].hunks.isEmpty)
    }

    func testMalformedHunkThrows() {
        let text = "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,3 +1,3 @@\n x\n-y\n"
        XCTAssertThrowsError(try PatchParser.parse(bytes(text))) { error in
            XCTAssertTrue(error is GitError, "\(error)")
        }
    }
}
