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
        let text = "tree report v1\n" + session.checkKeyText(tree: tree)
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
        let object: [String: Any] = [
            "findings": findings.map(JSONRenderer.object), "modelProblems": modelProblems,
            "storeProblems": storeProblems, "unusedSuppressions": unusedSuppressions, "units": units,
            "modular": modular,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { [UInt8]($0) } ?? []
    }

    static func decode(_ bytes: [UInt8]) -> KeptReport? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let findings = object["findings"] as? [[String: Any]], let units = object["units"] as? Int,
            let modular = object["modular"] as? Int
        else { return nil }
        var out: [Finding] = []
        for f in findings {
            guard let rule = f["rule"] as? String, let severity = (f["severity"] as? String).flatMap(Severity.init),
                let message = f["message"] as? String
            else { return nil }
            var finding = Finding(
                rule: rule, severity: severity, file: f["file"] as? String, line: f["line"] as? Int,
                symbol: f["symbol"] as? String, module: f["module"] as? String, config: f["config"] as? String,
                message: message)
            finding.partial = f["partial"] as? Bool ?? false
            out.append(finding)
        }
        return KeptReport(
            findings: out, modelProblems: object["modelProblems"] as? [String] ?? [],
            storeProblems: object["storeProblems"] as? [String] ?? [],
            unusedSuppressions: object["unusedSuppressions"] as? [String] ?? [], units: units, modular: modular)
    }
}
