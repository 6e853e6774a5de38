import CSource
import Facts
import Foundation
import Git

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
        if let known = memoLock.withLock({ reverseMemo[names] }) { return units(seeing: known) }
        // A model derived from one that answered the same question, with the same headers, has
        // the same sources seeing the names while no compiled C file it changed includes or
        // declares anything new (a patch to function bodies, a Kconfig flip, a Makefile line):
        // the base's sources are taken, and this model's units of them.
        if let base = baseModelIdentity, sameDeclarers(of: names, as: base),
            let changed = changedSinceBase,
            changed.allSatisfy({ path in
                guard path.hasSuffix(".c"), compiledSources.contains(path) || base.compiledSources.contains(path)
                else { return true }
                guard compiledSources.contains(path) == base.compiledSources.contains(path) || !inScope(path)
                else { return false }
                // What it includes (a scoped file's includes decide which headers are read), and
                // which of the names it declares (only a file outside the scope can be a user).
                let (old, new) = (base.symbolFacts[path], symbolFacts[path])
                func declared(_ f: SourceFacts?) -> Set<String>? {
                    f.map { Set($0.declarations.lazy.map(\.name).filter(names.contains)) }
                }
                return old?.includes == new?.includes && (inScope(path) || declared(old) == declared(new))
            }),
            let known = base.memoLock.withLock({ base.reverseMemo[names] })
        {
            // A compiled file that appeared outside the scope is read as the full search would.
            var sources = known
            let appeared = compiledSources == base.compiledSources ? [] : compiledSources.subtracting(base.compiledSources)
            for path in appeared where path.hasSuffix(".c") && !inScope(path) {
                if let f = symbolFacts[path], f.declarations.contains(where: { names.contains($0.name) }) {
                    sources.append(path)
                }
            }
            memoLock.withLock { reverseMemo[names] = sources }
            return units(seeing: sources)
        }
        for unit in scopedUnits { _ = headerIndex(for: unit.sources) }
        // Headers read so far that declare or stub a name (the shared name table lists the few
        // contents that do, the graph where they sit), then every header read that includes one
        // of them (no pass over the graph).
        var seeds = Set<Int>()
        for name in names {
            for blob in headerNames.declarers(name) { seeds.formUnion(headerGraph.headers(of: blob)) }
            for p in headerNames.providers(name) { seeds.formUnion(headerGraph.headers(of: p.blob)) }
        }
        let reached = headerGraph.includers(reaching: seeds)
        // Only an include whose last component names a reached header can land on one.
        // (Bytes, not Characters: this runs for every include of every compiled file.)
        let basenames = Set(reached.map { lastPathComponent(headerGraph.paths[$0][...]) })
        func mayReach(_ inc: String) -> Bool { basenames.contains(lastPathComponent(inc[...])) }
        // Only files an include's last component or a declaration ties to the names can see them
        // (the index of them pays once a few searches were made: a triage's postings; a pass over
        // every compiled file before that).
        func includesReached(_ includes: [String], from path: String) -> Bool {
            includes.contains { inc in
                mayReach(inc)
                    && resolveIncludeMemo(inc, from: path).contains { headerGraph.number[$0].map(reached.contains) ?? false }
            }
        }
        var sources: [String] = []
        let index = outsideSourceIndex(made: reverseSearches.count >= 3)
        if let index {
            // The index says which files declare a name and what each file includes: no facts read.
            var declaring = Set<String>()
            for name in names { declaring.formUnion(index.files(declaring: name)) }
            var tied = declaring
            for name in basenames { tied.formUnion(index.files(including: String(name))) }
            Timing.mark("reverse users: \(tied.count) tied, \(declaring.count) declaring")
            for path in tied {
                if declaring.contains(path) {
                    sources.append(path)
                } else if let includes = index.includes(of: path) ?? symbolFacts[path]?.includes,
                    includesReached(includes, from: path)
                {
                    sources.append(path)
                }
            }
        } else {
            reverseSearches.add()
            for path in compiledSources where path.hasSuffix(".c") && !inScope(path) {
                guard let f = symbolFacts[path] else { continue }
                if f.declarations.contains(where: { names.contains($0.name) }) || includesReached(f.includes, from: path) {
                    sources.append(path)
                }
            }
        }
        sources.sort()
        let users = units(seeing: sources)
        Timing.mark("reverse users of \(names.count) names: \(reached.count) headers, \(users.count) units")
        memoLock.withLock { reverseMemo[names] = sources }
        return users
    }

    /// Whether this model's headers declare or stub `names` where the base's do, with the same
    /// includes: the same graph, or one updated from it whose re-read headers declare and stub the
    /// same of the names as before (a patch to iommu.h that adds a function).
    func sameDeclarers(of names: Set<String>, as base: KernelModel) -> Bool {
        if base.headerGraph === headerGraph { return true }
        guard headerGraph.updatedFrom === base.headerGraph else { return false }
        return headerGraph.redeclaredNames.isDisjoint(with: names)
    }

    /// This model's built-in units outside the scope compiling one of `sources`.
    func units(seeing sources: [String]) -> [ModuleUnit] {
        var users: [ModuleUnit] = []
        var seen = Set(scopedUnits.map(\.name))
        for path in sources where compiledSources.contains(path) {
            for unit in unitsBySource[path] ?? [] where unit.canBeBuiltin && seen.insert(unit.name).inserted {
                users.append(unit)
            }
        }
        return users
    }
}

