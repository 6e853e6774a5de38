import Kbuild
import XCTest

/// kbuild Makefile corners: each test writes small kernel-like Makefiles.
final class KbuildResolutionTests: XCTestCase {
    func unit(_ map: KbuildMap, _ name: String) -> KbuildUnit? { map.units.first { $0.name == name } }

    func testCompositePartsCarryTheirOwnConditions() {
        let map = KbuildReader.resolve(directories: [
            "drivers/foo": """
            obj-$(CONFIG_FOO) += foo.o
            foo-y := foo-core.o
            foo-$(CONFIG_FOO_DEBUG) += foo-debug.o
            ifdef CONFIG_FOO_TRACE
            foo-y += foo-trace.o
            endif
            foo-n += foo-never.o
            obj-$(CONFIG_BAR) += bar.o
            bar-objs := bar-main.o sub/bar-hw.o ../shared/common.o

            """
        ])
        let foo = unit(map, "drivers/foo/foo.ko")
        XCTAssertEqual(
            foo?.objects, ["drivers/foo/foo-core.o", "drivers/foo/foo-debug.o", "drivers/foo/foo-trace.o"])
        XCTAssertEqual(foo?.objectConditions["drivers/foo/foo-debug.o"], ["FOO_DEBUG"])
        XCTAssertEqual(foo?.objectConditions["drivers/foo/foo-trace.o"], ["FOO_TRACE"])
        XCTAssertNil(foo?.objectConditions["drivers/foo/foo-core.o"])
        XCTAssertEqual(foo?.configs, ["FOO"])
        XCTAssertFalse(foo?.builtinOnly ?? true)
        XCTAssertEqual(
            unit(map, "drivers/foo/bar.ko")?.objects,
            ["drivers/foo/bar-main.o", "drivers/foo/sub/bar-hw.o", "drivers/shared/common.o"])
        XCTAssertEqual(map.units(forSource: "drivers/shared/common.c").map(\.name), ["drivers/foo/bar.ko"])
        XCTAssertNil(unit(map, "drivers/foo/foo-core.ko"), "a composite's part is not a unit of its own")
    }

    func testConditionalBlocksAreRecorded() {
        let file = KbuildReader.parse(
            path: "drivers/x/Makefile",
            text: """
                ifeq ($(CONFIG_A),y)
                obj-$(CONFIG_B) += ab.o
                else
                obj-$(CONFIG_B) += b-only.o
                endif
                ifneq ($(CONFIG_C),)
                obj-y += c-set.o
                endif
                ifndef CONFIG_D
                obj-m += no-d.o
                endif
                ifeq ($(ARCH),x86)
                obj-$(CONFIG_E) += e.o
                endif
                ifeq "$(CONFIG_F)" "y"
                obj-$(CONFIG_G) += fg.o
                endif

                """)
        XCTAssertEqual(file.diagnostics, [])
        let byObject = Dictionary(uniqueKeysWithValues: file.assignments.map { ($0.objects[0], $0.guards) })
        XCTAssertEqual(byObject["ab.o"], [KbuildGuard(config: "A", requiresBuiltin: true)])
        XCTAssertEqual(byObject["b-only.o"], [KbuildGuard(config: "A", requiresBuiltin: true, negated: true)])
        XCTAssertEqual(byObject["c-set.o"], [KbuildGuard(config: "C")])
        XCTAssertEqual(byObject["no-d.o"], [KbuildGuard(config: "D", negated: true)])
        XCTAssertEqual(byObject["e.o"], [], "a condition on something else is taken as 'maybe'")
        XCTAssertEqual(byObject["fg.o"], [KbuildGuard(config: "F", requiresBuiltin: true)])
    }

