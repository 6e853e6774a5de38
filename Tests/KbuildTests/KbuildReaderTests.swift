import Kbuild
import XCTest

final class KbuildReaderTests: XCTestCase {
    func unit(_ map: KbuildMap, _ name: String) -> KbuildUnit? { map.units.first { $0.name == name } }

    func testObjectsCompositesAndDirectoryGates() {
        let map = KbuildReader.resolve(directories: [
            "drivers": "obj-$(CONFIG_IOMMU_SUPPORT)\t+= iommu/\n",
            "drivers/iommu": """
            # SPDX-License-Identifier: GPL-2.0
            obj-$(CONFIG_IOMMU_API) += iommu.o
            obj-$(CONFIG_ARM_SMMU) += arm-smmu.o arm-smmu-impl.o
            obj-$(CONFIG_ARM_SMMU_V3) += arm-smmu-v3.o
            obj-$(CONFIG_FOO) += foo-mod.o
            foo-mod-objs := foo-core.o \\
            	foo-hw.o
            foo-mod-$(CONFIG_FOO_DEBUG) += foo-debug.o
            obj-y += always.o
            lib-y += helper.o
            ifeq ($(CONFIG_BAR),y)
            obj-$(CONFIG_BAZ) += baz.o
            endif
            obj-n += never.o

            """,
        ])
        XCTAssertEqual(unit(map, "drivers/iommu/arm-smmu.ko")?.objects, ["drivers/iommu/arm-smmu.o"])
        XCTAssertEqual(
            unit(map, "drivers/iommu/arm-smmu-impl.ko")?.configs, ["IOMMU_SUPPORT", "ARM_SMMU"],
            "separate units, each gated by the dir and its own line")
        let foo = unit(map, "drivers/iommu/foo-mod.ko")
        XCTAssertEqual(
            Set(foo?.objects ?? []),
            ["drivers/iommu/foo-core.o", "drivers/iommu/foo-hw.o", "drivers/iommu/foo-debug.o"])
        XCTAssertEqual(unit(map, "drivers/iommu/always.ko")?.builtinOnly, true)
        XCTAssertEqual(unit(map, "drivers/iommu/helper.ko")?.builtinOnly, true)
        XCTAssertEqual(unit(map, "drivers/iommu/baz.ko")?.builtinOnly, true, "ifeq (...,y) forces built-in")
        XCTAssertNil(unit(map, "drivers/iommu/never.ko"))
        XCTAssertEqual(
            map.units(forSource: "drivers/iommu/foo-hw.c").map(\.name), ["drivers/iommu/foo-mod.ko"])
    }

    func testVariablesCommentsAndCRLF() {
        let file = KbuildReader.parse(
            path: "x/Makefile", text: "objs-common := a.o b.o # two\r\nobj-$(CONFIG_X) += $(objs-common)\r\n")
        XCTAssertEqual(file.assignments.last?.objects, ["a.o", "b.o"])
        XCTAssertEqual(file.assignments.last?.selector, "CONFIG_X")
    }

    func testUnterminatedBlockIsDiagnosed() {
        let file = KbuildReader.parse(path: "x/Makefile", text: "ifdef CONFIG_X\nobj-y += a.o\n")
        XCTAssertEqual(file.diagnostics.count, 1)
        XCTAssertEqual(file.diagnostics.first?.file, "x/Makefile")
    }
}
