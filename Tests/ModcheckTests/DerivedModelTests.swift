import Facts
import Foundation
import Git
@testable import Model
import Report
import Rules
@testable import Workflows
import XCTest

/// A model derived from its base (a patch: the Kconfig evaluator, witness views and answers,
/// units, header graph and out-of-scope users carried over where the change cannot reach them)
/// must say what a model built from scratch on the same tree says. Each step of the modular SMMU
/// series, then a header edit that keeps its includes, a new tristate driver with its Kconfig and
/// Makefile lines, and a Kconfig flip back, are compared finding by finding and unit by unit.
extension TriageTests {
    func testDerivedModelsMatchFreshOnes() throws {
        let session = try self.session()
        let repo = session.repository
        var tree = try session.tree(at: "HEAD")
        var model = session.model(of: tree)
        _ = session.engine.check(CheckContext(model: model))

        func findings(_ m: KernelModel) -> [String] {
            session.engine.check(CheckContext(model: m)).map {
                "\($0.rule) \($0.severity) \($0.module ?? "-") \($0.symbol ?? "-") \($0.file ?? "-"):\($0.line ?? 0) \($0.message)"
            }.sorted()
        }
        // Units in kbuild's order, and each source's units in theirs (a provider's first unit
        // names it in messages).
        func units(_ m: KernelModel) -> [String] {
            m.units.map {
                "\($0.name) m=\($0.canBeModule) y=\($0.canBeBuiltin) \($0.sources) \($0.moduleSources)"
            } + m.unitsBySource.keys.sorted().map { "\($0): \(m.unitsBySource[$0]!.map(\.name))" }
        }
        var keptStructure = false
        var unitsSpliced = 0
        func step(_ label: String, _ next: KernelTree, changed: Set<String>) {
            let derived = session.model(of: next, base: model, changedPaths: changed)
            keptStructure = derived.structuralBase != nil
            if derived.kbuild.replaced != nil { unitsSpliced += 1 }
            let fresh = session.model(of: next)
            XCTAssertEqual(units(derived), units(fresh), label)
            XCTAssertEqual(findings(derived), findings(fresh), label)
            // Every unit's include closure (a graph kept, updated, or made again from what the
            // base read).
            for unit in fresh.units {
                XCTAssertEqual(
                    derived.headerIndex(for: unit.sources).headers.sorted(), fresh.headerIndex(for: unit.sources).headers.sorted(),
                    "\(label): \(unit.name)")
            }
            tree = next
            model = derived
        }
        func edit(_ label: String, _ files: [String: String?]) throws {
            step(label, try write(files, on: tree, to: repo), changed: Set(files.keys))
        }
        func text(_ path: String) throws -> String { try self.text(path, in: tree, repo) }

        // The series: exports, Kconfig flips, drivers made modular.
        let c = try Corpus.Case.load(TriageTests.seriesCase)
        let patches = try PatchInputs.read(c.patchFiles).patches
        XCTAssertEqual(patches.count, 7)
        for patch in patches {
            guard case .success(let (next, _, changed)) = SeriesCheck.apply(patch, to: tree, session: session) else {
                return XCTFail("\(patch.subject) does not apply")
            }
            step(patch.label ?? patch.subject, next, changed: changed)
        }
        // A header edit that keeps its includes (the graph is kept, one summary read again).
        let header = try text("include/linux/iommu.h")
        try edit("header", ["include/linux/iommu.h": header.replacingOccurrences(
            of: "struct iommu_group;\n", with: "struct iommu_group;\nint iommu_new_helper(struct device *dev);\n")])
        // A new tristate driver: Kconfig, Makefile and the file.
        let kconfig = try text("drivers/iommu/Kconfig")
        let makefile = try text("drivers/iommu/Makefile")
        try edit(
            "new driver",
            [
                "drivers/iommu/Kconfig": kconfig.replacingOccurrences(
                    of: "endif # IOMMU_SUPPORT",
                    with: "config NEW_IOMMU\n\ttristate \"A new IOMMU\"\n\tdepends on ARM64\n\tselect IOMMU_API\n\nendif # IOMMU_SUPPORT"),
                "drivers/iommu/Makefile": makefile + "obj-$(CONFIG_NEW_IOMMU) += new-iommu.o\n",
                "drivers/iommu/new-iommu.c":
                    "#include <linux/iommu.h>\n#include <linux/platform_device.h>\nstatic int new_probe(struct platform_device *pdev)\n{\n\treturn iommu_new_helper(&pdev->dev);\n}\nstatic struct platform_driver new_driver = { .probe = new_probe };\nbuiltin_platform_driver(new_driver);\n",
            ])
        XCTAssertTrue(model.units.contains { $0.name.hasSuffix("new-iommu.ko") && $0.canBeModule })
        // A new header the new driver includes (the header paths are the base's plus it). The
        // base resolved the include to nothing; the derived model must not keep that answer.
        XCTAssertEqual(model.resolveIncludeMemo("linux/new-iommu.h", from: "drivers/iommu/new-iommu.c"), [])
        XCTAssertEqual(model.resolveIncludeMemo("linux/iommu.h", from: "drivers/iommu/new-iommu.c"), ["include/linux/iommu.h"])
        try edit(
            "new header",
            [
                "include/linux/new-iommu.h": "#ifndef NEW_IOMMU_H\n#define NEW_IOMMU_H\nstruct device;\nint new_iommu_ready(struct device *dev);\n#endif\n",
                "drivers/iommu/new-iommu.c": "#include <linux/new-iommu.h>\n" + (try text("drivers/iommu/new-iommu.c")),
            ])
        XCTAssertTrue(model.headerPaths.contains("include/linux/new-iommu.h"))
        XCTAssertEqual(
            model.resolveIncludeMemo("linux/new-iommu.h", from: "drivers/iommu/new-iommu.c"), ["include/linux/new-iommu.h"])
        XCTAssertEqual(model.resolveIncludeMemo("linux/iommu.h", from: "drivers/iommu/new-iommu.c"), ["include/linux/iommu.h"])
        // A header whose includes change (the graph is made again, numbered as the base's).
        try edit("header includes", ["include/linux/iommu.h": "#include <linux/new-iommu.h>\n" + (try text("include/linux/iommu.h"))])
        // A header that includes one no tree has yet, then that header appears (the includer is
        // read again: its include lands on it now), then the includer's own include changes.
        try edit("an include of a missing header", ["include/linux/new-iommu.h": "#include <linux/later.h>\n" + (try text("include/linux/new-iommu.h"))])
        try edit("the missing header appears", ["include/linux/later.h": "#define IOMMU_LATER 1\n"])
        XCTAssertTrue(model.headerIndex(for: ["drivers/iommu/new-iommu.c"]).contains("include/linux/later.h"))
        try edit("and goes", ["include/linux/later.h": nil])
        XCTAssertFalse(model.headerIndex(for: ["drivers/iommu/new-iommu.c"]).contains("include/linux/later.h"))
        // SMMUv3 back to bool (one symbol's meaning changes, the file's others only move).
        try edit(
            "flip back",
            ["drivers/iommu/Kconfig": try text("drivers/iommu/Kconfig").replacingOccurrences(
                of: "\ttristate \"ARM Ltd. System MMU Version 3 (SMMUv3) Support\"",
                with: "\n\tbool \"ARM Ltd. System MMU Version 3 (SMMUv3) Support\"")])
        XCTAssertFalse(model.units.contains { $0.name.hasSuffix("arm-smmu-v3.ko") && $0.canBeModule })
        // Makefile lines of one directory (kbuild updated in place, the units spliced into the
        // base's): an object moved to a line of its own, a composite module, a line removed, and
        // the Makefile back as it was.
        let lines = try text("drivers/iommu/Makefile")
        let split = lines.replacingOccurrences(
            of: "obj-$(CONFIG_ARM_SMMU) += arm-smmu.o arm-smmu-impl.o",
            with: "obj-$(CONFIG_ARM_SMMU) += arm-smmu.o\nobj-$(CONFIG_IOMMU_API) += arm-smmu-impl.o")
        try edit("an object on a line of its own", ["drivers/iommu/Makefile": split])
        XCTAssertTrue(model.units.contains { $0.name.hasSuffix("arm-smmu-impl.ko") })
        try edit(
            "a composite module",
            ["drivers/iommu/Makefile": lines.replacingOccurrences(
                of: "obj-$(CONFIG_ARM_SMMU) += arm-smmu.o arm-smmu-impl.o",
                with: "obj-$(CONFIG_ARM_SMMU) += arm_smmu.o\narm_smmu-objs := arm-smmu.o arm-smmu-impl.o")])
        XCTAssertEqual(model.unitsBySource["drivers/iommu/arm-smmu-impl.c"]?.map(\.name), ["drivers/iommu/arm_smmu.ko"])
        try edit("a line removed", ["drivers/iommu/Makefile": lines.replacingOccurrences(
            of: "obj-$(CONFIG_IOMMU_IOVA) += iova.o\n", with: "")])
        XCTAssertNil(model.unitsBySource["drivers/iommu/iova.c"])
        try edit("the Makefile as it was", ["drivers/iommu/Makefile": lines])
        XCTAssertNotNil(model.unitsBySource["drivers/iommu/iova.c"])
        // A Makefile line and a Kconfig flip in one patch: the unchanged SMMUv3 entry's unit is
        // made again (its symbol can be m again), not kept from the base.
        try edit(
            "a Makefile line with a Kconfig flip",
            [
                "drivers/iommu/Makefile": lines + "obj-$(CONFIG_IOMMU_API) += iommu-late.o\n",
                "drivers/iommu/Kconfig": try text("drivers/iommu/Kconfig").replacingOccurrences(
                    of: "\n\tbool \"ARM Ltd. System MMU Version 3 (SMMUv3) Support\"",
                    with: "\ttristate \"ARM Ltd. System MMU Version 3 (SMMUv3) Support\""),
            ])
        XCTAssertTrue(model.units.contains { $0.name.hasSuffix("arm-smmu-v3.ko") && $0.canBeModule })
        XCTAssertGreaterThanOrEqual(unitsSpliced, 4, "kbuild updated in place")

        // Rule results kept per unit (only C files change from here): a built-in user whose file
        // does not change must still see a provider that appears in, moves to or leaves another
        // file. The built-in core calls the helper the header declares; nothing defines it yet.
        func usesModular(_ m: KernelModel) -> [String] {
            findings(m).filter { $0.hasPrefix("builtin-uses-modular") && $0.contains("iommu_new_helper drivers/iommu/iommu.c:") }
        }
        let core = try text("drivers/iommu/iommu.c")
        try edit("user", ["drivers/iommu/iommu.c": core + "\nint iommu_use_helper(struct device *dev)\n{\n\treturn iommu_new_helper(dev);\n}\n"])
        XCTAssertTrue(keptStructure, "a C-only change keeps the structure")
        XCTAssertEqual(usesModular(model), [])
        // The modular SMMU driver defines it: the unchanged core now breaks vmlinux.
        let smmu = try text("drivers/iommu/arm-smmu.c")
        try edit("provider in a module", ["drivers/iommu/arm-smmu.c": smmu + "\nint iommu_new_helper(struct device *dev)\n{\n\treturn 0;\n}\n"])
        XCTAssertEqual(usesModular(model).count, 1, "\(findings(model))")
        // A body edit elsewhere keeps it (the kept result, same as a fresh model: step compares).
        try edit("unrelated body", ["drivers/iommu/arm-smmu.c": try text("drivers/iommu/arm-smmu.c") + "/* a comment */\n"])
        XCTAssertEqual(usesModular(model).count, 1)
        // Moved to built-in code: gone, though the user's file did not change.
        let sysfs = try text("drivers/iommu/iommu-sysfs.c")
        try edit(
            "provider built in",
            [
                "drivers/iommu/arm-smmu.c": smmu,
                "drivers/iommu/iommu-sysfs.c": sysfs + "\nint iommu_new_helper(struct device *dev)\n{\n\treturn 0;\n}\n",
            ])
        XCTAssertEqual(usesModular(model), [])

        // Rules that work one unit at a time keep each unchanged unit's findings: the new driver's
        // builtin_platform_driver is found, kept across an edit elsewhere, and made again when a
        // header it reads changes (the macro defined for modules now) or its own file changes.
        func registration(_ m: KernelModel) -> [String] {
            findings(m).filter { $0.hasPrefix("builtin-registration-in-module") && $0.contains("new-iommu") }
        }
        let found = registration(model)
        XCTAssertEqual(found.count, 1, "\(findings(model))")
        try edit("elsewhere", ["drivers/iommu/iommu-sysfs.c": sysfs + "/* elsewhere */\n"])
        XCTAssertTrue(keptStructure)
        XCTAssertEqual(registration(model), found)
        let platform = try text("include/linux/platform_device.h")
        try edit(
            "registration header",
            ["include/linux/platform_device.h": platform + "\n#ifdef MODULE\n#define device_initcall(fn) module_init(fn)\n#endif\n"])
        XCTAssertTrue(keptStructure, "a header edit that keeps its includes keeps the structure")
        XCTAssertNotEqual(registration(model), found, "the header's macro changes the finding")
        try edit("module driver", ["drivers/iommu/new-iommu.c": try text("drivers/iommu/new-iommu.c").replacingOccurrences(
            of: "builtin_platform_driver(new_driver);", with: "module_platform_driver(new_driver);")])
        XCTAssertEqual(registration(model), [])
    }

