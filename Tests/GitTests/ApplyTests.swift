import Foundation
import XCTest

@testable import Git

/// `apply` places hunks as `git apply` does; every case is cross-checked against
/// `git apply --cached` on the same base tree (same resulting tree id, or both refuse).
final class ApplyTests: GitTestCase {
    var disk: Repository!
    var repo: Repository!

    override func setUpWithError() throws {
        try super.setUpWithError()
        disk = try Repository.create(at: dir, bare: true)
        repo = try Repository.open(dir)
    }

    override func tearDown() {
        repo = nil
        disk = nil
        super.tearDown()
    }

    /// Images of applied-to blobs are read once and kept, the oldest dropped past the limit; a
    /// patch applied twice (the second time from the kept image) gives the same blob.
    func testImagesOfBlobsAreKeptOldestDroppedFirst() throws {
        let cache = ImageCache(limit: 100)
        let one = try disk.writeBlob(Array("one\ntwo\nthree".utf8))
        let two = try disk.writeBlob(Array(String(repeating: "line\n", count: 8).utf8))
        let image = try cache.image(of: one, in: repo)
        XCTAssertEqual(image.lines.count, 3)
        XCTAssertFalse(image.lines[2].hasNewline)
        XCTAssertEqual(try cache.image(of: one, in: repo).bytes, image.bytes)
        XCTAssertEqual(cache.kept, [one])
        _ = try cache.image(of: two, in: repo)
        XCTAssertEqual(cache.kept, [two], "the older image dropped past the limit")
        let base = try self.base(["a.c": "int a;\nint b;\n"])
        let patch = header("a.c") + "@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n"
        XCTAssertEqual(try applyBoth(patch, to: base).tree, try applyBoth(patch, to: base).tree)
    }

    /// A base tree on disk, so that git sees it too.
    func base(_ files: [String: String]) throws -> ObjectID {
        try disk.writeTree(files: files.mapValues { Array($0.utf8) })
    }

    /// git's verdict: the tree `git apply --cached` produces from `base`, or nil when it refuses.
    func gitApply(_ patch: String, to base: ObjectID) -> String? {
        let env = ["GIT_INDEX_FILE": dir + "/scratch-index"]
        guard git(["read-tree", base.hex], env: env).status == 0 else { return "read-tree failed" }
        guard git(["apply", "--cached", "-"], env: env, stdin: bytes(patch)).status == 0 else { return nil }
        return git(["write-tree"], env: env).out.trimmingCharacters(in: .newlines)
    }

