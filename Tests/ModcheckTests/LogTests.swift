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
