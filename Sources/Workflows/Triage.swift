import Facts
import Foundation
import Git
import Mail
import Model
import Report
import Rules

/// `modcheck triage`: which series on a list touch module-ability in scope, and which break it.
public enum Triage {
    public struct Entry: Sendable {
        public var series: PatchSeries
        public var versions: [Int]
        public var relevant: Bool
        public var applied: Bool
        public var changes: [ModularityChange]
        public var findings: [Finding]
        public var problem: String?
    }

    /// Messages of an mbox file, or of a public-inbox v2 epoch (a git directory whose commits each
    /// add one message as the blob `m`; a commit with `d` deletes one) or a directory of epochs.
    public static func readMessages(_ source: String) throws -> (messages: [MailMessage], notes: [String]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
            throw InputError("\(source): no such file or directory")
        }
        if !isDir.boolValue {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw InputError("\(source): cannot read")
            }
            let read = PatchInput.read(path: source, bytes: [UInt8](data))
            return (read.messages, read.diagnostics.map(\.description))
        }
        var epochs: [String] = []
        let gitDir = source + "/git"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: gitDir) {
            epochs = names.filter { $0.hasSuffix(".git") }.sorted {
                (Int($0.dropLast(4)) ?? 0) < (Int($1.dropLast(4)) ?? 0)
            }.map { gitDir + "/" + $0 }
        }
        if epochs.isEmpty { epochs = [source] }
        var messages: [MailMessage] = []
        var notes: [String] = []
        var deleted = Set<String>()
        for epoch in epochs {
            let repo: Repository
            do {
                repo = try Repository.open(epoch)
            } catch {
                throw InputError("\(epoch): not a public-inbox git repository (\(error))")
            }
            let commits: [ObjectID]
            do {
                commits = try repo.commits(range: "HEAD")
            } catch {
                throw InputError("\(epoch): not a public-inbox git repository (no commits: \(error))")
            }
            var sawMessage = false
            for id in commits {
                guard let tree = try? repo.tree(ofCommit: id) else { continue }
                if let blob = try? repo.blobID(tree: tree, path: "m") {
                    sawMessage = true
                    do {
                        messages.append(
                            try MailParser.parse(
                                try repo.blobBytes(blob), sourceName: "\(epoch)@\(id.hex.prefix(12))"))
                    } catch {
                        notes.append("\(epoch)@\(id.hex.prefix(12)): \(error)")
                    }
                } else if let blob = try? repo.blobID(tree: tree, path: "d"),
                    let m = try? MailParser.parse(try repo.blobBytes(blob), sourceName: "d"),
                    let mid = m.messageID
                {
                    deleted.insert(mid)
                }
            }
            if !sawMessage && !commits.isEmpty {
                throw InputError(
                    "\(epoch): not a public-inbox repository (no commit adds a message file 'm')")
            }
        }
        if !deleted.isEmpty { messages.removeAll { $0.messageID.map(deleted.contains) ?? false } }
        return (messages, notes)
    }

    public static func run(
        session: Session, source: String, baseRevision: String, since: Date?, until: Date?, limit: Int?
    ) throws -> (entries: [Entry], notes: [String], messageCount: Int) {
        var (messages, notes) = try readMessages(source)
        let total = messages.count
        if since != nil || until != nil {
            messages = messages.filter { m in
                guard let d = m.date else { return false }
                return (since.map { d >= $0 } ?? true) && (until.map { d <= $0 } ?? true)
            }
        }
        let grouped = SeriesGrouper.linkVersions(SeriesGrouper.group(messages))
        let baseTree = try session.tree(at: baseRevision)
        var checkedBase: SeriesCheck.BaseState?
        let extractor = ChangeExtractor(store: session.store, scope: session.options.scope)
        var entries: [Entry] = []
        for versions in grouped {
            guard let newest = versions.last, !newest.patches.isEmpty else { continue }
            if let limit, entries.count >= limit { break }
            let patches = newest.patches.filter { $0.patchText != nil }.map(SeriesPatch.init)
            var tree = baseTree
            var applied = true
            var changes: [ModularityChange] = []
            for patch in patches {
                switch SeriesCheck.apply(patch, to: tree, session: session) {
                case .success(let (next, _, _)):
                    changes += extractor.changes(from: tree, to: next)
                    tree = next
                case .failure:
                    applied = false
                    // Patch-local: the patch alone on the base.
                    if case .success(let (alone, _, _)) = SeriesCheck.apply(
                        patch, to: baseTree, session: session)
                    {
                        changes += extractor.changes(from: baseTree, to: alone)
                    }
                }
            }
            let relevant = !changes.isEmpty
            var findings: [Finding] = []
            var problem: String?
            if relevant {
                do {
                    // The base model is built once and shared by every relevant series.
                    if checkedBase == nil {
                        checkedBase = try SeriesCheck.baseState(session: session, baseRevision: baseRevision)
                    }
                    let report = try SeriesCheck.run(
                        session: session, baseRevision: baseRevision, patches: patches, base: checkedBase)
                    findings = report.findings
                    problem = report.sections.compactMap(\.problem).first
                } catch {
                    problem = "\(error)"
                }
            }
            entries.append(
                Entry(
                    series: newest, versions: versions.map(\.version), relevant: relevant, applied: applied,
                    changes: changes,
                    findings: findings,
                    problem: applied
                        ? problem : "does not apply to \(baseRevision)" + (problem.map { "; \($0)" } ?? "")))
        }
        session.finish()
        return (entries, notes, total)
    }

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    public static func markdown(_ entries: [Entry], messages: Int) -> String {
        var out = [
            "| series | author | date | version | patches | relevant | errors | warnings | rules | link |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        for e in entries {
            let errors = e.findings.filter { $0.severity == .error }.count
            let warnings = e.findings.filter { $0.severity == .warning }.count
            let rules = Set(e.findings.filter { $0.severity != .info }.map(\.rule)).sorted().joined(
                separator: ", ")
            let patches =
                "\(e.series.patches.count)/\(e.series.total ?? e.series.patches.count)"
                + (e.series.missing.isEmpty
                    ? "" : " (missing \(e.series.missing.map(String.init).joined(separator: ",")))")
            out.append(
                "| \(cell(e.series.title)) | \(cell(e.series.author ?? "")) | \(e.series.date.map(f.string) ?? "") | v\(e.series.version)\(e.versions.count > 1 ? " (of \(e.versions.map { "v\($0)" }.joined(separator: ", ")))" : "") | \(patches) | \(e.relevant ? "yes" : "no") | \(errors) | \(warnings) | \(cell(e.problem ?? rules)) | \(e.series.messageID.map { "<\($0)>" } ?? "") |"
            )
        }
        out.append("")
        out.append(
            "\(messages) messages, \(entries.count) series, \(entries.filter(\.relevant).count) relevant")
        return out.joined(separator: "\n") + "\n"
    }

    public static func json(_ entries: [Entry], messages: Int) -> String {
        let series: [[String: Any]] = entries.map { e in
            var o: [String: Any] = [
                "subject": e.series.title, "version": e.series.version, "patches": e.series.patches.count,
                "applied": e.applied,
                "relevant": e.relevant, "changes": e.changes.map(\.description),
                "findings": e.findings.map(JSONRenderer.object),
            ]
            if let v = e.series.messageID { o["messageId"] = v }
            if let v = e.problem { o["problem"] = v }
            return o
        }
        let all = entries.flatMap(\.findings)
        return JSONRenderer.encode([
            "findings": all.map(JSONRenderer.object),
            "summary": [
                "messages": messages, "series": entries.count, "relevant": entries.filter(\.relevant).count,
                "errors": all.filter { $0.severity == .error }.count,
                "warnings": all.filter { $0.severity == .warning }.count,
            ],
            "series": series,
        ])
    }
}