    func testUnitsOfConditionalBlocks() {
        let map = KbuildReader.resolve(directories: [
            "drivers/x":
                "ifeq ($(CONFIG_A),y)\nobj-$(CONFIG_B) += ab.o\nelse\nobj-$(CONFIG_B) += b-only.o\nendif\nifndef CONFIG_D\nobj-m += no-d.o\nendif\n"
        ])
        let ab = unit(map, "drivers/x/ab.ko")
        XCTAssertEqual(ab?.builtinOnly, true, "ifeq (...,y) forces built-in")
        XCTAssertEqual(ab?.configs, ["A", "B"])
        XCTAssertEqual(ab?.condition.description, "CONFIG_A=y && CONFIG_B")
        let bOnly = unit(map, "drivers/x/b-only.ko")
        XCTAssertEqual(bOnly?.builtinOnly, false)
        XCTAssertEqual(bOnly?.configs, ["B"], "a negated requirement is no gating config")
        XCTAssertEqual(bOnly?.condition.requirements.first?.negated, true)
        XCTAssertEqual(unit(map, "drivers/x/no-d.ko")?.builtinOnly, false)
    }

    func testContinuationsVariablesAndFunctions() {
        let file = KbuildReader.parse(
            path: "x/Makefile",
            text: """
                common := a.o \\
                	b.o # comment \\
                	still-comment.o
                common += c.o
                later ?= ignored.o
                later ?= second.o
                parts := $(addprefix hw/,d.o e.o) $(addsuffix .o,f)
                obj-$(CONFIG_X) += $(common) $(later)
                obj-${CONFIG_Y} += braces.o
                export obj-$(CONFIG_Z) += $(parts)
                define RECIPE
                obj-y += inside-define.o
                endef
                prog: prog.o
                	$(CC) -o obj-y=nothing.o

                """)
        XCTAssertEqual(file.diagnostics, [])
        let objectLists = file.assignments.filter { $0.list == "obj" }
        XCTAssertEqual(
            objectLists.map(\.objects),
            [
                ["a.o", "b.o", "c.o", "ignored.o"], ["braces.o"], ["hw/d.o", "hw/e.o", "f.o"],
            ])
        XCTAssertEqual(objectLists.map(\.selector), ["CONFIG_X", "CONFIG_Y", "CONFIG_Z"])
        XCTAssertEqual(objectLists.map(\.line), [8, 9, 10])
    }