    /// Units after a Kconfig-only change are made again only where a range they read changes:
    /// a new symbol that selects IOMMU_API reaches every reader of it and changes no range; a
    /// selector that stops when a driver is m changes which of its sources the module holds,
    /// seen only under that assumption. The derived model's units equal a fresh model's.
    func testUnitsAfterKconfigChangesThatKeepRanges() throws {
        let session = try self.session()
        let repo = session.repository
        var tree = try session.tree(at: "HEAD")
        var model = session.model(of: tree)
        func units(_ m: KernelModel) -> [String] {
            m.units.map { "\($0.name) m=\($0.canBeModule) y=\($0.canBeBuiltin) \($0.sources) \($0.moduleSources)" }.sorted()
        }
        func edit(_ label: String, _ files: [String: String]) throws {
            let next = try write(files, on: tree, to: repo)
            let derived = session.model(of: next, base: model, changedPaths: Set(files.keys))
            XCTAssertEqual(units(derived), units(session.model(of: next)), label)
            tree = next
            model = derived
        }
        func text(_ path: String) throws -> String { try self.text(path, in: tree, repo) }
        let kconfig = try text("drivers/iommu/Kconfig")
        let demo =
            "config DEMO_OTHER\n\tbool \"other\"\n\tselect DEMO_HELPER\n\nconfig DEMO_HELPER\n\tbool\n\n"
            + "config DEMO_IOMMU\n\ttristate \"demo\"\n\nconfig DEMO_IOMMU_EXTRA\n\tbool \"extra\"\n\tdepends on DEMO_IOMMU && DEMO_HELPER\n"
        try edit(
            "demo driver",
            [
                "drivers/iommu/Kconfig": kconfig + demo,
                "drivers/iommu/Makefile": try text("drivers/iommu/Makefile")
                    + "obj-$(CONFIG_DEMO_IOMMU) += demo.o\ndemo-y := demo-core.o\ndemo-$(CONFIG_DEMO_IOMMU_EXTRA) += demo-extra.o\n",
                "drivers/iommu/demo-core.c": "int demo_core(void)\n{\n\treturn 0;\n}\n",
                "drivers/iommu/demo-extra.c": "int demo_extra(void)\n{\n\treturn 0;\n}\n",
            ])
        func demoUnit() throws -> ModuleUnit { try XCTUnwrap(model.units.first { $0.name.hasSuffix("demo.ko") }) }
        XCTAssertEqual(try demoUnit().moduleSources, ["drivers/iommu/demo-core.c", "drivers/iommu/demo-extra.c"])
        try edit(
            "new selector",
            ["drivers/iommu/Kconfig": kconfig + demo + "\nconfig DEMO_SELECTOR\n\tbool \"selector\"\n\tselect IOMMU_API\n"])
        let evaluator = model.evaluator
        XCTAssertTrue(try XCTUnwrap(evaluator.affectedSymbols()).count > 2)
        XCTAssertEqual(evaluator.valueAffectedSymbols(), ["DEMO_SELECTOR"])
        try edit(
            "selector off for a module",
            ["drivers/iommu/Kconfig": kconfig + demo.replacingOccurrences(
                of: "\tselect DEMO_HELPER\n", with: "\tdepends on DEMO_IOMMU=n\n\tselect DEMO_HELPER\n")])
        XCTAssertEqual(try demoUnit().moduleSources, ["drivers/iommu/demo-core.c"])
    }

