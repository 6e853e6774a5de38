import Foundation
import Kconfig
import XCTest

/// "Can the user be y while the provider is m?" answered with a configuration, as
/// `KCONFIG_ALLCONFIG=... make allyesconfig` would produce it. Each tree is written for modcheck
/// in the shape of a Kconfig idiom found in the kernel.
final class KconfigWitnessTests: XCTestCase {
    func evaluator(_ files: [String: String], architectures: [String] = []) -> KconfigEvaluator {
        let tree = KconfigParser.parse(
            root: "Kconfig", srcarch: nil, architectures: architectures, read: { files[$0] })
        XCTAssertEqual(tree.diagnostics, [])
        return KconfigEvaluator(tree: tree)
    }

    let head = """
        config MODULES
        	bool "modules"
        	default y
        config PROVIDER
        	tristate "provider"

        """

    func yUsesM(_ user: String, extra: String = "") -> KconfigWitness? {
        evaluator(["Kconfig": head + user + extra]).witness(exactly: ["USER": .y, "PROVIDER": .m])
    }

    func testABoolDependingOnATristateIsPromotedToY() {
        let w = yUsesM("config USER\n\tbool \"user\"\n\tdepends on PROVIDER\n")
        XCTAssertEqual(w?.assignments["USER"], .y)
        XCTAssertEqual(w?.assignments["PROVIDER"], .m)
    }

    func testATristateDependingOnTheProviderFollowsIt() {
        XCTAssertNil(yUsesM("config USER\n\ttristate \"user\"\n\tdepends on PROVIDER\n"))
    }

    func testTheEitherOrIdiomForbidsYUsesMOnlyForATristate() {
        XCTAssertNil(yUsesM("config USER\n\ttristate \"user\"\n\tdepends on PROVIDER || !PROVIDER\n"))
        XCTAssertNil(yUsesM("config USER\n\ttristate \"user\"\n\tdepends on PROVIDER || PROVIDER=n\n"))
        XCTAssertNotNil(
            yUsesM("config USER\n\tbool \"user\"\n\tdepends on PROVIDER || !PROVIDER\n"),
            "a bool's m dependency is promoted to y: the idiom does not help a bool")
    }

    func testAUserThatSelectsTheProviderRaisesItToItsOwnValue() {
        XCTAssertNil(yUsesM("config USER\n\tbool \"user\"\n\tselect PROVIDER\n"))
    }

    func testAnUnrelatedSelectorThatForcesTheProviderIsLowered() {
        let w = yUsesM(
            "config USER\n\tbool \"user\"\n",
            extra: "config OTHER\n\tbool \"other\"\n\tselect PROVIDER\n")
        XCTAssertEqual(w?.assignments["OTHER"], .n, "allyesconfig has OTHER=y, which makes PROVIDER y")
    }

    func testABoolThatSelectsUnderAnMDependencySelectsWithM() {
        // menu_finalize(): the select's strength is `selector && its dependencies`, so a bool
        // promoted to y under PROVIDER=m selects HELPER with m only.
        let e = evaluator([
            "Kconfig": head
                + "config BOOLSEL\n\tbool \"b\"\n\tdepends on PROVIDER\n\tselect HELPER\nconfig HELPER\n\ttristate\n"
        ])
        XCTAssertEqual(e.range("HELPER", assuming: ["PROVIDER": .m]).upperBound, .m)
        XCTAssertNil(e.witness(exactly: ["HELPER": .y, "PROVIDER": .m]))
        XCTAssertNotNil(e.witness(exactly: ["HELPER": .m, "PROVIDER": .m]))
    }

    func testASelectPastItsTargetsDependencyIsNotAConfigurationTheKernelAllows() {
        // Only BOARD's select makes HELPER y while PROVIDER is m: kconfig warns about unmet
        // direct dependencies; that is the board's bug, not a y-uses-m configuration.
        let w = yUsesM(
            "config USER\n\tbool \"user\"\n\tdepends on HELPER=y\n",
            extra: """
                config HELPER
                	tristate "helper"
                	depends on PROVIDER
                config BOARD
                	bool "board"
                	select HELPER

                """)
        XCTAssertNil(w)
    }

    func testMembersOfOneChoiceExcludeEachOther() {
        let choice = """
            choice
            	prompt "model"
            config MODEL_A
            	bool "a"
            config MODEL_B
            	bool "b"
            endchoice

            """
        XCTAssertNotNil(yUsesM("config USER\n\tbool \"user\"\n\tdepends on MODEL_B\n", extra: choice))
        XCTAssertNil(yUsesM("config USER\n\tbool \"user\"\n\tdepends on MODEL_A && MODEL_B\n", extra: choice))
    }

    func testANegatedDependencyIsMetByLoweringItsSymbol() {
        let w = yUsesM(
            "config USER\n\tbool \"user\"\n\tdepends on !LEGACY\n",
            extra: "config LEGACY\n\tbool \"legacy\"\n")
        XCTAssertEqual(w?.assignments["LEGACY"], .n)
    }

