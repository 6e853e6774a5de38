import Foundation
import Mail
import Report
import Rules

/// Renders a triage outcome: a markdown table to paste into a reply, JSON (the DESIGN contract
/// plus `series`), text, and patchwork checks (one per patch).
public enum TriageReport {
    public static func render(_ outcome: Triage.Outcome, format: ReportFormat) -> String {
        switch format {
        case .json: json(outcome)
        case .text: text(outcome)
        case .patchwork: patchwork(outcome)
        default: markdown(outcome)
        }
    }

    static let day: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        return f
    }()

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// Findings of a severity the series leaves (not fixed by a later patch of it).
    static func count(_ findings: [Finding], _ severity: Severity) -> Int {
        findings.filter { $0.severity == severity && $0.fixedBy == nil }.count
    }

    static func rules(_ findings: [Finding]) -> String {
        Set(findings.filter { $0.severity != .info }.map(\.rule)).sorted().joined(separator: ", ")
    }

    /// "3/5 (missing 4, 5)".
    static func patches(_ s: PatchSeries) -> String {
        "\(s.patches.count)/\(s.total ?? s.patches.count)"
            + (s.missing.isEmpty ? "" : " (missing \(s.missing.map(String.init).joined(separator: ", ")))")
    }

    /// What made a version relevant: "kconfig-type 2, export-added 9".
    static func relevance(_ p: Triage.Posting) -> String {
        guard p.relevant else { return "no" }
        var counts: [String: Int] = [:]
        for c in p.changes { counts[c.kind.rawValue, default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// Trailers a reviewer gives (a `Signed-off-by:` in a reply is a fixup's, not a review).
    static let reviewKinds: Set<String> = ["Reviewed-by", "Acked-by", "Tested-by"]

    /// "Reviewed-by: A; Acked-by: B; kernel test robot: build failure".
    static func review(_ s: PatchSeries) -> String {
        var parts: [String] = []
        var seen = Set<Trailer>()
        for t in s.trailers where reviewKinds.contains(t.kind) && seen.insert(t).inserted {
            parts.append("\(t.kind): \(displayName(t.person))")
        }
        if s.hasBuildFailureReport {
            parts.append("kernel test robot: build failure ×\(s.buildFailureReports.count)")
        }
        return parts.joined(separator: "; ")
    }

    /// `Ann Author <ann@example.org>` → `Ann Author`.
    static func displayName(_ person: String) -> String {
        if let open = person.firstIndex(of: "<") {
            let name = person[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            if !name.isEmpty { return name }
        }
        return person
    }

    static func status(_ p: Triage.Posting) -> String {
        if let problem = p.problem, !p.isChecked { return problem }
        let r = rules(p.findings)
        return [r.isEmpty ? nil : r, p.problem].compactMap { $0 }.joined(separator: "; ")
    }

    public static func markdown(_ outcome: Triage.Outcome) -> String {
        var out = [
            "| series | author | date | version | patches | relevance | errors | warnings | rules | review | link |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        func row(_ p: Triage.Posting, title: String, versions: String) -> String {
            let s = p.series
            let checked = p.isChecked
            return
                "| \(cell(title)) | \(cell(s.author.map(displayName) ?? "")) | \(s.date.map(day.string) ?? "") | \(versions) | \(patches(s)) | \(cell(relevance(p))) | \(checked ? "\(count(p.findings, .error))" : "–") | \(checked ? "\(count(p.findings, .warning))" : "–") | \(cell(status(p))) | \(cell(review(s))) | \(s.messageID.map { "<\($0)>" } ?? "") |"
        }
        for entry in outcome.entries where entry.relevant {
            let latest = entry.latest
            let all = entry.versions.map { "v\($0.series.version)" }
            out.append(
                row(
                    latest, title: latest.series.title,
                    versions: "v\(latest.series.version)"
                        + (all.count > 1 ? " (of \(all.joined(separator: ", ")))" : "")))
            for (i, other) in entry.versions.enumerated() where i != entry.primary && other.relevant {
                out.append(row(other, title: "↳ earlier posting", versions: "v\(other.series.version)"))
            }
        }
        out.append("")
        out.append(summary(outcome))
        return out.joined(separator: "\n") + "\n"
    }

    static func summary(_ outcome: Triage.Outcome) -> String {
        let findings = outcome.checkedFindings
        return
            "\(outcome.messagesRead) messages read, \(outcome.messagesInWindow) in the window, \(outcome.patchMessages) with a diff; \(outcome.entries.count) series, \(outcome.relevantCount) relevant; \(count(findings, .error)) errors, \(count(findings, .warning)) warnings"
    }

    public static func text(_ outcome: Triage.Outcome) -> String {
        var out: [String] = []
        for entry in outcome.entries where entry.relevant {
            for (i, p) in entry.versions.enumerated() where p.relevant || i == entry.primary {
                let s = p.series
                let mark = i == entry.primary ? "*" : " "
                out.append(
                    "\(mark) [v\(s.version) \(patches(s))] \(s.title) — \(s.author.map(displayName) ?? "?"), \(s.date.map(day.string) ?? "?") <\(s.messageID ?? "")>"
                )
                out.append("    relevance: \(relevance(p))")
                if let problem = p.problem { out.append("    \(problem)") }
                if let report = p.report {
                    for section in report.sections {
                        for f in section.findings where f.severity != .info {
                            out.append(
                                "    \(section.patch ?? "-"): \(f.severity.rawValue): \(f.message) [\(f.rule)]"
                                    + (f.fixedBy.map { " (fixed by \($0))" } ?? ""))
                        }
                    }
                }
                for f in p.diffFindings where f.severity != .info {
                    out.append("    \(f.patch ?? "-"): \(f.severity.rawValue): \(f.message) [\(f.rule)] (partial)")
                }
                let r = review(s)
                if !r.isEmpty { out.append("    review: \(r)") }
            }
        }
        out.append(summary(outcome))
        return out.joined(separator: "\n") + "\n"
    }

    public static func json(_ outcome: Triage.Outcome) -> String {
        var series: [[String: Any]] = []
        let iso8601 = ISO8601DateFormatter()
        for entry in outcome.entries {
            let versions = entry.versions.map(\.series.version)
            for (i, p) in entry.versions.enumerated() {
                let s = p.series
                var o: [String: Any] = [
                    "subject": s.title, "version": s.version, "patches": s.patches.count,
                    "applied": p.applied, "relevant": p.relevant, "checked": p.isChecked,
                    "latest": i == entry.primary, "versions": versions, "complete": s.isComplete,
                    "changes": p.changes.map(\.description),
                    "findings": p.findings.map(JSONRenderer.object),
                    "trailers": s.trailers.map { ["kind": $0.kind, "person": $0.person] },
                    "buildFailureReports": s.buildFailureReports.compactMap(\.messageID),
                ]
                if let v = s.total { o["total"] = v }
                if !s.missing.isEmpty { o["missing"] = s.missing }
                if let v = s.messageID { o["messageId"] = v }
                if let v = s.author { o["author"] = v }
                if let v = s.date { o["date"] = iso8601.string(from: v) }
                if let v = p.problem { o["problem"] = v }
                if p.partial { o["partial"] = true }
                if let b = p.base {
                    o["base"] = b.revision
                    o["baseReason"] = b.reason.rawValue
                }
                if !p.unplacedFiles.isEmpty { o["unplacedFiles"] = p.unplacedFiles }
                series.append(o)
            }
        }
        let findings = outcome.checkedFindings
        var summary: [String: Any] = [
            "messages": outcome.messagesRead, "messagesInWindow": outcome.messagesInWindow,
            "patchMessages": outcome.patchMessages, "series": outcome.entries.count,
            "relevant": outcome.relevantCount,
            "errors": count(findings, .error), "warnings": count(findings, .warning),
        ]
        if let tool = ToolIdentity.current { summary["tool"] = tool.json }
        return JSONRenderer.encode([
            "findings": findings.map(JSONRenderer.object),
            "summary": summary,
            "series": series,
        ])
    }

    /// Robot-style replies (`--format mail`) for every checked version with error or warning
    /// findings, each under the patch that introduced them.
    public static func replies(_ outcome: Triage.Outcome, context: MailReplies.Context) -> [MailReply] {
        outcome.entries.flatMap(\.versions).filter(\.isChecked).flatMap { posting in
            MailReplies.replies(
                patches: posting.patches, cover: posting.series.cover, findings: posting.findings,
                base: posting.base?.revision ?? "HEAD", baseReason: posting.base?.reason.rawValue, context: context)
        }
    }

    /// patchwork checks for every patch of every checked version.
    public static func patchwork(_ outcome: Triage.Outcome) -> String {
        outcome.entries.flatMap(\.versions).compactMap(\.report).map(PatchworkRenderer.render).joined()
    }
}
