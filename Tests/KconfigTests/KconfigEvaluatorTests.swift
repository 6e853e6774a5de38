import Foundation
@testable import Kconfig
import XCTest

/// Worst-case ranges and concrete values, following scripts/kconfig/symbol.c.
final class KconfigEvaluatorTests: XCTestCase {
    func evaluator(_ text: String) -> KconfigEvaluator {
        let tree = KconfigParser.parse(root: "Kconfig", srcarch: "x", read: { $0 == "Kconfig" ? text : nil })
        XCTAssertEqual(tree.diagnostics, [])
        return KconfigEvaluator(tree: tree)
    }

    let drivers = """
        config MODULES
        	bool "modules"
        	option modules
        config OF
        	bool "of"
        config PROVIDER
        	tristate "provider"
        config BOOL_USER
        	bool "bool user"
        	depends on PROVIDER
        config EITHER_USER
        	tristate "may not be y while PROVIDER is m"
        	depends on PROVIDER || !PROVIDER
        config NEEDS_BUILTIN
        	bool "needs built-in provider"
        	depends on PROVIDER=y && OF
        config TRI_NEEDS_BUILTIN
        	tristate "tristate needing y"
        	depends on PROVIDER=y
        config UNMET
        	bool "its dependency never holds"
        	depends on UNDEFINED_SYMBOL
        config SELECTOR
        	tristate "selects UNMET anyway"
        	select UNMET
        	select TRI_TARGET
        config TRI_TARGET
        	tristate
        config DEFAULTED
        	def_tristate m
        	depends on PROVIDER
        config FIRST_DEFAULT_WINS
        	bool
        	default n if OF
        	default y
        config ALWAYS
        	bool
        	default y
        config IMPLIED
        	tristate "implied"
        	depends on OF
        config IMPLIER
        	bool "implier"
        	imply IMPLIED
        config CONTRADICTION
        	tristate "never"
        	depends on OF && !OF
        config NEVER_M
        	tristate "y or n only"
        	depends on OF || PROVIDER=y
        	depends on !(OF && PROVIDER=m)

        """

    func testWorstCaseRangesFollowKconfigSemantics() {
        let e = evaluator(drivers)
        XCTAssertTrue(e.canBeModule("PROVIDER"))
        XCTAssertTrue(e.canBeBuiltin("PROVIDER"))
        XCTAssertFalse(e.canBeModule("BOOL_USER"), "a bool is never m")
        XCTAssertEqual(
            e.range("BOOL_USER", assuming: ["PROVIDER": .m]).upperBound, .y, "m visibility is promoted to y")
        XCTAssertEqual(e.range("EITHER_USER", assuming: ["PROVIDER": .m]), Tristate.n...Tristate.m, "X || !X")
        XCTAssertEqual(e.range("EITHER_USER", assuming: ["PROVIDER": .n]).upperBound, .y)
        XCTAssertEqual(e.range("EITHER_USER", assuming: ["PROVIDER": .y]).upperBound, .y)
        XCTAssertEqual(e.range("NEEDS_BUILTIN", assuming: ["PROVIDER": .m]), Tristate.n...Tristate.n, "A=y")
        XCTAssertEqual(e.range("NEEDS_BUILTIN", assuming: ["PROVIDER": .y]), Tristate.n...Tristate.y)
        XCTAssertEqual(e.range("TRI_NEEDS_BUILTIN", assuming: ["PROVIDER": .y]), Tristate.n...Tristate.y)
        XCTAssertTrue(e.canBeModule("TRI_NEEDS_BUILTIN"), "its own value may still be m while PROVIDER is y")
        XCTAssertEqual(e.range("UNMET"), Tristate.n...Tristate.y, "select ignores the target's dependencies")
        XCTAssertEqual(
            e.range("UNMET", assuming: ["SELECTOR": .m]), Tristate.y...Tristate.y, "bool selected by m is y")
        XCTAssertEqual(
            e.range("TRI_TARGET", assuming: ["SELECTOR": .m]), Tristate.m...Tristate.m,
            "no prompt: the select decides")
        XCTAssertEqual(e.range("TRI_TARGET", assuming: ["SELECTOR": .y]), Tristate.y...Tristate.y)
        XCTAssertTrue(e.canBeModule("TRI_TARGET"), "selected by something that can be m")
        XCTAssertEqual(e.range("DEFAULTED"), Tristate.n...Tristate.m, "def_tristate m")
        XCTAssertEqual(e.range("DEFAULTED", assuming: ["PROVIDER": .y]), Tristate.m...Tristate.m)
        XCTAssertEqual(e.range("DEFAULTED", assuming: ["PROVIDER": .n]), Tristate.n...Tristate.n)
        XCTAssertEqual(e.range("FIRST_DEFAULT_WINS"), Tristate.n...Tristate.y, "an earlier default may win")
        XCTAssertEqual(e.range("FIRST_DEFAULT_WINS", assuming: ["OF": .n]), Tristate.y...Tristate.y)
        XCTAssertEqual(e.range("ALWAYS"), Tristate.y...Tristate.y)
        XCTAssertEqual(
            e.range("IMPLIED", assuming: ["IMPLIER": .y, "OF": .n]), Tristate.n...Tristate.n,
            "imply respects deps")
        XCTAssertEqual(e.range("CONTRADICTION"), Tristate.n...Tristate.n, "OF && !OF is exact by enumeration")
        XCTAssertEqual(e.range("NEVER_M", assuming: ["OF": .y, "PROVIDER": .m]), Tristate.n...Tristate.n)
        XCTAssertFalse(e.canBeModule("UNDEFINED_SYMBOL"))
        XCTAssertEqual(e.range("UNDEFINED_SYMBOL"), Tristate.n...Tristate.n)
    }