    func testDirectoryDescentAndRoots() {
        let map = KbuildReader.resolve(
            files: [
                "Makefile":
                    "drivers-y := drivers/ sound/\ndrivers-$(CONFIG_SAMPLES) += samples/\ncore-y += kernel/\n",
                "Kbuild": "always := bounds.h\n",
                "arch/foo/Makefile":
                    "core-y += arch/foo/\ncore-y += arch/foo/kernel/\ndrivers-$(CONFIG_PCI) += arch/foo/pci/\nhead-y := arch/foo/kernel/head.o\n",
                "arch/foo/Kbuild": "obj-y += mm/\n",
                "arch/foo/mm/Makefile": "obj-y += init.o\n",
                "arch/foo/kernel/Makefile": "obj-y += setup.o\n",
                "arch/foo/pci/Makefile": "obj-y += common.o\n",
                "drivers/Makefile":
                    "obj-$(CONFIG_IOMMU_SUPPORT) += iommu/\nobj-y += base/\nobj-$(CONFIG_NET) += net/\nobj-$(CONFIG_ETH) += net/\n",
                "drivers/iommu/Makefile":
                    "obj-$(CONFIG_ARM_SMMU) += arm-smmu.o arm-smmu-impl.o\nobj-$(CONFIG_IOMMU_SUPPORT) += again.o\nobj-y += sub/\n",
                "drivers/iommu/Kbuild": nil,
                "drivers/iommu/sub/Makefile": "obj-$(CONFIG_SUB) += deep.o\n",
                "drivers/base/Makefile": "obj-y += core.o\nobj-y += core.o\nobj-y += ./dot.o sub//slashes.o\n",
                "drivers/net/Makefile": "obj-m += netmod.o\n",
                "samples/Makefile": "obj-$(CONFIG_SAMPLE_X) += x.o\n",
                "orphan/Makefile": "obj-$(CONFIG_ORPHAN) += lonely.o\n",
                "tools/testing/Makefile": "obj-m += test-module.o\n",
            ].compactMapValues { $0 })
        XCTAssertEqual(map.diagnostics, [])
        XCTAssertEqual(unit(map, "drivers/iommu/arm-smmu.ko")?.configs, ["IOMMU_SUPPORT", "ARM_SMMU"])
        XCTAssertEqual(
            unit(map, "drivers/iommu/arm-smmu-impl.ko")?.objects, ["drivers/iommu/arm-smmu-impl.o"])
        XCTAssertEqual(
            unit(map, "drivers/iommu/again.ko")?.configs, ["IOMMU_SUPPORT"], "named twice, kept once, last")
        XCTAssertEqual(unit(map, "drivers/iommu/sub/deep.ko")?.configs, ["IOMMU_SUPPORT", "SUB"])
        XCTAssertEqual(unit(map, "drivers/base/core.ko")?.configs, [])
        XCTAssertEqual(map.units.filter { $0.name == "drivers/base/core.ko" }.count, 1, "the same line twice, one unit")
        XCTAssertEqual(unit(map, "drivers/base/dot.ko")?.objects, ["drivers/base/dot.o"])
        XCTAssertEqual(unit(map, "drivers/base/sub/slashes.ko")?.objects, ["drivers/base/sub/slashes.o"])
        XCTAssertEqual(
            unit(map, "drivers/net/netmod.ko")?.configs, ["NET"], "first of two conditional entries")
        XCTAssertEqual(
            unit(map, "samples/x.ko")?.configs, ["SAMPLES", "SAMPLE_X"], "top Makefile root lists")
        XCTAssertEqual(unit(map, "arch/foo/pci/common.ko")?.configs, ["PCI"], "arch Makefile, tree-relative")
        XCTAssertEqual(unit(map, "arch/foo/mm/init.ko")?.builtinOnly, true, "Kbuild wins over Makefile")
        XCTAssertEqual(unit(map, "arch/foo/kernel/head.ko")?.builtinOnly, true)
        XCTAssertNil(unit(map, "orphan/lonely.ko"), "a directory the top-level descent never reaches is not built")
        XCTAssertNil(unit(map, "tools/testing/test-module.ko"), "tools/ is built by its own Makefiles, not kbuild's descent")
        XCTAssertEqual(map.reachableDirectories?.contains("drivers/iommu/sub"), true)
        XCTAssertEqual(
            map.unreachedObjects, ["orphan/lonely.o"],
            "objects of unreached kbuild Makefiles are listed (their exports count); tools/ is not kbuild's")
        XCTAssertEqual(map.objectToUnits["drivers/iommu/arm-smmu.o"]?.count, 1)
        XCTAssertEqual(
            map.units(forSource: "drivers/iommu/arm-smmu.c").first?.makefile, "drivers/iommu/Makefile")
        XCTAssertEqual(map.units(forSource: "drivers/iommu/arm-smmu.c").first?.line, 1)
        XCTAssertEqual(
            map.objects.first { $0.path == "drivers/iommu/sub/deep.o" }?.source, "drivers/iommu/sub/deep.c")
        XCTAssertEqual(map.units(forSource: "drivers/iommu/arm-smmu.h"), [])
    }

    func testConditionalVariableIdiom() {
        let map = KbuildReader.resolve(directories: [
            "mm": "mmu-y := nommu.o\nmmu-$(CONFIG_MMU) := highmem.o memory.o\nobj-y := core.o $(mmu-y)\n",
            "drivers/p":
                "p-obj-$(CONFIG_BOARD_A) += board-a.o\nobj-$(CONFIG_P) += p.o\np-y := p-main.o $(p-obj-y)\n",
        ])
        XCTAssertEqual(unit(map, "mm/highmem.ko")?.configs, ["MMU"])
        XCTAssertEqual(unit(map, "mm/highmem.ko")?.builtinOnly, true)
        XCTAssertEqual(
            unit(map, "mm/nommu.ko")?.configs, [], "the unconditional value stays (over-approximated)")
        XCTAssertEqual(unit(map, "mm/core.ko")?.configs, [])
        let p = unit(map, "drivers/p/p.ko")
        XCTAssertEqual(p?.objects, ["drivers/p/p-main.o", "drivers/p/board-a.o"])
        XCTAssertEqual(p?.objectConditions["drivers/p/board-a.o"], ["BOARD_A"])
    }

