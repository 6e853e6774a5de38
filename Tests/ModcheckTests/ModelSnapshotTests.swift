import Facts
import Foundation
import Git
import Model
import Rules
@testable import Workflows
import XCTest

/// A whole-tree model's structure (kbuild map, compiled sources, units) is kept in the cache and
/// read back by the next run over a tree of the same structure; the model read back says what a
/// model built without a cache says. A tree whose structure differs (a Makefile line, a new `.c`
/// file, a changed `.c` file that includes another) is not answered from it; a tree that differs
/// only in headers is; a damaged snapshot is noted and made again.
extension TriageTests {
    func testModelStructureIsKeptAndFollowsTheStructure() throws {
        let cacheDirectory = root + "/structure-cache"
        func session(cache: Bool) throws -> Session {
            var options = CommonOptions()
            options.repository = try baseTree()
            options.useCache = cache
            options.cacheDirectory = cacheDirectory
            return try Session(options: options)
        }
        func summary(_ session: Session, _ m: KernelModel) -> [String] {
            m.units.map {
                "\($0.name) m=\($0.canBeModule) y=\($0.canBeBuiltin) \($0.sources) \($0.moduleSources) \($0.configs) \($0.sourceConditions.sorted { $0.key < $1.key })"
            }.sorted() + m.compiledSources.sorted()
                + session.engine.check(CheckContext(model: m)).map {
                    "\($0.rule) \($0.module ?? "-") \($0.symbol ?? "-") \($0.file ?? "-"):\($0.line ?? 0) \($0.message)"
                }.sorted()
        }
        func snapshots() -> [String] {
            let generation = (try? FactCache(directory: cacheDirectory).directory) ?? ""
            return ((try? FileManager.default.contentsOfDirectory(atPath: generation)) ?? []).filter {
                $0.hasPrefix("structure-")
            }.sorted().map { generation + "/" + $0 }
        }

        let plain = try session(cache: false)
        // The variants below are written to the repository on disk (each session opens its own
        // handle, and a handle's own writes stay in its memory).
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        let tree = try plain.tree(at: "HEAD")
        let expected = summary(plain, plain.model(of: tree))

        // Cold: made and kept; warm (a new process's session): read back, same answers.
        let cold = try session(cache: true)
        let first = cold.model(of: tree)
        cold.finish()
        XCTAssertFalse(first.structureKept)
        XCTAssertEqual(snapshots().count, 1)
        let warm = try session(cache: true)
        let kept = warm.model(of: tree)
        XCTAssertTrue(kept.structureKept)
        XCTAssertEqual(summary(warm, kept), expected)
        XCTAssertEqual(summary(cold, first), expected)

        func variant(_ files: [String: String?]) throws -> KernelTree {
            var changes: [String: ObjectID?] = [:]
            for (path, text) in files { changes[path] = text.map { try! repo.writeBlob(Array($0.utf8)) } }
            return tree.applying(changes, newTree: try repo.updatedTree(base: tree.tree, changes: changes))
        }
        func text(_ path: String) throws -> String {
            String(decoding: try repo.blobBytes(try XCTUnwrap(tree.blobs[path], path)), as: UTF8.self)
        }
        func check(_ label: String, _ next: KernelTree, kept expectKept: Bool) throws {
            let s = try session(cache: true)
            let m = s.model(of: next)
            s.finish()
            XCTAssertEqual(m.structureKept, expectKept, label)
            XCTAssertEqual(summary(s, m), summary(plain, plain.model(of: next)), label)
        }

        // Only a header differs: the structure is the same.
        let header = try text("include/linux/iommu.h")
        try check(
            "header", try variant(["include/linux/iommu.h": header + "\nint iommu_structure_probe(void);\n"]),
            kept: true)
        // A new source and its Makefile line; a Makefile alone; a `.c` file that now includes
        // another: each is a different structure (made, then kept under its own key).
        let makefile = try text("drivers/iommu/Makefile")
        let newDriver = try variant([
            "drivers/iommu/Makefile": makefile + "obj-$(CONFIG_ARM_SMMU) += smmu-extra.o\n",
            "drivers/iommu/smmu-extra.c": "#include <linux/module.h>\nint smmu_extra(void) { return 0; }\nMODULE_LICENSE(\"GPL\");\n",
        ])
        try check("new driver", newDriver, kept: false)
        try check("new driver again", newDriver, kept: true)
        XCTAssertTrue(
            try session(cache: true).model(of: newDriver).compiledSources.contains("drivers/iommu/smmu-extra.c"))
        try check(
            "makefile", try variant(["drivers/iommu/Makefile": makefile + "obj-y += smmu-other.o\n"]), kept: false)
        // (The `.c` file to be included is there first, compiled by nothing; then only the
        // includer's content changes: same paths, a different structure.)
        let source = try XCTUnwrap(tree.blobs.keys.sorted().first { $0.hasPrefix("drivers/iommu/") && $0.hasSuffix(".c") })
        try check("unused .c", try variant(["drivers/iommu/part.c": "int iommu_part(void) { return 1; }\n"]), kept: false)
        let includer = try variant([
            source: try text(source) + "\n#include \"part.c\"\n",
            "drivers/iommu/part.c": "int iommu_part(void) { return 1; }\n",
        ])
        try check("included .c", includer, kept: false)
        XCTAssertTrue(try session(cache: true).model(of: includer).compiledSources.contains("drivers/iommu/part.c"))

        // Damage: a snapshot cut short or with a flipped byte is noted, ignored and made again.
        for path in snapshots() {
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
            var damaged = [UInt8](bytes)
            damaged[damaged.count / 2] ^= 0x5a
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(damaged)))
        }
        let again = try session(cache: true)
        let rebuilt = again.model(of: tree)
        XCTAssertFalse(rebuilt.structureKept)
        XCTAssertTrue(again.factNotes.contains { $0.contains("damaged snapshot") }, "\(again.factNotes)")
        XCTAssertEqual(summary(again, rebuilt), expected)
        again.finish()
        XCTAssertTrue(try session(cache: true).model(of: tree).structureKept)
    }
}