    /// The names an expression repeats (enumerated as one value each), once each, sorted.
    func testRepeatedNamesOfAnExpression() {
        let e = KconfigExpression.and(
            .or(.symbol("B"), .symbol("A")), .and(.not(.symbol("B")), .compare(.equal, .symbol("A"), .symbol("B"))))
        XCTAssertEqual(KconfigEvaluator.repeatedSymbols(e), ["A", "B"])
        XCTAssertEqual(KconfigEvaluator.repeatedSymbols(.symbol("A")), [])
        XCTAssertEqual(KconfigEvaluator.repeatedSymbols(.and(.symbol("A"), .not(.symbol("C")))), [])
        XCTAssertEqual(KconfigEvaluator.repeatedSymbols(.or(.constant("y"), .and(.symbol("C"), .symbol("C")))), ["C"])
    }

    func testExpressionRanges() {
        let e = evaluator(drivers)
        let xOrNotX = KconfigExpression.or(.symbol("PROVIDER"), .not(.symbol("PROVIDER")))
        XCTAssertEqual(e.range(of: xOrNotX, assuming: ["PROVIDER": .m]), Tristate.m...Tristate.m)
        XCTAssertEqual(e.range(of: xOrNotX), Tristate.m...Tristate.y, "exact, not interval n...y")
        XCTAssertEqual(e.range(of: .not(.symbol("OF"))), Tristate.n...Tristate.y)
        XCTAssertEqual(
            e.range(of: .compare(.equal, .symbol("PROVIDER"), .constant("y")), assuming: ["PROVIDER": .m]),
            Tristate.n...Tristate.n)
        XCTAssertEqual(
            e.range(of: .compare(.less, .symbol("PROVIDER"), .constant("y")), assuming: ["PROVIDER": .m]),
            Tristate.y...Tristate.y)
        XCTAssertEqual(e.range(of: .constant("m")), Tristate.m...Tristate.m)
        XCTAssertEqual(
            e.range(of: .compare(.equal, .symbol("STRINGY"), .constant("abc"))), Tristate.n...Tristate.n)
    }

    func testMacroComparisonsMayGoEitherWay() {
        let e = evaluator("config SUPER32\n\tdef_bool \"$(ARCH)\" = \"sh\"\nconfig CPU\n\tbool \"cpu\"\n\tdepends on SUPER32\n")
        XCTAssertEqual(e.range("SUPER32"), Tristate.n...Tristate.y, "the architecture is not known here")
        XCTAssertEqual(e.range("CPU").upperBound, .y)
    }

    func testAssumptionsImplyTheirDependenciesAndSelects() {
        let e = evaluator(drivers)
        // SELECTOR=m forces UNMET (a bool) to y; NEEDS_BUILTIN=y needs PROVIDER=y and OF.
        XCTAssertEqual(e.range("OF", assuming: ["NEEDS_BUILTIN": .y]).lowerBound, .y)
        XCTAssertEqual(e.range("PROVIDER", assuming: ["NEEDS_BUILTIN": .y]), Tristate.y...Tristate.y)
    }

