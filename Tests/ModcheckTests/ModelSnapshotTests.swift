import Facts
import Foundation
import Git
import Kconfig
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
    /// A session on the corpus tree with its cache in `directory` (nil: no cache).
    func session(cacheIn directory: String?) throws -> Session {
        var options = CommonOptions()
        options.repository = try baseTree()
        options.useCache = directory != nil
        options.cacheDirectory = directory
        return try Session(options: options)
    }

    /// `tree` with `files` written (nil: deleted), to `repo` (a repository on disk: each session
    /// opens its own handle, and a handle's own writes stay in its memory).
    func write(_ files: [String: String?], on tree: KernelTree, to repo: Repository) throws -> KernelTree {
        var changes: [String: ObjectID?] = [:]
        // (updateValue: `changes[path] = nil` would drop a deletion.)
        for (path, text) in files { changes.updateValue(try text.map { try repo.writeBlob(Array($0.utf8)) }, forKey: path) }
        return tree.applying(changes, newTree: try repo.updatedTree(base: tree.tree, changes: changes))
    }

    /// The snapshot files of the cache in `directory` whose names start with `prefix` and end
    /// with `suffix`, sorted.
    func snapshotFiles(in directory: String, _ prefix: String, suffix: String = "") -> [String] {
        let generation = (try? FactCache(directory: directory).directory) ?? ""
        return ((try? FileManager.default.contentsOfDirectory(atPath: generation)) ?? []).filter {
            $0.hasPrefix(prefix) && $0.hasSuffix(suffix)
        }.sorted().map { generation + "/" + $0 }
    }

    /// Flips bits of the byte in the middle of the file at `path` (a damaged snapshot).
    func damage(_ path: String, with mask: UInt8 = 0x10) throws {
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= mask
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// The text of `path` in `tree`.
    func text(_ path: String, in tree: KernelTree, _ repo: Repository) throws -> String {
        String(decoding: try repo.blobBytes(try XCTUnwrap(tree.blobs[path], path)), as: UTF8.self)
    }

    func testModelStructureIsKeptAndFollowsTheStructure() throws {
        let cacheDirectory = root + "/structure-cache"
        func session(cache: Bool) throws -> Session { try self.session(cacheIn: cache ? cacheDirectory : nil) }
        func summary(_ session: Session, _ m: KernelModel) -> [String] {
            m.units.map {
                "\($0.name) m=\($0.canBeModule) y=\($0.canBeBuiltin) \($0.sources) \($0.moduleSources) \($0.configs) \($0.sourceConditions.sorted { $0.key < $1.key })"
            }.sorted() + m.compiledSources.sorted()
                + session.engine.check(CheckContext(model: m)).map {
                    "\($0.rule) \($0.module ?? "-") \($0.symbol ?? "-") \($0.file ?? "-"):\($0.line ?? 0) \($0.message)"
                }.sorted()
        }
        func snapshots() -> [String] { snapshotFiles(in: cacheDirectory, "structure-") }

        let plain = try session(cache: false)
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

        func variant(_ files: [String: String?]) throws -> KernelTree { try write(files, on: tree, to: repo) }
        func text(_ path: String) throws -> String { try self.text(path, in: tree, repo) }
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
        for path in snapshots() { try damage(path, with: 0x5a) }
        let again = try session(cache: true)
        let rebuilt = again.model(of: tree)
        XCTAssertFalse(rebuilt.structureKept)
        XCTAssertTrue(again.factNotes.contains { $0.contains("damaged snapshot") }, "\(again.factNotes)")
        XCTAssertEqual(summary(again, rebuilt), expected)
        again.finish()
        XCTAssertTrue(try session(cache: true).model(of: tree).structureKept)
    }
}