/// The compiled C files outside a model's scope, by the last component of each name they include
/// and by each name they declare: a reverse search reads only the files these tie to its names
/// (a pass over every compiled file cost ~90 ms a search). A derived model's index is a layer over
/// its base's: the files that changed, appeared or stopped being compiled are dropped from the
/// base's answers and entered again in the layer (copying the base's tables, ~100k declared
/// names, cost more per patch than the search). Past `maxDepth` layers the index is flattened.
final class OutsideSourceIndex: @unchecked Sendable {
    private var byIncludeName: [String: Set<String>] = [:]
    private var byDeclaration: [String: Set<String>] = [:]
    /// Each file's include names (a tied file's includes without decoding its facts).
    private var fileIncludes: [String: [String]] = [:]
    /// A whole tree's index as an earlier run made it, read in place (OutsideIndexSnapshot).
    private let mapped: OutsideIndexSnapshot?
    /// The index this one is a layer over, and the paths whose entries there no longer hold.
    private let parent: OutsideSourceIndex?
    private let replaced: Set<String>
    private let depth: Int
    static let maxDepth = 16

    convenience init(_ model: KernelModel) {
        self.init(compiled: model.compiledSources, inScope: model.inScope) { model.symbolFacts[$0] }
    }

    /// The index of the compiled C files not `inScope`, from their facts.
    init(compiled: Set<String>, inScope: (String) -> Bool, facts: (String) -> SourceFacts?) {
        parent = nil
        replaced = []
        depth = 0
        mapped = nil
        for path in compiled where path.hasSuffix(".c") && !inScope(path) {
            if let f = facts(path) { add(path, f) }
        }
    }

    /// A whole tree's index read back from a snapshot.
    init(mapped: OutsideIndexSnapshot) {
        parent = nil
        replaced = []
        depth = 0
        self.mapped = mapped
    }

    /// Both tables of an index made here (not read back, not a layer), for a snapshot.
    var tables: (includes: [String: Set<String>], declarations: [String: Set<String>], fileIncludes: [String: [String]])? {
        guard parent == nil, mapped == nil else { return nil }
        return (byIncludeName, byDeclaration, fileIncludes)
    }

    /// `base`'s index (of `baseModel`) for `model`, which differs from it in `paths` only.
    init(updating base: OutsideSourceIndex, to model: KernelModel, paths: Set<String>) {
        let sources = paths.filter { $0.hasSuffix(".c") }
        if base.depth >= OutsideSourceIndex.maxDepth {
            // Flattened: the base's whole answer, then this layer's.
            parent = nil
            depth = 0
            replaced = []
            (byIncludeName, byDeclaration, fileIncludes) = base.flattened()
            OutsideSourceIndex.drop(sources, from: &byIncludeName)
            OutsideSourceIndex.drop(sources, from: &byDeclaration)
            for path in sources { fileIncludes[path] = nil }
        } else {
            parent = base
            depth = base.depth + 1
            replaced = sources
        }
        mapped = nil
        for path in sources where model.compiledSources.contains(path) && !model.inScope(path) {
            if let f = model.symbolFacts[path] { add(path, f) }
        }
    }

    /// The files that include a name whose last component is `name`.
    func files(including name: String) -> Set<String> {
        lookup { $0.mapped?.files(including: name) ?? $0.byIncludeName[name] }
    }

    /// The files that declare `name`.
    func files(declaring name: String) -> Set<String> {
        lookup { $0.mapped?.files(declaring: name) ?? $0.byDeclaration[name] }
    }

    /// The include names of the compiled file at `path` outside the scope; nil when it is not one.
    func includes(of path: String) -> [String]? {
        if let own = fileIncludes[path] { return own }
        if let mapped { return mapped.includes(of: path) }
        if replaced.contains(path) { return nil }
        return parent?.includes(of: path)
    }

