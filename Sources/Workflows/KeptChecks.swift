import Facts
import Foundation
import Git
import Model
import Report
import Rules

/// The checks of a whole tree (the base of `series` and `b4-check`, the parent of the first
/// commit of `hook` and `log`, a `tree` run) as an earlier run made them: the findings and the
/// rules' per-unit results, kept in the cache under a key of the tree id and everything else a
/// check depends on (scope, `.config`, rule set, policy, KMI lists, scan limits, the modcheck
/// binary). A run on a base checked before reads them back instead of checking it again, and a
/// model derived from that base (a patch, a commit) keeps the base's per-unit results for the
/// units its change cannot reach, as it would after checking the base itself.
extension Session {
    /// Per-unit results above this many names are not kept (a scope of thousands of units: they
    /// would take longer to read back than to work out for the few units a change reaches).
    static let keptNamesLimit = 200_000

    /// What a check of `tree` depends on besides the tree's content, as text for a snapshot key.
    func checkKeyText(tree: ObjectID) -> String {
        var text = "modcheck \(ToolIdentity.modcheckVersion) \(FactCache.binaryIdentity)\n"
        text += "rules \(ToolIdentity.current?.rules ?? "-")\ntree \(tree.hex)\n"
        text += "scope \(options.scope.joined(separator: " "))\n"
        text += "config \(dotConfig.map { $0.config.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } ?? "-")\n"
        text += "policy \(policyText ?? "-")\n"
        text += "kmi \(engine.kmiSymbols.map { $0.sorted().joined(separator: " ") } ?? "-")\n"
        text += "limits \(options.maxFileSize) \(options.scanTimeLimit.map { "\($0)" } ?? "-")\n"
        return text
    }

    /// The findings of a whole-tree model (no base): read back when this tree was checked before
    /// with the same everything; otherwise checked, and kept.
    public func checkWholeTree(_ model: KernelModel) -> [Finding] {
        guard model.changedSinceBase == nil, let cache = store.cache,
            let id = try? Repository.blobHash(Array(("tree checks v2\n" + checkKeyText(tree: model.tree.tree)).utf8))
        else { return engine.check(CheckContext(model: model)) }
        let name = "checks-\(id.hex).findings"
        if !FactCache.recheck, let payload = cache.snapshot(name) {
            let read = payload.withUnsafeBytes { raw -> [Finding]? in
                var r = ByteReader(raw)
                guard let findings = try? r.list({ try Finding.decode(&$0) }),
                    (try? engine.restoreKeptResults(&r, into: model)) != nil
                else { return nil }
                return findings
            }
            if let read {
                Timing.mark("checks (kept)")
                return read
            }
            cache.discardSnapshot(name, reason: "unreadable kept checks")
        }
        let findings = engine.check(CheckContext(model: model))
        var w = ByteWriter()
        w.list(findings) { $0.encode(&$1) }
        if engine.encodeKeptResults(of: model, &w, limit: Session.keptNamesLimit) {
            cache.storeSnapshot(name, w.bytes)
        }
        return findings
    }
}
