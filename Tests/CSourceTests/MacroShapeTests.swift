import CSource
import XCTest

/// Export wrappers: function-like macros whose body exports something built from a parameter.
final class MacroShapeTests: XCTestCase {
    func uses(_ text: String, _ name: String) -> [MacroUse] {
        CSourceScanner.scan(path: "include/linux/x.h", text: text, depth: .symbols).macros.first {
            $0.name == name
        }?.uses ?? []
    }

    func testAPassThroughWrapper() {
        let u = uses("#define ACPI_EXPORT_SYMBOL(symbol) EXPORT_SYMBOL(symbol);\n", "ACPI_EXPORT_SYMBOL")
        XCTAssertEqual(u, [MacroUse(macro: "EXPORT_SYMBOL", arguments: [[.parameter(0)]])])
        XCTAssertEqual(u.first?.arguments(with: ["acpi_walk_resources"]), ["acpi_walk_resources"])
    }

    func testPastedNamesOverContinuationLines() {
        let u = uses(
            "#define EXPORT_TRACEPOINT_SYMBOL_GPL(name) \\\n\tEXPORT_SYMBOL_GPL(__tracepoint_##name); \\\n\tEXPORT_SYMBOL_GPL(__traceiter_##name)\n",
            "EXPORT_TRACEPOINT_SYMBOL_GPL")
        XCTAssertEqual(u.map { $0.arguments(with: ["xdp_exception"]) }, [["__tracepoint_xdp_exception"], ["__traceiter_xdp_exception"]])
    }

    func testANamespaceArgumentStaysText() {
        let u = uses("#define FOO_EXPORT(sym, x) EXPORT_SYMBOL_NS_GPL(sym, FOO_CORE)\n", "FOO_EXPORT")
        XCTAssertEqual(u.first?.arguments(with: ["foo_get", "ignored"]), ["foo_get", "FOO_CORE"])
    }

    func testAMacroThatExportsNothingHasNoUses() {
        XCTAssertEqual(uses("#define list_first(p) ((p)->next)\n", "list_first"), [])
        XCTAssertEqual(uses("#define EXPORTED_FLAG 4\n", "EXPORTED_FLAG"), [], "object-like")
    }
}

extension MacroShapeTests {
    func testAnExportWrapperOnAFilesLastLine() {
        // ACPICA's files end in `ACPI_EXPORT_SYMBOL(name)` with no semicolon and no newline.
        let f = CSourceScanner.scan(
            path: "drivers/acpi/acpica/rsxface.c",
            text: "int acpi_walk_resources(void)\n{\n\treturn 0;\n}\n\nACPI_EXPORT_SYMBOL(acpi_walk_resources)",
            depth: .symbols)
        XCTAssertEqual(f.invocations.map(\.name), ["ACPI_EXPORT_SYMBOL"])
        XCTAssertEqual(f.invocations.first?.arguments, ["acpi_walk_resources"])
    }
}

extension MacroShapeTests {
    func testBranchesWithDifferentBracesFollowTheUndefinedMacro() {
        // A loop opened under `#ifndef X` and closed in the `#else` of an `#ifdef X` (X defined
        // nowhere): the file's later statements are still at file scope.
        let f = CSourceScanner.scan(
            path: "drivers/atm/x.c",
            text: """
                static void rx(int irq)
                {
                	int again = 0;
                #ifndef TAILCALLS
                	again = 1;
                	while (again) {
                #endif
                		work(irq);
                #ifdef TAILCALLS
                	if (again)
                		return rx(0);
                	return;
                #else
                	irq = 0;
                	}
                	return;
                #endif
                }
                MODULE_LICENSE("GPL");
                """, depth: .full)
        XCTAssertEqual(f.invocations.map(\.name), ["MODULE_LICENSE"])
        XCTAssertEqual(f.diagnostics, [])
    }
}
