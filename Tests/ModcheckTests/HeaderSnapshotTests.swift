import CSource
import Facts
import Foundation
import Git
@testable import Model
@testable import Workflows
import XCTest

/// What a run read of a whole tree's headers (blobs, where their includes land, the name table
/// of their summaries) is kept under the tree's headers and read back by the next run: its
/// answers are those of a run that reads the headers itself, at every point of the run — a
/// kept header counts only once a closure reaches it, kept entries answer in the order their
/// headers were reached — and a model derived from it (a patched header) sees what changed.
extension TriageTests {
    func testHeaderReadsSnapshotAnswersAsReadingTheHeaders() throws {
        let cacheDirectory = root + "/header-reads-cache"
        func snapshots() -> [String] { snapshotFiles(in: cacheDirectory, "headers-", suffix: ".reads") }
        let plain = try session(cacheIn: nil)
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        let head = try plain.tree(at: "HEAD")
        let tree = try write(
            [
                "include/linux/hs-first.h":
                    "#define HS_WRAP(s) EXPORT_SYMBOL(s)\nstatic inline int hs_inline(void) { return 0; }\nstruct hs_thing { int alpha; int beta; };\n#define HS_NAME \"first\"\nint hs_declared(void);\n",
                "include/linux/hs-big.h": "int hs_big(" + (0..<2100).map { "int a\($0)" }.joined(separator: ", ") + ");\n",
                "include/linux/hs-second.h":
                    "#include <linux/hs-big.h>\n#include <linux/hs-first.h>\n#define HS_WRAP(s) EXPORT_SYMBOL_GPL(s)\n#ifdef CONFIG_HS\n#define HS_COND 1\n#endif\nstruct hs_thing { int gamma; };\n",
                "include/linux/hs-only-b.h": "int hs_only_b(void);\n#define HS_B_ONLY 1\n#define HS_NAME \"b\"\n",
                "drivers/iommu/hs-a.c": "#include <linux/hs-second.h>\n#include <linux/hs-first.h>\n",
                "drivers/iommu/hs-b.c": "#include <linux/hs-only-b.h>\n#include <linux/hs-first.h>\n",
                "include/linux/hs-c.h": "int hs_c(void);\n",
                "drivers/iommu/hs-c.c": "#include <linux/hs-c.h>\n",
            ], on: head, to: repo)
        let names = ["HS_WRAP", "hs_inline", "hs_declared", "HS_NAME", "HS_COND", "hs_only_b", "HS_B_ONLY", "hs_new", "nothing"]
        /// Each unit's index in turn, and after each what the unit's headers and the whole
        /// table say of every name.
        func answers(_ m: KernelModel, _ sources: [String]) -> [String] {
            var out: [String] = []
            for source in sources {
                let index = m.headerIndex(for: [source])
                for name in names {
                    out.append(
                        "\(source) \(name): \(index.lookup(name).map { "\($0)" } ?? "-") declared=\(index.isDeclared(name)) uses=\(index.macroUses(name).map { "\($0)" } ?? "-") string=\(index.stringMacro(name) ?? "-") mentions=\(index.mentions(name).map { $0.sorted() } ?? [])"
                    )
                    out.append(
                        "table \(name): declarers=\(m.headerNames.declarers(name).count) providers=\(m.headerNames.providers(name).count) wrappers=\(m.headerNames.macroUses(name).count) strings=\(m.headerNames.strings(name).map(\.text))"
                    )
                }
                out.append("\(source) struct: \(index.structMembers("hs_thing").map { $0.sorted() } ?? [])")
                out.append("headers: \(index.headers.filter { $0.contains("hs-") })")
            }
            return out
        }
        let both = ["drivers/iommu/hs-a.c", "drivers/iommu/hs-b.c"]
        let expectedBoth = answers(plain.model(of: tree), both)
        let expectedA = answers(try session(cacheIn: nil).model(of: tree), [both[0]])
        XCTAssertEqual(expectedA, Array(expectedBoth.prefix(expectedA.count)))
        XCTAssertTrue(expectedA.contains("table hs_only_b: declarers=0 providers=0 wrappers=0 strings=[]"))
        XCTAssertTrue(expectedBoth.contains("table hs_only_b: declarers=1 providers=0 wrappers=0 strings=[]"))
        XCTAssertTrue(expectedBoth.contains { $0.contains("HS_WRAP") && $0.contains("EXPORT_SYMBOL_GPL") })

        let cold = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(answers(cold.model(of: tree), both), expectedBoth)
        cold.finish()
        XCTAssertEqual(snapshots().count, 1, "kept")

        // Read back: only hs-a's index first (hs-b's kept headers are not read yet), then both.
        let warm = try session(cacheIn: cacheDirectory)
        let read = warm.model(of: tree)
        XCTAssertNotNil(read.headerGraph.kept, "the kept reads are used")
        XCTAssertEqual(answers(read, [both[0]]), expectedA, "a kept header counts once reached")
        let second = try session(cacheIn: cacheDirectory)
        let readBoth = second.model(of: tree)
        XCTAssertEqual(answers(readBoth, both), expectedBoth)
        XCTAssertEqual(readBoth.headerNames.summarizedCount, 0, "no header summarized again")
        XCTAssertGreaterThanOrEqual(readBoth.headerNames.keptFollowed, 3, "the hs- headers followed from the kept reads")
        XCTAssertEqual(second.store.cache?.warnings, [])
        // The scanner's limit in hs-big.h is reported as reading it reports it.
        XCTAssertTrue(plain.store.problems.contains { $0.hasPrefix("include/linux/hs-big.h:1: ") }, "\(plain.store.problems)")
        XCTAssertEqual(second.store.problems, plain.store.problems)

        // A model derived from the read one, hs-first.h patched: what it declares now is seen,
        // and the names it redeclares are those a model without the snapshot finds.
        let patched = try write(
            ["include/linux/hs-first.h": try text("include/linux/hs-first.h", in: tree, repo) + "int hs_new(void);\n"],
            on: tree, to: repo)
        let changed: Set<String> = ["include/linux/hs-first.h"]
        let plainSession = try session(cacheIn: nil)
        let plainBase = plainSession.model(of: tree)
        _ = answers(plainBase, both)
        let plainDerived = plainSession.model(of: patched, base: plainBase, changedPaths: changed)
        let expectedDerived = answers(plainDerived, both)
        let derived = second.model(of: patched, base: readBoth, changedPaths: changed)
        XCTAssertEqual(answers(derived, both), expectedDerived)
        XCTAssertTrue(expectedDerived.contains { $0.hasPrefix("drivers/iommu/hs-a.c hs_new") && $0.contains("declared=true") })
        XCTAssertEqual(derived.headerGraph.redeclaredNames, plainDerived.headerGraph.redeclaredNames)
        XCTAssertEqual(derived.headerGraph.redeclaredNames, ["hs_new"])

        // Damaged: noted, not used, made again.
        try damage(try XCTUnwrap(snapshots().first))
        let third = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(answers(third.model(of: tree), both), expectedBoth)
        XCTAssertTrue(third.store.cache?.warnings.contains { $0.contains("damaged snapshot") } == true)
        third.finish()
        XCTAssertEqual(snapshots().count, 1, "made again")
        let fourth = try session(cacheIn: cacheDirectory)
        XCTAssertEqual(answers(fourth.model(of: tree), both), expectedBoth)
        XCTAssertEqual(fourth.store.cache?.warnings, [])

        // A run that reads one header more but not hs-b's: what it keeps still holds hs-b's.
        let fifth = try session(cacheIn: cacheDirectory)
        let partial = fifth.model(of: tree)
        XCTAssertEqual(answers(partial, [both[0]]), expectedA)
        XCTAssertTrue(partial.headerIndex(for: ["drivers/iommu/hs-c.c"]).isDeclared("hs_c"))
        XCTAssertEqual(partial.headerNames.summarizedCount, 1, "hs-c.h read")
        fifth.finish()
        let sixth = try session(cacheIn: cacheDirectory)
        let whole = sixth.model(of: tree)
        XCTAssertEqual(answers(whole, both), expectedBoth)
        XCTAssertTrue(whole.headerIndex(for: ["drivers/iommu/hs-c.c"]).isDeclared("hs_c"))
        XCTAssertEqual(whole.headerNames.summarizedCount, 0, "every header from the kept reads")
    }
}