    func testSelectCyclesTerminateAndDoNotDependOnQueryOrder() {
        let text = """
            config A
            	bool
            	select B
            config B
            	bool
            	select A
            config C
            	tristate "c"
            	select A
            config D
            	bool
            	depends on A && B

            """
        let first = evaluator(text)
        let a1 = first.range("A")
        let b1 = first.range("B")
        let second = evaluator(text)
        let d2 = second.range("D")
        let b2 = second.range("B")
        let a2 = second.range("A")
        XCTAssertEqual(a1, a2)
        XCTAssertEqual(b1, b2)
        XCTAssertEqual(first.range("D"), d2)
        XCTAssertEqual(first.range("A", assuming: ["C": .m]), Tristate.y...Tristate.y)
        XCTAssertEqual(first.range("B", assuming: ["C": .m]), Tristate.y...Tristate.y, "through the cycle")
        XCTAssertTrue(a1.contains(.n) && a1.contains(.y), "sound: C may be n or set")
    }

    func testAllRangesOfATree() {
        let e = evaluator(drivers)
        let all = e.allRanges()
        XCTAssertEqual(all["ALWAYS"], Tristate.y...Tristate.y)
        XCTAssertEqual(all.count, 17)
        XCTAssertEqual(all["EITHER_USER"], e.range("EITHER_USER"))
    }

    func testConcurrentQueriesShareOneEvaluator() {
        let e = evaluator(drivers)
        let names = [
            "PROVIDER", "BOOL_USER", "EITHER_USER", "NEEDS_BUILTIN", "UNMET", "DEFAULTED", "NEVER_M",
        ]
        let expected = names.map { e.range($0, assuming: ["PROVIDER": .m]) }
        let fresh = evaluator(drivers)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var values: [Int: ClosedRange<Tristate>] = [:]
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 64) { k in
            let name = names[k % names.count]
            _ = fresh.range(name)
            let r = fresh.range(name, assuming: ["PROVIDER": .m])
            results.lock.lock()
            results.values[k] = r
            results.lock.unlock()
        }
        for k in 0..<64 { XCTAssertEqual(results.values[k], expected[k % names.count]) }
    }

    func testConcreteConfigValues() {
        let e = evaluator(
            drivers
                + "config COUNT\n\tint \"count\"\nconfig BIG\n\tbool \"big\"\n\tdepends on COUNT >= 16\nconfig NAME\n\tstring \"n\"\nconfig NAMED\n\tbool \"named\"\n\tdepends on NAME = \"x\\\"y\"\n"
        )
        let config = DotConfig.parse(
            "CONFIG_MODULES=y\r\nCONFIG_PROVIDER=m\nCONFIG_OF=y\nCONFIG_NEEDS_BUILTIN=y\nCONFIG_BOOL_USER=y\nCONFIG_EITHER_USER=y\n"
                + "CONFIG_SELECTOR=m\n# CONFIG_UNMET is not set\nCONFIG_COUNT=32\nCONFIG_BIG=y\nCONFIG_NAME=\"x\\\"y\"\nCONFIG_NAMED=y\n"
        )
        XCTAssertEqual(config.diagnostics, [])
        XCTAssertEqual(config.values["NAME"], "x\"y")
        XCTAssertEqual(e.value("PROVIDER", config: config), .m)
        XCTAssertEqual(e.value("NEEDS_BUILTIN", config: config), .n, "capped by PROVIDER=y failing")
        XCTAssertEqual(e.value("BOOL_USER", config: config), .y, "bool on an m dependency stays y")
        XCTAssertEqual(e.value("EITHER_USER", config: config), .m, "capped at m by X || !X")
        XCTAssertEqual(e.value("UNMET", config: config), .y, "selected despite 'is not set'")
        XCTAssertEqual(e.value("ABSENT", config: config), .n)
        XCTAssertEqual(e.value("BIG", config: config), .y, "numeric comparison")
        XCTAssertEqual(e.value("NAMED", config: config), .y, "string comparison")
        let other = DotConfig.parse(
            "CONFIG_PROVIDER=y\nCONFIG_OF=y\nCONFIG_NEEDS_BUILTIN=y\nCONFIG_COUNT=8\nCONFIG_BIG=y\n")
        XCTAssertEqual(
            e.value("NEEDS_BUILTIN", config: other), .y, "a second config is not answered from the first")
        XCTAssertEqual(e.value("BIG", config: other), .n)
    }

    func testDotConfigDiagnostics() {
        let config = DotConfig.parse(
            "CONFIG_A=y\nnonsense\nCONFIG_=y\nCONFIG_S=\"unterminated\n# plain comment\n\n")
        XCTAssertEqual(config.diagnostics.map(\.line), [2, 3, 4])
        XCTAssertEqual(config.values, ["A": "y"])
    }
}
