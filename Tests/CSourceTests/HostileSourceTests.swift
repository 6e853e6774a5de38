import CSource
import Foundation
import XCTest

/// C files built to hurt the scanner: deep nesting of every kind, endless statements, huge
/// single lines, invalid UTF-8. Each scan ends in bounded time and memory, and every cap that
/// cut the file short is a limit diagnostic (reported by the fact layer), never silent.
final class HostileSourceTests: XCTestCase {
    /// Far past every cap, yet quick in a debug build (the 50 MB file is tested end to end, where
    /// the size limit keeps it from the scanner).
    static let size = 2 << 20

    func scan(_ text: String, path: String = "drivers/iommu/hostile.c", depth: ScanDepth = .full)
        -> (facts: SourceFacts, seconds: Double)
    {
        let start = Date()
        let facts = CSourceScanner.scan(path: path, text: text, depth: depth)
        return (facts, Date().timeIntervalSince(start))
    }

    func limits(_ f: SourceFacts) -> [CSourceDiagnostic] { f.diagnostics.filter(\.isLimit) }

    func repeated(_ unit: String, toSize size: Int = HostileSourceTests.size) -> String {
        String(repeating: unit, count: size / unit.utf8.count)
    }

    func testDeeplyNestedConditionals() {
        let opens = repeated("#ifdef CONFIG_A\n", toSize: HostileSourceTests.size / 2)
        let text =
            opens + "int inner(void) { return 0; }\nEXPORT_SYMBOL(inner);\n"
            + repeated("#endif\n", toSize: HostileSourceTests.size / 2) + "int after(void) { return 1; }\n"
        for depth in [ScanDepth.symbols, .full] {
            let (f, t) = scan(text, depth: depth)
            XCTAssertLessThan(t, 10)
            let limit = limits(f)
            XCTAssertEqual(limit.count, 1, "\(limit.prefix(3))")
            XCTAssertTrue(limit.first?.message.contains("#if nested deeper than") ?? false, "\(limit)")
            XCTAssertEqual(limit.first?.line, 65)
            XCTAssertTrue(f.definitions.contains { $0.name == "after" }, "the file goes on after the cap")
        }
    }

    func testLongElifChain() {
        let text =
            "#if defined(CONFIG_X0)\n"
            + (1..<200_000).map { "#elif defined(CONFIG_X\($0))\nint f\($0);\n" }.joined()
            + "#else\nint last;\n#endif\nint after;\n"
        let (f, t) = scan(text)
        XCTAssertLessThan(t, 10)
        XCTAssertTrue(f.definitions.contains { $0.name == "after" })
        XCTAssertTrue(limits(f).contains { $0.message.contains("#elif") }, "\(limits(f))")
    }

    func testDeeplyNestedBraces() {
        let text =
            "static const int table[] = " + repeated("{", toSize: HostileSourceTests.size / 2)
            + repeated("}", toSize: HostileSourceTests.size / 2) + ";\nint after(void) { return 1; }\n"
        for depth in [ScanDepth.symbols, .full] {
            let (f, t) = scan(text, depth: depth)
            XCTAssertLessThan(t, 10)
            XCTAssertTrue(f.definitions.contains { $0.name == "after" }, "\(depth)")
            XCTAssertLessThanOrEqual(limits(f).count, 2, "one diagnostic per cap, not one per brace")
        }
        let body =
            "int f(void)\n{\n" + repeated("{", toSize: HostileSourceTests.size / 2)
            + repeated("}", toSize: HostileSourceTests.size / 2) + "}\nint after(void) { return 1; }\n"
        let (f, _) = scan(body)
        XCTAssertEqual(limits(f).filter { $0.message.contains("nested deeper than 256") }.count, 1, "\(limits(f))")
        XCTAssertTrue(f.definitions.contains { $0.name == "after" })
    }

    func testDeeplyNestedParentheses() {
        let text =
            "int x = " + repeated("(", toSize: HostileSourceTests.size / 2)
            + repeated(")", toSize: HostileSourceTests.size / 2) + ";\nint after(void) { return 1; }\n"
        let (f, t) = scan(text)
        XCTAssertLessThan(t, 10)
        XCTAssertTrue(f.definitions.contains { $0.name == "after" })
        XCTAssertTrue(limits(f).contains { $0.message.contains("declaration too long") }, "\(limits(f))")
        let condition =
            "#if " + repeated("(", toSize: 100_000) + "defined(CONFIG_A)" + repeated(")", toSize: 100_000)
            + "\nint a;\n#endif\nint b;\n"
        let (g, _) = scan(condition)
        XCTAssertTrue(g.definitions.contains { $0.name == "b" })
        XCTAssertTrue(limits(g).contains { $0.message.contains("expression nested deeper") }, "\(limits(g))")
    }

