import XCTest

@testable import Kconfig

final class KconfigTests: XCTestCase {
    func tree(_ files: [String: String], srcarch: String? = nil) -> KconfigTree {
        let arches = Set(
            files.keys.compactMap { p -> String? in
                let parts = p.split(separator: "/")
                return parts.count == 3 && parts[0] == "arch" ? String(parts[1]) : nil
            }
        ).sorted()
        return KconfigParser.parse(
            root: "Kconfig", srcarch: srcarch, architectures: arches, read: { files[$0] })
    }

    let smmu = [
        "Kconfig": "source \"arch/$(SRCARCH)/Kconfig\"\nsource \"drivers/iommu/Kconfig\"\n",
        "arch/arm64/Kconfig": "config ARM64\n\tdef_bool y\n\tselect IOMMU_DMA if IOMMU_SUPPORT\n",
        "arch/x86/Kconfig": "config X86\n\tdef_bool y\n",
        "drivers/iommu/Kconfig": """
        menuconfig IOMMU_SUPPORT
        	bool "IOMMU Hardware Support"
        	default y
        if IOMMU_SUPPORT
        config IOMMU_API
        	bool
        config IOMMU_DMA
        	bool
        	select IOMMU_API
        config ARM_SMMU
        	tristate "ARM SMMU"
        	depends on ARM64 || COMPILE_TEST
        	select IOMMU_API
        	help
        	  Say Y here. This help mentions config and depends on.
        	  select FOO

        config ARM_SMMU_LEGACY_DT_BINDINGS
        	bool "Legacy bindings"
        	depends on ARM_SMMU=y && OF
        config OF
        	def_bool y
        config BOOL_ON_MODULE
        	bool "a bool that depends on a tristate"
        	depends on ARM_SMMU
        config USER
        	tristate "may not be built in while ARM_SMMU is m"
        	depends on ARM_SMMU || !ARM_SMMU
        config HELPER
        	def_tristate m
        	depends on ARM_SMMU
        endif

        """,
    ]

    func testParsesWithoutDiagnosticsAndKeepsEnclosingDependencies() {
        let t = tree(smmu)
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(t.symbols["ARM_SMMU"]?.type, .tristate)
        XCTAssertEqual(
            t.symbols["ARM_SMMU"]?.definitions.first?.dependency?.description,
            "IOMMU_SUPPORT && (ARM64 || COMPILE_TEST)")
        XCTAssertEqual(t.symbols["ARM_SMMU"]?.definitions.first?.help?.contains("select FOO"), true)
        XCTAssertNil(t.symbols["FOO"], "keywords inside help text are text")
        XCTAssertEqual(t.symbols["ARM64"]?.type, .bool)
        XCTAssertNotNil(t.symbols["X86"], "every architecture is read in union mode")
    }

    func testWorstCaseRanges() {
        let e = KconfigEvaluator(tree: tree(smmu))
        XCTAssertTrue(e.canBeModule("ARM_SMMU"))
        XCTAssertTrue(e.canBeBuiltin("ARM_SMMU"))
        XCTAssertFalse(e.canBeModule("IOMMU_API"), "a bool is never m")
        XCTAssertEqual(
            e.range("ARM_SMMU_LEGACY_DT_BINDINGS", assuming: ["ARM_SMMU": .m]), Tristate.n...Tristate.n)
        XCTAssertEqual(e.range("ARM_SMMU_LEGACY_DT_BINDINGS", assuming: ["ARM_SMMU": .y]).upperBound, .y)
        XCTAssertEqual(
            e.range("BOOL_ON_MODULE", assuming: ["ARM_SMMU": .m]).upperBound, .y,
            "bool visibility m is promoted to y")
        XCTAssertEqual(
            e.range("USER", assuming: ["ARM_SMMU": .m]).upperBound, .m, "X || !X caps at m while X is m")
        XCTAssertEqual(e.range("USER", assuming: ["ARM_SMMU": .n]).upperBound, .y)
        XCTAssertEqual(e.range("HELPER", assuming: ["ARM_SMMU": .y]).upperBound, .m, "def_tristate m")
        XCTAssertEqual(
            e.range("IOMMU_API", assuming: ["ARM_SMMU": .m]).lowerBound, .y,
            "select ignores deps and forces y for a bool")
        XCTAssertEqual(
            e.range(of: .compare(.equal, .symbol("ARM_SMMU"), .constant("y")), assuming: ["ARM_SMMU": .m]),
            Tristate.n...Tristate.n)
    }

