import Facts
import Foundation
import Git
import Mail
import Model
import Report
import Rules

/// b4 integration. `b4.prep-perpatch-check-cmd` / `b4.am-perpatch-check-cmd` run a command from the
/// top of the tree with one patch on stdin; every stdout line is a finding, a line with `ERROR:`
/// fails the patch, other lines warn (b4's LoreMessage.run_local_check). The review commands use a
/// JSON protocol: an array of `{"tool","status","summary","url","details"}`.
public enum B4Check {
    /// Where the patch is checked: with `b4 am` it is not applied yet (base = HEAD); with
    /// `b4 prep` HEAD already contains it, so the commit carrying the patch's subject (within the
    /// last 500 first-parent commits) is compared with its parent.
    public enum Base: Sendable {
        case applyOnHead
        case commit(ObjectID, parent: ObjectID)
    }

    public static func findBase(session: Session, patch: SeriesPatch) throws -> Base {
        let repo = session.repository
        guard let head = try? repo.resolveCommit("HEAD") else { return .applyOnHead }
        let walk = (try? repo.commits(range: "HEAD", firstParentOnly: true)) ?? []
        for id in walk.suffix(500).reversed() {
            guard let info = try? repo.commit(id), let parent = info.parents.first else { continue }
            if info.summary == patch.subject || SubjectParser.parse(info.summary).title == patch.subject {
                return .commit(id, parent: parent)
            }
        }
        _ = head
        return .applyOnHead
    }

    /// The findings one patch introduces, in b4's per-patch setting.
    public static func check(session: Session, patch: SeriesPatch) throws -> (report: CheckReport, base: Base)
    {
        let base = try findBase(session: session, patch: patch)
        switch base {
        case .applyOnHead:
            return (try SeriesCheck.run(session: session, baseRevision: "HEAD", patches: [patch]), base)
        case .commit(let id, let parent):
            let report = try LogCheck.run(session: session, range: "\(parent.hex)..\(id.hex)")
            return (report, base)
        }
    }

    /// checkpatch `--terse`-shaped lines: `-:LINE: ERROR:RULE-ID: file: message`.
    public static func terse(_ report: CheckReport) -> String {
        report.findings.filter { $0.severity != .info }.map { f in
            let level = f.severity == .error ? "ERROR" : "WARNING"
            return "-:\(f.line ?? 0): \(level):\(f.rule): \(f.file.map { "\($0): " } ?? "")\(f.message)"
        }.map { $0 + "\n" }.joined()
    }

    public static func reviewEntry(_ report: CheckReport, subject: String) -> [String: Any] {
        let errors = report.count(.error)
        let warnings = report.count(.warning)
        let status = errors > 0 ? "fail" : warnings > 0 ? "warn" : "pass"
        let summary =
            errors + warnings == 0
            ? "no module-ability regressions"
            : "\(errors) error(s), \(warnings) warning(s): "
                + Set(report.findings.filter { $0.severity != .info }.map(\.rule)).sorted().joined(
                    separator: ", ")
        return [
            "tool": "modcheck", "status": status, "summary": "\(subject): \(summary)", "url": NSNull(),
            "details": terse(report),
        ]
    }

    public enum Mode: Sendable { case perPatch, review, reviewSeries }

    /// One b4 invocation: what to print and the exit code.
    public static func run(session: Session, patches: [SeriesPatch], mode: Mode) throws -> (
        output: String, exitCode: Int32
    ) {
        guard let first = patches.first else { throw InputError("<stdin>: no patch found") }
        switch mode {
        case .reviewSeries:
            let report = try SeriesCheck.run(session: session, baseRevision: "HEAD", patches: patches)
            var entries = report.sections.map { section in
                reviewEntry(
                    CheckReport(sections: [section], isRegressionMode: true),
                    subject: section.title ?? "patch")
            }
            entries.insert(reviewEntry(report, subject: "series"), at: 0)
            return (json(entries), 0)
        case .review:
            let (report, _) = try check(session: session, patch: first)
            return (json([reviewEntry(report, subject: first.subject)]), 0)
        case .perPatch:
            let (report, _) = try check(session: session, patch: first)
            return (terse(report), report.exitCode)
        }
    }

    public static func json(_ entries: [[String: Any]]) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: entries, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "[]\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
