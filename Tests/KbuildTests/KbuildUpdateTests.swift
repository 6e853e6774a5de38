@testable import Kbuild
import XCTest

/// A kbuild map updated for changed Makefiles equals one resolved from scratch; the Makefiles
/// whose change reaches only their own directory's units (an object line, a composite part, a
/// moved line) have just those units made again, the others (a changed descent, an object
/// another directory names too, an unreached directory) are resolved in full.
final class KbuildUpdateTests: XCTestCase {
    static let tree: [String: String] = [
        "": "obj-y += drivers/\n",
        "drivers": "obj-y += core.o\nobj-$(CONFIG_IOMMU_SUPPORT) += iommu/\nobj-y += base/\nobj-y += shared/\nobj-$(CONFIG_PCI) += pci/\n",
        "drivers/iommu":
            "obj-$(CONFIG_IOMMU_API) += iommu.o\nobj-$(CONFIG_ARM_SMMU) += arm-smmu.o\narm-smmu-objs := arm-smmu-core.o arm-smmu-impl.o\n",
        "drivers/base": "obj-y += core.o\nobj-y += ../shared/helper.o\n",
        "drivers/shared": "obj-y += util.o\n",
        "drivers/pci": "obj-y += pci.o\nifdef CONFIG_PCI_ATS\nobj-y += ats.o\nendif\n",
        "tools/x": "obj-y += tool.o\n",
    ]

    /// The Makefiles of the map being updated, by directory.
    var files = KbuildUpdateTests.tree

    /// `base` updated by `edits` (nil: the directory lost its Makefile); whether only the changed
    /// directories were made again. The result must equal a full resolve of the new files.
    func update(_ base: KbuildMap, _ edits: [String: String?], _ label: String) throws -> (KbuildMap, Bool) {
        for (dir, text) in edits { files[dir] = text }
        let parsedFiles = files.compactMapValues { $0 }
        var parsed = base.makefiles
        for (dir, text) in edits { parsed[dir] = text.map { KbuildReader.parse(path: dir + "/Makefile", text: $0) } }
        let redone = KbuildReader.redone(base, directories: edits.keys.sorted(), parsed: parsed) != nil
        let updated = try XCTUnwrap(KbuildReader.resolve(updating: base, directories: edits), label)
        let fresh = KbuildReader.resolve(directories: parsedFiles)
        XCTAssertEqual(updated.units, fresh.units, label)
        XCTAssertEqual(updated.objectToUnits, fresh.objectToUnits, label)
        XCTAssertEqual(updated.diagnostics, fresh.diagnostics, label)
        XCTAssertEqual(updated.unreachedObjects, fresh.unreachedObjects, label)
        XCTAssertEqual(updated.reachableDirectories, fresh.reachableDirectories, label)
        return (updated, redone)
    }

    func testUpdatedMapsEqualFreshOnes() throws {
        var map = KbuildReader.resolve(directories: KbuildUpdateTests.tree)
        XCTAssertEqual(map.units.first { $0.name == "drivers/shared/helper.ko" }?.makefile, "drivers/base/Makefile")
        let iommu = KbuildUpdateTests.tree["drivers/iommu"]!
        var redone: Bool
        // Only the directory's own units change: made again in place.
        (map, redone) = try update(map, ["drivers/iommu": iommu + "obj-$(CONFIG_NEW_IOMMU) += new-iommu.o\n"], "new object")
        XCTAssertTrue(redone)
        XCTAssertTrue(map.units.contains { $0.name == "drivers/iommu/new-iommu.ko" })
        (map, redone) = try update(
            map, ["drivers/iommu": "\n" + iommu.replacingOccurrences(of: "arm-smmu-impl.o", with: "arm-smmu-impl.o arm-smmu-qcom.o")],
            "composite part, lines moved")
        XCTAssertTrue(redone)
        (map, redone) = try update(
            map, ["drivers/iommu": iommu, "drivers/pci": "obj-y += pci.o probe.o\n"], "two directories, an ifdef dropped")
        XCTAssertTrue(redone)
        // Reaches beyond the directory: resolved in full.
        // Another directory's `../` object in this one: its units change alone (units of two
        // files never merge); naming the same object here too shares it: resolved in full.
        (map, redone) = try update(map, ["drivers/shared": "obj-y += util.o more.o\n"], "a directory another one's ../ object lands in")
        XCTAssertTrue(redone)
        (map, redone) = try update(map, ["drivers/shared": "obj-y += util.o helper.o\n"], "an object another directory names too")
        XCTAssertFalse(redone)
        (map, redone) = try update(map, ["tools/x": "obj-y += tool.o other.o\n"], "an unreached directory")
        XCTAssertFalse(redone)
        (map, redone) = try update(
            map, ["drivers": KbuildUpdateTests.tree["drivers"]! + "obj-y += new/\n", "drivers/new": "obj-y += new.o\n"],
            "a new subdirectory")
        XCTAssertFalse(redone)
        (map, redone) = try update(
            map, ["drivers": KbuildUpdateTests.tree["drivers"]!.replacingOccurrences(of: "CONFIG_PCI", with: "CONFIG_PCI_HOST")],
            "a changed gate")
        XCTAssertFalse(redone)
        (map, redone) = try update(map, ["drivers/pci": nil], "a Makefile removed")
        XCTAssertFalse(redone)
    }

    /// A map read back from a snapshot has no layout: it is worked out once from its files.
    func testAMapWithoutLayoutWorksItOut() throws {
        let full = KbuildReader.resolve(directories: KbuildUpdateTests.tree)
        var kept = KbuildMap(units: full.units, diagnostics: full.diagnostics)
        kept.makefiles = full.makefiles
        kept.rootMakefiles = full.rootMakefiles
        kept.reachableDirectories = full.reachableDirectories
        kept.unreachedObjects = full.unreachedObjects
        XCTAssertNil(kept.layout.get())
        let (_, redone) = try update(kept, ["drivers/iommu": "obj-y += iommu.o\n"], "from a kept map")
        XCTAssertTrue(redone)
        XCTAssertNotNil(kept.layout.get())
    }
}
