import Facts
import Foundation
import Git
import Kconfig
import Model
import Report
import Rules

/// A concrete `.config` given with `--config`.
public struct DotConfigFile: Sendable {
    public var path: String
    public var config: DotConfig

    public static func load(_ path: String) throws -> DotConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the .config file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let config = DotConfig.parse(text)
        if let problem = config.diagnostics.first {
            throw InputError("\(path):\(problem.line): \(problem.message)")
        }
        return DotConfigFile(path: path, config: config)
    }
}

/// `modcheck tree`: the findings of one revision.
///
/// A tree's report depends only on the tree, the options and this modcheck: a warm run of a tree
/// checked before reads the report kept in the cache (a snapshot keyed by the tree id, scope,
/// `.config`, rule set, policy, KMI lists, scan limits and the modcheck binary) and builds nothing.
public enum TreeCheck {
    public static func run(session: Session, revision: String) throws -> CheckReport {
        let key = try reportKey(session: session, revision: revision)
        // The scope's trees must still be in the repository (a damaged repository is reported,
        // not answered from an earlier run).
        if let key, let cache = session.store.cache, !FactCache.recheck,
            session.options.scope.allSatisfy({ path in
                (try? session.repository.entryID(tree: key.tree, path: path)).map { $0.map(session.repository.contains) ?? true } ?? false
            }),
            let bytes = cache.snapshot(key.name), let kept = KeptReport.decode(bytes)
        {
            return kept.report(cacheWarnings: cache.warnings, scope: session.options.scope)
        }
        let tree = try session.tree(at: revision)
        let model = session.model(of: tree)
        let findings = session.checkWholeTree(model)
        let kept = KeptReport(
            findings: findings, modelProblems: model.problems, storeProblems: session.store.problems,
            unusedSuppressions: session.unusedSuppressionNotes, units: model.scopedUnits.count,
            modular: model.scopedUnits.filter(\.canBeModule).count)
        session.finish()
        if let key, let cache = session.store.cache {
            cache.storeSnapshot(key.name, kept.encode())
        }
        return kept.report(cacheWarnings: session.store.cache?.warnings ?? [], scope: session.options.scope)
    }

    /// The snapshot name of a tree's report, and the tree; nil without a cache.
    static func reportKey(session: Session, revision: String) throws -> (name: String, tree: ObjectID)? {
        guard session.store.cache != nil else { return nil }
        let commit: ObjectID
        do {
            commit = try session.repository.resolveCommit(revision)
        } catch {
            throw InputError("\(session.repositoryPath): cannot resolve revision '\(revision)' (\(error))")
        }
        guard let tree = try? session.repository.tree(ofCommit: commit) else { return nil }
        let text = "tree report v2\n" + session.checkKeyText(tree: tree)
        guard let id = try? Repository.blobHash(Array(text.utf8)) else { return nil }
        return ("tree-\(id.hex).report", tree)
    }

}

/// What a tree's report is made of, as kept in the cache: the findings and the notes that belong
/// to the tree (not the run's cache warnings, which are added when it is read back).
struct KeptReport {
    var findings: [Finding]
    var modelProblems: [String]
    var storeProblems: [String]
    var unusedSuppressions: [String]
    var units: Int
    var modular: Int

    func report(cacheWarnings: [String], scope: [String]) -> CheckReport {
        var notes = Session.capped(modelProblems)
        notes += Session.capped(storeProblems + cacheWarnings + unusedSuppressions)
        notes.insert("scope \(scope.joined(separator: ", ")): \(units) units, \(modular) possibly modular", at: 0)
        return CheckReport(
            sections: [CheckSection(title: nil, commit: nil, findings: findings, notes: notes)],
            isRegressionMode: false)
    }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.list(findings) { $0.encode(&$1) }
        w.strings(modelProblems)
        w.strings(storeProblems)
        w.strings(unusedSuppressions)
        w.int(units)
        w.int(modular)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> KeptReport? {
        bytes.withUnsafeBytes { raw -> KeptReport? in
            var r = ByteReader(raw)
            guard
                let kept = try? KeptReport(
                    findings: r.list { try Finding.decode(&$0) }, modelProblems: r.strings(),
                    storeProblems: r.strings(), unusedSuppressions: r.strings(), units: r.int(), modular: r.int()),
                r.isAtEnd
            else { return nil }
            return kept
        }
    }
}