    /// Applies with the layer, asserts git agrees, returns the result.
    @discardableResult
    func applyBoth(_ patch: String, to base: ObjectID, file: StaticString = #filePath, line: UInt = #line)
        throws
        -> (tree: ObjectID, files: [AppliedFile])
    {
        let result = try apply(try PatchParser.parse(bytes(patch)), to: base, in: repo)
        XCTAssertEqual(
            result.tree.hex, gitApply(patch, to: base), "git apply disagrees", file: file, line: line)
        return result
    }

    func assertBothRefuse(
        _ patch: String, to base: ObjectID, file: StaticString = #filePath, line: UInt = #line
    )
        -> ApplyFailure?
    {
        XCTAssertNil(gitApply(patch, to: base), "git apply accepts it", file: file, line: line)
        do {
            let result = try apply(try PatchParser.parse(bytes(patch)), to: base, in: repo)
            XCTFail("applied: \(result.files)", file: file, line: line)
            return nil
        } catch let failure as ApplyFailure {
            return failure
        } catch {
            XCTFail("not an ApplyFailure: \(error)", file: file, line: line)
            return nil
        }
    }

    func header(_ path: String) -> String { "diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n" }

    func text(_ tree: ObjectID, _ path: String) throws -> String? {
        try repo.blobID(tree: tree, path: path).map {
            String(decoding: try repo.blobBytes($0), as: UTF8.self)
        }
    }

    /// Changes register 10 of a 40-line file (3 lines of context each side).
    var line10Hunk: String {
        "@@ -7,7 +7,7 @@ static void foo_init(void)\n" + diffLines(" ", 7...9) + diffLines("-", 10...10)
            + "+\tpriv->reg10 = 0;\n" + diffLines(" ", 11...13)
    }

    func testExactPlacement() throws {
        let tree = try base(["drivers/foo.c": registerLines(1...40)])
        let result = try applyBoth(header("drivers/foo.c") + line10Hunk, to: tree)
        XCTAssertEqual(
            result.files,
            [
                AppliedFile(
                    path: "drivers/foo.c", oldBlob: try repo.blobID(tree: tree, path: "drivers/foo.c"),
                    newBlob: try repo.blobID(tree: result.tree, path: "drivers/foo.c"), hunkOffsets: [0])
            ])
        XCTAssertEqual(
            try text(result.tree, "drivers/foo.c"),
            registerLines(1...9) + "\tpriv->reg10 = 0;\n" + registerLines(11...40))
    }

    func testOffsetAfterLinesInsertedAbove() throws {
        let tree = try base(["drivers/foo.c": "/* a */\n/* b */\n/* c */\n" + registerLines(1...40)])
        XCTAssertEqual(
            try applyBoth(header("drivers/foo.c") + line10Hunk, to: tree).files[0].hunkOffsets, [3])
        let removed = try base(["drivers/foo.c": registerLines(3...40)])
        XCTAssertEqual(
            try applyBoth(header("drivers/foo.c") + line10Hunk, to: removed).files[0].hunkOffsets, [-2])
    }

    func testTwoHunksBothOffset() throws {
        let second =
            "@@ -30,7 +30,8 @@\n" + diffLines(" ", 30...32) + diffLines("-", 33...33)
            + "+\tpriv->reg33 = 1;\n+\twmb();\n" + diffLines(" ", 34...36)
        let patch = header("drivers/foo.c") + line10Hunk + second
        let shifted = try base(["drivers/foo.c": "#include <linux/io.h>\n\n\n\n" + registerLines(1...40)])
        let result = try applyBoth(patch, to: shifted)
        XCTAssertEqual(result.files[0].hunkOffsets, [4, 4])
        XCTAssertTrue(
            try XCTUnwrap(text(result.tree, "drivers/foo.c")).contains("\tpriv->reg33 = 1;\n\twmb();\n"))
        // Lines inserted between the hunks move only the second one.
        let between = try base([
            "drivers/foo.c": registerLines(1...20) + "/* x */\n/* y */\n" + registerLines(21...40)
        ])
        XCTAssertEqual(try applyBoth(patch, to: between).files[0].hunkOffsets, [0, 2])
    }

    func testFailingHunkNamesFileAndHunk() throws {
        let second =
            "@@ -30,7 +30,7 @@\n" + diffLines(" ", 30...32) + diffLines("-", 33...33)
            + "+\tpriv->reg33 = 1;\n"
            + diffLines(" ", 34...36)
        var lines = registerLines(1...40)
        lines = lines.replacingOccurrences(of: "reg34 ", with: "reg34_changed ")
        let tree = try base(["drivers/iommu/foo.c": lines])
        let failure = try XCTUnwrap(
            assertBothRefuse(header("drivers/iommu/foo.c") + line10Hunk + second, to: tree))
        XCTAssertEqual(failure.path, "drivers/iommu/foo.c")
        XCTAssertEqual(failure.hunkIndex, 1)
        XCTAssertEqual(failure.line, 30)
        XCTAssertEqual(failure.description, "drivers/iommu/foo.c: hunk 2 at line 30: does not apply")
    }

    func testHunkAtTheTopMustMatchThere() throws {
        let patch =
            header("drivers/foo.c") + "@@ -1,3 +1,4 @@\n+// SPDX-License-Identifier: GPL-2.0\n"
            + diffLines(" ", 1...3)
        XCTAssertEqual(
            try applyBoth(patch, to: try base(["drivers/foo.c": registerLines(1...10)])).files[0].hunkOffsets,
            [0])
        _ = assertBothRefuse(patch, to: try base(["drivers/foo.c": "/* moved */\n" + registerLines(1...10)]))
    }

    func testMissingFileToModify() throws {
        let tree = try base(["drivers/other.c": "int x;\n"])
        let failure = try XCTUnwrap(assertBothRefuse(header("drivers/foo.c") + line10Hunk, to: tree))
        XCTAssertEqual(failure.path, "drivers/foo.c")
        XCTAssertNil(failure.hunkIndex)
        XCTAssertTrue(failure.reason.contains("does not exist"), failure.reason)
    }

    func testAddDeleteRenameAndModeChange() throws {
        let tree = try base([
            "drivers/iommu/gone.c": "int gone;\nint also_gone;\n",
            "drivers/iommu/old.c": registerLines(1...20),
            "scripts/run.sh": "#!/bin/sh\n",
        ])
        let patch = """
            diff --git a/drivers/iommu/new.h b/drivers/iommu/new.h
            new file mode 100644
            --- /dev/null
            +++ b/drivers/iommu/new.h
            @@ -0,0 +1,2 @@
            +struct foo;
            +int foo_attach(struct foo *foo);
            diff --git a/drivers/iommu/gone.c b/drivers/iommu/gone.c
            deleted file mode 100644
            --- a/drivers/iommu/gone.c
            +++ /dev/null
            @@ -1,2 +0,0 @@
            -int gone;
            -int also_gone;
            diff --git a/drivers/iommu/old.c b/drivers/iommu/renamed.c
            similarity index 95%
            rename from drivers/iommu/old.c
            rename to drivers/iommu/renamed.c
            --- a/drivers/iommu/old.c
            +++ b/drivers/iommu/renamed.c

            """ + line10Hunk + """
                diff --git a/scripts/run.sh b/scripts/run.sh
                old mode 100644
                new mode 100755

                """
        let result = try applyBoth(patch, to: tree)
        XCTAssertEqual(
            result.files.map(\.path),
            ["drivers/iommu/new.h", "drivers/iommu/gone.c", "drivers/iommu/renamed.c", "scripts/run.sh"])
        XCTAssertNil(result.files[0].oldBlob)
        XCTAssertNil(result.files[1].newBlob)
        XCTAssertEqual(
            try repo.entries(tree: result.tree).map(\.path),
            ["drivers/iommu/new.h", "drivers/iommu/renamed.c", "scripts/run.sh"])
        XCTAssertEqual(try repo.entries(tree: result.tree, under: ["scripts"]).first?.mode, 0o100755)
        // Creating a file that exists, deleting one that does not.
        _ = assertBothRefuse(patch, to: result.tree)
    }

    func testDeletionMustRemoveEverything() throws {
        let patch =
            "diff --git a/a.c b/a.c\ndeleted file mode 100644\n--- a/a.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int a;\n"
        let failure = try XCTUnwrap(assertBothRefuse(patch, to: try base(["a.c": "int a;\nint b;\n"])))
        XCTAssertEqual(failure.path, "a.c")
    }

    func testCRLFContentIsComparedExactly() throws {
        let crlf = "line one\r\nline two\r\nline three\r\nline four\r\n"
        let tree = try base(["docs/win.txt": crlf])
        let patch =
            header("docs/win.txt")
            + "@@ -1,4 +1,4 @@\n line one\r\n-line two\r\n+line 2\r\n line three\r\n line four\r\n"
        let result = try applyBoth(patch, to: tree)
        XCTAssertEqual(
            try text(result.tree, "docs/win.txt"), "line one\r\nline 2\r\nline three\r\nline four\r\n")
        // The same change written with LF lines does not match CRLF content.
        _ = assertBothRefuse(patch.replacingOccurrences(of: "\r", with: ""), to: tree)
    }

    func testNoNewlineAtEndOfFile() throws {
        let tree = try base(["Makefile": "obj-y += a.o\nobj-y += b.o"])
        let append =
            header("Makefile")
            + "@@ -1,2 +1,3 @@\n obj-y += a.o\n-obj-y += b.o\n\\ No newline at end of file\n+obj-y += b.o\n+obj-m += c.o\n"
        let appended = try applyBoth(append, to: tree)
        XCTAssertEqual(try text(appended.tree, "Makefile"), "obj-y += a.o\nobj-y += b.o\nobj-m += c.o\n")
        let strip =
            header("Makefile")
            + "@@ -1,3 +1,3 @@\n obj-y += a.o\n obj-y += b.o\n-obj-m += c.o\n+obj-m += d.o\n\\ No newline at end of file\n"
        let stripped = try applyBoth(strip, to: appended.tree)
        XCTAssertEqual(try text(stripped.tree, "Makefile"), "obj-y += a.o\nobj-y += b.o\nobj-m += d.o")
        // A preimage without the marker does not match a last line that lacks its newline.
        _ = assertBothRefuse(
            header("Makefile") + "@@ -1,2 +1,2 @@\n obj-y += a.o\n-obj-y += b.o\n+obj-m += b.o\n", to: tree)
    }

    func testBinaryPatchIsRejected() throws {
        let tree = try base(["firmware/foo.bin": "\u{1}\u{2}"])
        let patch =
            "diff --git a/firmware/foo.bin b/firmware/foo.bin\nindex 1234567..89abcde 100644\nBinary files a/firmware/foo.bin and b/firmware/foo.bin differ\n"
        XCTAssertThrowsError(try apply(try PatchParser.parse(bytes(patch)), to: tree, in: repo)) { error in
            guard let failure = error as? ApplyFailure else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.path, "firmware/foo.bin")
            XCTAssertTrue(failure.reason.contains("binary"), failure.reason)
        }
    }

