import CSource
import Facts
import Foundation

/// Rule results that follow the facts: a model derived from another with the same Kconfig,
/// kbuild, units and headers (a patch that changes function bodies, adds a call, an export) has
/// the base's per-unit results of a rule for every unit whose own sources did not change and
/// that uses no name a changed file defines or a changed header declares differently. A rule keeps its per-unit results with `keep`, and
/// reads the base's with `keptResult` when `structuralBase` says the base is such a model.
extension KernelModel {
    /// The model this one was derived from, when only C sources and headers changed between them
    /// (same Kconfig evaluator, kbuild, units and scope; headers with the same includes); nil
    /// otherwise.
    public var structuralBase: KernelModel? {
        guard unitsAsBase, let base = baseModelIdentity, base.scope == scope,
            base.headerGraph === headerGraph || headerGraph.updatedFrom === base.headerGraph
        else { return nil }
        return base
    }

    /// Whether the changed headers declare and stub `names` as the base's did (always, when no
    /// header changed).
    public func headersAgree(on names: Set<String>, with base: KernelModel) -> Bool {
        sameDeclarers(of: names, as: base)
    }

    /// Every name a changed file defines, before or after the change (any storage: a static
    /// function turned global is a new provider).
    public var namesDefinedInChangedFiles: Set<String> {
        if let known = memoLock.withLock({ changedNamesMemo }) { return known }
        var names = Set<String>()
        if let base = baseModelIdentity, let changed = changedSinceBase {
            for path in changed where KernelFileKind(path: path) == .cSource || KernelFileKind(path: path) == .assembly {
                for facts in [symbolFacts[path], base.symbolFacts[path]] {
                    for d in facts?.definitions ?? [] { names.insert(d.name) }
                }
            }
        }
        memoLock.withLock { changedNamesMemo = names }
        return names
    }

    /// Whether one of the unit's sources (or a `.c` file one of them includes) changed since the
    /// base; true without a base.
    /// Whether this model reads every header as `base` does (no header changed between them).
    public func sameHeaders(as base: KernelModel) -> Bool { headerGraph === base.headerGraph }

    public func sourcesChanged(_ unit: ModuleUnit) -> Bool {
        guard let changed = changedSinceBase else { return true }
        return unit.sources.contains { source in
            changed.contains(source) || (includedSources[source] ?? []).contains(where: changed.contains)
        }
    }

    /// A rule's result for one key (a unit), as this model kept it.
    public func keptResult<T>(_ rule: String, _ key: String) -> T? {
        memoLock.withLock { keptResults[rule + "\u{0}" + key] as? T }
    }

    /// Keeps a rule's result for one key (a unit) for models derived from this one.
    public func keep<T>(_ value: T, _ rule: String, _ key: String) {
        memoLock.withLock { keptResults[rule + "\u{0}" + key] = value }
    }

    /// Every result kept so far, by rule and key (for a snapshot of the model's checks).
    public func keptEntries() -> [String: Any] { memoLock.withLock { keptResults } }

    /// The reverse searches this model answered (`outOfScopeUsers`): the names, and the compiled
    /// files outside the scope that see them (for a snapshot of the model's checks: a model
    /// derived from one read back takes them as it would from the model that searched).
    public func reverseAnswers() -> [(names: Set<String>, sources: [String])] {
        memoLock.withLock { reverseMemo.map { ($0.key, $0.value) } }
    }

    /// Puts reverse search answers read back from a snapshot.
    public func restoreReverseAnswers(_ answers: [(names: Set<String>, sources: [String])]) {
        memoLock.withLock { for (names, sources) in answers { reverseMemo[names] = sources } }
    }

    /// Puts results read back from a snapshot (keys as `keptEntries` gave them).
    public func restoreKeptEntries(_ entries: [(String, Any)]) {
        memoLock.withLock { for (key, value) in entries { keptResults[key] = value } }
    }
}