    func testAnObjectInSeveralUnits() {
        let map = KbuildReader.resolve(directories: [
            "lib":
                "obj-$(CONFIG_A) += a.o\na-objs := shared.o a-main.o\nobj-$(CONFIG_B) += b.o\nb-objs := shared.o b-main.o\n"
        ])
        XCTAssertEqual(Set(map.units(forSource: "lib/shared.c").map(\.name)), ["lib/a.ko", "lib/b.ko"])
        XCTAssertEqual(map.units(forSource: "lib/shared.S").count, 2)
    }

    func testMalformedMakefilesAreDiagnosedNotFatal() {
        let file = KbuildReader.parse(
            path: "x/Makefile", text: "else\nendif\nifdef CONFIG_A\nobj-y += a.o \\")
        XCTAssertEqual(file.diagnostics.map(\.line), [1, 2, 4])
        var seed: UInt64 = 42
        let pieces = [
            "obj-", "$(", "${", ")", "}", "CONFIG_X", " += ", ":=", "a.o ", "dir/ ", "\\\n", "\n", "ifeq (",
            ",y)\n", "else\n", "endif\n", "#", "-objs", "-y", "\r\n", "define x\n", "endef\n", "\t",
        ]
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<40 {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text += pieces[Int((seed >> 33) % UInt64(pieces.count))]
            }
            _ = KbuildReader.resolve(directories: ["x": text, "": "obj-y += x/\n" + text])
        }
    }
}

/// The top-level descent in its three shapes: root lists in the top Makefile beside a top Kbuild
/// (v5.4), `obj-y += dir/` in the top Kbuild with `arch/$(SRCARCH)/` (v6.1), and a partial tree
/// that names no descent at all.
final class KbuildDescentTests: XCTestCase {
    func testRootListsOfATopMakefileBesideATopKbuild() {
        let map = KbuildReader.resolve(
            directories: [
                "": "always := bounds.h\n",
                "drivers": "obj-y += base/\n",
                "drivers/base": "obj-y += core.o\n",
                "lib": "obj-y += sort.o\n",
                "lib/raid6/test": "obj-y += test.o\n",
                "samples": "obj-$(CONFIG_SAMPLE_KOBJECT) += kobject/\n",
                "samples/kobject": "obj-m += kobject-example.o\n",
                "tools/testing/nvdimm": "obj-m += nfit_test.o\n",
            ],
            rootMakefiles: ["": "drivers-y := drivers/\nlibs-y := lib/\ndrivers-$(CONFIG_SAMPLES) += samples/\n"])
        let names = Set(map.units.map(\.name))
        XCTAssertTrue(names.contains("drivers/base/core.ko"))
        XCTAssertTrue(names.contains("lib/sort.ko"))
        XCTAssertEqual(
            map.units.first { $0.name == "samples/kobject/kobject-example.ko" }?.configs,
            ["SAMPLES", "SAMPLE_KOBJECT"], "samples/ are built only with CONFIG_SAMPLES")
        XCTAssertFalse(names.contains("lib/raid6/test/test.ko"), "lib/raid6/Makefile never names test/")
        XCTAssertFalse(names.contains("tools/testing/nvdimm/nfit_test.ko"))
    }