    /// The built-in users outside the scope that see a scoped module's names: a derived model's
    /// search (an index of the base's out-of-scope files, entered again where files changed) finds
    /// what a fresh model's finds, when a new compiled file declares a name, when a Makefile stops
    /// compiling it, and when an existing file starts or stops including the declaring header.
    func testOutOfScopeUsersOfDerivedModels() throws {
        let session = try self.session()
        let repo = session.repository
        var tree = try session.tree(at: "HEAD")
        let c = try Corpus.Case.load(TriageTests.seriesCase)
        for patch in try PatchInputs.read(c.patchFiles).patches {
            guard case .success(let (next, _, _)) = SeriesCheck.apply(patch, to: tree, session: session) else {
                return XCTFail("\(patch.subject) does not apply")
            }
            tree = next
        }
        var model = session.model(of: tree)
        let names = Set(
            model.scopedUnits.filter(\.canBeModule).flatMap { unit in
                unit.sources.compactMap { model.facts($0) }.flatMap { f in
                    f.definitions.filter { $0.storage == .global && $0.kind == .function }.map(\.name)
                }
            })
        XCTAssertFalse(names.isEmpty)
        let name = try XCTUnwrap(names.sorted().first)
        func users(_ m: KernelModel) -> [String] { m.outOfScopeUsers(seeing: names).map(\.name).sorted() }
        let before = users(model)
        // The index of out-of-scope files (made once a chain searched a few times; made here
        // at once): every derived model below updates it from its base's.
        XCTAssertNotNil(model.outsideSourceIndex(made: true))
        func edit(_ files: [String: String?]) throws -> [String] {
            let next = try write(files, on: tree, to: repo)
            let derived = session.model(of: next, base: model, changedPaths: Set(files.keys))
            XCTAssertEqual(users(derived), users(session.model(of: next)), "\(files.keys.sorted())")
            XCTAssertNotNil(derived.outsideSourceIndex(made: false), "updated from the base's")
            tree = next
            model = derived
            return users(derived)
        }
        let makefile = "obj-y += platform.o\n"
        let added = try edit([
            "drivers/base/Makefile": makefile + "obj-y += iommu-user.o\n",
            "drivers/base/iommu-user.c": "int \(name)(void);\nint use(void)\n{\n\treturn \(name)();\n}\n",
        ])
        XCTAssertEqual(Set(added).subtracting(before).count, 1, "\(added) after \(before)")
        XCTAssertEqual(try edit(["drivers/base/Makefile": makefile]), before)
        _ = try edit(["drivers/base/Makefile": makefile + "obj-y += iommu-user.o\n"])
        XCTAssertEqual(try edit(["drivers/base/iommu-user.c": "int use(void)\n{\n\treturn 0;\n}\n"]), before)
        let header = try XCTUnwrap(
            model.facts("drivers/iommu/arm-smmu.c")?.includes.first { $0.hasPrefix("linux/") && $0 != "linux/module.h" })
        _ = try edit(["drivers/base/iommu-user.c": "#include <\(header)>\nint use(void)\n{\n\treturn 0;\n}\n"])
        _ = try edit(["drivers/base/iommu-user.c": nil, "drivers/base/Makefile": makefile])
        XCTAssertEqual(users(model), before)
        // Seen through headers: one that includes the header declaring the name, and one that
        // stubs it (a static inline); both read by a scoped unit's closure.
        let smmu = try self.text("drivers/iommu/arm-smmu.c", in: tree, repo)
        let user = "drivers/base/iommu-user.c"
        _ = try edit([
            "include/linux/iommu-decl.h": "int \(name)(void);\n",
            "include/linux/iommu-wrap.h": "#include <linux/iommu-decl.h>\n",
            "include/linux/iommu-stub.h": "static inline int \(name)(void)\n{\n\treturn 0;\n}\n",
            "include/linux/iommu-late.h": "struct device;\n",
            "drivers/iommu/arm-smmu.c":
                "#include <linux/iommu-wrap.h>\n#include <linux/iommu-stub.h>\n#include <linux/iommu-late.h>\n" + smmu,
        ])
        for header in ["linux/iommu-wrap.h", "linux/iommu-stub.h"] {
            let found = try edit([
                "drivers/base/Makefile": makefile + "obj-y += iommu-user.o\n",
                user: "#include <\(header)>\nint use(void)\n{\n\treturn 0;\n}\n",
            ])
            XCTAssertTrue(found.contains("drivers/base/iommu-user.ko"), "through \(header): \(found)")
        }
        // A header that starts declaring the name, then stops (its includes the same: the base's
        // graph updated, the base's answer not kept).
        XCTAssertFalse(try edit([user: "#include <linux/iommu-late.h>\nint use(void)\n{\n\treturn 0;\n}\n"])
            .contains("drivers/base/iommu-user.ko"))
        XCTAssertTrue(try edit(["include/linux/iommu-late.h": "struct device;\nint \(name)(void);\n"])
            .contains("drivers/base/iommu-user.ko"))
        XCTAssertFalse(try edit(["include/linux/iommu-late.h": "struct device;\n"]).contains("drivers/base/iommu-user.ko"))
        _ = try edit([
            user: nil, "drivers/base/Makefile": makefile, "drivers/iommu/arm-smmu.c": smmu,
            "include/linux/iommu-decl.h": nil, "include/linux/iommu-wrap.h": nil, "include/linux/iommu-stub.h": nil,
            "include/linux/iommu-late.h": nil,
        ])
        XCTAssertEqual(users(model), before)
        // A long chain (a posting of many patches): each index is a layer over its base's, and
        // past OutsideSourceIndex.maxDepth layers one is flattened; every answer stays a fresh one.
        for k in 0..<(OutsideSourceIndex.maxDepth + 4) {
            let user = "drivers/base/user-\(k % 3).c"
            let declares = k % 2 == 0 ? "int \(name)(void);\n" : ""
            let found = try edit([
                "drivers/base/Makefile": makefile + "obj-y += user-0.o user-1.o user-2.o\n",
                user: declares + "int use_\(k)(void)\n{\n\treturn 0;\n}\n",
            ])
            XCTAssertEqual(found.contains { $0.hasSuffix("user-\(k % 3).ko") }, k % 2 == 0, "step \(k)")
        }
    }

