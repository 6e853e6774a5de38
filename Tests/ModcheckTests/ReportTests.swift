import Foundation
import Report
import Rules
import XCTest

final class ReportTests: XCTestCase {
    let finding: Finding = {
        var f = Finding(
            rule: "required-export", severity: .error, file: "drivers/iommu/arm-smmu-v3.c", line: 42,
            symbol: "iommu_device_register", module: "drivers/iommu/arm-smmu-v3.ko",
            config: "CONFIG_ARM_SMMU_V3",
            message: "arm-smmu-v3.ko uses 'iommu_device_register' which is not exported")
        return f
    }()

    func report(regression: Bool = true) -> CheckReport {
        CheckReport(
            sections: [
                CheckSection(
                    title: "iommu/arm-smmu-v3: Allow building as a module", patch: "5/7",
                    messageId: "id-5@example", findings: [finding]),
                CheckSection(title: "clean patch", patch: "6/7", findings: [], fixed: [finding]),
            ], isRegressionMode: regression)
    }

    func testTextIsGccStyleWithCheckpatchTotal() {
        let text = ReportRenderer.render(report(), format: .text, catalog: nil)
        XCTAssertTrue(text.contains("[5/7] iommu/arm-smmu-v3: Allow building as a module"), text)
        XCTAssertTrue(text.contains("drivers/iommu/arm-smmu-v3.c:42: error: arm-smmu-v3.ko uses"), text)
        XCTAssertTrue(text.contains("[required-export]"), text)
        XCTAssertTrue(text.contains("fixed: drivers/iommu/arm-smmu-v3.c:42"), text)
        XCTAssertTrue(text.hasSuffix("total: 1 error, 0 warnings\n"), text)
    }