    func testOnlyOneArchitecturesDefinitionsExistAtOnce() {
        // On arch "a" the platform forces PROVIDER built in; on arch "b" nothing does. A user
        // that exists only on "a" never sees PROVIDER=m; one on every architecture does, on "b".
        let files = [
            "Kconfig": head
                + "source \"arch/$(SRCARCH)/Kconfig\"\nconfig USER\n\tbool \"user\"\n\tdepends on PLATFORM_A || COMMON\nconfig COMMON\n\tbool \"common\"\n",
            "arch/a/Kconfig": "config PLATFORM_A\n\tdef_bool y\n\tselect PROVIDER\n",
            "arch/b/Kconfig": "config PLATFORM_B\n\tdef_bool y\n",
        ]
        let e = evaluator(files, architectures: ["a", "b"])
        let w = e.witness(exactly: ["USER": .y, "PROVIDER": .m])
        XCTAssertEqual(w?.architecture, "b")
        let onlyA = evaluator(
            files.merging(["Kconfig": head + "source \"arch/$(SRCARCH)/Kconfig\"\nconfig USER\n\tbool \"user\"\n\tdepends on PLATFORM_A\n"]) { $1 },
            architectures: ["a", "b"])
        XCTAssertNil(onlyA.witness(exactly: ["USER": .y, "PROVIDER": .m]))
    }

    /// A question with no configuration on the first architectures is answered on the first one
    /// that has one, in the search's order, although the views after the second are made two at
    /// a time (every other one on another thread): "d" when "d" and "e" both have one, "e" when
    /// only "e" has.
    func testTheFirstArchitectureWithAConfigurationAnswersWhateverViewIsMadeFirst() {
        func files(forcing: [String]) -> [String: String] {
            var files = [
                "Kconfig": head
                    + "source \"arch/$(SRCARCH)/Kconfig\"\nconfig USER\n\tbool \"user\"\n\tdepends on COMMON\nconfig COMMON\n\tbool \"common\"\n"
            ]
            for arch in ["a", "b", "c", "d", "e"] {
                let upper = arch.uppercased()
                files["arch/\(arch)/Kconfig"] =
                    "config PLATFORM_\(upper)\n\tdef_bool y\n" + (forcing.contains(arch) ? "\tselect PROVIDER\n" : "")
            }
            return files
        }
        let architectures = ["a", "b", "c", "d", "e"]
        let both = evaluator(files(forcing: ["a", "b", "c"]), architectures: architectures)
        XCTAssertEqual(both.witness(exactly: ["USER": .y, "PROVIDER": .m])?.architecture, "d")
        let last = evaluator(files(forcing: ["a", "b", "c", "d"]), architectures: architectures)
        XCTAssertEqual(last.witness(exactly: ["USER": .y, "PROVIDER": .m])?.architecture, "e")
        let none = evaluator(files(forcing: architectures), architectures: architectures)
        XCTAssertNil(none.witness(exactly: ["USER": .y, "PROVIDER": .m]))
    }

    func testAnotherProviderMustStayBelowY() {
        let e = evaluator([
            "Kconfig": head
                + "config USER\n\tbool \"user\"\n\tdepends on PROVIDER\nconfig OTHER_PROVIDER\n\ttristate \"other\"\n\tdepends on !PROVIDER\n"
        ])
        let w = e.witness(exactly: ["USER": .y, "PROVIDER": .m], below: ["OTHER_PROVIDER": .y])
        XCTAssertNotNil(w)
        XCTAssertNotEqual(w?.assignments["OTHER_PROVIDER"], .y)
    }
}

extension KconfigWitnessTests {
    func evaluatorBeforeV57(_ text: String) -> KconfigEvaluator {
        var tree = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { $0 == "Kconfig" ? text : nil })
        tree.semantics = KconfigSemantics(version: (5, 4))
        return KconfigEvaluator(tree: tree)
    }

    func testBeforeV57AUserThatImpliesTheProviderNeverSeesItAsAModule() {
        // v5.4's sym_calc_value(): an m is promoted to y when an `imply` of the symbol is y.
        XCTAssertNil(
            evaluatorBeforeV57(head + "config USER\n\tbool \"user\"\n\timply PROVIDER\n")
                .witness(exactly: ["USER": .y, "PROVIDER": .m]))
        let w = evaluatorBeforeV57(
            head + "config USER\n\tbool \"user\"\nconfig OTHER\n\ttristate \"other\"\n\timply PROVIDER\n"
        ).witness(exactly: ["USER": .y, "PROVIDER": .m])
        XCTAssertEqual(w?.assignments["OTHER"], .m, "allyesconfig's OTHER=y would promote PROVIDER to y")
    }

    func testSinceV57AnImpliedSymbolMayBeAModuleUnderAYImplier() {
        // "kconfig: allow symbols implied by y to become m" (v5.7): the caller that only implies
        // its provider is the y-uses-m case builtin-uses-modular exists for.
        let w = yUsesM("config USER\n\tbool \"user\"\n\timply PROVIDER\n")
        XCTAssertEqual(w?.assignments["PROVIDER"], .m)
    }
}