    /// Exports made through a wrapper macro a header defines: a model derived by a header edit
    /// keeps the expansion of files that do not read the header and expands again those that do
    /// (the wrapper turned GPL, then back); each step equal to a fresh model.
    func testWrapperExportsAfterHeaderEdits() throws {
        let session = try self.session()
        let repo = session.repository
        var tree = try session.tree(at: "HEAD")
        var model = session.model(of: tree)
        func flavours(_ m: KernelModel) -> [String] {
            ["wrapped_one", "wrapped_two"].map { name in
                "\(name): " + (m.exportSites(name) ?? []).map { "\($0.path) \($0.flavour)" }.sorted().joined(separator: ", ")
            }
        }
        func edit(_ label: String, _ files: [String: String?]) throws -> [String] {
            let next = try write(files, on: tree, to: repo)
            let derived = session.model(of: next, base: model, changedPaths: Set(files.keys))
            XCTAssertEqual(flavours(derived), flavours(session.model(of: next)), label)
            tree = next
            model = derived
            return flavours(derived)
        }
        let wrapper = "#define IOMMU_EXPORT(sym) EXPORT_SYMBOL(sym)\n"
        let plain = try edit("wrappers", [
            "include/linux/iommu-export.h": wrapper,
            "include/linux/iommu-other.h": "#define IOMMU_OTHER 1\n",
            "drivers/iommu/Makefile": try text("drivers/iommu/Makefile", in: tree, repo) + "obj-y += wrapped.o other.o\n",
            "drivers/iommu/wrapped.c": "#include <linux/iommu-export.h>\nint wrapped_one(void)\n{\n\treturn 0;\n}\nIOMMU_EXPORT(wrapped_one);\n",
            "drivers/iommu/other.c": "#include <linux/iommu-other.h>\n#define OTHER_EXPORT(sym) EXPORT_SYMBOL(sym)\nint wrapped_two(void)\n{\n\treturn 0;\n}\nOTHER_EXPORT(wrapped_two);\n",
        ])
        XCTAssertEqual(plain, ["wrapped_one: drivers/iommu/wrapped.c plain", "wrapped_two: drivers/iommu/other.c plain"])
        let gpl = try edit("the wrapper turned GPL", [
            "include/linux/iommu-export.h": "#define IOMMU_EXPORT(sym) EXPORT_SYMBOL_GPL(sym)\n",
        ])
        XCTAssertEqual(gpl, ["wrapped_one: drivers/iommu/wrapped.c gpl", "wrapped_two: drivers/iommu/other.c plain"])
        XCTAssertEqual(try edit("another header", ["include/linux/iommu-other.h": "#define IOMMU_OTHER 2\n"]), gpl)
        XCTAssertEqual(try edit("back", ["include/linux/iommu-export.h": wrapper]), plain)
    }

