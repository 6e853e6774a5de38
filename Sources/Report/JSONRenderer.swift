import Foundation
import Rules

/// The JSON contract of DESIGN.md: `{"findings":[...], "summary":{...}}`; absent fields omitted.
public enum JSONRenderer {
    public static func object(_ f: Finding) -> [String: Any] {
        var o: [String: Any] = ["rule": f.rule, "severity": f.severity.rawValue, "message": f.message]
        if let v = f.file { o["file"] = v }
        if let v = f.line { o["line"] = v }
        if let v = f.symbol { o["symbol"] = v }
        if let v = f.module { o["module"] = v }
        if let v = f.config { o["config"] = v }
        if let v = f.commit { o["commit"] = v }
        if let v = f.patch { o["patch"] = v }
        if let v = f.messageId { o["messageId"] = v }
        if let v = f.fixedBy { o["fixedBy"] = v }
        if let v = f.fixedByMessageId { o["fixedByMessageId"] = v }
        if f.partial { o["partial"] = true }
        return o
    }

    public static func summary(_ report: CheckReport) -> [String: Any] {
        var summary: [String: Any] = [
            "errors": report.count(.error), "warnings": report.count(.warning), "infos": report.count(.info),
        ]
        if let tool = ToolIdentity.current { summary["tool"] = tool.json }
        if report.isRegressionMode {
            summary["fixed"] = report.sections.reduce(0) { $0 + $1.fixed.count }
            summary["fixedWithinSeries"] = report.fixedWithinSeries
            summary["steps"] = report.sections.map { section -> [String: Any] in
                var s: [String: Any] = [
                    "introduced": section.findings.count, "fixed": section.fixed.map(object),
                ]
                if let v = section.title { s["subject"] = v }
                if let v = section.commit { s["commit"] = v }
                if let v = section.patch { s["patch"] = v }
                if let v = section.messageId { s["messageId"] = v }
                if let v = section.problem { s["problem"] = v }
                if !section.notes.isEmpty { s["notes"] = section.notes }
                return s
            }
        } else {
            // Files skipped or cut short by a limit, unreadable objects: never silent in JSON either.
            let notes = report.sections.flatMap(\.notes)
            if !notes.isEmpty { summary["notes"] = notes }
        }
        return summary
    }

    public static func encode(_ value: Any) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: data, encoding: .utf8)
        else { return "{}" }
        return text + "\n"
    }

    static func render(_ report: CheckReport) -> String {
        encode(["findings": report.findings.map(object), "summary": summary(report)])
    }
}