/// A whole tree's checks are kept with the rules' per-unit results: a warm run reads them back
/// (the base is not checked again) and a model derived from that base (a patch that changes a
/// function body) keeps the base's per-unit results, giving what a run without a cache gives.
extension TriageTests {
    func testKeptChecksCarryPerUnitResultsToDerivedModels() throws {
        let cacheDirectory = root + "/checks-cache"
        func session(cache: Bool) throws -> Session { try self.session(cacheIn: cache ? cacheDirectory : nil) }
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        let plain = try session(cache: false)
        let head = try plain.tree(at: "HEAD")
        func text(_ path: String) throws -> String { try self.text(path, in: head, repo) }
        // A built-in user of a library that can be a module: the base has a builtin-uses-modular error.
        let base = try write(
            [
                "drivers/iommu/Kconfig": try text("drivers/iommu/Kconfig").replacingOccurrences(
                    of: "endif # IOMMU_SUPPORT",
                    with: "config IOMMU_FOO_LIB\n\ttristate \"A library\"\n\nendif # IOMMU_SUPPORT"),
                "drivers/iommu/Makefile": try text("drivers/iommu/Makefile")
                    + "obj-$(CONFIG_IOMMU_FOO_LIB) += foo-lib.o\nobj-$(CONFIG_IOMMU_SUPPORT) += foo-user.o\n",
                "include/linux/foo-lib.h": "#ifndef FOO_LIB_H\n#define FOO_LIB_H\nint foo_lib_call(int x);\n#endif\n",
                "drivers/iommu/foo-lib.c":
                    "#include <linux/module.h>\n#include <linux/foo-lib.h>\nint foo_lib_call(int x)\n{\n\treturn x + 1;\n}\nEXPORT_SYMBOL_GPL(foo_lib_call);\nMODULE_LICENSE(\"GPL\");\n",
                "drivers/iommu/foo-user.c":
                    "#include <linux/foo-lib.h>\nint foo_user(void)\n{\n\treturn foo_lib_call(1);\n}\n",
            ], on: head, to: repo)
        let iommu = "drivers/iommu/iommu.c"
        let patched = try write(
            [iommu: String(decoding: try repo.blobBytes(try XCTUnwrap(base.blobs[iommu])), as: UTF8.self)
                + "\nstatic int iommu_unused_helper(void) { return 0; }\n"], on: base, to: repo)
        let changed: Set<String> = [iommu]

        func run(_ s: Session) -> (base: [String], patch: [String]) {
            let baseModel = s.model(of: base)
            let baseFindings = s.checkWholeTree(baseModel)
            let model = s.model(of: patched, base: baseModel, changedPaths: changed)
            let after = s.engine.check(CheckContext(model: model, base: baseModel))
            s.finish()
            func lines(_ f: [Finding]) -> [String] {
                f.map { "\($0.rule) \($0.module ?? "-") \($0.symbol ?? "-") \($0.file ?? "-"):\($0.line ?? 0) \($0.message)" }.sorted()
            }
            return (lines(baseFindings), lines(after))
        }
        let expected = run(plain)
        XCTAssertTrue(
            expected.base.contains { $0.hasPrefix("builtin-uses-modular") && $0.contains("foo_lib_call") }, "\(expected.base)")
        XCTAssertTrue(expected.patch.contains { $0.hasPrefix("builtin-uses-modular") && $0.contains("foo_lib_call") })
        let cold = run(try session(cache: true))
        XCTAssertEqual(cold.base, expected.base)
        XCTAssertEqual(cold.patch, expected.patch)
        // Warm: the base's checks are read back with the per-unit results the patch reuses.
        let warmSession = try session(cache: true)
        let warmBase = warmSession.model(of: base)
        XCTAssertEqual(warmSession.engine.keptResultCount(of: warmBase), 0)
        _ = warmSession.checkWholeTree(warmBase)
        XCTAssertGreaterThan(warmSession.engine.keptResultCount(of: warmBase), 0)
        let warm = run(try session(cache: true))
        XCTAssertEqual(warm.base, expected.base)
        XCTAssertEqual(warm.patch, expected.patch)
    }
}

/// A parsed Kconfig tree kept in the cache reads back as parsed (every symbol and definition,
/// the per-file contexts, the select/imply edges), and is not used once a file its parse read
/// has another blob — also a sourced file not named `Kconfig*`, which the key does not name.
extension TriageTests {
    func testKconfigTreeSnapshotRoundTripAndValidation() throws {
        let plain = try session()
        let tree = try plain.tree(at: "HEAD")
        let parsed = plain.model(of: tree).kconfig
        let cache = try FactCache(directory: root + "/kconfig-cache")
        let architectures = ["arm64", "x86"]
        let key = try XCTUnwrap(FactCache.kconfigTreeKey(tree: tree.blobs, architectures: architectures))
        var files: [String: ObjectID] = [:]
        for path in parsed.files { files[path] = tree.blobs[path] }
        files["drivers/iommu/Kconfig.extra-fragment"] = tree.blobs["drivers/iommu/Kconfig"]
        XCTAssertNil(cache.kconfigTree(key, blobs: tree.blobs))
        cache.storeKconfigTree(parsed, files: files, key: key)
        var blobs = tree.blobs
        blobs["drivers/iommu/Kconfig.extra-fragment"] = tree.blobs["drivers/iommu/Kconfig"]
        let kept = try XCTUnwrap(cache.kconfigTree(key, blobs: blobs))
        XCTAssertEqual(kept.files, files)
        XCTAssertEqual(kept.tree.symbols, parsed.symbols)
        XCTAssertGreaterThan(parsed.symbols.count, 10)
        XCTAssertEqual(kept.tree.files, parsed.files)
        XCTAssertEqual(kept.tree.fileContext, parsed.fileContext)
        XCTAssertEqual(kept.tree.fileVisibility, parsed.fileVisibility)
        XCTAssertEqual(kept.tree.fileArchitecture, parsed.fileArchitecture)
        XCTAssertEqual(kept.tree.choiceDefaults, parsed.choiceDefaults)
        XCTAssertEqual(kept.tree.sourcedFiles, parsed.sourcedFiles)
        XCTAssertEqual(kept.tree.semantics, parsed.semantics)
        XCTAssertEqual(kept.tree.isArchitectureUnion, parsed.isArchitectureUnion)
        XCTAssertNotNil(kept.tree.definedIn)
        XCTAssertEqual(kept.tree.definedIn, parsed.definedIn)
        func edges(_ e: [String: [(selector: String, condition: KconfigExpression?)]]) -> [String] {
            e.flatMap { target, list in list.map { "\(target) <- \($0.selector) if \($0.condition.map { "\($0)" } ?? "-")" } }.sorted()
        }
        XCTAssertEqual(edges(kept.tree.selectedBy), edges(parsed.selectedBy))
        XCTAssertEqual(edges(kept.tree.impliedBy), edges(parsed.impliedBy))
        // A file the parse read has changed (here one the key does not name): not used.
        blobs["drivers/iommu/Kconfig.extra-fragment"] = tree.blobs["Makefile"]
        XCTAssertNil(cache.kconfigTree(key, blobs: blobs))
        blobs["drivers/iommu/Kconfig.extra-fragment"] = nil
        XCTAssertNil(cache.kconfigTree(key, blobs: blobs))
    }
}