    /// The compiled sources of a model derived by a Makefile change: the base's include closure
    /// with the new objects' sources when they include no `.c` file; the full pass otherwise (a
    /// new source that includes a `.c` file, a compiled file that starts including one, an object
    /// line removed, a `.c` file no Makefile names). Every time equal to a fresh model's.
    func testCompiledSourcesOfDerivedModels() throws {
        let session = try self.session()
        let repo = session.repository
        var tree = try session.tree(at: "HEAD")
        var model = session.model(of: tree)
        func sources(_ m: KernelModel) -> [String] {
            m.compiledSources.sorted() + m.includedSources.keys.sorted().map { "\($0) <- \(m.includedSources[$0]!)" }
                + m.includeGuards.keys.sorted().map { "\($0) if \(m.includeGuards[$0]!)" }
        }
        func text(_ path: String) throws -> String { try self.text(path, in: tree, repo) }
        /// Whether the derived model could start from the base's closure.
        func edit(_ label: String, _ files: [String: String?]) throws -> Bool {
            let next = try write(files, on: tree, to: repo)
            let derived = session.model(of: next, base: model, changedPaths: Set(files.keys))
            let fresh = session.model(of: next)
            XCTAssertEqual(sources(derived), sources(fresh), label)
            XCTAssertEqual(derived.knownObjectSources(), fresh.knownObjectSources(), label)
            // A kbuild map updated in place: the object sources from the base's, looked at again
            // only for the units made again and the sources that moved.
            if let replaced = derived.kbuild.replaced {
                let moved = Set(files.keys.filter { (next.blobs[$0] != nil) != (tree.blobs[$0] != nil) })
                XCTAssertEqual(
                    KernelModel.objectSources(
                        updating: model.knownObjectSources(), replaced: replaced, moved: moved, kbuild: derived.kbuild,
                        tree: next)?.sources,
                    fresh.knownObjectSources(), label)
                updatedInPlace += 1
            }
            let direct = derived.knownObjectSources()
            let incremental =
                KernelModel.compiledSources(
                    direct, delta: nil, updating: model, changed: Set(files.keys), tree: next, store: session.store) != nil
            tree = next
            model = derived
            return incremental
        }
        var updatedInPlace = 0
        let makefile = try text("drivers/iommu/Makefile")
        let driver = "#include <linux/iommu.h>\nint new_iommu_probe(void)\n{\n\treturn 0;\n}\n"
        // Files only an include will reach (no Makefile names them: the full pass).
        XCTAssertFalse(try edit("a .c file no Makefile names", [
            "drivers/iommu/tables-data.c": "int table_entries;\n",
            "drivers/iommu/new-debug.c": "int new_debug;\n",
        ]))
        XCTAssertFalse(model.compiledSources.contains("drivers/iommu/tables-data.c"))
        XCTAssertTrue(try edit("new driver", [
            "drivers/iommu/Makefile": makefile + "obj-$(CONFIG_IOMMU_API) += new-iommu.o\n",
            "drivers/iommu/new-iommu.c": driver,
        ]))
        XCTAssertTrue(model.compiledSources.contains("drivers/iommu/new-iommu.c"))
        XCTAssertFalse(try edit("a new source that includes a .c file", [
            "drivers/iommu/Makefile": try text("drivers/iommu/Makefile") + "obj-y += tables.o\n",
            "drivers/iommu/tables.c": "#include \"tables-data.c\"\n",
        ]))
        XCTAssertEqual(model.includedSources["drivers/iommu/tables.c"], ["drivers/iommu/tables-data.c"])
        XCTAssertFalse(try edit("a compiled file that starts including a .c file", [
            "drivers/iommu/new-iommu.c": "#ifdef CONFIG_IOMMU_DEBUG\n#include \"new-debug.c\"\n#endif\n" + driver,
        ]))
        XCTAssertNotNil(model.includeGuards["drivers/iommu/new-debug.c"])
        XCTAssertFalse(try edit("an object line removed", ["drivers/iommu/Makefile": makefile]))
        XCTAssertFalse(model.compiledSources.contains("drivers/iommu/new-iommu.c"))
        XCTAssertFalse(try edit("another .c file no Makefile names", ["drivers/iommu/orphan.c": driver]))
        XCTAssertFalse(model.compiledSources.contains("drivers/iommu/orphan.c"))
        // An assembly object, then its source removed while the Makefile still names it.
        XCTAssertTrue(try edit("an assembly object", [
            "drivers/iommu/Makefile": makefile + "obj-y += entry.o\n", "drivers/iommu/entry.S": "\tnop\n",
        ]))
        XCTAssertTrue(model.compiledSources.contains("drivers/iommu/entry.S"))
        XCTAssertFalse(try edit("a compiled source removed", ["drivers/iommu/entry.S": nil]))
        XCTAssertFalse(model.compiledSources.contains("drivers/iommu/entry.S"))
        XCTAssertGreaterThanOrEqual(updatedInPlace, 3)
    }