    private func lookup(_ table: (OutsideSourceIndex) -> Set<String>?) -> Set<String> {
        var found = parent?.lookup(table) ?? []
        if !replaced.isEmpty, !found.isEmpty { found.subtract(replaced) }
        if let own = table(self) { found.formUnion(own) }
        return found
    }

    /// Both tables with every layer applied.
    private func flattened() -> ([String: Set<String>], [String: Set<String>], [String: [String]]) {
        if let mapped {
            let (includes, declarations) = mapped.tables()
            return (includes, declarations, mapped.allIncludes())
        }
        guard let parent else { return (byIncludeName, byDeclaration, fileIncludes) }
        var (includes, declarations, perFile) = parent.flattened()
        func apply(_ table: inout [String: Set<String>], _ own: [String: Set<String>]) {
            OutsideSourceIndex.drop(replaced, from: &table)
            for (name, files) in own { table[name, default: []].formUnion(files) }
        }
        apply(&includes, byIncludeName)
        apply(&declarations, byDeclaration)
        for path in replaced { perFile[path] = nil }
        for (path, names) in fileIncludes { perFile[path] = names }
        return (includes, declarations, perFile)
    }

    /// `table` without `paths` in any of its sets.
    private static func drop(_ paths: Set<String>, from table: inout [String: Set<String>]) {
        guard !paths.isEmpty else { return }
        for (name, files) in table where !files.isDisjoint(with: paths) { table[name] = files.subtracting(paths) }
    }

    private func add(_ path: String, _ f: SourceFacts) {
        fileIncludes[path] = f.includes
        for inc in f.includes { byIncludeName[String(lastPathComponent(inc[...])), default: []].insert(path) }
        for d in f.declarations { byDeclaration[d.name, default: []].insert(path) }
    }
}

extension KernelModel {
    /// This model's index of compiled files outside the scope: its own, else its base's updated
    /// (the scope being the same), else — when `made` — one made from scratch (in the base, which
    /// serves this model's siblings too: the next patch of each posting on one base).
    func outsideSourceIndex(made make: Bool) -> OutsideSourceIndex? {
        if let known = memoLock.withLock({ outsideIndexMemo }) { return known }
        var made: OutsideSourceIndex?
        if let base = baseModelIdentity, base.scope == scope, let changed = changedSinceBase,
            let known = base.outsideSourceIndex(made: make)
        {
            var paths = changed
            if compiledSources != base.compiledSources {
                paths.formUnion(compiledSources.symmetricDifference(base.compiledSources))
            }
            made = OutsideSourceIndex(updating: known, to: self, paths: paths)
        }
        // The base let go of (a series or a history keeps only its latest model): the whole
        // tree's index at the start of the chain, with every path changed since.
        if made == nil, baseModelIdentity == nil, let root = rootModel, root.scope == scope,
            let sinceRoot = changedSinceRoot, let known = root.outsideSourceIndex(made: make)
        {
            var paths = sinceRoot
            if compiledSources != root.compiledSources {
                paths.formUnion(compiledSources.symmetricDifference(root.compiledSources))
            }
            made = OutsideSourceIndex(updating: known, to: self, paths: paths)
        }
        // A whole tree's index: as an earlier run over the tree made it, else made now and kept
        // (a pass over every compiled file, as one full search costs, paid once per tree).
        let key = changedSinceBase == nil ? outsideIndexKey : nil
        if made == nil, let key, let cache = store.cache, let kept = OutsideIndexSnapshot.load(key, cache: cache) {
            made = OutsideSourceIndex(mapped: kept)
        }
        if made == nil, make || key != nil {
            let problemsBefore = store.problemCount
            let index = outsideIndexAhead?.value ?? OutsideSourceIndex(self)
            if let key, let cache = store.cache, store.problemCount == problemsBefore, let tables = index.tables {
                cache.inBackground { OutsideIndexSnapshot.store(tables, key: key, cache: cache) }
            }
            made = index
        }
        guard let index = made else { return nil }
        memoLock.withLock { outsideIndexMemo = index }
        return index
    }

    /// The key of this whole-tree model's outside-source index snapshot: its symbol index's
    /// (the tree, the binary, the scan limits) and the scope.
    var outsideIndexKey: ObjectID? {
        guard let indexKey = indexSnapshotKey else { return nil }
        return try? Repository.blobHash(Array("outside index \(indexKey.hex)\nscope \(scope.joined(separator: " "))\n".utf8))
    }
}

/// Counts full reverse searches across a chain of derived models (KernelModel.reverseSearches).
final class SearchCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var count: Int { lock.withLock { value } }
    func add() { lock.withLock { value += 1 } }
}
