import CSource
import XCTest

/// Inputs libFuzzer (scripts/fuzz) found to crash the scanner, reduced to their shape.
final class FuzzRegressionTests: XCTestCase {
    func scanExact(_ text: String) -> SourceFacts {
        // The bytes end exactly where the input ends, as a blob read from git does.
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { CSourceScanner.scan(path: "drivers/iommu/fuzz.c", bytes: $0, depth: .full) }
    }

    /// A literal in a directive whose last byte is a backslash: the directive token ended one
    /// byte past the buffer (heap-buffer-overflow under ASan).
    func testBackslashAtEndOfFileInsideADirectiveLiteral() {
        let facts = scanExact("#if defined(CONFIG_FOO) && \"fo\u{e9}) { return \\")
        XCTAssertTrue(facts.exports.isEmpty)
        _ = scanExact("#define X 'a\\")
    }

    /// The same inside a string literal of code.
    func testBackslashAtEndOfFileInsideAString() {
        let facts = scanExact("int f(void) { return g(\"abc\\")
        XCTAssertTrue(facts.exports.isEmpty)
        _ = scanExact("EXPORT_SYMBOL(f); char c = '\\")
    }

    /// An initializer whose stray closing braces take the brace level below zero before another
    /// opens: the designator prefix stack was indexed at -1 (index out of range).
    func testStrayClosingBracesInAnInitializer() {
        _ = scanExact("={.p=o{{{]]]}}}{")
        let facts = scanExact("static struct platform_driver d[] = { } } } { .probe = p }, { .remove = r };\n")
        XCTAssertTrue(facts.exports.isEmpty)
    }
}