    /// The paths changed since the start of a chain of derived models (a series so far against
    /// its base): those whose blob differs, not a path changed and changed back, with files
    /// added and removed — what comparing the two trees' maps gives.
    func testChangedPathsSinceTheStartOfAChain() throws {
        let session = try self.session()
        let repo = session.repository
        var tree = try session.tree(at: "HEAD")
        let root = session.model(of: tree)
        var model = root
        let original = try text("drivers/iommu/iommu.c", in: tree, repo)
        func edit(_ files: [String: String?]) throws {
            let next = try write(files, on: tree, to: repo)
            model = session.model(of: next, base: model, changedPaths: Set(files.keys))
            tree = next
        }
        try edit(["drivers/iommu/iommu.c": original + "\n/* one */\n", "drivers/iommu/new.c": "int n;\n"])
        try edit(["drivers/iommu/iommu.c": original, "drivers/iommu/of_iommu.c": "int of;\n"])
        try edit(["drivers/iommu/new.c": nil, "drivers/iommu/other.c": "int o;\n"])
        var expected: [String] = []
        for (path, blob) in tree.blobs where root.tree.blobs[path] != blob { expected.append(path) }
        for path in root.tree.blobs.keys where tree.blobs[path] == nil { expected.append(path) }
        XCTAssertEqual(model.changedPaths(since: root), expected.sorted())
        XCTAssertEqual(expected.sorted(), ["drivers/iommu/of_iommu.c", "drivers/iommu/other.c"])
    }

