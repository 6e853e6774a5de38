import Rules

/// A table a maintainer can paste into a mail or a wiki.
enum MarkdownRenderer {
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func render(_ report: CheckReport) -> String {
        var out = ["| step | subject | errors | warnings | findings |", "|---|---|---|---|---|"]
        for section in report.sections {
            let open = section.findings.filter { $0.fixedBy == nil }
            let errors = open.filter { $0.severity == .error }.count
            let warnings = open.filter { $0.severity == .warning }.count
            var rules = Set(open.filter { $0.severity != .info }.map(\.rule)).sorted().joined(separator: ", ")
            let fixedLater = section.findings.filter { $0.fixedBy != nil && $0.severity != .info }
            if !fixedLater.isEmpty {
                let later = fixedLater.map { "\($0.rule) (fixed by \($0.fixedBy ?? ""))" }.joined(separator: ", ")
                rules = rules.isEmpty ? later : rules + "; " + later
            }
            let step = section.patch ?? section.commit.map { String($0.prefix(12)) } ?? "tree"
            out.append(
                "| \(cell(step)) | \(cell(section.title ?? "")) | \(errors) | \(warnings) | \(cell(section.problem ?? rules)) |"
            )
        }
        out.append("")
        for section in report.sections {
            for note in section.notes { out.append("- note: \(cell(note))") }
        }
        out.append("total: \(report.count(.error)) errors, \(report.count(.warning)) warnings")
        return out.joined(separator: "\n") + "\n"
    }
}
