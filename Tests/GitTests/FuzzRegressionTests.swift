import XCTest

@testable import Git

/// Inputs libFuzzer (scripts/fuzz patch) found to crash the patch parser, reduced to their shape.
final class GitFuzzRegressionTests: XCTestCase {
    /// A NUL byte inside a hunk line made libgit2 report a line longer than the memory behind it
    /// (AddressSanitizer: heap-buffer-overflow while copying the line). The patch is refused.
    func testNULInsideAHunkLineIsAClearError() throws {
        let text =
            "Subject: x\n\n---\ndiff --git a/drivers/demo/a.c b/drivers/demo/a.c\n--- a/drivers/demo/a.c\n"
            + "+++ b/drivers/demo/a.c\n@@ -1,3 +1,3 @@\n #include <linux\0\0\0\0\0\0\0\th>\n-int a;\n+int b;\n x\n"
        XCTAssertThrowsError(try PatchParser.parse(Array(text.utf8))) { error in
            XCTAssertEqual(
                "\(error)",
                "parse the diff: a NUL byte on line 8 of the patch; modcheck reads text patches only")
        }
        // Before the diff (in the commit message) a NUL is not the parser's business.
        let clean = "Subject: \0\n\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-x\n+y\n"
        XCTAssertEqual(try PatchParser.parse(Array(clean.utf8)).count, 1)
    }

    /// A second similarity line let libgit2 take a second `rename from` and leak the first path
    /// (LeakSanitizer). A repeated rename/copy/similarity line in one header is refused; the same
    /// keywords in the next file's header are fine.
    func testRepeatedRenameHeaderIsAClearError() throws {
        let text =
            "diff --git a/x b/y\nsimilarity index 90%\nrename from x\nrename to y\n"
            + "similarity index 90%\nrename from z\n"
        XCTAssertThrowsError(try PatchParser.parse(Array(text.utf8))) { error in
            XCTAssertEqual(
                "\(error)", "parse the diff: line 5 of the patch: a second \"similarity index\" line in one file's header")
        }
        let two =
            "diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to y\n"
            + "diff --git a/p b/q\nsimilarity index 100%\nrename from p\nrename to q\n"
        let files = try PatchParser.parse(Array(two.utf8))
        XCTAssertEqual(files.map(\.path), ["y", "q"])
        XCTAssertEqual(files.map(\.status), [.renamed, .renamed])
    }

    /// libgit2 leaked the path of a rename line it could not unquote (LeakSanitizer); such a
    /// header is refused, while git's own quoting (octal escapes for non-ASCII bytes) still parses.
    func testBadlyQuotedRenamePathIsAClearError() throws {
        for bad in ["rename from \"", "rename from \"a\\q\"", "rename from \"a\\7\"", "rename from  "] {
            let text = "diff --git a/x b/y\nsimilarity index 90%\n\(bad)\nrename to y\n"
            XCTAssertThrowsError(try PatchParser.parse(Array(text.utf8)), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("parse the diff: line 3 of the patch: an empty or badly quoted path"), "\(error)")
            }
        }
        let quoted =
            "diff --git \"a/caf\\303\\251.c\" b/y.c\nsimilarity index 100%\n"
            + "rename from \"caf\\303\\251.c\"\nrename to y.c\n"
        let files = try PatchParser.parse(Array(quoted.utf8))
        XCTAssertEqual(files.first?.oldPath, "café.c")
        XCTAssertEqual(files.first?.path, "y.c")
    }

    /// The content-level apply the patch fuzz target drives: offsets and a missing final newline.
    func testApplyHunksToContents() throws {
        let text = "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n\\ No newline at end of file\n"
        let files = try PatchParser.parse(Array(text.utf8))
        let applied = try applyHunks(files[0].hunks, to: Array("z\na\nb\nc\n".utf8), path: "a")
        XCTAssertEqual(String(decoding: applied.contents, as: UTF8.self), "z\na\nb\nC")
        XCTAssertEqual(applied.offsets, [1])
        XCTAssertThrowsError(try applyHunks(files[0].hunks, to: Array("b\nx\n".utf8), path: "a")) { error in
            XCTAssertEqual((error as? ApplyFailure)?.hunkIndex, 0)
        }
    }
}