    /// A listing made from its base's (files added and removed) lists each directory as one made
    /// from scratch does: the `$(...)` objects of kbuild expand against it.
    func testDirectoryListingUpdatedFromItsBase() throws {
        let id = try XCTUnwrap(ObjectID(hex: String(repeating: "ab", count: 20)))
        let paths = ["Makefile", "arch/sparc/prom/tree_32.c", "arch/sparc/prom/tree_64.c", "arch/sparc/prom/Makefile", "lib/a.c"]
        let before = KernelTree(tree: id, blobs: Dictionary(uniqueKeysWithValues: paths.map { ($0, id) }))
        let base = DirectoryListing(before)
        XCTAssertEqual(base.files(in: "arch/sparc/prom"), ["Makefile", "tree_32.c", "tree_64.c"])
        var blobs = before.blobs
        blobs["arch/sparc/prom/tree_48.c"] = id
        blobs["arch/sparc/prom/tree_32.c"] = nil
        blobs["lib/a.c"] = nil
        blobs["lib/b/c.c"] = id
        blobs["top.c"] = id
        let after = KernelTree(tree: id, blobs: blobs)
        let changed: Set<String> = ["arch/sparc/prom/tree_48.c", "arch/sparc/prom/tree_32.c", "lib/a.c", "lib/b/c.c", "top.c", "Makefile"]
        let updated = DirectoryListing(after, updating: base, changed: changed)
        let fresh = DirectoryListing(after)
        for dir in ["", "arch/sparc/prom", "lib", "lib/b", "arch/sparc"] {
            XCTAssertEqual(updated.files(in: dir), fresh.files(in: dir), dir)
        }
        XCTAssertEqual(updated.files(in: "arch/sparc/prom"), ["Makefile", "tree_48.c", "tree_64.c"])
    }