    func testTopKbuildObjectsWithTheArchitectureVariable() {
        let map = KbuildReader.resolve(directories: [
            "": "obj-y += init/\nobj-y += arch/$(SRCARCH)/\nobj-y += drivers/\n",
            "init": "obj-y += main.o\n",
            "arch/x86": "obj-y += kernel/\n",
            "arch/x86/kernel": "obj-y += setup.o\n",
            "arch/arm64": "obj-y += kernel/\n",
            "arch/arm64/kernel": "obj-y += setup.o\n",
            "drivers": "obj-$(CONFIG_IOMMU_SUPPORT) += iommu/\n",
            "drivers/iommu": "obj-$(CONFIG_FOO) += foo.o\n",
            "scripts/mod": "obj-y += modpost.o\n",
        ])
        let names = Set(map.units.map(\.name))
        XCTAssertEqual(
            names,
            [
                "init/main.ko", "arch/x86/kernel/setup.ko", "arch/arm64/kernel/setup.ko",
                "drivers/iommu/foo.ko",
            ])
    }

    func testARootListNamingTheArchitectureThroughTheTopMakefilesOwnVariables() {
        // v5.15's shape: `core-y := init/ usr/ arch/$(SRCARCH)/` in the top Makefile, where
        // SRCARCH is `$(ARCH)`, ARCH `?= $(SUBARCH)` and SUBARCH a `$(shell uname -m ...)`: the
        // variable names every architecture, not the text of the host's shell command.
        let top = """
            SUBARCH := $(shell uname -m | sed -e s/i.86/x86/ -e s/sun4u/sparc64/)
            ARCH\t\t?= $(SUBARCH)
            SRCARCH \t:= $(ARCH)
            ifeq ($(KBUILD_EXTMOD),)
            core-y\t\t:= init/ usr/ arch/$(SRCARCH)/
            drivers-y\t:= drivers/
            endif

            """
        let map = KbuildReader.resolve(
            directories: [
                "": "always := bounds.h\n",
                "init": "obj-y += main.o\n",
                "arch/powerpc": "obj-y += mm/\n",
                "arch/powerpc/mm": "obj-$(CONFIG_NUMA) += numa.o\n",
                "arch/x86": "obj-y += mm/\n",
                "arch/x86/mm": "obj-y += init.o\n",
                "drivers": "obj-y += base/\n",
                "drivers/base": "obj-y += core.o\n",
            ],
            rootMakefiles: ["": top, "arch/x86": "drivers-$(CONFIG_PCI) += arch/x86/pci/\n"])
        let names = Set(map.units.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["arch/powerpc/mm/numa.ko", "arch/x86/mm/init.ko", "init/main.ko"]))
        XCTAssertTrue(names.contains("drivers/base/core.ko"))
    }

    func testAPartialTreeWithoutDescentTakesEveryDirectoryAsBuilt() {
        let map = KbuildReader.resolve(directories: [
            "drivers/iommu": "obj-$(CONFIG_FOO) += foo.o\n",
            "drivers/pci": "obj-$(CONFIG_PCI) += pci.o\n",
        ])
        XCTAssertNil(map.reachableDirectories)
        XCTAssertEqual(Set(map.units.map(\.name)), ["drivers/iommu/foo.ko", "drivers/pci/pci.ko"])
    }
}

extension KbuildDescentTests {
    func testAnIncludedFragmentListsObjects() {
        // habanalabs' Makefile includes common/Makefile, which names the objects of the module.
        let files = [
            "drivers/misc/hl/common/Makefile": "HL_COMMON_FILES := common/hl_drv.o common/device.o\n"
        ]
        let map = KbuildReader.resolve(
            directories: [
                "drivers/misc/hl":
                    "obj-$(CONFIG_HL) := hl.o\ninclude $(src)/common/Makefile\nhl-y += $(HL_COMMON_FILES)\n"
            ], read: { files[$0] })
        XCTAssertEqual(
            map.units.first { $0.name == "drivers/misc/hl/hl.ko" }?.objects,
            ["drivers/misc/hl/common/hl_drv.o", "drivers/misc/hl/common/device.o"])
        XCTAssertEqual(map.makefiles["drivers/misc/hl"]?.included, ["drivers/misc/hl/common/Makefile"])
    }
}
