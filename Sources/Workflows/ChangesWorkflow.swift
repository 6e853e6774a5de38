import Facts
import Foundation
import Git

/// `modcheck changes`: the modularity changes of each commit of a range, or of each patch of a
/// series applied in memory on a base.
public enum ChangesWorkflow {
    public struct Step: Sendable {
        public var title: String
        public var commit: String?
        public var patch: String?
        public var messageId: String?
        public var changes: [ModularityChange]
        public var problem: String?
        public var notes: [String]
    }

    public static func run(session: Session, range: String) throws -> [Step] {
        let commits: [ObjectID]
        do {
            commits = try session.repository.commits(range: range)
        } catch {
            throw session.walkError(range, error)
        }
        let extractor = ChangeExtractor(store: session.store, scope: session.options.scope)
        var steps: [Step] = []
        for id in commits {
            let info = try session.repository.commit(id)
            let new = try KernelTree.load(session.repository, tree: info.tree, cache: session.store.cache)
            let old =
                try info.parents.first.map {
                    try KernelTree.load(session.repository, tree: try session.repository.tree(ofCommit: $0), cache: session.store.cache)
                }
                ?? KernelTree(tree: info.tree, blobs: [:])
            steps.append(
                Step(
                    title: info.summary, commit: id.description,
                    changes: extractor.changes(from: old, to: new), notes: []))
        }
        session.finish()
        if !steps.isEmpty { steps[0].notes += Session.capped(session.factNotes) }
        return steps
    }

    public static func run(
        session: Session, baseRevision: String, patches: [SeriesPatch], inputNotes: [String]
    ) throws -> [Step] {
        guard !patches.isEmpty else { throw InputError("no patches to read (no diff found in the input)") }
        let extractor = ChangeExtractor(store: session.store, scope: session.options.scope)
        var current = try session.tree(at: baseRevision)
        var steps: [Step] = []
        for (index, patch) in patches.enumerated() {
            let label = patch.label ?? "\(index + 1)/\(patches.count)"
            switch SeriesCheck.apply(patch, to: current, session: session) {
            case .success(let (tree, files, _)):
                steps.append(
                    Step(
                        title: patch.subject, patch: label, messageId: patch.messageId,
                        changes: extractor.changes(from: current, to: tree),
                        notes: (index == 0 ? inputNotes : []) + SeriesCheck.offsetNotes(files)))
                current = tree
            case .failure(let failure):
                steps.append(
                    Step(
                        title: patch.subject, patch: label, messageId: patch.messageId, changes: [],
                        problem: "does not apply: \(failure.description)", notes: []))
            }
        }
        session.finish()
        if !steps.isEmpty { steps[0].notes += Session.capped(session.factNotes) }
        return steps
    }

    public static func renderText(_ steps: [Step]) -> String {
        var out: [String] = []
        for s in steps {
            var head = s.title
            if let c = s.commit { head = "\(c.prefix(12)) \(head)" }
            if let p = s.patch { head = "[\(p)] \(head)" }
            out.append(head)
            if let problem = s.problem { out.append("  problem: \(problem)") }
            for n in s.notes { out.append("  note: \(n)") }
            if s.changes.isEmpty && s.problem == nil { out.append("  (no modularity changes)") }
            for c in s.changes {
                out.append("  \(c.file)\(c.line.map { ":\($0)" } ?? ""): \(c.description)")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    public static func renderJSON(_ steps: [Step]) -> String {
        let list: [[String: Any]] = steps.map { s in
            var o: [String: Any] = [
                "subject": s.title,
                "changes": s.changes.map { c -> [String: Any] in
                    var d: [String: Any] = [
                        "kind": c.kind.rawValue, "file": c.file, "symbol": c.symbol,
                        "description": c.description,
                    ]
                    if let v = c.line { d["line"] = v }
                    if let v = c.before { d["before"] = v }
                    if let v = c.after { d["after"] = v }
                    return d
                },
            ]
            if let v = s.commit { o["commit"] = v }
            if let v = s.patch { o["patch"] = v }
            if let v = s.messageId { o["messageId"] = v }
            if let v = s.problem { o["problem"] = v }
            if !s.notes.isEmpty { o["notes"] = s.notes }
            return o
        }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: ["steps": list],
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else {
            return "{}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
