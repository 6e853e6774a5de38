import XCTest

@testable import Kconfig

/// Ranges under assumptions (a unit's own symbol at m, a provider's checks) and the shortcuts
/// that make them cheap on a whole tree: a symbol whose range reads no assumed or floored one has
/// its range without assumptions; a changed symbol's "same range as the base" answer is shared by
/// every assumption set that pins its cone alike; the views a Kconfig change's witnesses start
/// from are made on another core.
final class KconfigAssumptionTests: XCTestCase {
    /// Defaults, selects, implies, a menu's dependency, a choice and a dependency loop, read
    /// from an assumed symbol or not.
    let files = [
        "Kconfig": "source \"arch/$(SRCARCH)/Kconfig\"\nsource \"drivers/Kconfig\"\n",
        "arch/arm64/Kconfig": "config ARM64\n\tdef_bool y\n\tselect HAVE_SMMU\n",
        "arch/x86/Kconfig": "config X86\n\tdef_bool y\n",
        "drivers/Kconfig": """
            config MODULES
            	bool "modules"
            	option modules
            config HAVE_SMMU
            	bool
            config A
            	tristate "a"
            config B
            	tristate
            	default A
            config C
            	tristate "c"
            	depends on D
            config D
            	bool "d"
            config S
            	bool "s"
            	select T
            config T
            	tristate
            config I
            	tristate "i"
            	imply J
            config J
            	tristate "j"
            config LOOP1
            	bool "loop1"
            	depends on LOOP2 || A
            config LOOP2
            	bool "loop2"
            	depends on LOOP1 || D
            menu "far"
            	depends on HAVE_SMMU
            config FAR
            	tristate "far"
            	depends on A || C
            config FAR_USER
            	tristate "far user"
            	depends on FAR
            endmenu
            choice
            	prompt "mode"
            config MODE_A
            	bool "a"
            	depends on A
            config MODE_B
            	bool "b"
            endchoice
            config AFTER_CHOICE
            	def_bool MODE_A

            """,
    ]

    func parse(_ files: [String: String]) -> KconfigTree {
        KconfigParser.parse(root: "Kconfig", srcarch: nil, architectures: ["arm64", "x86"], read: { files[$0] })
    }

    /// Every symbol's range under each assumption set is the one worked out over everything it
    /// reads, whichever is asked first: with nothing assumed known already, or not yet.
    func testRangesUnderAssumptionsAgreeWithAWholeEvaluation() {
        let tree = parse(files)
        let assumptions: [[String: Tristate]] = [
            ["A": .y], ["A": .m], ["A": .n], ["C": .m], ["S": .y], ["I": .y], ["FAR_USER": .m],
            ["LOOP1": .y], ["MODE_A": .y], ["D": .n, "A": .m], ["T": .m],
        ]
        let names = tree.symbols.keys.sorted()
        for unassumedFirst in [true, false] {
            let evaluator = KconfigEvaluator(tree: tree)
            if unassumedFirst { _ = evaluator.allRanges() }
            for assuming in assumptions {
                for name in names {
                    XCTAssertEqual(
                        evaluator.range(name, assuming: assuming),
                        evaluator.rangeEvaluatedWhole(name, assuming: assuming),
                        "\(name) assuming \(assuming), unassumed first: \(unassumedFirst)")
                }
            }
        }
        // What reads the assumption follows it; what does not keeps its range.
        let evaluator = KconfigEvaluator(tree: tree)
        XCTAssertEqual(evaluator.range("B", assuming: ["A": .y]), Tristate.y...Tristate.y)
        XCTAssertEqual(evaluator.range("B", assuming: ["A": .n]), Tristate.n...Tristate.n)
        XCTAssertEqual(evaluator.range("T", assuming: ["S": .y]), Tristate.y...Tristate.y)
        XCTAssertEqual(evaluator.range("J", assuming: ["I": .y]), Tristate.n...Tristate.y)
        XCTAssertEqual(evaluator.range("C", assuming: ["A": .y]), evaluator.range("C"))
        XCTAssertEqual(evaluator.range("FAR", assuming: ["A": .n, "D": .n]), Tristate.n...Tristate.n)
    }

