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