    /// Triage's postings share steps (the versions of a series their first patches, a resend all
    /// of them): a step checked once is taken for the next posting that makes it, and every
    /// posting's report is the one it gets checked alone.
    func testPostingsShareTheirStepsAndKeepTheirReports() throws {
        let session = try self.session()
        let patches = try PatchInputs.read(try Corpus.Case.load(TriageTests.seriesCase).patchFiles).patches
        XCTAssertEqual(patches.count, 7)
        func describe(_ report: CheckReport) -> [String] {
            report.sections.map { s in
                "\(s.patch ?? "-") \(s.problem ?? "") | "
                    + s.findings.map { "\($0.rule) \($0.file ?? "-"):\($0.line ?? 0) \($0.message) fixedBy=\($0.fixedBy ?? "-")" }.joined(separator: "; ")
                    + " | fixed " + s.fixed.map { "\($0.rule) \($0.symbol ?? "-")" }.joined(separator: "; ")
            }
        }
        func alone(_ patches: [SeriesPatch]) throws -> [String] {
            describe(try SeriesCheck.run(
                session: session, baseRevision: "HEAD", patches: patches,
                base: try SeriesCheck.baseState(session: session, baseRevision: "HEAD", keptChecks: false)))
        }
        let shared = try SeriesCheck.baseState(session: session, baseRevision: "HEAD", keptChecks: false, sharedSteps: true)
        func checked(_ patches: [SeriesPatch]) throws -> [String] {
            describe(try SeriesCheck.run(session: session, baseRevision: "HEAD", patches: patches, base: shared))
        }
        let whole = try alone(patches)
        XCTAssertFalse(whole.joined().isEmpty)
        XCTAssertEqual(try checked(patches), whole)
        XCTAssertEqual(shared.steps?.count, 7)
        // A resend: every step taken, same report.
        XCTAssertEqual(try checked(patches), whole)
        XCTAssertEqual(shared.steps?.count, 7)
        // Another version: the same first three patches, then the fifth without the fourth, and
        // the series' last patch first (a different start: nothing shared).
        let other = Array(patches.prefix(3)) + [patches[4]]
        XCTAssertEqual(try checked(other), try alone(other))
        let reordered = [patches[6]] + Array(patches.prefix(2))
        XCTAssertEqual(try checked(reordered), try alone(reordered))
    }
}
