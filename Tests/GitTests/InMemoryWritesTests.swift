import Foundation
import XCTest

@testable import Git

/// modcheck never modifies the repository it checks: with in-memory writes, blobs, trees, commits,
/// index trees and applied patches land in memory — not even an mtime changes on disk.
final class InMemoryWritesTests: GitTestCase {
    func makeFixture(packed: Bool) throws -> (objects: String, base: ObjectID, existing: [UInt8]) {
        let existing = registerLines(1...12)
        let repo = try Repository.create(at: dir, bare: false)
        let base = try commit(
            repo, ["drivers/iommu/a.c": existing, "drivers/iommu/Kconfig": "config A\n\ttristate \"A\"\n"],
            parents: [],
            message: "base")
        XCTAssertEqual(git(["read-tree", "HEAD"]).status, 0)
        if packed { XCTAssertEqual(git(["repack", "-a", "-d", "-q"]).status, 0) }
        let objects = dir + "/.git/objects"
        try ageFiles(objects)
        return (objects, base, bytes(existing))
    }

    func exerciseWrites(_ repo: Repository, base: ObjectID, existing: [UInt8]) throws {
        let tree = try repo.tree(ofCommit: base)
        // An object that already exists on disk, written again.
        XCTAssertEqual(try repo.writeBlob(existing), try repo.blobID(tree: tree, path: "drivers/iommu/a.c"))
        XCTAssertEqual(try repo.updatedTree(base: tree, changes: [:]), tree)
        XCTAssertEqual(
            try repo.writeTree(files: [
                "drivers/iommu/a.c": existing, "drivers/iommu/Kconfig": bytes("config A\n\ttristate \"A\"\n"),
            ]), tree)
        // New objects of every kind.
        let blob = try repo.writeBlob(bytes("int new_symbol;\n"))
        let newTree = try repo.updatedTree(
            base: tree, changes: ["drivers/iommu/b.c": blob, "drivers/iommu/Kconfig": nil])
        let commit = try repo.createCommit(
            tree: newTree, parents: [base], message: "in memory", author: who, updateRef: nil)
        XCTAssertEqual(try repo.commit(commit).parents, [base])
        XCTAssertEqual(try repo.blobBytes(blob), bytes("int new_symbol;\n"))
        XCTAssertTrue(repo.contains(commit))
        XCTAssertNoThrow(try repo.indexTree())
        let patch = try PatchParser.parse(
            bytes(
                "diff --git a/drivers/iommu/a.c b/drivers/iommu/a.c\n--- a/drivers/iommu/a.c\n+++ b/drivers/iommu/a.c\n"
                    + "@@ -2,3 +2,3 @@\n" + diffLines(" ", 2...2) + diffLines("-", 3...3)
                    + "+\tpriv->reg3 = 0;\n"
                    + diffLines(" ", 4...4)))
        let applied = try apply(patch, to: tree, in: repo)
        XCTAssertNotEqual(applied.tree, tree)
        // Refs would be a write to disk.
        XCTAssertThrowsError(
            try repo.createCommit(
                tree: newTree, parents: [base], message: "x", author: who, updateRef: "HEAD"))
        XCTAssertThrowsError(try repo.createTag("t", at: base))
    }

    func testWritesLeaveLooseObjectsUntouched() throws {
        let (objects, base, existing) = try makeFixture(packed: false)
        let before = try snapshot(objects)
        XCTAssertFalse(before.isEmpty)
        let repo = try Repository.open(dir)
        try exerciseWrites(repo, base: base, existing: existing)
        XCTAssertEqual(try snapshot(objects), before)
        // Another handle does not see the first one's in-memory objects; git does not either.
        let blob = try repo.writeBlob(bytes("only in memory\n"))
        XCTAssertFalse(try Repository.open(dir).contains(blob))
        XCTAssertNotEqual(git(["cat-file", "-e", blob.hex]).status, 0)
    }

    func testWritesLeavePacksUntouched() throws {
        let (objects, base, existing) = try makeFixture(packed: true)
        let before = try snapshot(objects)
        XCTAssertTrue(before.keys.contains { $0.hasSuffix(".pack") })
        try exerciseWrites(try Repository.open(dir), base: base, existing: existing)
        XCTAssertEqual(try snapshot(objects), before)
    }

    func testSnapshotSeesDiskWrites() throws {
        // The same check fails for a repository that writes to disk: the snapshot is not blind.
        let (objects, base, _) = try makeFixture(packed: false)
        let before = try snapshot(objects)
        let repo = try Repository.open(dir, inMemoryWrites: false)
        _ = try repo.createCommit(
            tree: try repo.tree(ofCommit: base), parents: [base], message: "on disk", author: who,
            updateRef: nil)
        XCTAssertNotEqual(try snapshot(objects), before)
    }

    func testDiscardInMemoryObjects() throws {
        let (_, _, _) = try makeFixture(packed: false)
        let repo = try Repository.open(dir)
        let blob = try repo.writeBlob(bytes("scratch\n"))
        XCTAssertTrue(repo.contains(blob))
        try repo.discardInMemoryObjects()
        XCTAssertFalse(repo.contains(blob))
    }
}
