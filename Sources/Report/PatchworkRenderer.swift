import Foundation
import Rules

/// One JSON object per line and per patch, shaped like a POST to patchwork's
/// `/api/patches/{id}/checks/` (`state`, `context`, `description`, `target_url`), with the patch's
/// `msgid` (or the commit) for a bot to find the patchwork patch id by.
public enum PatchworkRenderer {
    /// patchwork shows the description on one line; longer ones are cut.
    static let maxDescription = 250

    public static func render(_ report: CheckReport) -> String {
        report.sections.map { line(for: $0) + "\n" }.joined()
    }

    public static func line(for section: CheckSection) -> String {
        let shown = section.findings.filter { $0.severity != .info }
        let open = shown.filter { $0.fixedBy == nil }
        let errors = open.filter { $0.severity == .error }.count
        // A problem a later patch fixes still breaks this patch for bisection: a warning.
        let warnings = shown.count - errors
        let state = errors > 0 ? "fail" : warnings > 0 ? "warning" : "success"
        var description: String
        if shown.isEmpty {
            description = section.problem ?? "no module-ability findings"
        } else {
            description =
                "\(errors) error(s), \(warnings) warning(s): "
                + shown.map {
                    "\($0.rule) \($0.symbol ?? $0.module ?? $0.file ?? "")" + ($0.fixedBy.map { " (fixed by \($0))" } ?? "")
                }.joined(separator: ", ")
        }
        if description.count > maxDescription {
            description = String(description.prefix(maxDescription - 1)) + "…"
        }
        var object: [String: Any] = [
            "state": state, "context": "modcheck", "description": description, "target_url": "",
        ]
        if let id = section.messageId { object["msgid"] = "<\(id)>" }
        if let commit = section.commit { object["commit"] = commit }
        if let patch = section.patch { object["patch"] = patch }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: data, encoding: .utf8)
        else { return "{}" }
        return text
    }
}
