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

    /// Twelve files that each source all the others: no cycle is ever closed on a path, but the
    /// number of paths through them is 11! (found by the fuzzer as a timeout). Each file is
    /// parsed at most `parsesPerFile` times, with one diagnostic naming it.
    func testDiamondOfSourcesIsBounded() {
        let names = (0..<12).map { "k/\($0)" }
        var files = ["Kconfig": names.map { "source \"\($0)\"\n" }.joined()]
        for (i, name) in names.enumerated() {
            files[name] = "config S\(i)\n\tbool\n" + names.map { "source \"\($0)\"\n" }.joined()
        }
        let (t, seconds) = parse(files)
        XCTAssertLessThan(seconds, 10)
        XCTAssertLessThanOrEqual(t.files.count, 12 * 64)
        XCTAssertEqual(Dictionary(grouping: t.files, by: { $0 }).values.map(\.count).max(), 64)
        let capped = t.diagnostics.filter { $0.message.contains("sourced more than 64 times") }
        let cappedFiles = capped.map { $0.message.components(separatedBy: " ").first ?? "" }
        XCTAssertFalse(cappedFiles.isEmpty)
        XCTAssertEqual(Set(cappedFiles).count, cappedFiles.count, "one diagnostic per file")
        XCTAssertTrue(capped.allSatisfy { $0.file.hasPrefix("k/") && $0.line > 2 }, "\(capped)")
        XCTAssertNotNil(t.symbols["S11"])

        // The total cap, with small limits: one diagnostic, at the source line it stopped at.
        let small = KconfigParser.parse(
            root: "Kconfig", srcarch: "x86", limits: SourceLimits(parsesPerFile: 100, parses: 50),
            read: { files[$0] })
        XCTAssertEqual(small.files.count, 50)
        let total = small.diagnostics.filter { $0.message.contains("more than 50 Kconfig files parsed") }
        XCTAssertEqual(total.count, 1, "\(small.diagnostics)")
        XCTAssertGreaterThan(total.first?.line ?? 0, 0)
    }

    /// 10,000 nested `if` blocks, a config in each: every entry would carry every enclosing
    /// condition (quadratic). Past 64 levels blocks are only counted: one diagnostic, their ends
    /// still match, and what follows them is parsed as before.
    func testDeeplyNestedBlocksAreCapped() {
        let depth = 10_000
        var text = ""
        for i in 0..<depth { text += "if A\(i)\nconfig N\(i)\n\tbool \"n\"\n" }
        text += String(repeating: "endif\n", count: depth)
        text += "menu \"m\"\n" + String(repeating: "menu \"x\"\n", count: 100) + "depends on Z\n"
            + String(repeating: "endmenu\n", count: 101) + "config AFTER\n\tbool \"after\"\n"
        let (t, seconds) = parse(["Kconfig": text])
        XCTAssertLessThan(seconds, 20)
        let deep = t.diagnostics.filter { $0.message.contains("nested deeper than 64") }
        XCTAssertEqual(deep.map(\.line), [193, 3 * depth + depth + 65], "\(deep)")
        XCTAssertFalse(t.diagnostics.contains { $0.message.contains("without") || $0.message.contains("unterminated") }, "\(t.diagnostics.prefix(3))")
        XCTAssertEqual(t.symbols["N63"]?.definitions.first?.dependency?.symbols.count, 64)
        XCTAssertEqual(t.symbols["N9999"]?.definitions.first?.dependency?.symbols.count, 64)
        XCTAssertNil(t.symbols["AFTER"]?.definitions.first?.dependency, "every block closed again")
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