    func testConcreteConfig() {
        let e = KconfigEvaluator(tree: tree(smmu))
        let config = DotConfig.parse(
            "CONFIG_IOMMU_SUPPORT=y\nCONFIG_ARM64=y\nCONFIG_ARM_SMMU=m\n# CONFIG_OF is not set\nCONFIG_ARM_SMMU_LEGACY_DT_BINDINGS=y\n"
        )
        XCTAssertEqual(config.diagnostics, [])
        XCTAssertEqual(e.value("ARM_SMMU", config: config), .m)
        XCTAssertEqual(
            e.value("ARM_SMMU_LEGACY_DT_BINDINGS", config: config), .n, "capped by its unmet dependency")
        XCTAssertEqual(
            e.value("IOMMU_API", config: config), .y, "selected by ARM_SMMU=m, promoted for a bool")
        XCTAssertFalse(DotConfig.parse("garbage line\n").diagnostics.isEmpty)
    }

    func testSyntaxErrorsAreReportedAndParsingGoesOn() {
        let t = tree([
            "Kconfig":
                "config A\n\tbool \"a\"\n\tdepends on (B &&\nconfig C\n\ttristate \"c\"\n\tfrobnicate\nconfig D\r\n\tbool \"crlf\"\r\n\tdepends on A\r\n"
        ])
        XCTAssertTrue(t.diagnostics.contains { $0.line == 3 && $0.file == "Kconfig" }, "\(t.diagnostics)")
        XCTAssertTrue(t.diagnostics.contains { $0.line == 6 })
        XCTAssertEqual(t.symbols["C"]?.type, .tristate)
        XCTAssertEqual(t.symbols["D"]?.definitions.first?.dependency, .symbol("A"))
    }

    func testSourceCycleIsDiagnosedNotFollowedForever() {
        let t = tree([
            "Kconfig": "source \"a/Kconfig\"\n", "a/Kconfig": "config A\n\tbool\nsource \"Kconfig\"\n",
        ])
        XCTAssertTrue(t.diagnostics.contains { $0.message.contains("cycle") })
        XCTAssertNotNil(t.symbols["A"])
    }

