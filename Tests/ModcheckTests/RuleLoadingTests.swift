import Rules
import XCTest

final class RuleLoadingTests: XCTestCase {
    func write(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "modcheck-rules-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func loadError(_ text: String) throws -> String {
        let dir = try write(["bad.yaml": text])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try RuleCatalog.load(directory: dir)
        } catch let error as RuleLoadError {
            return error.description
        }
        XCTFail("expected a RuleLoadError")
        return ""
    }

    func testMissingKeyNamesFileAndKey() throws {
        let message = try loadError(
            "id: x\nseverity: error\ntitle: t\nsummary: s\nwhy: w\nfix: f\nexamples: {}\n")
        XCTAssertTrue(message.contains("bad.yaml"), message)
        XCTAssertTrue(message.contains("checker"), message)
    }

    func testBadSeverityNamesKey() throws {
        let message = try loadError("id: x\nseverity: fatal\n")
        XCTAssertTrue(message.contains("key 'severity'"), message)
        XCTAssertTrue(message.contains("fatal"), message)
    }

    func testUnknownKeyIsRejected() throws {
        let message = try loadError("id: x\nseverty: error\n")
        XCTAssertTrue(message.contains("key 'severty'"), message)
    }

    /// YAML nested thousands deep overflowed the stack in Yams (found by the fuzzer): refused
    /// with the line where it passes the cap, in a rule file and in a repository policy, however
    /// the nesting is spelled. The real rule catalog stays well inside the cap.
    func testDeeplyNestedYAMLIsRefused() throws {
        let flow = "id: x\nseverity: error\nsummary: " + String(repeating: "[{", count: 50_000)
        let flowError = try loadError(flow)
        XCTAssertTrue(flowError.hasSuffix("bad.yaml:3: YAML nested deeper than 256 levels"), flowError)
        var block = "id: x\n"
        for depth in 0..<300 { block += String(repeating: " ", count: depth) + "k\(depth):\n" }
        let blockError = try loadError(block)
        XCTAssertTrue(blockError.contains("bad.yaml:258: YAML nested deeper than 256"), blockError)
        let dashes = "id: x\nexamples: " + String(repeating: "- ", count: 1_000) + "x\n"
        let dashesError = try loadError(dashes)
        XCTAssertTrue(dashesError.contains("bad.yaml:2: YAML nested deeper"), dashesError)
        // A quote YAML reads as part of a plain scalar cannot hide the brackets after it.
        let hidden = "id: x\nsummary: a:'b\n" + String(repeating: "[", count: 100_000)
        let hiddenError = try loadError(hidden)
        XCTAssertTrue(hiddenError.contains("YAML nested deeper"), hiddenError)
        XCTAssertThrowsError(try Policy.parse("scope: " + String(repeating: "[", count: 100_000), file: ".modcheck.yaml")) {
            XCTAssertEqual("\($0)", ".modcheck.yaml:1: YAML nested deeper than 256 levels")
        }
        // Brackets and colons in quoted and plain scalars, comments: fine.
        let ok = "scope: [\"drivers/iommu\", 'x[[[[y', \"]]]]{{\", a:b]  # [[[[ not nesting\n"
        XCTAssertNoThrow(try Policy.parse(ok, file: ".modcheck.yaml"))
        XCTAssertNoThrow(try RuleCatalog.load(directory: PackagePaths.rules))
    }

    func testYAMLSyntaxErrorNamesFile() throws {
        let message = try loadError("id: [unclosed\n")
        XCTAssertTrue(message.contains("bad.yaml"), message)
    }

    func testTriggeringExampleWithoutExpectationIsRejected() throws {
        let text = """
            id: x
            severity: error
            title: t
            summary: s
            why: w
            fix: f
            checker: { kind: required-export }
            examples:
              triggering:
                - description: a
              nonTriggering:
                - description: b
            """
        let message = try loadError(text)
        XCTAssertTrue(message.contains("examples.triggering[0].expect"), message)
    }

    func testEditMustMatchExactlyOnce() {
        let edit = TextEdit(file: "f", replace: "a", with: "b")
        XCTAssertEqual(edit.apply(to: "xay"), "xby")
        XCTAssertNil(edit.apply(to: "aa"))
        XCTAssertNil(edit.apply(to: "zz"))
    }
}
