import CSource
import Facts
import Foundation
import Git
@testable import Model
import Rules
@testable import Workflows
import XCTest

/// A whole tree's symbol index is kept under the tree id and read in place by the next run over
/// the same tree: every name answers as in a model built from the facts, names it lacks answer
/// nil, and a damaged snapshot is noted, not used and made again.
extension TriageTests {
    func testSymbolIndexSnapshotAnswersAsTheBuiltIndex() throws {
        let cacheDirectory = root + "/index-cache"
        func snapshots(_ suffix: String = ".symbols") -> [String] {
            snapshotFiles(in: cacheDirectory, "index-", suffix: suffix)
        }
        let plain = try session(cacheIn: nil)
        // The corpus tree with an export made by a wrapper macro from a header.
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        let head = try plain.tree(at: "HEAD")
        let pci = try text("drivers/pci/pci.c", in: head, repo)
        let tree = try write(
            [
                "include/linux/pci-export.h": "#define PCI_EXPORT_SYMBOL(symbol) EXPORT_SYMBOL_GPL(symbol);\n",
                "drivers/pci/pci.c": pci.replacingOccurrences(
                    of: "#include <linux/pci.h>\n",
                    with: "#include <linux/pci.h>\n#include <linux/pci-export.h>\nint pci_wrapped(void)\n{\n\treturn 0;\n}\nPCI_EXPORT_SYMBOL(pci_wrapped)\n"),
            ], on: head, to: repo)
        let built = plain.model(of: tree)
        XCTAssertEqual(built.exportSites("pci_wrapped")?.map(\.flavour), [.gpl], "the wrapper's export")
        var names = Set(["", "no_such_symbol", "~", "0", "zzzz"])
        for path in built.compiledSources {
            guard let blob = tree.blobs[path], let f = plain.store.facts(path: path, blob: blob, depth: .symbols) else { continue }
            names.formUnion(f.definitions.map(\.name))
            names.formUnion(f.exports.map(\.name))
            names.formUnion(f.references.map(\.name))
        }
        XCTAssertGreaterThan(names.count, 50)
        func answers(_ m: KernelModel) -> [String] {
            names.sorted().map { name in
                "\(name): \(m.definitions[name].map { $0.map { "\($0.path):\($0.line)" } } ?? []) \(m.exportSites(name).map { $0.map { "\($0.path):\($0.line) \($0.flavour)" } } ?? [])"
            }
        }
        let expected = answers(built)

        let cold = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(answers(cold.model(of: tree)), expected)
        cold.finish()
        XCTAssertEqual(snapshots().count, 1, "kept")
        XCTAssertEqual(snapshots(".wrappers").count, 1, "the wrapper exports kept beside it")
        let warm = try session(cacheIn: cacheDirectory)
        let read = warm.model(of: tree)
        XCTAssertEqual(answers(read), expected, "read back")
        XCTAssertEqual(
            read.exportWrapperFiles, built.exportWrapperFiles, "the files exporting through wrappers")
        XCTAssertEqual(read.exportWrapperFiles, ["drivers/pci/pci.c"])
        XCTAssertEqual(warm.store.cache?.warnings, [])

        // Damaged (a byte of the tables): noted, not used, made again.
        try damage(try XCTUnwrap(snapshots().first))
        let third = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(answers(third.model(of: tree)), expected)
        XCTAssertTrue(third.store.cache?.warnings.contains { $0.contains("damaged snapshot") } == true)
        third.finish()
        XCTAssertEqual(snapshots().count, 1, "made again")

        // The wrapper exports damaged: noted, not used, worked out again.
        try damage(try XCTUnwrap(snapshots(".wrappers").first))
        let fourth = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(answers(fourth.model(of: tree)), expected)
        XCTAssertTrue(fourth.store.cache?.warnings.contains { $0.contains("damaged snapshot") } == true)
    }

