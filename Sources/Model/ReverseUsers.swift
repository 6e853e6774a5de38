import CSource
import Facts
import Foundation

extension KernelModel {
    /// Units outside the scope that can see a declaration of one of `names`: a source of theirs
    /// declares it, or includes (transitively) a header that declares it or stubs it. These are
    /// the built-in users a scoped provider that can be a module may break (a driver in scope
    /// turned tristate, called by built-in code in `drivers/firmware`).
    ///
    /// Only the headers the scoped units' include closures read are followed (what a provider's
    /// own header and the headers around it include); reading every header of the tree would cost
    /// more than the rest of a scoped run. Nothing is read when `names` is empty or the scope is
    /// the whole tree.
    public func outOfScopeUsers(seeing names: Set<String>) -> [ModuleUnit] {
        guard !names.isEmpty, !scope.contains(where: { $0.isEmpty || $0 == "." }) else { return [] }
        if let known = memoLock.withLock({ reverseMemo[names] }) { return units(known) }
        // A model derived from one that answered the same question, with the same headers and
        // the same compiled C files, has the same users (a patch to a function body, a Kconfig
        // flip): the base's answer is taken, with this model's units.
        if let base = baseModelIdentity, base.headerGraph === headerGraph,
            let changed = changedSinceBase,
            !changed.contains(where: { $0.hasSuffix(".h") || ($0.hasSuffix(".c") && (compiledSources.contains($0) || base.compiledSources.contains($0))) }),
            let known = base.memoLock.withLock({ base.reverseMemo[names] })
        {
            memoLock.withLock { reverseMemo[names] = known }
            return units(known)
        }
        for unit in scopedUnits { _ = headerIndex(for: unit.sources) }
        let (summaries, edges) = headerGraph.known()
        // Headers that declare or stub a name, then every known header that includes one of them.
        var includers: [[Int]] = Array(repeating: [], count: edges.count)
        var reached = Set<Int>()
        for (i, e) in edges.enumerated() {
            for j in e ?? [] { includers[j].append(i) }
            if let s = summaries[i], !s.declared.isDisjoint(with: names) || s.conditions.keys.contains(where: names.contains) {
                reached.insert(i)
            }
        }
        var work = Array(reached)
        while let h = work.popLast() {
            for up in includers[h] where reached.insert(up).inserted { work.append(up) }
        }
        // Only an include whose last component names a reached header can land on one.
        let basenames = Set(reached.map { i -> Substring in
            let p = headerGraph.paths[i]
            return p.lastIndex(of: "/").map { p[p.index(after: $0)...] } ?? p[...]
        })
        func mayReach(_ inc: String) -> Bool {
            basenames.contains(inc.lastIndex(of: "/").map { inc[inc.index(after: $0)...] } ?? inc[...])
        }
        var users: [ModuleUnit] = []
        var seen = Set(scopedUnits.map(\.name))
        for path in compiledSources.sorted() where path.hasSuffix(".c") && !inScope(path) {
            guard let f = symbolFacts[path] else { continue }
            let sees =
                f.declarations.contains { names.contains($0.name) }
                || f.includes.contains { inc in
                    mayReach(inc)
                        && resolveIncludeMemo(inc, from: path).contains { headerGraph.number[$0].map(reached.contains) ?? false }
                }
            guard sees else { continue }
            for unit in unitsBySource[path] ?? [] where unit.canBeBuiltin && seen.insert(unit.name).inserted {
                users.append(unit)
            }
        }
        Timing.mark("reverse users of \(names.count) names: \(reached.count) headers, \(users.count) units")
        let found = users.map { (name: $0.name, source: $0.sources[0]) }
        memoLock.withLock { reverseMemo[names] = found }
        return users
    }

    /// This model's built-in units of the given names.
    func units(_ known: [(name: String, source: String)]) -> [ModuleUnit] {
        known.compactMap { k in unitsBySource[k.source]?.first { $0.name == k.name && $0.canBeBuiltin } }
    }
}