    /// A changed symbol's range compared with the base's under units' assumptions that pin
    /// different symbols it reads: each its own answer, whichever unit asks first. C reads F
    /// and G; it stops defaulting to G: the same under U1=m or U3=m (F floored at y), not under
    /// U2=m (G floored at y).
    func testAChangedRangeIsComparedUnderThePinsItReads() throws {
        let before = [
            "Kconfig": "source \"drivers/Kconfig\"\n",
            "drivers/Kconfig": """
                config F
                	bool "f"
                config G
                	bool "g"
                config C
                	def_bool F || G
                config U1
                	tristate "u1"
                	depends on F
                config U2
                	tristate "u2"
                	depends on G
                config U3
                	tristate "u3"
                	depends on F

                """,
        ]
        var after = before
        after["drivers/Kconfig"] = before["drivers/Kconfig"]!.replacingOccurrences(
            of: "def_bool F || G", with: "def_bool F")
        let old = KconfigParser.parse(root: "Kconfig", srcarch: nil, read: { before[$0] })
        let tree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { after[$0] }))
        for order in [["U1", "U2", "U3"], ["U2", "U1", "U3"], ["U3", "U2", "U1"]] {
            let base = KconfigEvaluator(tree: old)
            let updated = KconfigEvaluator(tree: tree, updating: base, changedFiles: ["drivers/Kconfig"])
            for unit in order {
                let differ = try XCTUnwrap(updated.rangesMayDiffer(of: ["C"], assuming: [unit: .m]))
                XCTAssertEqual(differ, unit == "U2" ? ["C"] : [], "\(unit) in \(order)")
            }
        }
        let fresh = KconfigEvaluator(tree: tree)
        let base = KconfigEvaluator(tree: old)
        XCTAssertEqual(fresh.range("C", assuming: ["U1": .m]), base.range("C", assuming: ["U1": .m]))
        XCTAssertNotEqual(fresh.range("C", assuming: ["U2": .m]), base.range("C", assuming: ["U2": .m]))
    }

    /// An evaluator updated by a Kconfig change makes the views its witnesses start from on
    /// another core (in the search built from scratch): asked at once, while they are being
    /// made, and asked later, it answers as an evaluator built from scratch, on every
    /// architecture.
    func testViewsMadeOnAnotherCoreGiveTheSameWitnesses() throws {
        let old = parse(files)
        var changed = files
        // (In place: a choice is named by its line, and a view is updated only while every
        // choice keeps its name.)
        changed["drivers/Kconfig"] = files["drivers/Kconfig"]!.replacingOccurrences(
            of: "\tdepends on A || C\n", with: "\tdepends on A || D\n")
        let tree = try XCTUnwrap(KconfigParser.reparse(old, changed: ["drivers/Kconfig"], read: { changed[$0] }))
        let fresh = KconfigEvaluator(tree: tree)
        let questions: [([String: Tristate], String?)] =
            tree.symbols.keys.sorted().flatMap { name in
                [([name: Tristate.m], nil), ([name: .y], nil), ([name: .y], "x86"), ([name: .y], "arm64")]
            }
        for askAtOnce in [true, false] {
            let root = KconfigEvaluator(tree: old)
            let updated = KconfigEvaluator(tree: tree, updating: root, changedFiles: ["drivers/Kconfig"])
            updated.prefetchWitnessViews()
            if !askAtOnce { Thread.sleep(forTimeInterval: 0.2) }
            for (exactly, architecture) in questions {
                let got = updated.witness(exactly: exactly, on: architecture)
                let want = fresh.witness(exactly: exactly, on: architecture)
                XCTAssertEqual(got, want, "\(exactly) on \(architecture ?? "any")")
                for other in ["T", "FAR", "HAVE_SMMU", "ARM64", "X86"] {
                    XCTAssertEqual(got?.value(other), want?.value(other), "\(exactly): \(other)")
                }
            }
        }
    }
}