    /// The compiled files outside the scope by what they include and declare: made by the first
    /// reverse search over a whole tree and kept; a later run's model reads it and finds the same
    /// users, and so do models derived from it; a damaged one is noted and made again.
    func testOutsideSourceIndexSnapshotFindsTheSameUsers() throws {
        let cacheDirectory = root + "/outside-cache"
        func snapshots() -> [String] { snapshotFiles(in: cacheDirectory, "outside-") }
        let plain = try session(cacheIn: nil)
        // The corpus tree with built-in code outside the scope that calls into it.
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        let head = try plain.tree(at: "HEAD")
        let tree = try write(
            [
                "drivers/pci/pci.c": try text("drivers/pci/pci.c", in: head, repo)
                    + "#include <linux/iommu.h>\nint pci_register_iommu(struct iommu_device *d)\n{\n\treturn iommu_device_register(d);\n}\n"
            ], on: head, to: repo)
        let built = plain.model(of: tree)
        // Every name a scoped source defines, one question each and all at once.
        var names = Set<String>()
        for unit in built.scopedUnits {
            for source in unit.sources {
                for d in built.facts(source)?.definitions ?? [] { names.insert(d.name) }
            }
        }
        let questions = [names] + names.sorted().prefix(12).map { Set([$0]) }
        func users(_ m: KernelModel) -> [[String]] { questions.map { m.outOfScopeUsers(seeing: $0).map(\.name) } }
        let expected = users(built)
        XCTAssertFalse(expected[0].isEmpty, "the corpus tree has built-in users outside the scope")

        let cold = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(users(cold.model(of: tree)), expected)
        XCTAssertEqual(snapshots().count, 1, "kept")
        let warm = try session(cacheIn: cacheDirectory)
        let read = warm.model(of: tree)
        XCTAssertEqual(users(read), expected, "read back")
        // A model derived from it (a patch to an outside file that stops declaring nothing).
        let pci = try text("drivers/pci/pci.c", in: tree, repo)
        let patched = try write(["drivers/pci/pci.c": "/* moved */\n" + pci], on: tree, to: repo)
        let derivedPlain = plain.model(of: patched, base: built, changedPaths: ["drivers/pci/pci.c"])
        let derivedWarm = warm.model(of: patched, base: read, changedPaths: ["drivers/pci/pci.c"])
        XCTAssertEqual(users(derivedWarm), users(derivedPlain))
        // What the index says each outside file includes is what its facts say, read back, in a
        // layer over it, and for a file whose includes the layer changed.
        func checkIncludes(_ m: KernelModel) throws {
            let index = try XCTUnwrap(m.outsideSourceIndex(made: true))
            let outside = m.compiledSources.filter { $0.hasSuffix(".c") && !m.inScope($0) }
            XCTAssertFalse(outside.isEmpty)
            for path in outside { XCTAssertEqual(index.includes(of: path), m.symbolFacts[path]?.includes, path) }
            XCTAssertNil(index.includes(of: "drivers/iommu/iommu.c"), "a scoped file is not in the index")
        }
        try checkIncludes(read)
        try checkIncludes(derivedWarm)
        let included = try write(["drivers/pci/pci.c": "#include <linux/hs-new.h>\n" + pci], on: tree, to: repo)
        let layered = warm.model(of: included, base: read, changedPaths: ["drivers/pci/pci.c"])
        XCTAssertEqual(
            try XCTUnwrap(layered.outsideSourceIndex(made: true)).includes(of: "drivers/pci/pci.c")?.first, "linux/hs-new.h")
        XCTAssertEqual(users(layered), users(plain.model(of: included, base: built, changedPaths: ["drivers/pci/pci.c"])))
        // A chain whose middle link was let go of (a series keeps only its latest model): the
        // index is the whole tree's with every path changed since, and the users are the same.
        let again = try write(["drivers/pci/pci.c": "#include <linux/hs-other.h>\n" + pci], on: included, to: repo)
        var middle: KernelModel? = warm.model(of: included, base: read, changedPaths: ["drivers/pci/pci.c"])
        let last = warm.model(of: again, base: try XCTUnwrap(middle), changedPaths: ["drivers/pci/pci.c"])
        middle = nil
        XCTAssertNil(middle)
        let lastIndex = try XCTUnwrap(last.outsideSourceIndex(made: false), "from the root's index")
        XCTAssertEqual(lastIndex.includes(of: "drivers/pci/pci.c")?.first, "linux/hs-other.h")
        let plainChain = plain.model(of: included, base: built, changedPaths: ["drivers/pci/pci.c"])
        XCTAssertEqual(users(last), users(plain.model(of: again, base: plainChain, changedPaths: ["drivers/pci/pci.c"])))
        XCTAssertEqual(warm.store.cache?.warnings, [])

        try damage(try XCTUnwrap(snapshots().first))
        let third = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(users(third.model(of: tree)), expected)
        XCTAssertTrue(third.store.cache?.warnings.contains { $0.contains("damaged snapshot") } == true)
        XCTAssertEqual(snapshots().count, 1, "made again")
    }