    func testTwoSectionsForOneFileApplyInSequence() throws {
        let tree = try base(["drivers/foo.c": registerLines(1...40)])
        // The second section's line numbers count the first section's change as applied.
        let second =
            "@@ -30,4 +30,5 @@\n" + diffLines(" ", 30...32) + "+\t/* more */\n" + diffLines(" ", 33...33)
        let patch = header("drivers/foo.c") + line10Hunk + header("drivers/foo.c") + second
        let result = try applyBoth(patch, to: tree)
        XCTAssertEqual(result.files.count, 2)
        XCTAssertTrue(try XCTUnwrap(text(result.tree, "drivers/foo.c")).contains("reg10 = 0;"))
        XCTAssertTrue(try XCTUnwrap(text(result.tree, "drivers/foo.c")).contains("/* more */"))
    }

    func testFullMailAppliesAndSeriesChains() throws {
        let kconfig =
            "menuconfig IOMMU_SUPPORT\n\tbool \"IOMMU Hardware Support\"\n\tdefault y\n\nif IOMMU_SUPPORT\n\nconfig FOO_IOMMU\n\tbool \"Foo IOMMU\"\n\tdepends on ARM64\n\tselect IOMMU_API\n\nendif\n"
        let tree = try base(["drivers/iommu/Kconfig": kconfig])
        let mail1 =
            "From: a@example.invalid\nSubject: [PATCH 1/2] iommu/foo: tristate\n\nBody.\n---\n drivers/iommu/Kconfig | 2 +-\n\n"
            + header("drivers/iommu/Kconfig")
            + "@@ -5,7 +5,7 @@\n if IOMMU_SUPPORT\n \n config FOO_IOMMU\n-\tbool \"Foo IOMMU\"\n+\ttristate \"Foo IOMMU\"\n \tdepends on ARM64\n \tselect IOMMU_API\n \n-- \n2.24.0\n"
        let mail2 =
            "Subject: [PATCH 2/2] iommu/foo: help\n\n---\n" + header("drivers/iommu/Kconfig")
            + "@@ -8,5 +8,7 @@ config FOO_IOMMU\n \ttristate \"Foo IOMMU\"\n \tdepends on ARM64\n \tselect IOMMU_API\n+\thelp\n+\t  Foo.\n \n endif\n-- \n2.24.0\n"
        let first = try applyBoth(mail1, to: tree)
        let second = try applyBoth(mail2, to: first.tree)
        XCTAssertTrue(
            try XCTUnwrap(text(second.tree, "drivers/iommu/Kconfig")).contains(
                "\ttristate \"Foo IOMMU\"\n\tdepends on ARM64\n\tselect IOMMU_API\n\thelp\n"))
        // The second message alone on the base does not apply (its context needs the first).
        XCTAssertNotNil(assertBothRefuse(mail2, to: tree))
    }
}
