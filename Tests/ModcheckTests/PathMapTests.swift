@testable import Facts
import Foundation
import Git
import XCTest

/// A tree's path map shared with the trees patched from it answers as a dictionary does: every
/// lookup, the count, the paths and the pairs iterated, through chains of patches that add,
/// change, remove and restore paths, and past the point where it makes one map again.
final class PathMapTests: XCTestCase {
    func testPatchedMapsAnswerAsDictionaries() throws {
        func id(_ n: Int) throws -> ObjectID {
            try XCTUnwrap(ObjectID(hex: String(format: "%040x", n)))
        }
        var plain: [String: ObjectID] = [:]
        for i in 0..<3000 { plain["dir\(i % 37)/file\(i).c"] = try id(i) }
        var map = PathMap(plain)
        let base = map
        let baseCopy = plain
        // A deterministic walk: changes, removals, restorations and new paths, past 1024 changes.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for step in 0..<5000 {
            let path = next(4) == 0 ? "new/\(next(800)).h" : "dir\(next(37))/file\(next(3000)).c"
            let value: ObjectID? = next(3) == 0 ? nil : (next(5) == 0 ? baseCopy[path] : try id(10_000 + step))
            plain[path] = value
            map[path] = value
            if step % 500 == 0 || step == 4999 {
                XCTAssertEqual(map.count, plain.count, "step \(step)")
                XCTAssertEqual(Set(map.keys), Set(plain.keys), "step \(step)")
                XCTAssertEqual(map.dictionary, plain, "step \(step)")
                var pairs: [String: ObjectID] = [:]
                for (path, blob) in map {
                    XCTAssertNil(pairs[path], "\(path) twice")
                    pairs[path] = blob
                }
                XCTAssertEqual(pairs, plain, "step \(step)")
            }
            XCTAssertEqual(map[path], plain[path])
        }
        // The map the walk started from is untouched.
        XCTAssertEqual(base.dictionary, baseCopy)
        XCTAssertEqual(base.count, baseCopy.count)
        // A tree patched from another: the new tree sees its changes, the old one does not.
        let tree = KernelTree(tree: try id(1), blobs: baseCopy)
        let patched = tree.applying(["dir1/file1.c": .some(try id(99_999)), "dir2/file2.c": nil], newTree: try id(2))
        XCTAssertEqual(patched.blobs["dir1/file1.c"], try id(99_999))
        XCTAssertNil(patched.blobs["dir2/file2.c"])
        XCTAssertEqual(patched.blobs.count, baseCopy.count - 1)
        XCTAssertEqual(tree.blobs["dir1/file1.c"], baseCopy["dir1/file1.c"])
        XCTAssertEqual(tree.blobs["dir2/file2.c"], baseCopy["dir2/file2.c"])
    }
}
