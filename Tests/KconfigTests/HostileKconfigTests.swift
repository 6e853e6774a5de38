import Foundation
import XCTest

@testable import Kconfig

/// Kconfig trees built to hurt the parser: `source` cycles and chains, deep expressions, huge
/// lines, invalid UTF-8. Each is a diagnostic naming file and line, in bounded time.
final class HostileKconfigTests: XCTestCase {
    func parse(_ files: [String: String]) -> (tree: KconfigTree, seconds: Double) {
        let start = Date()
        let tree = KconfigParser.parse(root: "Kconfig", srcarch: "x86", read: { files[$0] })
        return (tree, Date().timeIntervalSince(start))
    }

    /// A sources B sources A: one diagnostic at the `source` line that closes the cycle.
    func testSourceCycleNamesTheClosingLine() {
        let (t, seconds) = parse([
            "Kconfig": "source \"drivers/A\"\n",
            "drivers/A": "config A\n\tbool \"a\"\nsource \"drivers/B\"\n",
            "drivers/B": "config B\n\tbool \"b\"\n\nsource \"drivers/A\"\nsource \"drivers/B\"\n",
        ])
        XCTAssertLessThan(seconds, 5)
        let cycles = t.diagnostics.filter { $0.message.contains("source cycle") }
        XCTAssertEqual(cycles.map(\.file), ["drivers/B", "drivers/B"])
        XCTAssertEqual(cycles.map(\.line), [4, 5])
        XCTAssertNotNil(t.symbols["A"])
        XCTAssertNotNil(t.symbols["B"])
    }

    /// 1,000 files each sourcing the next: cut at the nesting cap, with a diagnostic.
    func testSourceChainDeeperThanTheCap() {
        var files = ["Kconfig": "source \"k/0\"\n"]
        for i in 0..<1000 { files["k/\(i)"] = "config S\(i)\n\tbool\nsource \"k/\(i + 1)\"\n" }
        let (t, seconds) = parse(files)
        XCTAssertLessThan(seconds, 5)
        let deep = t.diagnostics.filter { $0.message.contains("source nesting deeper than 64") }
        XCTAssertEqual(deep.count, 1, "\(deep)")
        XCTAssertEqual(deep.first?.line, 3)
        XCTAssertNotNil(t.symbols["S0"])
        XCTAssertNil(t.symbols["S999"])
    }

    /// 100,000 nested parentheses in a dependency, and a 1 MB line of `&&`: diagnostics, not a
    /// stack overflow or a hang.
    func testDeepAndLongExpressions() {
        let deep = String(repeating: "(", count: 100_000) + "A" + String(repeating: ")", count: 100_000)
        let long = (0..<100_000).map { "S\($0)" }.joined(separator: " && ")
        let (t, seconds) = parse([
            "Kconfig": "config A\n\tbool\nconfig DEEP\n\tbool \"deep\"\n\tdepends on \(deep)\n"
                + "config LONG\n\ttristate \"long\"\n\tdepends on \(long)\nconfig AFTER\n\tbool\n"
        ])
        XCTAssertLessThan(seconds, 10)
        XCTAssertTrue(t.diagnostics.contains { $0.line == 5 && $0.message.contains("nested too deeply") }, "\(t.diagnostics)")
        XCTAssertTrue(t.diagnostics.contains { $0.line == 8 && $0.message.contains("longer than 1024") }, "\(t.diagnostics)")
        XCTAssertNotNil(t.symbols["AFTER"])
        XCTAssertNotNil(t.symbols["LONG"])
    }

    /// Invalid UTF-8 in prompts, help, symbol names and paths (decoded with replacement
    /// characters before parsing): parsed on, nothing traps.
    func testInvalidUTF8() {
        let bad = String(decoding: [0xff, 0xfe, 0xc3, 0xc3, 0xed, 0xa0, 0x80], as: UTF8.self)
        let (t, _) = parse([
            "Kconfig": "config OK\n\ttristate \"\(bad)\"\n\thelp\n\t  \(bad)\nconfig X\(bad)\n\tbool\nsource \"\(bad)\"\nconfig LAST\n\tbool\n"
        ])
        XCTAssertNotNil(t.symbols["OK"])
        XCTAssertNotNil(t.symbols["LAST"])
        XCTAssertTrue(t.diagnostics.contains { $0.message.contains("cannot read") }, "\(t.diagnostics)")
    }
}
