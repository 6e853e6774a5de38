import Foundation
import Kconfig
import XCTest

/// A whole tree's symbol graph is kept as bytes: an evaluator started from them answers every
/// range (with and without assumptions) as one that built the graph, including the ranges that
/// go through a dependency loop, a non-bool symbol and a select; bytes that are cut short or
/// number another tree's symbols are refused.
final class KconfigGraphSnapshotTests: XCTestCase {
    let text = """
        config MODULES
        	bool "modules"
        	option modules
        config LOOP_A
        	tristate "a"
        	depends on LOOP_B || COMPILE_TEST
        config LOOP_B
        	tristate "b"
        	depends on LOOP_A || !LOOP_A
        config COMPILE_TEST
        	bool "compile test"
        config COUNT
        	int "count"
        	default 4
        config USER
        	tristate "user"
        	depends on COUNT != 0 && LOOP_A
        	select HELPER
        config HELPER
        	tristate
        config ONLY_Y
        	bool "y only"
        	depends on USER
        """

    func testGraphBytesGiveTheSameAnswers() throws {
        let tree = KconfigParser.parse(root: "Kconfig", srcarch: "x", read: { $0 == "Kconfig" ? self.text : nil })
        XCTAssertEqual(tree.diagnostics, [])
        let built = KconfigEvaluator(tree: tree)
        let bytes = built.graphBytes
        let kept = try XCTUnwrap(KconfigEvaluator(tree: tree, graph: bytes))
        XCTAssertEqual(kept.graphBytes, bytes, "the same graph")
        let names = ["MODULES", "LOOP_A", "LOOP_B", "COMPILE_TEST", "USER", "HELPER", "ONLY_Y", "NOT_THERE"]
        let assumptions: [[String: Tristate]] = [[:], ["LOOP_A": .n], ["USER": .m], ["COMPILE_TEST": .n, "LOOP_B": .y]]
        for assuming in assumptions {
            for name in names {
                XCTAssertEqual(kept.range(name, assuming: assuming), built.range(name, assuming: assuming), "\(name) \(assuming)")
            }
        }
        XCTAssertEqual(built.range("HELPER"), .n ... .y)

        // Cut short, or another tree's: refused.
        XCTAssertNil(KconfigEvaluator(tree: tree, graph: Array(bytes.dropLast(3))))
        XCTAssertNil(KconfigEvaluator(tree: tree, graph: []))
        let other = KconfigParser.parse(
            root: "Kconfig", srcarch: "x", read: { $0 == "Kconfig" ? "config ZZZ\n\tbool \"z\"\n" : nil })
        XCTAssertNil(KconfigEvaluator(tree: other, graph: bytes))
    }
}
