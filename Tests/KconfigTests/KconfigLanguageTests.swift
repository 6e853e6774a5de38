import Kconfig
import XCTest

/// Kconfig language corners: each test writes a small kernel-like tree.
final class KconfigLanguageTests: XCTestCase {
    func parse(_ files: [String: String], srcarch: String? = nil, architectures: [String] = []) -> KconfigTree
    {
        KconfigParser.parse(
            root: "Kconfig", srcarch: srcarch, architectures: architectures, read: { files[$0] })
    }

    func testHelpTextEndsByIndentationAndKeepsKeywordsAsText() {
        let t = parse([
            "Kconfig":
                "config A\n\tbool \"a\"\n\thelp\n\t  First line mentions config B.\n\n\t    indented more\n\t  endmenu and source \"x\" are text too\n"
                + "config C\n        tristate \"spaces, not tabs\"\n        ---help---\n          help with spaces\n          depends on D\n\n"
                + "config E\n\tbool\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(
            t.symbols["A"]?.help,
            "First line mentions config B.\n\n  indented more\nendmenu and source \"x\" are text too")
        XCTAssertNil(t.symbols["B"])
        XCTAssertEqual(t.symbols["C"]?.help, "help with spaces\ndepends on D")
        XCTAssertNil(t.symbols["C"]?.dependsOn, "a `depends on` inside help is text")
        XCTAssertEqual(t.symbols["E"]?.type, .bool, "the entry after help text parses")
    }

    func testContinuationLinesAndComments() {
        let t = parse([
            "Kconfig":
                "config A\n\ttristate \"a\" # trailing comment\n\tdepends on B && \\\n\t\t   (C || \\\n\t\t    D)\n\tdefault m\n# a comment line\nconfig B\n\tbool\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(t.symbols["A"]?.dependsOn?.description, "B && (C || D)")
        XCTAssertEqual(t.symbols["A"]?.defaults.first?.value, .constant("m"))
        XCTAssertNotNil(t.symbols["B"], "line numbering continues after continuations")
        XCTAssertEqual(t.symbols["B"]?.locations.first?.line, 8)
    }

    func testIfBlocksMenusAndVisibleIf() {
        let t = parse([
            "Kconfig": """
            menu "Outer"
            	depends on OUTER
            	visible if SHOWN
            if IF1
            menuconfig INNER_MENU
            	bool "inner"
            if INNER_MENU
            menu "Inner"
            	depends on INNER_DEP
            config LEAF
            	tristate "leaf" if PROMPTABLE
            	depends on OWN
            endmenu
            endif
            endif
            endmenu
            config OUTSIDE
            	bool "outside"

            """
        ])
        XCTAssertEqual(t.diagnostics, [])
        let leaf = t.symbols["LEAF"]?.definitions.first
        XCTAssertEqual(leaf?.dependency?.description, "OUTER && IF1 && INNER_MENU && INNER_DEP && OWN")
        XCTAssertEqual(leaf?.ownDependency, .symbol("OWN"))
        XCTAssertEqual(
            leaf?.promptCondition?.description, "SHOWN && PROMPTABLE", "visible if limits prompts only")
        XCTAssertEqual(t.symbols["INNER_MENU"]?.definitions.first?.isMenuconfig, true)
        XCTAssertNil(t.symbols["OUTSIDE"]?.dependsOn, "blocks end where they end")
    }

    func testChoiceMembersInheritChoiceDependencies() {
        let t = parse([
            "Kconfig":
                "choice\n\tprompt \"mode\"\n\tdepends on ARCH_OK\n\tdefault M1\n\thelp\n\t  pick one\nconfig M1\n\tbool \"one\"\nconfig M2\n\tbool \"two\"\n\tdepends on EXTRA\nendchoice\nconfig AFTER\n\tbool\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(t.symbols["M1"]?.dependsOn, .symbol("ARCH_OK"))
        XCTAssertEqual(t.symbols["M2"]?.dependsOn?.description, "ARCH_OK && EXTRA")
        XCTAssertEqual(t.symbols["M1"]?.definitions.first?.inChoice, true)
        XCTAssertNil(t.symbols["AFTER"]?.dependsOn)
        XCTAssertEqual(t.symbols["AFTER"]?.definitions.first?.inChoice, false)
    }

    func testUnknownKeywordsAndMisplacedAttributesAreDiagnosedWithLines() {
        let t = parse([
            "Kconfig":
                "frobnicate\nconfig A\n\tbool \"a\"\n\twibble on\n\tdepends B\nendif\nconfig B\n\tbool \"b\"\n\tselect !C\n"
        ])
        let lines = Set(t.diagnostics.map(\.line))
        XCTAssertEqual(lines, [1, 4, 5, 6, 9], "\(t.diagnostics)")
        XCTAssertTrue(t.diagnostics.allSatisfy { $0.file == "Kconfig" })
        XCTAssertEqual(t.symbols["B"]?.type, .bool, "parsing goes on after errors")
    }

    func testUnterminatedBlocksAndStrings() {
        let t = parse([
            "Kconfig":
                "menu \"never closed\"\nconfig A\n\tbool \"unterminated\n\tdepends on B\nif X\nconfig C\n\tbool\n"
        ])
        XCTAssertTrue(t.diagnostics.contains { $0.line == 3 && $0.message.contains("unterminated string") })
        XCTAssertTrue(t.diagnostics.contains { $0.message.contains("unterminated") && $0.line == 7 })
        XCTAssertEqual(t.symbols["A"]?.dependsOn?.description, "B")
        XCTAssertEqual(t.symbols["C"]?.dependsOn, .symbol("X"))
    }

    func testQuotedStringsWithEscapes() {
        let t = parse([
            "Kconfig": "config S\n\tstring \"a \\\"quoted\\\" prompt\"\n\tdefault 'single \"inner\"'\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(t.symbols["S"]?.prompts.first?.text, "a \"quoted\" prompt")
        XCTAssertEqual(t.symbols["S"]?.defaults.first?.value, .constant("single \"inner\""))
    }

    func testExpressionPrecedence() {
        let t = parse([
            "Kconfig":
                "config A\n\tbool\n\tdepends on !B=y || C && D != m\n\tdefault y if E >= 3 && (F || G)\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(
            t.symbols["A"]?.dependsOn,
            .or(
                .not(.compare(.equal, .symbol("B"), .constant("y"))),
                .and(.symbol("C"), .compare(.notEqual, .symbol("D"), .constant("m")))))
        XCTAssertEqual(t.symbols["A"]?.defaults.first?.condition?.description, "E>=\"3\" && (F || G)")
    }

    func testSourceVariantsAndArchitectures() {
        let files = [
            "Kconfig":
                "source \"arch/$(SRCARCH)/Kconfig\"\nosource \"missing/Kconfig\"\nsource \"drivers/Kconfig\"\nsource \"also/missing\"\n",
            "arch/a/Kconfig": "config ARCH_A\n\tdef_bool y\nsource \"arch/$(SRCARCH)/Kconfig.debug\"\n",
            "arch/a/Kconfig.debug": "config A_DEBUG\n\tbool \"debug\"\n",
            "arch/b/Kconfig": "config ARCH_B\n\tdef_bool y\nsource \"arch/$(SRCARCH)/Kconfig.debug\"\n",
            "drivers/Kconfig":
                "rsource \"sub/Kconfig\"\norsource \"sub/none\"\nsource \"$(UNKNOWN)/Kconfig\"\n",
            "drivers/sub/Kconfig": "config SUB\n\ttristate \"sub\"\n",
        ]
        let one = parse(files, srcarch: "b", architectures: ["a", "b"])
        XCTAssertNil(one.symbols["ARCH_A"])
        XCTAssertNotNil(one.symbols["SUB"], "rsource is relative to the sourcing file")
        XCTAssertEqual(
            Set(one.diagnostics.map(\.line)), [4, 3],
            "missing source and arch/b/Kconfig.debug are errors, osource is not; unknown variable: \(one.diagnostics)"
        )
        let all = parse(files, srcarch: nil, architectures: ["a", "b"])
        XCTAssertNotNil(all.symbols["ARCH_A"])
        XCTAssertNotNil(all.symbols["ARCH_B"])
        XCTAssertNotNil(all.symbols["A_DEBUG"])
        XCTAssertFalse(
            all.diagnostics.contains { $0.file == "arch/b/Kconfig" },
            "per-architecture paths may be missing for some")
        XCTAssertTrue(all.isArchitectureUnion)
        let evaluator = KconfigEvaluator(tree: all)
        XCTAssertEqual(
            evaluator.range("ARCH_A"), Tristate.n...Tristate.y, "y on one architecture, n on another")
    }

    func testDeeperSourceCycleIsDiagnosed() {
        let t = parse([
            "Kconfig": "source \"a\"\n", "a": "config A\n\tbool\nsource \"b\"\n",
            "b": "source \"a\"\nconfig B\n\tbool\n",
        ])
        XCTAssertEqual(t.diagnostics.filter { $0.message.contains("cycle") }.count, 1)
        XCTAssertEqual(Set(t.symbols.keys), ["A", "B"])
    }

    func testMultipleDefinitionsMerge() {
        let t = parse([
            "Kconfig":
                "if ARCH_X\nconfig SHARED\n\ttristate \"shared\"\n\tselect T1\n\tdefault m\nendif\nif ARCH_Y\nconfig SHARED\n\tprompt \"again\"\n\tselect T2 if Z\nendif\n"
        ])
        let s = t.symbols["SHARED"]
        XCTAssertEqual(s?.type, .tristate)
        XCTAssertEqual(s?.definitions.count, 2)
        XCTAssertEqual(s?.dependsOn?.description, "ARCH_X || ARCH_Y")
        XCTAssertEqual(s?.prompts.map(\.text), ["shared", "again"])
        XCTAssertEqual(s?.selects.map(\.value), [.symbol("T1"), .symbol("T2")])
        XCTAssertEqual(s?.locations.map(\.line), [2, 8])
        XCTAssertEqual(t.selectedBy["T2"]?.first?.selector, "SHARED")
    }

    func testAttributesAreRecorded() {
        let t = parse([
            "Kconfig":
                "config MODULES\n\tbool \"modules\"\n\toption modules\nconfig N\n\tint \"n\"\n\trange 1 64 if SMP\n\tdefault 8\nconfig H\n\thex\n\tdefault 0x1000\n\tmodules\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(t.symbols["MODULES"]?.definitions.first?.options, ["modules"])
        XCTAssertEqual(
            t.symbols["N"]?.definitions.first?.ranges,
            [KconfigRange(low: .constant("1"), high: .constant("64"), condition: .symbol("SMP"))])
        XCTAssertEqual(t.symbols["H"]?.type, .hex)
    }

    func testAllDigitSymbolNames() {
        let t = parse([
            "Kconfig":
                "config 8272\n\tbool\nconfig BOARD\n\tbool \"board\"\n\tselect 8272\nconfig USER\n\tbool \"u\"\n\tdepends on 8272\n"
        ])
        XCTAssertEqual(t.diagnostics, [])
        XCTAssertEqual(t.selectedBy["8272"]?.first?.selector, "BOARD")
        let e = KconfigEvaluator(tree: t)
        XCTAssertEqual(e.range("8272", assuming: ["BOARD": .y]), Tristate.y...Tristate.y)
        XCTAssertEqual(e.range("USER", assuming: ["8272": .n]).upperBound, .n)
    }

    func testPerFileEntriesInFileOrder() {
        let (entries, diagnostics) = KconfigParser.parseFile(
            path: "drivers/x/Kconfig",
            text:
                "if OUTER\nconfig Z_LAST\n\tbool\nconfig A_FIRST\n\ttristate \"a\"\n\tdepends on B || !B\nendif\nsource \"elsewhere\"\n"
        )
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(entries.map(\.name), ["Z_LAST", "A_FIRST"])
        XCTAssertEqual(entries[1].dependsOn, "B || !B")
        XCTAssertEqual(entries[1].definition.dependency?.description, "OUTER && (B || !B)")
    }

    func testGarbageNeverCrashes() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return seed
        }
        let pieces = [
            "config ", "menuconfig ", "choice\n", "endchoice\n", "if ", "endif\n", "menu \"m\"\n",
            "endmenu\n",
            "depends on ", "select ", "default ", "help\n", "\t", "  ", "\"", "'", "\\\n", "(", ")", "&&",
            "||", "!", "=",
            "A", "B", "y", "m", "$(", "source \"Kconfig\"\n", "\n", "\r\n", "#", "bool", "tristate \"t\"\n",
            "\u{00e9}",
        ]
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<(next() % 60) { text += pieces[Int(next() % UInt64(pieces.count))] }
            let t = parse(["Kconfig": text])
            let e = KconfigEvaluator(tree: t)
            for name in t.symbols.keys {
                _ = e.range(name)
                _ = e.range(name, assuming: ["A": .m])
            }
            _ = KconfigParser.parseFile(path: "Kconfig", text: text)
            _ = DotConfig.parse(text)
        }
    }
}