    /// The 50 MB single-line file's content at scan size: one initializer of millions of tokens.
    func testHugeSingleLineInitializer() {
        let text = "static int x[] = {" + repeated("1,") + "};\nint after(void) { return 1; }\n"
        for depth in [ScanDepth.symbols, .full] {
            let (f, t) = scan(text, depth: depth)
            XCTAssertLessThan(t, 10)
            XCTAssertTrue(f.definitions.contains { $0.name == "after" }, "\(depth)")
        }
        let (f, _) = scan(text, depth: .full)
        XCTAssertTrue(limits(f).contains { $0.message.contains("tokens") }, "\(limits(f))")
        let statement = "int " + repeated("a, ") + "z;\nint after;\n"
        let (g, _) = scan(statement)
        XCTAssertTrue(g.definitions.contains { $0.name == "after" })
    }

    /// Block-scope declarations read per statement: nested statement expressions, endless
    /// declarator lists and unclosed groups inside a body stay linear.
    func testHostileFunctionBodies() {
        let half = HostileSourceTests.size / 2
        for body in [
            repeated("int a = ({ ", toSize: half) + repeated("}); ", toSize: half),
            "u32 " + repeated("a = {0}, ", toSize: half) + "z;",
            repeated("struct s { ", toSize: half) + repeated("} x; ", toSize: half),
            repeated("for (int i = (", toSize: half) + "0;",
            repeated("case A: ", toSize: half) + "int b;",
            "LIST_HEAD(" + repeated("(", toSize: half),
        ] {
            let (f, t) = scan("int f(void)\n{\n" + body + "\n}\nint after(void) { return 1; }\n")
            XCTAssertLessThan(t, 10, String(body.prefix(20)))
            XCTAssertTrue(f.definitions.contains { $0.name == "f" }, String(body.prefix(20)))
        }
    }

    func testUnterminatedEverything() {
        for (text, expected) in [
            ("/*" + repeated("x"), "unterminated comment"),
            ("\"" + repeated("x"), "unterminated literal"),
            ("int f(void) {" + repeated("x;"), "unbalanced '{'"),
            ("#define A " + repeated("\\\n"), nil), (repeated("'"), nil),
        ] {
            let (f, t) = scan(text)
            XCTAssertLessThan(t, 10)
            if let expected {
                XCTAssertTrue(f.diagnostics.contains { $0.message.contains(expected) }, "\(f.diagnostics)")
            }
        }
    }

    func testInvalidUTF8() {
        var bytes: [UInt8] = Array("int ok(void) { return 0; }\nEXPORT_SYMBOL(ok);\n".utf8)
        bytes += [0xff, 0xfe, 0xc3, 0xc3, 0xed, 0xa0, 0x80] + Array(" int \u{1}x;\n".utf8)
        bytes += Array("#define A".utf8) + [0xff] + Array("(x) x\n#if ".utf8) + [0xfe] + Array("\n#endif\n".utf8)
        bytes += Array("int ".utf8) + [0xc3, 0xa9, 0xff] + Array("_name(void) { return 1; }\n".utf8)
        bytes += Array("EXPORT_SYMBOL_GPL(after);\n".utf8)
        let f = bytes.withUnsafeBytes { CSourceScanner.scan(path: "drivers/iommu/bad.c", bytes: $0, depth: .full) }
        XCTAssertTrue(f.exports.contains { $0.name == "ok" })
        XCTAssertTrue(f.exports.contains { $0.name == "after" })
    }

    /// The wall-clock guard: a scan past its deadline stops, says where, and keeps what it read.
    func testScanDeadline() {
        let text = "int first;\n" + repeated("int a;\n", toSize: 32 << 20) + "int last;\n"
        let start = Date()
        let f = text.utf8.withContiguousStorageIfAvailable {
            CSourceScanner.scan(
                path: "drivers/iommu/slow.c", bytes: UnsafeRawBufferPointer($0), depth: .full,
                timeLimit: 0.01)
        }
        let t = Date().timeIntervalSince(start)
        XCTAssertLessThan(t, 2)
        let limit = limits(f ?? .empty(path: ""))
        XCTAssertEqual(limit.count, 1, "\(limit)")
        XCTAssertTrue(limit.first?.message.contains("stopped after 0.01 s") ?? false, "\(limit)")
        XCTAssertTrue(f?.definitions.contains { $0.name == "first" } ?? false)
        XCTAssertFalse(f?.definitions.contains { $0.name == "last" } ?? true)
        XCTAssertTrue(f?.timedOut ?? false)
    }
}