    func testJSONFollowsTheContract() throws {
        let text = ReportRenderer.render(report(), format: .json, catalog: nil)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.count, 1)
        let f = findings[0]
        XCTAssertEqual(f["rule"] as? String, "required-export")
        XCTAssertEqual(f["severity"] as? String, "error")
        XCTAssertEqual(f["file"] as? String, "drivers/iommu/arm-smmu-v3.c")
        XCTAssertEqual(f["line"] as? Int, 42)
        XCTAssertEqual(f["symbol"] as? String, "iommu_device_register")
        XCTAssertEqual(f["module"] as? String, "drivers/iommu/arm-smmu-v3.ko")
        XCTAssertEqual(f["config"] as? String, "CONFIG_ARM_SMMU_V3")
        XCTAssertEqual(f["patch"] as? String, "5/7")
        XCTAssertEqual(f["messageId"] as? String, "id-5@example")
        XCTAssertNil(f["commit"], "absent fields are omitted, never invented")
        let summary = try XCTUnwrap(json["summary"] as? [String: Any])
        XCTAssertEqual(summary["errors"] as? Int, 1)
        XCTAssertEqual(summary["warnings"] as? Int, 0)
    }

    /// SARIF 2.1.0 required properties (sarifLog: version, runs; run: tool.driver.name; result:
    /// message.text; ruleId/level values; physicalLocation.artifactLocation.uri; region.startLine >= 1).
    func testSARIFHasTheRequiredShape() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        let text = ReportRenderer.render(report(), format: .sarif, catalog: catalog)
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(log["version"] as? String, "2.1.0")
        XCTAssertNotNil(log["$schema"] as? String)
        let runs = try XCTUnwrap(log["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1)
        let driver = try XCTUnwrap((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        XCTAssertEqual(driver["name"] as? String, "modcheck")
        let rules = try XCTUnwrap(driver["rules"] as? [[String: Any]])
        XCTAssertEqual(Set(rules.compactMap { $0["id"] as? String }), Set(catalog.rules.map(\.id)))
        for rule in rules {
            let level = (rule["defaultConfiguration"] as? [String: Any])?["level"] as? String
            XCTAssertTrue(["none", "note", "warning", "error"].contains(level ?? ""), "\(rule)")
        }
        let results = try XCTUnwrap(runs[0]["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 1)
        let r = results[0]
        XCTAssertEqual(r["ruleId"] as? String, "required-export")
        XCTAssertEqual(r["level"] as? String, "error")
        XCTAssertNotNil((r["message"] as? [String: Any])?["text"] as? String)
        let location = try XCTUnwrap(
            (r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        XCTAssertEqual(
            (location["artifactLocation"] as? [String: Any])?["uri"] as? String, "drivers/iommu/arm-smmu-v3.c"
        )
        XCTAssertEqual((location["region"] as? [String: Any])?["startLine"] as? Int, 42)
    }

    func testExitCodeFollowsErrors() {
        XCTAssertEqual(report().exitCode, 1)
        XCTAssertEqual(
            CheckReport(sections: [CheckSection(findings: [])], isRegressionMode: false).exitCode, 0)
    }

    func testDeltaIgnoresLineShiftsAndEventsNeverCountAsFixed() {
        var moved = finding
        moved.line = 99
        var event = Finding(
            rule: "export-gpl-consistency", severity: .warning, file: "x.c", line: 1, symbol: "s",
            message: "m")
        event.isEvent = true
        let first = RuleEngine.delta(before: [], after: [finding, event])
        XCTAssertEqual(first.introduced.count, 2)
        let second = RuleEngine.delta(before: [finding, event], after: [moved])
        XCTAssertTrue(second.introduced.isEmpty, "a line shift does not re-introduce a finding")
        XCTAssertTrue(second.fixed.isEmpty, "an event is not 'fixed' by the next patch")
        let third = RuleEngine.delta(before: [moved], after: [])
        XCTAssertEqual(third.fixed.map(\.symbol), ["iommu_device_register"])
    }
}

/// The JSON writer reports go through writes what JSONSerialization writes with the renderer's
/// options, byte for byte: random documents of strings (control characters, quotes, slashes,
/// non-ASCII), integers, booleans, nulls, empty and nested containers, and keys whose sorted
/// order depends on case and on digits.
final class JSONWriterTests: XCTestCase {
    func testWritesWhatJSONSerializationWrites() throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        let pieces = [
            "a", "Z", "é", "—", "😇", "\u{2028}", "\u{7F}", "/", "\\", "\"", "\n", "\t", "\r", "\u{8}", "\u{C}",
            "\u{0}", "\u{1F}", "\u{1B}", " ", "x10", "x9", "drivers/iommu/iommu.c",
        ]
        let keys = [
            "base", "baseReason", "messageId", "messages", "messagesInWindow", "patchMessages", "patches",
            "a2", "a10", "A1", "b", "B", "rule-id", "rule_id", "x", "fixedBy", "fixedByMessageId", "é",
        ]
        func string() -> String { (0..<next(6)).map { _ in pieces[next(pieces.count)] }.joined() }
        func object(_ depth: Int) -> [String: Any] {
            var o: [String: Any] = [:]
            for _ in 0..<next(6) { o[keys[next(keys.count)] + (next(4) == 0 ? string() : "")] = value(depth + 1) }
            return o
        }
        // Containers of a concrete type too ([String], [String: String], arrays of objects): the
        // writer tells those by their exact type.
        func value(_ depth: Int) -> Any {
            switch next(depth > 3 ? 5 : 10) {
            case 7: return (0..<next(4)).map { _ in string() }
            case 8: return Dictionary((0..<next(4)).map { _ in (keys[next(keys.count)], string()) }, uniquingKeysWith: { a, _ in a })
            case 9: return (0..<next(3)).map { _ in object(depth) }
            case 0: return string()
            case 1: return next(2) == 0 ? -next(1_000_000) : next(Int.max)
            case 2: return next(2) == 0
            case 3: return NSNull()
            case 4: return string()
            case 5: return (0..<next(4)).map { _ in value(depth + 1) }
            default:
                return object(depth)
            }
        }
        for round in 0..<400 {
            var document: [String: Any] = [:]
            for _ in 0..<next(8) { document[keys[next(keys.count)]] = value(0) }
            let data = try JSONSerialization.data(
                withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            let expected = try XCTUnwrap(String(data: data, encoding: .utf8)) + "\n"
            XCTAssertEqual(JSONRenderer.encode(document), expected, "round \(round)")
        }
        // A value the writer does not handle is still written (by JSONSerialization).
        XCTAssertTrue(JSONRenderer.encode(["ratio": 1.5]).contains("1.5"))
    }
}
