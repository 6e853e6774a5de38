import Facts
import Foundation
import Git
import Model
import Report
import Rules

/// `modcheck log RANGE`: for each commit, the findings it introduced and fixed against its first
/// parent. The model of each commit is derived from the previous one, so only changed blobs are
/// read again (and the fact cache makes a second run nearly free).
public enum LogCheck {
    public static func run(session: Session, range: String, since: Date? = nil, allParents: Bool = false)
        throws -> CheckReport
    {
        let repo = session.repository
        let commits: [ObjectID]
        do {
            if range.contains("..") {
                commits = try repo.commits(range: range)
            } else {
                // A single revision means REV^..REV; a root commit is compared with the empty tree.
                let id = try repo.resolveCommit(range)
                commits =
                    try repo.commit(id).parents.isEmpty
                    ? [id] : try repo.commits(range: "\(id.hex)^..\(id.hex)")
            }
        } catch {
            throw session.walkError(range, error)
        }
        guard !commits.isEmpty else {
            throw InputError("\(session.repositoryPath): '\(range)' has no commits")
        }
        var selected = commits
        if let since {
            let limit = Int64(since.timeIntervalSince1970)
            selected = try commits.filter { try repo.commit($0).time >= limit }
        }
        return try run(session: session, commits: selected, allParents: allParents)
    }

    /// The same, for an explicit list of commits (oldest first), as a pre-push hook has them.
    public static func run(session: Session, commits: [ObjectID], allParents: Bool = false) throws
        -> CheckReport
    {
        let repo = session.repository
        var sections: [CheckSection] = []
        var current: (commit: ObjectID, tree: KernelTree, model: KernelModel, findings: [Finding])?
        for id in commits {
            let info = try repo.commit(id)
            // With no model at hand yet (the first commit, or one after such commits), a commit
            // that changes no fact is answered without one (UnchangedFacts.swift); later commits
            // derive their models from the last one, which costs little.
            // (The differences are read once: the full check below takes them.)
            var knownChanges: [String: ObjectID?]?
            if current == nil, !allParents, let parent = info.parents.first {
                let parentTree = try repo.tree(ofCommit: parent)
                let changes = try repo.changedFiles(from: parentTree, to: info.tree)
                knownChanges = changes
                if session.changesNoFacts(parentTree: parentTree, changes: changes) {
                    Timing.mark("commit \(id.hex.prefix(12)) changes no fact")
                    sections.append(CheckSection(title: info.summary, commit: id.hex, findings: [], fixed: []))
                    continue
                }
            }
            // The state to compare with: the first parent (merges too), derived from the last model.
            let parentState: (tree: KernelTree, model: KernelModel, findings: [Finding])
            if let c = current, info.parents.first == c.commit {
                parentState = (c.tree, c.model, c.findings)
            } else if let parent = info.parents.first {
                let tree = try KernelTree.load(repo, tree: try repo.tree(ofCommit: parent), cache: session.store.cache)
                let model = session.model(of: tree, base: current?.model)
                parentState = (tree, model, session.checkWholeTree(model))
            } else {
                let empty = KernelTree(tree: info.tree, blobs: [:])
                let model = session.model(of: empty)
                parentState = (empty, model, [])
            }
            // A root commit's files are all new (its parent state is the empty tree).
            let parentTree = info.parents.isEmpty ? nil : parentState.tree.tree
            let changes = try knownChanges ?? repo.changedFiles(from: parentTree, to: info.tree)
            let tree = parentState.tree.applying(changes, newTree: info.tree)
            let model = session.model(of: tree, base: parentState.model, changedPaths: Set(changes.keys))
            let findings = session.engine.check(CheckContext(model: model, base: parentState.model))
            let delta = RuleEngine.delta(before: parentState.findings, after: findings)
            sections.append(
                CheckSection(
                    title: info.summary, commit: id.hex, findings: delta.introduced, fixed: delta.fixed))
            current = (id, tree, model, findings)
            // --all-parents: a merge is also compared with each of its other parents.
            if allParents {
                for other in info.parents.dropFirst() {
                    let otherTree = try KernelTree.load(repo, tree: try repo.tree(ofCommit: other), cache: session.store.cache)
                    let otherModel = session.model(of: otherTree, base: model)
                    let otherFindings = session.engine.check(CheckContext(model: otherModel))
                    let againstOther = session.engine.check(CheckContext(model: model, base: otherModel))
                    let d = RuleEngine.delta(before: otherFindings, after: againstOther)
                    sections.append(
                        CheckSection(
                            title: info.summary + " (against parent \(other.hex.prefix(12)))", commit: id.hex,
                            findings: d.introduced,
                            fixed: d.fixed))
                }
            }
        }
        session.finish()
        if !sections.isEmpty { sections[0].notes += Session.capped(session.factNotes) }
        return CheckReport(sections: sections, isRegressionMode: true)
    }
}
