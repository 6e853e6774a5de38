import Foundation
import Kbuild
@testable import Model
@testable import Workflows
import XCTest

/// A whole tree's kbuild map as a model resolves it (its Makefiles parsed on every core, an
/// included fragment read from the tree): the directories the top Makefile's root lists descend
/// into, the objects an included fragment adds, what the reader resolves from the same texts.
final class KbuildModelTests: XCTestCase {
    func testAWholeTreesKbuildFollowsItsRootListsAndIncludes() throws {
        var files: [String: String] = [
            "Makefile": "drivers-y := drivers/\nlibs-y := lib/\n",
            "Kbuild": "always := bounds.h\n",
            "Kconfig": "config MODULES\n\tbool \"modules\"\n\toption modules\n",
            "drivers/Makefile": "obj-y += iommu/\n",
            "drivers/iommu/Makefile": "obj-$(CONFIG_FOO) += foo.o\ninclude $(src)/extra.mk\n",
            "drivers/iommu/extra.mk": "obj-$(CONFIG_BAR) += bar.o\n",
            "lib/Makefile": "obj-y += sort.o\n",
            "samples/Makefile": "obj-m += sample.o\n",
        ]
        files["Kconfig"]! += "config FOO\n\ttristate \"foo\"\nconfig BAR\n\ttristate \"bar\"\n"
        // Many directories, so that parsing is spread over the workers.
        for i in 0..<200 {
            files["drivers/iommu/Makefile"]! += "obj-$(CONFIG_FOO) += gen\(i)/\n"
            files["drivers/iommu/gen\(i)/Makefile"] = "obj-$(CONFIG_FOO) += gen\(i).o\n"
            files["drivers/iommu/gen\(i)/gen\(i).c"] = "int gen\(i);\n"
        }
        for name in ["drivers/iommu/foo.c", "drivers/iommu/bar.c", "lib/sort.c", "samples/sample.c"] {
            files[name] = "int x;\n"
        }
        let dir = Fixtures.temporaryDirectory("kbuild-model")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Fixtures.createRepository(at: dir, commits: [("tree", files)])
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let session = try Session(options: options)
        let model = session.model(of: try session.tree(at: "HEAD"))
        let units = Set(model.units.map(\.name))
        XCTAssertTrue(units.isSuperset(of: ["drivers/iommu/foo.ko", "drivers/iommu/bar.ko"]), "\(units.sorted())")
        XCTAssertTrue(units.contains("drivers/iommu/gen199/gen199.ko"))
        XCTAssertFalse(units.contains("samples/sample.ko"), "samples/ is named by no root list")
        XCTAssertEqual(model.kbuild.makefiles["drivers/iommu"]?.included, ["drivers/iommu/extra.mk"])
        let read = KbuildReader.resolve(
            directories: files.filter { $0.key.hasSuffix("/Makefile") }.reduce(into: [:]) {
                $0[String($1.key.dropLast("/Makefile".count))] = $1.value
            }.merging(["": files["Kbuild"]!]) { a, _ in a },
            rootMakefiles: ["": files["Makefile"]!], read: { files[$0] })
        XCTAssertEqual(model.kbuild.units.map(\.name).sorted(), read.units.map(\.name).sorted())
    }
}
