import Facts
import Foundation
import Git
import Model
import Rules

/// Runs the examples a rule file carries, the way SwiftLint runs `triggeringExamples`: each builds
/// a real repository from the shared example base, and the rule must (or must not) fire.
public enum RuleExampleRunner {
    public struct Outcome: Sendable {
        public var rule: String
        public var example: String
        public var triggering: Bool
        public var passed: Bool
        public var detail: String
    }

    static func apply(_ edits: [TextEdit], to files: inout [String: String], label: String) throws {
        for edit in edits {
            guard let text = files[edit.file] else {
                throw InputError("\(label): edit of missing file \(edit.file)")
            }
            guard let result = edit.apply(to: text) else {
                throw InputError(
                    "\(label): '\(edit.replace.prefix(40))…' must occur exactly once in \(edit.file)")
            }
            files[edit.file] = result
        }
    }

    /// The example's tree before (and after, when it has a patch).
    public static func trees(_ example: RuleExample, base: [String: String], label: String) throws -> (
        before: [String: String], after: [String: String]?
    ) {
        var files = base
        try apply(example.edits, to: &files, label: label)
        for (path, content) in example.files {
            if let content { files[path] = content } else { files[path] = nil }
        }
        guard let patch = example.patch else { return (files, nil) }
        var after = files
        try apply(patch, to: &after, label: label)
        return (files, after)
    }

    /// The findings of `rule` for an example: state findings of its tree, or findings a patch introduced.
    public static func findings(_ example: RuleExample, rule: RuleSpec, catalog: RuleCatalog) throws
        -> [Finding]
    {
        let label = "\(rule.file): \(example.description)"
        let (before, after) = try trees(example, base: catalog.exampleBase, label: label)
        let dir = Fixtures.temporaryDirectory("example")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var commits = [(message: "base", files: before)]
        if let after { commits.append((message: "patch", files: after)) }
        let ids = try Fixtures.createRepository(at: dir, commits: commits)
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let session = try Session(options: options, catalog: catalog, only: [rule.id])
        let baseTree = try KernelTree.load(
            session.repository, tree: try session.repository.tree(ofCommit: ids[0]))
        let baseModel = session.model(of: baseTree)
        let baseFindings = session.engine.check(CheckContext(model: baseModel))
        guard ids.count == 2 else { return baseFindings.filter { $0.rule == rule.id } }
        let afterTree = try KernelTree.load(
            session.repository, tree: try session.repository.tree(ofCommit: ids[1]))
        let afterModel = session.model(of: afterTree, base: baseModel)
        let afterFindings = session.engine.check(CheckContext(model: afterModel, base: baseModel))
        return RuleEngine.delta(before: baseFindings, after: afterFindings).introduced.filter {
            $0.rule == rule.id
        }
    }

    public static func run(_ rule: RuleSpec, catalog: RuleCatalog) -> [Outcome] {
        rule.examples.map { example in
            do {
                let found = try findings(example, rule: rule, catalog: catalog).filter {
                    $0.severity != .info
                }
                let shown = found.map {
                    "\($0.symbol ?? "-")@\($0.module ?? $0.file ?? "-") [\($0.severity.rawValue)]"
                }.joined(separator: ", ")
                if example.triggering {
                    var unmatched = found
                    var missing: [ExpectedFinding] = []
                    for e in example.expect {
                        if let i = unmatched.firstIndex(where: e.matches) {
                            unmatched.remove(at: i)
                        } else {
                            missing.append(e)
                        }
                    }
                    let ok = missing.isEmpty && unmatched.isEmpty
                    return Outcome(
                        rule: rule.id, example: example.description, triggering: true, passed: ok,
                        detail: ok
                            ? ""
                            : "expected \(example.expect.count) finding(s), got [\(shown)]; unmatched expectations: \(missing)"
                    )
                }
                return Outcome(
                    rule: rule.id, example: example.description, triggering: false, passed: found.isEmpty,
                    detail: found.isEmpty ? "" : "expected no finding, got [\(shown)]")
            } catch {
                return Outcome(
                    rule: rule.id, example: example.description, triggering: example.triggering,
                    passed: false, detail: "\(error)")
            }
        }
    }
}
