import Rules

/// checkpatch-like text: gcc-style `file:line: severity: message [rule-id]` lines under each
/// patch or commit, then `total: N errors, M warnings`.
public enum TextRenderer {
    public static func line(_ f: Finding) -> String {
        var place = f.file ?? f.module ?? "-"
        if let line = f.line, f.file != nil { place += ":\(line)" }
        let fixed = f.fixedBy.map { " (fixed by \($0))" } ?? ""
        return "\(place): \(f.severity.rawValue): \(f.message) [\(f.rule)]\(fixed)"
    }

    static func render(_ report: CheckReport, verbose: Bool) -> String {
        var out: [String] = []
        for section in report.sections {
            let shown = section.findings.filter { verbose || $0.severity != .info }
            let hiddenInfo = section.findings.count - shown.count
            if let title = section.title {
                var head = title
                if let commit = section.commit { head = "\(commit.prefix(12)) \(head)" }
                if let patch = section.patch { head = "[\(patch)] \(head)" }
                out.append(head)
            }
            if let problem = section.problem { out.append("  problem: \(problem)") }
            for note in section.notes { out.append("  note: \(note)") }
            for f in shown { out.append((section.title == nil ? "" : "  ") + line(f)) }
            if report.isRegressionMode {
                for f in section.fixed where verbose || f.severity != .info {
                    out.append("  fixed: " + line(f))
                }
            }
            if hiddenInfo > 0 {
                out.append(
                    (section.title == nil ? "" : "  ") + "(\(hiddenInfo) info findings; --verbose shows them)"
                )
            }
        }
        let errors = report.count(.error)
        let warnings = report.count(.warning)
        out.append(
            "total: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        return out.joined(separator: "\n") + "\n"
    }
}