    /// The in-place table: every name found with its value, every other name (before the first,
    /// between two, after the last, a prefix of one) not.
    func testSortedNameTableLookups() throws {
        let entries = ["b", "ba", "bb", "d", "x_y", "zz"].map { ($0, Array("value of \($0)".utf8)) }
        var bytes: [UInt8] = [1, 2, 3]
        SortedNameTable.append(entries.reversed(), to: &bytes)
        try bytes.withUnsafeBytes { raw in
            let table = try XCTUnwrap(SortedNameTable(raw, at: 3))
            XCTAssertEqual(table.end, bytes.count)
            for (name, value) in entries {
                let at = try XCTUnwrap(table.find(name, in: raw), name)
                XCTAssertEqual(Array(raw[at..<at + value.count]), value, name)
            }
            for absent in ["", "a", "bc", "c", "x", "x_yz", "zzz", "~"] {
                XCTAssertNil(table.find(absent, in: raw), absent)
            }
        }
    }

    /// Names are ordered by their bytes whatever their first eight have in common (the order
    /// is sorted on those eight as a number first): shorter and longer than eight, one a prefix
    /// of another, the same eight then different, bytes above 0x7f.
    func testSortedNameTableOrdersByAllBytes() throws {
        var names = [
            "", "a", "ab", "abcdefg", "abcdefgh", "abcdefgh_", "abcdefgh_2", "abcdefgh_10", "abcdefgi",
            "abcdefg\u{7f}", "abcdefgé", "é", "z", "drivers/iommu/arm-smmu.c", "drivers/iommu/arm-smmu-v3.c",
            "drivers/iommu/arm-smmu.h", "drivers/iommu",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let length = Int.random(in: 0...12, using: &generator)
            names.append(String((0..<length).map { _ in "ab_c".randomElement(using: &generator)! }))
        }
        let entries = Array(Set(names)).map { ($0, Array("value of \($0)".utf8)) }
        var bytes: [UInt8] = []
        SortedNameTable.append(entries, to: &bytes)
        try bytes.withUnsafeBytes { raw in
            let table = try XCTUnwrap(SortedNameTable(raw, at: 0))
            XCTAssertEqual(table.count, entries.count)
            var previous: [UInt8]?
            for i in 0..<table.count {
                let (name, at) = try XCTUnwrap(table.entry(i, in: raw))
                let here = Array(name)
                if let previous { XCTAssertTrue(previous.lexicographicallyPrecedes(here), "\(previous) before \(here)") }
                previous = here
                let value = Array("value of \(String(decoding: here, as: UTF8.self))".utf8)
                XCTAssertEqual(Array(raw[at..<at + value.count]), value)
            }
            for (name, value) in entries {
                let at = try XCTUnwrap(table.find(name, in: raw), name)
                XCTAssertEqual(Array(raw[at..<at + value.count]), value, name)
            }
        }
    }
}
