import Facts
import Foundation
import Git
import XCTest

/// A git tree's path map is kept under the tree id: the next load of the same tree reads the
/// snapshot (front-coded paths, any bytes), not libgit2, and gets the same map; a damaged
/// snapshot is noted and the tree read through libgit2 again.
extension TriageTests {
    func testTreePathMapSnapshotReadsBackTheSameMap() throws {
        let cacheDirectory = root + "/tree-cache"
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        let plain = try session(cacheIn: nil)
        let head = try plain.tree(at: "HEAD")
        // Paths sharing prefixes, a path at the root, one that is a prefix of a directory's name,
        // UTF-8 and a long name: what front coding has to get right.
        let tree = try write(
            [
                "a": "1\n", "ab/c": "2\n", "ab/cd": "3\n", "abc": "4\n", "drivers/iommu/é-ü.c": "5\n",
                "drivers/" + String(repeating: "long", count: 100) + ".c": "6\n",
            ], on: head, to: repo)
        let expected = try KernelTree.load(repo, tree: tree.tree).blobs.dictionary
        XCTAssertGreaterThan(expected.count, 30)

        let cache = try FactCache(directory: cacheDirectory)
        XCTAssertEqual(try KernelTree.load(repo, tree: tree.tree, cache: cache).blobs.dictionary, expected, "read, kept")
        cache.flush()  // (the map is written on another core; a flush waits for it)
        let snapshots = snapshotFiles(in: cacheDirectory, "tree-v2-", suffix: ".paths")
        XCTAssertEqual(snapshots.count, 1)
        XCTAssertEqual(try KernelTree.load(repo, tree: tree.tree, cache: cache).blobs.dictionary, expected, "read back")
        XCTAssertEqual(cache.warnings, [])

        // The kept map is what a load answers (another map kept under the same id comes back).
        let other = try FactCache(directory: root + "/tree-cache-other")
        let shown = ["only/this": try XCTUnwrap(expected["a"])]
        other.storePathMap(shown, subtrees: [], of: tree.tree)
        XCTAssertEqual(try KernelTree.load(repo, tree: tree.tree, cache: other).blobs.dictionary, shown)

        // Damaged: noted, read through libgit2 and kept again.
        try damage(try XCTUnwrap(snapshots.first))
        let third = try FactCache(directory: cacheDirectory)
        XCTAssertEqual(try KernelTree.load(repo, tree: tree.tree, cache: third).blobs.dictionary, expected)
        XCTAssertTrue(third.warnings.contains { $0.contains("damaged snapshot") }, "\(third.warnings)")
        third.flush()
        let fourth = try FactCache(directory: cacheDirectory)
        XCTAssertEqual(try KernelTree.load(repo, tree: tree.tree, cache: fourth).blobs.dictionary, expected)
        XCTAssertEqual(fourth.warnings, [])

        // A tree object the kept map was read from gone from the object store: the load fails
        // as reading the tree would, naming the object.
        let iommu = try XCTUnwrap(try repo.entryID(tree: tree.tree, path: "drivers/iommu"))
        let damaged = try FactCache(directory: root + "/tree-cache-damaged")
        damaged.storePathMap(expected, subtrees: [iommu], of: tree.tree)
        XCTAssertNoThrow(try KernelTree.load(repo, tree: tree.tree, cache: damaged))
        let gone = try FactCache(directory: root + "/tree-cache-gone")
        let absent = try XCTUnwrap(ObjectID(hex: String(repeating: "ab", count: 20)))
        gone.storePathMap(expected, subtrees: [iommu, absent], of: tree.tree)
        XCTAssertThrowsError(try KernelTree.load(repo, tree: tree.tree, cache: gone)) { error in
            XCTAssertTrue("\(error)".contains(absent.hex), "\(error)")
        }
    }
}
