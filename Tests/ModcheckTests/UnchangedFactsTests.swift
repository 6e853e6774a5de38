import CSource
import Facts
import Foundation
import Git
import Report
import Rules
@testable import Workflows
import XCTest

/// Rule runs follow the facts: a commit or patch that only moves code (a comment, a blank line)
/// or touches files no model reads is answered from the facts of the files it touches, without a
/// model; the answer is the one a full check gives. One that changes what a rule reads (a new
/// call, a Kconfig line, a file added) is checked in full.
extension LogTests {
    func testCommitsThatChangeNoFactAreAnsweredAsAFullCheckAnswersThem() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        var base = catalog.exampleBase
        let driver = "drivers/iommu/foo-iommu.c"
        // A state finding (an unexported symbol used by a module) whose line every edit below moves.
        base[driver] = base[driver]!.replacingOccurrences(
            of: "\tif (ret)\n\t\treturn ret;\n", with: "\tif (ret || pci_ats_disabled())\n\t\treturn ret;\n")
        base["Documentation/iommu/foo.rst"] = "Foo IOMMU\n=========\n"
        base["drivers/pci/pci.c"]! += "int pci_ats_page_aligned(struct pci_dev *pdev)\n{\n\treturn 1;\n}\n"
        base["include/linux/pci.h"] = base["include/linux/pci.h"]!.replacingOccurrences(
            of: "bool pci_ats_disabled(void);\n", with: "bool pci_ats_disabled(void);\nint pci_ats_page_aligned(struct pci_dev *pdev);\n")
        var comment = base
        comment[driver] = "/* Foo IOMMU: a comment that moves every line below it. */\n\n" + base[driver]!
        var docs = comment
        docs["Documentation/iommu/foo.rst"] = "Foo IOMMU\n=========\n\nIt translates.\n"
        var call = docs
        call[driver] = docs[driver]!.replacingOccurrences(
            of: "\tif (ret || pci_ats_disabled())\n", with: "\tif (ret || pci_ats_disabled() || pci_ats_page_aligned(NULL))\n")
        var kbuild = call
        kbuild["drivers/iommu/Makefile"] = call["drivers/iommu/Makefile"]! + "# a comment kbuild reads past\n"
        var added = kbuild
        added["drivers/iommu/foo-notes.h"] = "/* nothing */\n"
        let dir = Fixtures.temporaryDirectory("unchanged-facts")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try Fixtures.createRepository(
            at: dir,
            commits: [
                ("base", base), ("a comment", comment), ("docs", docs), ("a call", call), ("a Makefile comment", kbuild),
                ("a header added", added),
            ])
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let session = try Session(options: options, catalog: catalog)
        let repo = session.repository
        func noFacts(_ i: Int) throws -> Bool {
            let parent = try repo.tree(ofCommit: ids[i - 1])
            return session.changesNoFacts(
                parentTree: parent, changes: try repo.changedFiles(from: parent, to: try repo.tree(ofCommit: ids[i])))
        }
        XCTAssertEqual(try (1..<ids.count).map(noFacts), [true, true, false, false, false])
        XCTAssertFalse(
            session.changesNoFacts(parentTree: try repo.tree(ofCommit: ids[0]), changes: [:]),
            "no change at all is checked as before (reading the trees tells a damaged repository)")

        // Each commit alone (the shortcut serves a range's first commit) and the whole range:
        // the same report as a full check's.
        func report(_ range: String, followFacts: Bool) throws -> String {
            let s = try Session(options: options, catalog: catalog)
            s.followsFacts = followFacts
            return ReportRenderer.render(try LogCheck.run(session: s, range: range), format: .json, catalog: catalog)
        }
        for i in 1..<ids.count {
            let range = "\(ids[i - 1].hex)..\(ids[i].hex)"
            XCTAssertEqual(try report(range, followFacts: true), try report(range, followFacts: false), range)
        }
        let whole = "\(ids[0].hex)..\(ids[ids.count - 1].hex)"
        XCTAssertEqual(try report(whole, followFacts: true), try report(whole, followFacts: false))
        let single = try LogCheck.run(session: try Session(options: options, catalog: catalog), range: "\(ids[0].hex)..\(ids[1].hex)")
        XCTAssertEqual(single.sections.map(\.title), ["a comment"])
        XCTAssertEqual(single.sections.first?.findings.count, 0)
        let newCall = try LogCheck.run(
            session: try Session(options: options, catalog: catalog), range: "\(ids[2].hex)..\(ids[3].hex)")
        XCTAssertEqual(newCall.sections.first?.findings.map(\.symbol), ["pci_ats_page_aligned"], "a new call is checked")
    }

    /// What moving code leaves alone: every line number, and nothing else.
    func testFactsWithoutPositionsIgnoreLinesOnly() {
        let text = "#include <linux/module.h>\nstatic int helper(void)\n{\n\treturn foo();\n}\nEXPORT_SYMBOL(bar);\nint bar(void) { return helper(); }\n"
        func facts(_ s: String) -> SourceFacts {
            CSourceScanner.scan(path: "a.c", text: s, depth: .full)
        }
        let original = facts(text)
        XCTAssertEqual(facts("\n/* moved */\n" + text).withoutPositions, original.withoutPositions)
        XCTAssertNotEqual(facts("\n/* moved */\n" + text), original)
        XCTAssertNotEqual(facts(text.replacingOccurrences(of: "foo()", with: "foo() + baz()")).withoutPositions, original.withoutPositions)
        XCTAssertNotEqual(facts(text.replacingOccurrences(of: "static int helper", with: "int helper")).withoutPositions, original.withoutPositions)
    }
}
