import Foundation
import Git
import Report
import Rules
import Workflows
import XCTest

/// `log` over a history built with the Git layer: a driver goes tristate before the export it
/// needs, the export arrives, is later removed, and is restored.
final class LogTests: XCTestCase {
    func testIntroducedAndFixedAtTheRightCommits() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        var files = catalog.exampleBase
        func edit(_ path: String, _ old: String, _ new: String) {
            files[path] = files[path]!.replacingOccurrences(of: old, with: new)
        }
        // Start: the driver is bool and uses an unexported helper.
        edit("drivers/iommu/Kconfig", "\ttristate \"Foo IOMMU driver\"\n", "\tbool \"Foo IOMMU driver\"\n")
        edit(
            "drivers/iommu/foo-iommu.c", "\tif (ret)\n\t\treturn ret;\n",
            "\tif (ret || pci_ats_disabled())\n\t\treturn ret;\n")
        var commits: [(message: String, files: [String: String])] = [("base", files)]
        for i in 1...20 {
            files["Documentation/notes-\(i).txt"] = "note \(i)\n"
            commits.append(("docs \(i)", files))
        }
        edit("drivers/iommu/Kconfig", "\tbool \"Foo IOMMU driver\"\n", "\ttristate \"Foo IOMMU driver\"\n")
        commits.append(("iommu/foo: Allow building as a module", files))  // 21: required-export introduced
        for i in 21...30 {
            files["Documentation/notes-\(i).txt"] = "note \(i)\n"
            commits.append(("docs \(i)", files))
        }
        edit(
            "drivers/pci/pci.c", "\treturn ats_off;\n}\n",
            "\treturn ats_off;\n}\nEXPORT_SYMBOL_GPL(pci_ats_disabled);\n")
        commits.append(("PCI: Export pci_ats_disabled()", files))  // 32: fixed
        edit("drivers/pci/pci.c", "EXPORT_SYMBOL_GPL(pci_ats_disabled);\n", "")
        commits.append(("PCI: Remove unnecessary export", files))  // 33: export-removed-in-use
        for i in 31...45 {
            files["Documentation/notes-\(i).txt"] = "note \(i)\n"
            commits.append(("docs \(i)", files))
        }
        edit(
            "drivers/pci/pci.c", "\treturn ats_off;\n}\n",
            "\treturn ats_off;\n}\nEXPORT_SYMBOL_GPL(pci_ats_disabled);\n")
        commits.append(("PCI: Restore the export", files))  // 49: fixed again
        let dir = Fixtures.temporaryDirectory("log")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try Fixtures.createRepository(at: dir, commits: commits)
        XCTAssertEqual(ids.count, 50)
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let session = try Session(options: options, catalog: catalog)
        let report = try LogCheck.run(session: session, range: "\(ids[0].hex)..HEAD")
        XCTAssertEqual(report.sections.count, 49)
        func section(_ subject: String) -> CheckSection? { report.sections.first { $0.title == subject } }
        XCTAssertEqual(
            section("iommu/foo: Allow building as a module")?.findings.map(\.rule), ["required-export"])
        XCTAssertEqual(section("PCI: Export pci_ats_disabled()")?.fixed.map(\.rule), ["required-export"])
        XCTAssertEqual(
            section("PCI: Remove unnecessary export")?.findings.map(\.rule), ["export-removed-in-use"])
        XCTAssertEqual(section("PCI: Restore the export")?.fixed.map(\.rule), ["required-export"])
        let quiet = report.sections.filter { ($0.title ?? "").hasPrefix("docs") }
        XCTAssertTrue(quiet.allSatisfy { $0.findings.isEmpty && $0.fixed.isEmpty })
        XCTAssertEqual(report.exitCode, 1)
    }
}

extension LogTests {
    /// A root commit is compared with the empty tree: everything it holds is new, and what it
    /// breaks is its finding (before, its own tree was taken as its parent's and nothing showed).
    func testRootCommitIsCheckedAgainstTheEmptyTree() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        var files = catalog.exampleBase
        files["drivers/iommu/foo-iommu.c"] = files["drivers/iommu/foo-iommu.c"]!.replacingOccurrences(
            of: "\tif (ret)\n\t\treturn ret;\n", with: "\tif (ret || pci_ats_disabled())\n\t\treturn ret;\n")
        let dir = Fixtures.temporaryDirectory("log-root")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try Fixtures.createRepository(at: dir, commits: [("initial import", files)])
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let session = try Session(options: options, catalog: catalog)
        let report = try LogCheck.run(session: session, range: ids[0].hex)
        XCTAssertEqual(report.sections.map(\.title), ["initial import"])
        XCTAssertEqual(report.sections.first?.findings.map(\.rule), ["required-export"])
    }

    func testSinceAndAllParents() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        var base = catalog.exampleBase
        base["drivers/iommu/Kconfig"] = base["drivers/iommu/Kconfig"]!.replacingOccurrences(
            of: "\ttristate \"Foo IOMMU driver\"\n", with: "\tbool \"Foo IOMMU driver\"\n")
        base["drivers/iommu/foo-iommu.c"] = base["drivers/iommu/foo-iommu.c"]!.replacingOccurrences(
            of: "\tif (ret)\n\t\treturn ret;\n", with: "\tif (ret || pci_ats_disabled())\n\t\treturn ret;\n")
        var broken = base
        broken["drivers/iommu/Kconfig"] = base["drivers/iommu/Kconfig"]!.replacingOccurrences(
            of: "\tbool \"Foo IOMMU driver\"\n", with: "\ttristate \"Foo IOMMU driver\"\n")
        var docs = base
        docs["README"] = "docs\n"
        var merged = broken
        merged["README"] = "docs\n"
        let dir = Fixtures.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try Git.Repository.create(at: dir, bare: false)
        func commit(_ files: [String: String], _ parents: [ObjectID], _ message: String, _ time: Int64) throws
            -> ObjectID
        {
            let tree = try repo.writeTree(files: files.mapValues { Array($0.utf8) })
            return try repo.createCommit(
                tree: tree, parents: parents, message: message,
                author: Signature(name: "t", email: "t@example.invalid", time: time),
                updateRef: "HEAD")
        }
        let root = try commit(base, [], "base", 1_600_000_000)
        let a = try commit(broken, [root], "iommu/foo: tristate", 1_600_000_100)
        let b = try commit(docs, [root], "docs", 1_600_000_200)
        _ = try commit(merged, [b, a], "Merge branch 'foo'", 1_600_000_300)
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let firstParent = try LogCheck.run(
            session: try Session(options: options, catalog: catalog), range: "\(root.hex)..HEAD")
        let merge = firstParent.sections.filter { $0.title == "Merge branch 'foo'" }
        XCTAssertEqual(merge.count, 1)
        XCTAssertEqual(
            merge[0].findings.map(\.rule), ["required-export"],
            "against its first parent the merge brings the flip")
        let all = try LogCheck.run(
            session: try Session(options: options, catalog: catalog), range: "\(root.hex)..HEAD",
            allParents: true)
        let both = all.sections.filter { ($0.title ?? "").hasPrefix("Merge branch 'foo'") }
        XCTAssertEqual(both.count, 2)
        XCTAssertEqual(
            both[1].findings.count, 0, "against the branch that made the flip, the merge adds nothing")
        let later = try LogCheck.run(
            session: try Session(options: options, catalog: catalog), range: "\(root.hex)..HEAD",
            since: Date(timeIntervalSince1970: 1_600_000_250))
        XCTAssertEqual(later.sections.map(\.title), ["Merge branch 'foo'"])
    }
}