    func testMacroLanguageAndChoiceBlocks() {
        let t = tree([
            "Kconfig": """
            cc-option = $(success,$(CC) -Werror $(1) -E -x c /dev/null -o /dev/null)
            quote := "
            config CC_HAS_X
            	def_bool $(cc-option,-mfoo)
            config NAME
            	string
            	default "$(shell,echo "quoted")"
            choice
            	prompt "pick"
            	depends on CC_HAS_X
            config P1
            	bool "one"
            config P2
            	bool "two"
            endchoice

            """
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(
            KconfigEvaluator(tree: t).range("CC_HAS_X").upperBound, .y, "a toolchain test may hold")
        XCTAssertEqual(t.symbols["P1"]?.definitions.first?.dependency, .symbol("CC_HAS_X"))
    }

    func testPerFileEntriesForChanges() {
        let (entries, diagnostics) = KconfigParser.parseFile(
            path: "drivers/iommu/Kconfig", text: smmu["drivers/iommu/Kconfig"]!)
        XCTAssertEqual(diagnostics, [])
        let legacy = entries.first { $0.name == "ARM_SMMU_LEGACY_DT_BINDINGS" }
        XCTAssertEqual(legacy?.type, .bool)
        XCTAssertEqual(legacy?.dependsOn, "ARM_SMMU=y && OF")
    }
}

final class KconfigIncrementalTests: XCTestCase {
    func testReparsingOneFileMatchesAFullParse() throws {
        let before = [
            "Kconfig":
                "menu \"Drivers\"\n\tdepends on MMU\nsource \"drivers/Kconfig\"\nendmenu\nconfig MMU\n\tdef_bool y\n"
                + "config 8272\n\tbool \"a symbol named by digits, as powerpc has\"\n"
                + "config MID\n\tbool \"selects from an unchanged file\"\n\tselect API\n",
            "drivers/Kconfig": "config SMMU\n\tbool \"smmu\"\n\tselect API\nconfig API\n\tbool\n",
        ]
        var after = before
        after["drivers/Kconfig"] =
            "config SMMU\n\ttristate \"smmu\"\n\tselect API\nconfig API\n\tbool\nconfig LEGACY\n\tbool \"legacy\"\n\tdepends on SMMU=y && 8272\n"
            + "config AAA\n\tbool \"sorts first\"\n\tselect API\n\timply MMU\nconfig ZZZ\n\tbool \"sorts last\"\n\tselect API if LEGACY\n\tselect MMU\n"
        let old = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { before[$0] })
        let updated = try XCTUnwrap(
            KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { after[$0] }))
        let full = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { after[$0] })
        XCTAssertEqual(Set(updated.symbols.keys), Set(full.symbols.keys))
        for (name, symbol) in full.symbols {
            XCTAssertEqual(updated.symbols[name]?.definitions, symbol.definitions, name)
        }
        // Who selects and implies what, in a full parse's order (updated, not rebuilt).
        func edges(_ index: [String: [(selector: String, condition: KconfigExpression?)]]) -> [String: [String]] {
            index.mapValues { $0.map { "\($0.selector) if \($0.condition?.description ?? "-")" } }
        }
        XCTAssertEqual(edges(updated.selectedBy), edges(full.selectedBy))
        XCTAssertEqual(edges(updated.impliedBy), edges(full.impliedBy))
        // Which file defines which symbols, kept (what the evaluator's update looks up).
        XCTAssertNotNil(full.definedIn)
        XCTAssertEqual(updated.definedIn, full.definedIn)
        XCTAssertEqual(updated.symbols(definedIn: ["drivers/Kconfig"]), ["SMMU", "API", "LEGACY", "AAA", "ZZZ"])
        var unindexed = updated
        unindexed.definedIn = nil
        XCTAssertEqual(unindexed.symbols(definedIn: ["drivers/Kconfig"]), ["SMMU", "API", "LEGACY", "AAA", "ZZZ"], "walked")
        XCTAssertEqual(
            updated.symbols["SMMU"]?.definitions.first?.dependency, .symbol("MMU"),
            "the menu's dependency is kept")
        XCTAssertTrue(
            updated.symbols["LEGACY"]?.definitions.first?.ownDependency?.symbols.contains("8272") ?? false,
            "a number naming a symbol is that symbol in a reparsed file too")
        XCTAssertEqual(
            KconfigEvaluator(tree: updated).range("LEGACY", assuming: ["SMMU": .m]), Tristate.n...Tristate.n)
        // A changed `source` line needs a full parse.
        var moved = after
        moved["drivers/Kconfig"]! += "source \"drivers/new/Kconfig\"\n"
        XCTAssertNil(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { moved[$0] }))
    }

    /// The evaluator of a reparsed tree keeps what untouched symbols mention: its graph and
    /// answers equal a fresh evaluator's, when a file flips a type and moves a select, and when
    /// it adds a symbol an untouched one already depends on.
    /// A small tree the incremental tests change: an SMMU that selects an API, a user of it, and
    /// lib/Kconfig's symbols followed by `libTail`.
    static func smallTree(libTail: String) -> [String: String] {
        [
            "Kconfig": "source \"drivers/Kconfig\"\nsource \"lib/Kconfig\"\n",
            "drivers/Kconfig":
                "config SMMU\n\tbool \"smmu\"\n\tdepends on OF\n\tselect API\nconfig USER\n\ttristate \"user\"\n\tdepends on API\n",
            "lib/Kconfig":
                "config API\n\tbool\nconfig IOVA\n\ttristate\nconfig OF\n\tbool \"of\"\nconfig PCI\n\tbool \"pci\"\n\tselect IOVA\n"
                + libTail,
        ]
    }

    /// Witnesses of evaluators updated twice from a base that made no witness view: the views
    /// and the answers no change reaches are made once in the base's search and taken by both,
    /// and each answers as an evaluator built from scratch.
    func testWitnessesOfUpdatedEvaluatorsComeFromTheRoot() throws {
        let before = KconfigIncrementalTests.smallTree(libTail: "config MODULES\n\tbool \"modules\"\n\toption modules\n")
        let old = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { before[$0] })
        let root = KconfigEvaluator(tree: old)
        var first = before
        first["drivers/Kconfig"] =
            "config SMMU\n\ttristate \"smmu\"\n\tdepends on OF || PCI\n\tselect IOVA\nconfig USER\n\ttristate \"user\"\n\tdepends on API\nconfig NEW\n\ttristate \"new\"\n\tdepends on SMMU\n"
        let firstTree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { first[$0] }))
        let one = KconfigEvaluator(tree: firstTree, updating: root, changedFiles: ["drivers/Kconfig"])
        // `one` makes its search but no view (a question with no answer, which no change reaches):
        // the next evaluator's views then come from the root's, updated by both changes. The
        // root makes views for others only when several chains start from it (a triage's
        // postings): a sibling of `one` is the second.
        let sibling = KconfigEvaluator(tree: firstTree, updating: root, changedFiles: ["drivers/Kconfig"])
        XCTAssertNil(sibling.witness(exactly: ["OF": .y], below: ["OF": .y]))
        XCTAssertNil(one.witness(exactly: ["OF": .y], below: ["OF": .y]))
        var second = first
        second["lib/Kconfig"] = before["lib/Kconfig"]!.replacingOccurrences(
            of: "config PCI\n\tbool \"pci\"\n", with: "config PCI\n\tbool \"pci\"\n\tdepends on NEW\n")
        let secondTree = try XCTUnwrap(KconfigParser.reparse(firstTree, changed: ["lib/Kconfig"], read: { second[$0] }))
        let two = KconfigEvaluator(tree: secondTree, updating: one, changedFiles: ["lib/Kconfig"])
        // The newest asks first (the root makes its view then), the one between after.
        for (updated, tree) in [(two, secondTree), (one, firstTree)] {
            let fresh = KconfigEvaluator(tree: tree)
            for name in tree.symbols.keys.sorted() {
                for value in [Tristate.m, .y] {
                    for below in [[:], ["API": Tristate.y]] {
                        let got = updated.witness(exactly: [name: value], below: below)
                        let want = fresh.witness(exactly: [name: value], below: below)
                        XCTAssertEqual(got, want, "\(name)=\(value) below \(below)")
                        for other in tree.symbols.keys.sorted() {
                            XCTAssertEqual(got?.value(other), want?.value(other), "\(name)=\(value): \(other)")
                        }
                    }
                }
            }
        }
        // An unchanged question's answer was worked out once, in the root.
        XCTAssertNotNil(root.witness(exactly: ["OF": .y]))
    }

    /// A witness view updated twice: the first change makes a symbol depend on a name nothing
    /// defines yet, the second defines it. The symbol compiled again in the first update must be
    /// compiled again in the second (the index of undefined mentions holds the updates' mentions
    /// besides the root's), or its dependency stays the undefined name's n.
    func testAViewUpdatedTwiceSeesANameDefinedAfterItWasMentioned() throws {
        let before = KconfigIncrementalTests.smallTree(libTail: "")
        let old = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { before[$0] })
        let root = KconfigEvaluator(tree: old)
        XCTAssertNotNil(root.witness(exactly: ["USER": .m]))
        var first = before
        first["drivers/Kconfig"] = before["drivers/Kconfig"]!.replacingOccurrences(
            of: "\tdepends on OF\n", with: "\tdepends on OF && FUTURE\n")
        let firstTree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { first[$0] }))
        let one = KconfigEvaluator(tree: firstTree, updating: root, changedFiles: ["drivers/Kconfig"])
        // SMMU can no longer be y (FUTURE is n): one's view is made, and knows it.
        XCTAssertNil(one.witness(exactly: ["SMMU": .y]))
        var second = first
        second["lib/Kconfig"] = before["lib/Kconfig"]! + "config FUTURE\n\tbool \"future\"\n"
        let secondTree = try XCTUnwrap(KconfigParser.reparse(firstTree, changed: ["lib/Kconfig"], read: { second[$0] }))
        let two = KconfigEvaluator(tree: secondTree, updating: one, changedFiles: ["lib/Kconfig"])
        let fresh = KconfigEvaluator(tree: secondTree)
        XCTAssertNotNil(fresh.witness(exactly: ["SMMU": .y]))
        for name in secondTree.symbols.keys.sorted() {
            for value in [Tristate.m, .y] {
                let got = two.witness(exactly: [name: value])
                let want = fresh.witness(exactly: [name: value])
                XCTAssertEqual(got, want, "\(name)=\(value)")
                for other in secondTree.symbols.keys.sorted() {
                    XCTAssertEqual(got?.value(other), want?.value(other), "\(name)=\(value): \(other)")
                }
            }
        }
    }

    /// Which symbols a Kconfig change alters the range of, by value: a symbol outside
    /// `valueAffectedSymbols()` has the base's range, one `rangesMayDiffer(of:assuming:)` leaves
    /// out has it under those assumptions. A new
    /// selector of a symbol many read changes its definition and none of their ranges; a
    /// selector that stops when a unit's own symbol is m changes ranges only under that
    /// assumption; a type flip changes every reader.
    func testValueAffectedSymbolsKeepTheirRanges() throws {
        let before = KconfigIncrementalTests.smallTree(
            libTail: "config OTHER\n\tbool \"other\"\n\tselect HELPER\nconfig HELPER\n\tbool\n"
                + "config EXTRA\n\tbool \"extra\"\n\tdepends on USER && HELPER\n")
        let old = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { before[$0] })
        let base = KconfigEvaluator(tree: old)
        let assumptions: [[String: Tristate]] = [[:], ["USER": .m], ["SMMU": .y], ["OF": .y], ["PCI": .y], ["EXTRA": .y]]
        func check(_ lib: String, reached: Set<String>, expected: [[String: Tristate]: Set<String>]) throws {
            var after = before
            after["lib/Kconfig"] = lib
            let tree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["lib/Kconfig"], read: { after[$0] }))
            let updated = KconfigEvaluator(tree: tree, updating: base, changedFiles: ["lib/Kconfig"])
            let fresh = KconfigEvaluator(tree: tree)
            XCTAssertTrue(try XCTUnwrap(updated.affectedSymbols()).isSuperset(of: reached))
            let names = Set(tree.symbols.keys).union(old.symbols.keys)
            for assuming in assumptions {
                let under = try XCTUnwrap(
                    assuming.isEmpty ? updated.valueAffectedSymbols() : updated.rangesMayDiffer(of: names, assuming: assuming))
                if let want = expected[assuming] { XCTAssertEqual(under, want, "\(assuming)") }
                for name in Set(tree.symbols.keys).union(old.symbols.keys).sorted() where !under.contains(name) {
                    XCTAssertEqual(
                        fresh.range(name, assuming: assuming), base.range(name, assuming: assuming),
                        "\(name) assuming \(assuming)")
                    if assuming.isEmpty { XCTAssertEqual(fresh.canBeModule(name), base.canBeModule(name), name) }
                }
            }
        }
        let lib = before["lib/Kconfig"]!
        // A new symbol that selects API, which USER reads: API's definition changes, no range does.
        try check(
            lib + "config NEW\n\tbool \"new\"\n\tselect API\n", reached: ["NEW", "API", "USER"],
            expected: [[:]: ["NEW"], ["USER": .m]: ["NEW"]])
        // OTHER stops when USER is m: no range changes with nothing assumed; with USER at m,
        // HELPER is no longer selected, and EXTRA, which needs it, stays n.
        try check(
            lib.replacingOccurrences(of: "\tselect HELPER\n", with: "\tdepends on USER=n\n\tselect HELPER\n"),
            reached: ["OTHER", "HELPER", "EXTRA"], expected: [[:]: [], ["USER": .m]: ["OTHER", "HELPER", "EXTRA"], ["PCI": .y]: []])
        // PCI no longer selects IOVA: PCI keeps its range, IOVA's changes.
        try check(lib.replacingOccurrences(of: "\tselect IOVA\n", with: ""), reached: ["PCI", "IOVA"], expected: [[:]: ["IOVA"]])
        // A type flip with the same range: changed by type, and every reader with it.
        try check(
            lib.replacingOccurrences(of: "config OF\n\tbool", with: "config OF\n\ttristate"), reached: ["OF", "SMMU"],
            expected: [[:]: ["OF", "SMMU", "API", "USER", "EXTRA"]])
    }

    func testUpdatedEvaluatorMatchesAFreshOne() throws {
        let before = KconfigIncrementalTests.smallTree(
            libTail: "config LATE\n\ttristate \"late\"\n\tdepends on NEW\nconfig NEEDS_NAME\n\ttristate \"needs\"\n\tdepends on NAME\n")
        let old = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { before[$0] })
        let base = KconfigEvaluator(tree: old)
        _ = base.allRanges()
        XCTAssertEqual(base.range("LATE"), Tristate.n...Tristate.n)
        // The base made its witness view and answered every question asked below: an updated
        // evaluator starts from them, and must answer as a fresh one does.
        XCTAssertNotNil(base.witness(exactly: ["SMMU": .y]))
        for name in old.symbols.keys.sorted() + ["NEW", "NAME"] {
            for value in [Tristate.m, .y] { _ = base.witness(exactly: [name: value], below: ["API": .y]) }
        }
        // Ranges under assumptions (what a unit's `[own: m]` and a provider's checks ask): an
        // updated evaluator starts from the base's where the change cannot reach.
        let assumptions: [[String: Tristate]] = [["SMMU": .m], ["USER": .m], ["PCI": .y], ["API": .y], ["OF": .n, "IOVA": .m]]
        for assuming in assumptions {
            for name in old.symbols.keys.sorted() + ["NEW", "NAME"] { _ = base.range(name, assuming: assuming) }
        }
        for text in [
            // tristate flip, the select moves from API to IOVA: API's and IOVA's edges change
            "config SMMU\n\ttristate \"smmu\"\n\tdepends on OF || PCI\n\tselect IOVA\nconfig USER\n\ttristate \"user\"\n\tdepends on API\n",
            // a new symbol, which the unchanged LATE already mentions: renumbered, LATE gains an edge
            "config SMMU\n\ttristate \"smmu\"\nconfig NEW\n\tbool \"new\"\n\tdepends on SMMU\nconfig USER\n\ttristate \"user\"\n\tdepends on NEW\n",
            // a new string symbol (not in the graph) that the unchanged NEEDS_NAME reads
            "config SMMU\n\tbool \"smmu\"\n\tdepends on OF\n\tselect API\nconfig USER\n\ttristate \"user\"\n\tdepends on API\nconfig NAME\n\tstring \"name\"\n",
        ] {
            var after = before
            after["drivers/Kconfig"] = text
            let tree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { after[$0] }))
            let updated = KconfigEvaluator(tree: tree, updating: base, changedFiles: ["drivers/Kconfig"])
            let fresh = KconfigEvaluator(tree: tree)
            let graph = KconfigSymbolGraph(tree: tree)
            let reused = KconfigSymbolGraph(tree: tree, updating: KconfigSymbolGraph(tree: old), changed: ["SMMU", "API", "IOVA", "USER", "NEW"])
            XCTAssertEqual(reused.dependencies, graph.dependencies)
            XCTAssertEqual(reused.names, graph.names)
            XCTAssertEqual(updated.allRanges(), fresh.allRanges())
            for assuming in assumptions {
                for name in tree.symbols.keys.sorted() + ["NEW", "NAME", "LATE"] {
                    XCTAssertEqual(
                        updated.range(name, assuming: assuming), fresh.range(name, assuming: assuming),
                        "\(name) assuming \(assuming)")
                }
            }
            // Updated once more, in another file: starts from the updated one's ranges, and asks
            // the first base only what neither change reached.
            var third = after
            third["lib/Kconfig"] = before["lib/Kconfig"]!.replacingOccurrences(
                of: "config OF\n\tbool \"of\"\n", with: "config OF\n\tbool \"of\"\n\tdepends on NEEDS_NAME\n")
            let back = try XCTUnwrap(KconfigParser.reparse(tree, changed: ["lib/Kconfig"], read: { third[$0] }))
            let again = KconfigEvaluator(tree: back, updating: updated, changedFiles: ["lib/Kconfig"])
            let freshAgain = KconfigEvaluator(tree: back)
            for assuming in assumptions + [[:]] {
                for name in back.symbols.keys.sorted() + ["NEW", "NAME"] {
                    XCTAssertEqual(
                        again.range(name, assuming: assuming), freshAgain.range(name, assuming: assuming),
                        "again: \(name) assuming \(assuming)")
                }
            }
            // Its witnesses: `updated` made no search yet, so views and answers come from the
            // first base's (the root), with both changes applied.
            for name in back.symbols.keys.sorted() + ["NEW", "NAME"] {
                for value in [Tristate.m, .y] {
                    let got = again.witness(exactly: [name: value], below: ["API": .y])
                    let want = freshAgain.witness(exactly: [name: value], below: ["API": .y])
                    XCTAssertEqual(got, want, "again: \(name)=\(value)")
                    for other in back.symbols.keys.sorted() {
                        XCTAssertEqual(got?.value(other), want?.value(other), "again: \(name)=\(value): \(other)")
                    }
                }
            }
            for name in tree.symbols.keys.sorted() {
                XCTAssertEqual(updated.range(name), fresh.range(name), name)
                XCTAssertEqual(updated.canBeModule(name), fresh.canBeModule(name), name)
                for value in [Tristate.m, .y] {
                    XCTAssertEqual(
                        updated.witness(exactly: [name: value], below: ["API": .y]),
                        fresh.witness(exactly: [name: value], below: ["API": .y]), "\(name)=\(value)")
                }
            }
            XCTAssertEqual(
                updated.configuration(architecture: nil, user: ["SMMU": .m]),
                fresh.configuration(architecture: nil, user: ["SMMU": .m]))
        }
        // Lines that only move (a comment above) and a help text change no symbol's meaning.
        var moved = before
        moved["drivers/Kconfig"] =
            "# a comment\n\nconfig SMMU\n\tbool \"smmu\"\n\tdepends on OF\n\tselect API\n\thelp\n\t  Arm SMMU.\nconfig USER\n\ttristate \"user\"\n\tdepends on API\n"
        let movedTree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { moved[$0] }))
        let unchanged = KconfigEvaluator(tree: movedTree, updating: base, changedFiles: ["drivers/Kconfig"])
        XCTAssertEqual(unchanged.changedSymbols, [])
        XCTAssertEqual(unchanged.affectedSymbols(), [])
        // A real change names that symbol and what it selects, not its file's other symbols.
        var flipped = before
        flipped["drivers/Kconfig"] =
            "config SMMU\n\ttristate \"smmu\"\n\tdepends on OF\n\tselect API\nconfig USER\n\ttristate \"user\"\n\tdepends on API\n"
        let flippedTree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { flipped[$0] }))
        XCTAssertEqual(
            KconfigEvaluator(tree: flippedTree, updating: base, changedFiles: ["drivers/Kconfig"]).changedSymbols,
            ["SMMU", "API"])
        // What `changedFiles` yields must cover the select's old and new target: without them
        // the edges would be stale (this is what the test above relies on).
        var after = before
        after["drivers/Kconfig"] = "config SMMU\n\tbool \"smmu\"\n\tselect IOVA\nconfig USER\n\ttristate \"user\"\n\tdepends on API\n"
        let tree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { after[$0] }))
        let stale = KconfigSymbolGraph(tree: tree, updating: KconfigSymbolGraph(tree: old), changed: ["SMMU"])
        XCTAssertNotEqual(stale.dependencies, KconfigSymbolGraph(tree: tree).dependencies)
        XCTAssertEqual(KconfigEvaluator(tree: tree, updating: base, changedFiles: ["drivers/Kconfig"]).range("API"), KconfigEvaluator(tree: tree).range("API"))
    }
}
