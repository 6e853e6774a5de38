import Foundation
import XCTest

@testable import Git

final class GitLayerTests: XCTestCase {
    var dir = ""
    let who = Signature(name: "t", email: "t@example.invalid", time: 1_600_000_000)

    override func setUp() {
        dir = NSTemporaryDirectory() + "modcheck-git-\(UUID().uuidString.prefix(8))"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func git(_ args: [String], in path: String? = nil) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = ["-C", path ?? dir] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try? p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// A repository with three commits: base, one touching drivers/iommu, one touching docs.
    func makeHistory() throws -> (Repository, [ObjectID]) {
        let repo = try Repository.create(at: dir, bare: false)
        var files: [String: [UInt8]] = [
            "Makefile": Array("VERSION = 5\n".utf8), "drivers/iommu/foo.c": Array("int a;\n".utf8),
            "docs/x.txt": Array("x\n".utf8),
        ]
        let c1 = try repo.createCommit(
            tree: try repo.writeTree(files: files), parents: [], message: "base", author: who,
            updateRef: "HEAD")
        files["drivers/iommu/foo.c"] = Array("int a;\nint b;\n".utf8)
        let c2 = try repo.createCommit(
            tree: try repo.writeTree(files: files), parents: [c1], message: "iommu", author: who,
            updateRef: "HEAD")
        files["docs/x.txt"] = Array("y\n".utf8)
        let c3 = try repo.createCommit(
            tree: try repo.writeTree(files: files), parents: [c2], message: "docs", author: who,
            updateRef: "HEAD")
        try repo.createTag("v1", at: c1)
        return (repo, [c1, c2, c3])
    }

    func testRevisionsRangesAndPathFilteredWalks() throws {
        let (repo, c) = try makeHistory()
        XCTAssertEqual(try repo.resolveCommit("HEAD"), c[2])
        XCTAssertEqual(try repo.resolveCommit("HEAD~1"), c[1])
        XCTAssertEqual(try repo.resolveCommit("v1"), c[0])
        XCTAssertEqual(try repo.commits(range: "v1..HEAD"), [c[1], c[2]])
        XCTAssertEqual(try repo.commits(range: "v1..HEAD", paths: ["drivers/iommu"]), [c[1]])
        // Cross-check with git's own walk.
        let gitWalk = git(["rev-list", "--reverse", "v1..HEAD", "--", "drivers/iommu"]).split(separator: "\n")
            .map(String.init)
        XCTAssertEqual(try repo.commits(range: "v1..HEAD", paths: ["drivers/iommu"]).map(\.hex), gitWalk)
        XCTAssertEqual(try repo.commit(c[1]).summary, "iommu")
        XCTAssertThrowsError(try repo.resolveCommit("no-such-rev")) { error in
            XCTAssertTrue("\(error)".contains("no-such-rev"))
        }
    }

    func testOpenBareNonBareAndDiscover() throws {
        _ = try makeHistory()
        let sub = dir + "/drivers/iommu"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let found = try Repository.discover(from: sub)
        XCTAssertTrue(found.gitDirectory.hasSuffix(".git/"))
        XCTAssertNoThrow(try Repository.open(dir))
        let bare = dir + "-bare"
        defer { try? FileManager.default.removeItem(atPath: bare) }
        _ = git(["clone", "-q", "--bare", dir, bare], in: "/")
        let b = try Repository.open(bare)
        XCTAssertNil(b.workingDirectory)
        XCTAssertEqual(try b.entries(tree: try b.tree(ofCommit: try b.resolveCommit("HEAD"))).count, 3)
        XCTAssertThrowsError(try Repository.open(dir + "/nope"))
    }

    func testTreeEntriesBlobsAndDiff() throws {
        let (repo, c) = try makeHistory()
        let t2 = try repo.tree(ofCommit: c[1])
        XCTAssertEqual(
            try repo.entries(tree: t2, under: ["drivers/iommu"]).map(\.path), ["drivers/iommu/foo.c"])
        XCTAssertEqual(try repo.entries(tree: t2, under: ["drivers"]).count, 1)
        let blob = try XCTUnwrap(try repo.blobID(tree: t2, path: "drivers/iommu/foo.c"))
        XCTAssertEqual(try repo.withBlob(blob) { $0.count }, 14)
        let diff = try repo.diff(from: try repo.tree(ofCommit: c[0]), to: t2)
        XCTAssertEqual(diff.map(\.newPath), ["drivers/iommu/foo.c"])
        XCTAssertEqual(diff.first?.status, .modified)
    }

    func testMissingBlobIsAClearError() throws {
        let (repo, _) = try makeHistory()
        let missing = try XCTUnwrap(ObjectID(hex: String(repeating: "ab", count: 20)))
        XCTAssertThrowsError(try repo.withBlob(missing) { _ in 0 }) { error in
            XCTAssertTrue("\(error)".contains(missing.hex), "\(error)")
        }
    }

    // MARK: Patches

    let base = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"

    func patch(_ body: String) -> [UInt8] {
        Array(
            """
            From 1234 Mon Sep 17 00:00:00 2001
            From: A <a@example.invalid>
            Subject: [PATCH 1/1] change

            Message text.
            ---
             f.txt | 2 +-
             1 file changed

            \(body)--\u{20}
            2.39.5

            """.utf8)
    }

    func repoWith(_ files: [String: String]) throws -> (Repository, ObjectID) {
        let repo = try Repository.create(at: dir, bare: false)
        let tree = try repo.writeTree(files: files.mapValues { Array($0.utf8) })
        return (try Repository.open(dir), tree)
    }

    func text(_ repo: Repository, _ tree: ObjectID, _ path: String) throws -> String? {
        guard let id = try repo.blobID(tree: tree, path: path) else { return nil }
        return String(decoding: try repo.blobBytes(id), as: UTF8.self)
    }

    func testApplyExactAndAtAnOffsetLikeGitApply() throws {
        let (repo, tree) = try repoWith(["f.txt": "new 1\nnew 2\nnew 3\n" + base])
        let diff = """
            diff --git a/f.txt b/f.txt
            index 1111111..2222222 100644
            --- a/f.txt
            +++ b/f.txt
            @@ -4,3 +4,3 @@
             line 4
            -line 5
            +LINE 5
             line 6
            @@ -20,3 +20,4 @@
             line 20
             line 21
            +inserted
             line 22

            """
        let parsed = try PatchParser.parse(patch(diff))
        XCTAssertEqual(parsed.count, 1)
        XCTAssertEqual(parsed[0].hunks.count, 2)
        let result = try apply(parsed, to: tree, in: repo)
        XCTAssertEqual(result.files.first?.hunkOffsets, [3, 3], "both hunks found 3 lines lower")
        let out = try XCTUnwrap(text(repo, result.tree, "f.txt"))
        XCTAssertTrue(out.contains("line 4\nLINE 5\nline 6"))
        XCTAssertTrue(out.contains("line 21\ninserted\nline 22"))
    }

    func testFailingHunkNamesFileAndHunk() throws {
        let (repo, tree) = try repoWith(["f.txt": base])
        let diff = """
            diff --git a/f.txt b/f.txt
            --- a/f.txt
            +++ b/f.txt
            @@ -10,2 +10,2 @@
             line 10
            -not there
            +x

            """
        XCTAssertThrowsError(try apply(try PatchParser.parse(patch(diff)), to: tree, in: repo)) { error in
            let failure = error as? ApplyFailure
            XCTAssertEqual(failure?.path, "f.txt")
            XCTAssertEqual(failure?.hunkIndex, 0)
            XCTAssertTrue("\(error)".contains("f.txt: hunk 1 at line 10"), "\(error)")
        }
    }

    func testAddDeleteCRLFAndNoNewlineAtEnd() throws {
        let (repo, tree) = try repoWith(["crlf.txt": "a\r\nb\r\n", "gone.txt": "bye\n", "tail.txt": "x\ny"])
        let diff = """
            diff --git a/crlf.txt b/crlf.txt
            --- a/crlf.txt
            +++ b/crlf.txt
            @@ -1,2 +1,2 @@
             a\r
            -b\r
            +c\r
            diff --git a/gone.txt b/gone.txt
            deleted file mode 100644
            --- a/gone.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -bye
            diff --git a/new.txt b/new.txt
            new file mode 100644
            --- /dev/null
            +++ b/new.txt
            @@ -0,0 +1,2 @@
            +hello
            +world
            diff --git a/tail.txt b/tail.txt
            --- a/tail.txt
            +++ b/tail.txt
            @@ -1,2 +1,2 @@
             x
            -y
            \\ No newline at end of file
            +z
            \\ No newline at end of file

            """
        let result = try apply(try PatchParser.parse(patch(diff)), to: tree, in: repo)
        XCTAssertEqual(try text(repo, result.tree, "crlf.txt"), "a\r\nc\r\n")
        XCTAssertNil(try text(repo, result.tree, "gone.txt"))
        XCTAssertEqual(try text(repo, result.tree, "new.txt"), "hello\nworld\n")
        XCTAssertEqual(try text(repo, result.tree, "tail.txt"), "x\nz")
    }

    func testBinaryPatchIsRejectedAndMailWithoutDiffIsEmpty() throws {
        let (repo, tree) = try repoWith(["f.bin": "x"])
        let diff = """
            diff --git a/f.bin b/f.bin
            index 1111111..2222222 100644
            Binary files a/f.bin and b/f.bin differ

            """
        let parsed = try PatchParser.parse(patch(diff))
        XCTAssertThrowsError(try apply(parsed, to: tree, in: repo)) { error in
            XCTAssertTrue("\(error)".contains("binary"), "\(error)")
        }
        XCTAssertEqual(try PatchParser.parse(Array("Subject: hi\n\njust words\n".utf8)).count, 0)
    }

    /// Writes through an in-memory repository leave the checked repository byte-for-byte unchanged,
    /// even for objects that already exist there (libgit2 would otherwise touch their files).
    func testInMemoryWritesNeverTouchTheRepository() throws {
        let (_, c) = try makeHistory()
        let objects = dir + "/.git"
        func snapshot() -> [String: String] {
            var out: [String: String] = [:]
            let walker = FileManager.default.enumerator(atPath: objects)
            while let rel = walker?.nextObject() as? String {
                let attrs = try? FileManager.default.attributesOfItem(atPath: objects + "/" + rel)
                out[rel] =
                    "\(attrs?[.size] ?? 0) \((attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
            }
            return out
        }
        let before = snapshot()
        Thread.sleep(forTimeInterval: 1.1)
        let repo = try Repository.open(dir, inMemoryWrites: true)
        let existing = try repo.tree(ofCommit: c[2])
        let sameBlob = try repo.writeBlob(Array("int a;\nint b;\n".utf8))
        let newBlob = try repo.writeBlob(Array("brand new\n".utf8))
        let tree = try repo.updatedTree(
            base: existing, changes: ["drivers/iommu/new.c": newBlob, "docs/x.txt": nil])
        _ = try repo.createCommit(
            tree: tree, parents: [c[2]], message: "in memory", author: who, updateRef: nil)
        _ = try repo.updatedTree(base: existing, changes: ["drivers/iommu/foo.c": sameBlob])
        XCTAssertTrue(repo.contains(newBlob))
        XCTAssertEqual(snapshot(), before)
        XCTAssertFalse(try Repository.open(dir).contains(newBlob), "the new blob lives only in memory")
    }
}
