import Foundation

/// Answers "what values can this symbol take?" under worst-case (allmodconfig-like) reasoning,
/// optionally with some symbols fixed, and "what value does it have?" under a concrete .config.
///
/// Semantics follow scripts/kconfig/symbol.c: a symbol's upper bound is its prompt visibility
/// (dependencies && prompt condition) or a default (capped by dependencies), raised by any
/// `select` (which ignores the target's dependencies); a `bool` whose visibility is `m` is
/// promoted to `y` (sym_calc_visibility). Expressions use Kconfig's tristate logic over
/// intervals; symbols that occur more than once in one expression are enumerated, so
/// `depends on X || !X` is exact.
///
/// Ranges are computed over the symbol dependency graph in topological order of its strongly
/// connected components: kconfig rejects dependency loops, but the union of all architectures
/// can create them, and those components are iterated from "anything" down to a fixpoint, which
/// keeps the answer sound and independent of the order of questions.
///
/// Thread-safe: the memo tables are guarded by a lock.
public final class KconfigEvaluator: @unchecked Sendable {
    public let tree: KconfigTree
    private let graph: KconfigSymbolGraph
    private let lock = NSRecursiveLock()
    private var contexts: [String: EvaluationContext] = [:]
    private var valueCache: [String: Tristate] = [:]
    private var valueInProgress: Set<String> = []

    /// Symbols whose definitions the Kconfig files this evaluator was updated for changed (nil:
    /// built from scratch, everything may differ from any other evaluator).
    public let changedSymbols: Set<String>?
    private var affectedMemo: Set<String>?

    public convenience init(tree: KconfigTree) {
        self.init(tree: tree, graph: KconfigSymbolGraph(tree: tree))
    }

    init(tree: KconfigTree, graph: KconfigSymbolGraph) {
        self.tree = tree
        self.graph = graph
        self.changedSymbols = nil
    }

    /// Every symbol whose range may differ from the base evaluator's: the changed symbols and
    /// every symbol whose range reads one of them, transitively. nil when built from scratch.
    public func affectedSymbols() -> Set<String>? {
        guard let changed = changedSymbols else { return nil }
        return lock.withLock {
            if let known = affectedMemo { return known }
            let out = readersClosure(changed)
            affectedMemo = out
            return out
        }
    }

    /// Who reads whom, the other way round (made on first use; under `lock`).
    private var readersMemo: [[Int]]?

    /// `seeds` and every symbol whose range reads one of them, transitively; `blocked` symbols
    /// are neither added nor passed through (under `lock`).
    private func readersClosure(_ seeds: Set<String>, blockedAt blocked: Set<String> = []) -> Set<String> {
        let readers = readersArray()
        var out = seeds
        var work = seeds.compactMap { graph.index[$0] }
        // A string or int symbol is not in the graph: its readers are found by what they mention.
        let outside = seeds.filter { graph.index[$0] == nil }
        if !outside.isEmpty {
            for (v, mentioned) in graph.mentions.enumerated()
            where !blocked.contains(graph.names[v]) && mentioned.contains(where: outside.contains) {
                work.append(v)
                out.insert(graph.names[v])
            }
        }
        var seen = Set(work)
        while let v = work.popLast() {
            for r in readers[v] where seen.insert(r).inserted && !blocked.contains(graph.names[r]) {
                out.insert(graph.names[r])
                work.append(r)
            }
        }
        return out
    }

    /// Who reads each symbol (by number; under `lock`).
    private func readersArray() -> [[Int]] {
        if let known = readersMemo { return known }
        var made: [[Int]] = Array(repeating: [], count: graph.names.count)
        for (v, deps) in graph.dependencies.enumerated() { for w in deps { made[w].append(v) } }
        readersMemo = made
        return made
    }

    private var valueAffectedMemo: Set<String>?

    /// Of `affectedSymbols()`, those whose range with nothing assumed can differ from the base
    /// evaluator's: a changed symbol whose type, definedness or range differs, and whatever reads
    /// one, but not through a changed symbol whose range stayed. A new driver that selects
    /// IOMMU_API changes IOMMU_API's definition but not its range, and its two thousand readers
    /// keep theirs. (Every symbol but the changed ones has the same definition in both trees, and
    /// a range reads only its symbol's definition, the ranges it reads, its floor and the
    /// assumptions.) `affectedSymbols()` once the base is no longer linked (an evaluator was
    /// updated from this one); nil when built from scratch.
    public func valueAffectedSymbols() -> Set<String>? {
        guard let changed = changedSymbols else { return nil }
        if let known = lock.withLock({ valueAffectedMemo }) { return known }
        guard let base = lock.withLock({ inheritFrom }) else { return affectedSymbols() }
        let seeds = differingWithNothingAssumed(changed, base)
        return lock.withLock {
            if let known = valueAffectedMemo { return known }
            let out = seeds.isEmpty ? [] : readersClosure(seeds, blockedAt: changed.subtracting(seeds))
            valueAffectedMemo = out
            return out
        }
    }

    /// Of `symbols`, those whose range under `assuming` can differ from the base evaluator's (as
    /// `valueAffectedSymbols()`, with the assumptions): only the changed symbols some of them
    /// read are worked out under the assumptions (the base worked them out when it asked the
    /// same question). A changed symbol fixed, or floored at y, has that value in both trees.
    /// When the assumptions imply other floors here, or the base is no longer linked, every
    /// affected one; nil when built from scratch.
    public func rangesMayDiffer(of symbols: Set<String>, assuming: [String: Tristate]) -> Set<String>? {
        guard let changed = changedSymbols, let affected = affectedSymbols() else { return nil }
        let reached = symbols.intersection(affected)
        guard !reached.isEmpty else { return [] }
        let floors = impliedFloors(assuming)
        guard let base = lock.withLock({ inheritFrom }), floors == base.impliedFloors(assuming) else { return reached }
        var seeds = Set<String>()
        var same = Set<String>()
        // A changed symbol whose range, in neither tree, reads an assumed or floored one has
        // the range it has with nothing assumed: the answer without assumptions, worked out once,
        // holds (a unit's own symbol at m, asked for each of hundreds of units, reaches none of
        // the symbols a new driver's select changed but those it selects itself).
        let pinned = Set(assuming.keys).union(floors.keys)
        let unassumed = differingWithNothingAssumed(changed, base)
        func readsPinned(_ c: String) -> Bool {
            rangeReads(c, anyOf: pinned) ?? true || base.rangeReads(c, anyOf: pinned) ?? true
        }
        for c in changed {
            guard reached.contains(c) || !readers(of: c).isDisjoint(with: reached) else { continue }
            if !readsPinned(c) {
                if unassumed.contains(c) { seeds.insert(c) } else { same.insert(c) }
                continue
            }
            if assuming[c] != nil || floors[c] == .y || sameRange(c, as: base, assuming: assuming) {
                same.insert(c)
            } else {
                seeds.insert(c)
            }
        }
        guard !seeds.isEmpty else { return [] }
        return lock.withLock { readersClosure(seeds, blockedAt: same) }.intersection(reached)
    }

    private var readersOfMemo: [String: Set<String>] = [:]
    private var differingMemo: Set<String>?
    private var coneMemo: [Int: [UInt64]] = [:]

    /// Whether the range of `name` reads one of `symbols` (transitively) or is one of them; nil
    /// when one of them is not in the graph (a string or int symbol: its readers are found by
    /// what they mention).
    private func rangeReads(_ name: String, anyOf symbols: Set<String>) -> Bool? {
        guard let root = graph.index[name] else { return nil }
        var targets: [Int] = []
        for s in symbols {
            guard let i = graph.index[s] else { return nil }
            targets.append(i)
        }
        let cone = lock.withLock { () -> [UInt64] in
            if let known = coneMemo[root] { return known }
            var bits = [UInt64](repeating: 0, count: (graph.names.count + 63) / 64)
            bits[root / 64] |= 1 << UInt64(root % 64)
            var work = [root]
            while let v = work.popLast() {
                for w in graph.dependencies[v] where bits[w / 64] & (1 << UInt64(w % 64)) == 0 {
                    bits[w / 64] |= 1 << UInt64(w % 64)
                    work.append(w)
                }
            }
            coneMemo[root] = bits
            return bits
        }
        return targets.contains { cone[$0 / 64] & (1 << UInt64($0 % 64)) != 0 }
    }

    /// Of the changed symbols, those whose range with nothing assumed differs from `base`'s.
    private func differingWithNothingAssumed(_ changed: Set<String>, _ base: KconfigEvaluator) -> Set<String> {
        if let known = lock.withLock({ differingMemo }) { return known }
        let out = changed.filter { !sameRange($0, as: base, assuming: [:]) }
        lock.withLock { differingMemo = out }
        return out
    }

    /// Every symbol whose range reads `name`, transitively.
    private func readers(of name: String) -> Set<String> {
        lock.withLock {
            if let known = readersOfMemo[name] { return known }
            let out = readersClosure([name])
            readersOfMemo[name] = out
            return out
        }
    }

    /// Whether `name` has the same type, place in the graph and range under `assuming` here as in
    /// `base` (a string or int symbol is "set or not" to the ranges, but its value can matter to
    /// a comparison: never the same).
    private func sameRange(_ name: String, as base: KconfigEvaluator, assuming: [String: Tristate]) -> Bool {
        let mine = tree.symbols[name]
        let theirs = base.tree.symbols[name]
        if mine == nil && theirs == nil { return true }
        guard let mine, let theirs, mine.type == theirs.type, graph.index[name] != nil,
            base.graph.index[name] != nil
        else { return false }
        return range(name, assuming: assuming) == base.range(name, assuming: assuming)
    }

    /// The evaluator of `tree`, which is `base.tree` with the Kconfig files `changedFiles`
    /// reparsed (`KconfigParser.reparse`): the dependency graph keeps the edges of every symbol
    /// those files cannot have changed. The memo tables start empty.
    public convenience init(tree: KconfigTree, updating base: KconfigEvaluator, changedFiles: [String]) {
        let files = Set(changedFiles)
        // Only symbols defined in the changed files can differ: a patch to drivers/iommu/Kconfig
        // changes one or two of its fifty symbols, and moves the others' lines.
        let candidates = base.tree.symbols(definedIn: files).union(tree.symbols(definedIn: files))
        self.init(
            tree: tree, updating: base,
            changedSymbols: KconfigEvaluator.changedSymbols(among: candidates, from: base.tree, to: tree))
    }

    /// Of `names`, the symbols whose definitions differ in meaning between the trees, the
    /// targets of their old and new selects and implies (whose selectedBy/impliedBy edges
    /// change), and the members of a choice one of them is in or whose defaults changed.
    static func changedSymbols(among names: Set<String>, from base: KconfigTree, to tree: KconfigTree) -> Set<String> {
        var changed = Set<String>()
        for name in names {
            let before = base.symbols[name]?.definitions ?? []
            let after = tree.symbols[name]?.definitions ?? []
            if sameMeaning(before, after) { continue }
            changed.insert(name)
            for d in before + after {
                for v in d.selects + d.implies { changed.formUnion(v.value.symbols) }
            }
        }
        return withChoiceSiblings(changed, base, tree)
    }

    /// A choice member's change changes what its siblings can be: they count as changed too, as
    /// do the members of a choice whose defaults changed.
    static func withChoiceSiblings(_ changed: Set<String>, _ base: KconfigTree, _ tree: KconfigTree) -> Set<String> {
        var out = changed
        let redefaulted = Set(base.choiceDefaults.keys).union(tree.choiceDefaults.keys).filter {
            base.choiceDefaults[$0] != tree.choiceDefaults[$0]
        }
        for t in [base, tree] {
            let choices = redefaulted.union(changed.flatMap { t.symbols[$0]?.definitions.compactMap(\.choice) ?? [] })
            guard !choices.isEmpty else { continue }
            for (name, symbol) in t.symbols where symbol.definitions.contains(where: { $0.choice.map(choices.contains) ?? false }) {
                out.insert(name)
            }
        }
        return out
    }

    /// The evaluator of `tree`, parsed again from scratch (a `source` line changed): the symbols
    /// whose meaning differs from `base.tree`'s are found by comparing every symbol. Nil when
    /// the trees differ in their semantics (another kernel version).
    public convenience init?(tree: KconfigTree, comparingWith base: KconfigEvaluator) {
        guard tree.semantics == base.tree.semantics else { return nil }
        let names = Set(tree.symbols.keys).union(base.tree.symbols.keys)
        self.init(
            tree: tree, updating: base,
            changedSymbols: KconfigEvaluator.changedSymbols(among: names, from: base.tree, to: tree))
    }

    /// The evaluator of `tree`, which differs from `base.tree` in the meaning of `changed`
    /// symbols only (and the select/imply targets of their old and new definitions).
    init(tree: KconfigTree, updating base: KconfigEvaluator, changedSymbols changed: Set<String>) {
        self.tree = tree
        self.graph = KconfigSymbolGraph(tree: tree, updating: base.graph, changed: changed)
        self.changedSymbols = changed
        baseWitnessSearch = base.lock.withLock { base.witnessSearch }
        sameNumbering = graph.names == base.graph.names
        // Only the newest link is kept (a long series or history must not hold every earlier
        // evaluator alive): the base gives up its own.
        base.lock.withLock { base.inheritFrom = nil }
        inheritFrom = base
        delegateSource = base
    }

    /// Where ranges under assumptions of symbols no change reached are asked (`range`): the
    /// evaluator built from scratch that this one descends from, with every symbol a change on
    /// the way reached. Many patches of one base (a triage) ask their base the same questions:
    /// it answers each once.
    private var delegateSource: KconfigEvaluator?
    private var delegateMemo: Delegate??
    private var floorsAgree: [String: Bool] = [:]

    /// The evaluator built from scratch this one descends from; the symbols every change on the
    /// way reached (`excluded`), and those whose meaning a change on the way altered (`changed`).
    struct Delegate {
        var evaluator: KconfigEvaluator
        var excluded: Set<String>
        var changed: Set<String>
    }

    private func rangeDelegate() -> Delegate? {
        lock.withLock {
            if let known = delegateMemo { return known }
            var found: Delegate?
            if let base = delegateSource, let affected = affectedSymbols() {
                let changed = changedSymbols ?? []
                if let root = base.rangeDelegate() {
                    found = Delegate(
                        evaluator: root.evaluator, excluded: root.excluded.union(affected),
                        changed: root.changed.union(changed))
                } else {
                    found = Delegate(evaluator: base, excluded: affected, changed: changed)
                }
            }
            delegateSource = nil
            delegateMemo = .some(found)
            return found
        }
    }

    /// Whether `assuming` implies the same floors here as in `other` (then a symbol whose
    /// dependency cone holds no changed symbol has the same range in both).
    private func sameFloors(_ assuming: [String: Tristate], as other: KconfigEvaluator) -> Bool {
        let key = KconfigEvaluator.key(assuming)
        if let known = lock.withLock({ floorsAgree[key] }) { return known }
        let mine = lock.withLock { context(assuming).floors }
        let same = mine == other.lock.withLock { other.context(assuming).floors }
        lock.withLock { floorsAgree[key] = same }
        return same
    }

    /// The evaluator this one was updated from, whose ranges it starts from (`context`).
    private var inheritFrom: KconfigEvaluator?
    /// Whether the symbol graph numbers the symbols as `inheritFrom`'s does.
    private var sameNumbering = false

    /// The ranges the base worked out under `assuming` that hold here too: those of every symbol
    /// the change cannot reach, when the assumptions imply the same floors in both trees (a range
    /// reads only its symbol's dependency cone, the assumptions and the floors; a finished
    /// `ensure` leaves only final ranges in the memo). A tree with symbols added or removed
    /// numbers them anew: the ranges are carried over by name.
    private func inheritedMemo(_ key: String, floors: [String: Tristate]) -> [Int: ClosedRange<Tristate>]? {
        guard let base = inheritFrom, let affected = affectedSymbols() else { return nil }
        let known = base.lock.withLock { base.contexts[key].map { ($0.memo, $0.floors, base.graph.names) } }
        guard let (memo, baseFloors, names) = known, baseFloors == floors else { return nil }
        if sameNumbering { return memo.filter { !affected.contains(graph.names[$0.key]) } }
        var out: [Int: ClosedRange<Tristate>] = [:]
        out.reserveCapacity(memo.count)
        for (i, range) in memo {
            let name = names[i]
            if !affected.contains(name), let j = graph.index[name] { out[j] = range }
        }
        return out
    }

    /// The ranges known without assumptions, by symbol name (nil when that context has floors):
    /// what a snapshot keeps so that the next run over the same Kconfig files starts from them.
    public func defaultRanges() -> [String: ClosedRange<Tristate>]? {
        lock.withLock {
            guard let ctx = contexts[KconfigEvaluator.key([:])], ctx.floors.isEmpty else { return nil }
            var out: [String: ClosedRange<Tristate>] = [:]
            out.reserveCapacity(ctx.memo.count)
            for (i, range) in ctx.memo { out[graph.names[i]] = range }
            return out
        }
    }

    /// Starts the context without assumptions from `ranges` (a snapshot's `defaultRanges()` of
    /// an evaluator of the same Kconfig files): only final ranges are ever kept, so they hold
    /// here. Names this tree does not have are ignored; nothing happens once that context exists.
    public func seedDefaultRanges(_ ranges: [String: ClosedRange<Tristate>]) {
        lock.withLock {
            let key = KconfigEvaluator.key([:])
            guard contexts[key] == nil else { return }
            let ctx = EvaluationContext(assuming: [:], floors: [:])
            for (name, range) in ranges { if let i = graph.index[name] { ctx.memo[i] = range } }
            contexts[key] = ctx
        }
    }

    /// How many ranges the context without assumptions knows.
    public var defaultRangeCount: Int {
        lock.withLock { contexts[KconfigEvaluator.key([:])]?.memo.count ?? 0 }
    }

    /// The base evaluator's search, whose architecture views this one's start from.
    private var baseWitnessSearch: KconfigWitnessSearch?

    /// The witness search, made on first use (from the base's, for an updated evaluator). It
    /// also keeps the search of the evaluator built from scratch this one descends from: views
    /// and answers neither the base nor this one made are made there once, for every patch of a
    /// triage's base, and updated here.
    private var search: KconfigWitnessSearch {
        if let known = lock.withLock({ witnessSearch }) { return known }
        let root = rangeDelegate()
        let rootSearch = root.map { ($0.evaluator.search, $0.changed, $0.excluded) }
        return lock.withLock {
            if let known = witnessSearch { return known }
            let made: KconfigWitnessSearch
            if let base = baseWitnessSearch {
                made = KconfigWitnessSearch(
                    tree: tree, updating: base, changed: changedSymbols ?? [], affected: affectedSymbols(),
                    root: rootSearch)
            } else if let (search, changed, excluded) = rootSearch {
                made = KconfigWitnessSearch(tree: tree, updating: search, changed: changed, affected: excluded, root: nil)
            } else {
                made = KconfigWitnessSearch(tree: tree)
            }
            // Only the newest link is kept: a long series or history must not hold every
            // earlier search alive.
            baseWitnessSearch = nil
            witnessSearch = made
            return made
        }
    }

    /// Definitions equal but for where they sit and their help text.
    static func sameMeaning(_ a: [KconfigDefinition], _ b: [KconfigDefinition]) -> Bool {
        guard a.count == b.count else { return false }
        func plain(_ d: KconfigDefinition) -> KconfigDefinition {
            var d = d
            d.location.line = 0
            d.help = nil
            return d
        }
        return zip(a, b).allSatisfy { plain($0) == plain($1) }
    }

    private var witnessSearch: KconfigWitnessSearch?

    /// A configuration kconfig accepts in which every `exactly` symbol has its value and every
    /// `below` symbol stays under its bound (nil when the search finds none; see
    /// KconfigWitnessSearch). Where the range reasoning says "possible", this says "here is one".
    /// The witness answers this evaluator's search (from scratch) gave or was seeded with, for a
    /// snapshot of the Kconfig files' answers; none for an evaluator updated from another.
    public func witnessRecords() -> [KconfigWitnessRecord] {
        lock.withLock { witnessSearch }?.records() ?? []
    }

    /// How many witness answers this evaluator's search knows.
    public var witnessAnswerCount: Int { lock.withLock { witnessSearch }?.answerCount ?? 0 }

    /// Seeds the search (made now, from scratch) with the answers of an earlier run over the same
    /// Kconfig files: a question asked again makes one view, or none, instead of trying every
    /// architecture. Only for an evaluator built from the whole tree.
    public func seedWitnessAnswers(_ records: [KconfigWitnessRecord]) {
        guard !records.isEmpty, lock.withLock({ baseWitnessSearch == nil }), rangeDelegate() == nil else { return }
        search.seed(records)
    }

    /// For an evaluator updated by a Kconfig change: starts making the architecture views its
    /// witness search will likely start from, on another core (KconfigWitnessSearch.prefetchViews).
    public func prefetchWitnessViews() {
        guard changedSymbols?.isEmpty == false else { return }
        search.prefetchViews()
    }

    public func witness(exactly: [String: Tristate], below: [String: Tristate] = [:], on architecture: String? = nil)
        -> KconfigWitness?
    {
        let search = self.search
        return search.find(exactly: exactly, below: below, on: architecture)
    }

    private var allModConfigs: [String: ConcreteConfiguration] = [:]

    /// A symbol's value in `make ARCH=<architecture> allmodconfig` (every prompt at m, bools
    /// promoted to y): the build a unit of `arch/<architecture>/` is checked in.
    public func allModConfigValue(_ symbol: String, architecture: String) -> Tristate {
        let search = self.search
        let config: ConcreteConfiguration = lock.withLock {
            if let known = allModConfigs[architecture] { return known }
            let made = ConcreteConfiguration(view: search.view(architecture), user: [:], baseline: .m)
            allModConfigs[architecture] = made
            return made
        }
        return lock.withLock { config.value(symbol) }
    }

    /// Every bool/tristate value of the configuration that `user` values give on `architecture`
    /// (nil: the whole tree), other prompted symbols at `baseline` (y: allyesconfig) — what
    /// `KCONFIG_ALLCONFIG=<user> make allyesconfig` writes, for comparing with the kernel's conf.
    public func configuration(architecture: String?, user: [String: Tristate], baseline: Tristate = .y)
        -> [String: Tristate]
    {
        let search = self.search
        let view = search.view(architecture)
        var pinned: [Int: Tristate] = [:]
        for (name, v) in user { if let i = view.index[name] { pinned[i] = v } }
        let config = ConcreteConfiguration(view: view, user: pinned, baseline: baseline)
        var out: [String: Tristate] = [:]
        for (i, name) in view.names.enumerated() where view.isBoolean(i) { out[name] = config.value(i) }
        return out
    }

    /// How one symbol's concrete value comes about under allyesconfig with `user` values on
    /// `architecture`: its dependencies, prompts, selectors and defaults with their values (for
    /// finding where modcheck and the kernel's conf disagree).
    public func explain(_ symbol: String, architecture: String?, user: [String: Tristate]) -> String {
        let search = self.search
        let view = search.view(architecture)
        var pinned: [Int: Tristate] = [:]
        for (name, v) in user { if let i = view.index[name] { pinned[i] = v } }
        let config = ConcreteConfiguration(view: view, user: pinned)
        guard let i = view.index[symbol] else { return "\(symbol): not defined on this architecture" }
        func show(_ e: ArchitectureView.Expression) -> String {
            switch e {
            case .symbol(let j): return "\(view.names[j])[\(config.value(j))]"
            case .undefined(let n): return "\(n)[undefined]"
            case .constant(let c): return c
            case .not(let a): return "!(\(show(a)))"
            case .and(let a, let b): return "(\(show(a)) && \(show(b)))"
            case .or(let a, let b): return "(\(show(a)) || \(show(b)))"
            case .compare(let op, let a, let b): return "\(show(a))\(op.rawValue)\(show(b))"
            }
        }
        var lines = ["\(symbol) = \(config.value(i)) (\(view.types[i]), visibility \(config.visibility(i)))"]
        for d in view.definitions[i] {
            lines.append("  definition: prompt \(d.hasPrompt), choice \(d.choice.map(String.init) ?? "-")")
            if let dep = d.dependency { lines.append("    depends on \(show(dep)) = \(config.evaluate(dep))") }
            if let c = d.promptCondition { lines.append("    prompt if \(show(c))") }
            for v in d.defaults { lines.append("    default \(show(v.value))\(v.condition.map { " if " + show($0) } ?? "")") }
        }
        for s in view.selectors[i] {
            lines.append("  selected by \(view.names[s.symbol])[\(config.value(s.symbol))]\(s.condition.map { " if " + show($0) } ?? "")")
        }
        for s in view.impliers[i] { lines.append("  implied by \(view.names[s.symbol])[\(config.value(s.symbol))]") }
        return lines.joined(separator: "\n")
    }

    /// Symbols that occur more than once in one expression and are enumerated exactly; beyond
    /// this, interval arithmetic (which over-approximates) takes over.
    static let maxEnumeratedSymbols = 10

    public func isDefined(_ symbol: String) -> Bool { tree.symbols[symbol] != nil }

    /// Whether some configuration makes a tristate symbol `m`.
    public func canBeModule(_ symbol: String) -> Bool {
        guard tree.symbols[symbol]?.type == .tristate else { return false }
        return range(symbol).contains(.m)
    }

    /// Whether some configuration makes the symbol `y`.
    public func canBeBuiltin(_ symbol: String) -> Bool { range(symbol).upperBound == .y }

    /// The values a symbol can take with `assuming` fixed. string/int/hex symbols are n...y
    /// ("set or not"); undefined symbols are n.
    public func range(_ symbol: String, assuming: [String: Tristate] = [:]) -> ClosedRange<Tristate> {
        if !assuming.isEmpty, let root = rangeDelegate(), !root.excluded.contains(symbol),
            sameFloors(assuming, as: root.evaluator)
        {
            return root.evaluator.range(symbol, assuming: assuming)
        }
        lock.lock()
        defer { lock.unlock() }
        return symbolRange(symbol, context(assuming))
    }

    /// The range of `symbol` under `assuming` worked out over every symbol it reads, in a context
    /// of its own: no range is taken from the context without assumptions. What
    /// `range(_:assuming:)` must agree with (tests).
    func rangeEvaluatedWhole(_ symbol: String, assuming: [String: Tristate]) -> ClosedRange<Tristate> {
        lock.lock()
        defer { lock.unlock() }
        return symbolRange(symbol, EvaluationContext(assuming: assuming, floors: impliedFloors(assuming)))
    }

    /// The values an expression can take with `assuming` fixed.
    public func range(of expression: KconfigExpression, assuming: [String: Tristate] = [:]) -> ClosedRange<
        Tristate
    > {
        lock.lock()
        defer { lock.unlock() }
        let ctx = context(assuming)
        for name in expression.symbols { _ = symbolRange(name, ctx) }
        return expressionRange(expression, ctx)
    }

    /// Every bool/tristate symbol's range with nothing assumed.
    public func allRanges() -> [String: ClosedRange<Tristate>] {
        lock.lock()
        defer { lock.unlock() }
        let ctx = context([:])
        var out: [String: ClosedRange<Tristate>] = [:]
        for (i, name) in graph.names.enumerated() {
            ensure(i, ctx)
            out[name] = ctx.memo[i]
        }
        return out
    }

    // MARK: Contexts

    final class EvaluationContext {
        let assuming: [String: Tristate]
        /// Lower bounds implied by the assumptions (their dependencies and selects).
        let floors: [String: Tristate]
        var memo: [Int: ClosedRange<Tristate>] = [:]
        /// With assumptions: the symbols whose range can read an assumed or floored one (bits by
        /// number). Every other symbol has its range with nothing assumed (`ensure`).
        var pinnedReaders: [UInt64]?

        init(assuming: [String: Tristate], floors: [String: Tristate]) {
            self.assuming = assuming
            self.floors = floors
        }
    }

    /// A cache key for a set of assumptions: `A=m,B=y`.
    static func key(_ assuming: [String: Tristate]) -> String {
        assuming.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    private func context(_ assuming: [String: Tristate]) -> EvaluationContext {
        // The context asked for last, again (a unit asks several ranges under one assumption;
        // the key is a string made and hashed otherwise). A context, once made, stays its key's.
        if let last = lastContext, last.assuming == assuming { return last.context }
        let key = KconfigEvaluator.key(assuming)
        if let known = contexts[key] {
            lastContext = (assuming, known)
            return known
        }
        let ctx = EvaluationContext(assuming: assuming, floors: impliedFloors(assuming))
        if let inherited = inheritedMemo(key, floors: ctx.floors) { ctx.memo = inherited }
        if !assuming.isEmpty { ctx.pinnedReaders = pinnedReaders(Set(assuming.keys).union(ctx.floors.keys)) }
        contexts[key] = ctx
        lastContext = (assuming, ctx)
        return ctx
    }

    private var lastContext: (assuming: [String: Tristate], context: EvaluationContext)?

    /// Each symbol's readers closure (bits by number), by number: the closures of the symbols a
    /// context pins are joined (units of one subsystem floor the same dependencies, whose
    /// closures run to thousands of symbols).
    private var readersClosureMemo: [Int: [UInt64]] = [:]

    /// `pinned` and every symbol whose range reads one of them, transitively (bits by number);
    /// nil when one of them is not in the graph (a string or int symbol, read by what mentions it).
    private func pinnedReaders(_ pinned: Set<String>) -> [UInt64]? {
        var numbers: [Int] = []
        for name in pinned {
            guard let i = graph.index[name] else { return nil }
            numbers.append(i)
        }
        var bits = [UInt64](repeating: 0, count: (graph.names.count + 63) / 64)
        for i in numbers {
            let closure = readersClosureMemo[i] ?? readerBits(of: i)
            for w in bits.indices { bits[w] |= closure[w] }
        }
        return bits
    }

    /// `start` and every symbol whose range reads it, transitively (bits by number; memoized).
    private func readerBits(of start: Int) -> [UInt64] {
        let readers = readersArray()
        var bits = [UInt64](repeating: 0, count: (graph.names.count + 63) / 64)
        bits[start / 64] |= 1 << UInt64(start % 64)
        var work = [start]
        while let v = work.popLast() {
            for r in readers[v] where bits[r / 64] & (1 << UInt64(r % 64)) == 0 {
                bits[r / 64] |= 1 << UInt64(r % 64)
                work.append(r)
            }
        }
        if readersClosureMemo.count >= 8192 { readersClosureMemo = [:] }
        readersClosureMemo[start] = bits
        return bits
    }

    /// Whether symbol `i`'s range under `ctx` is its range with nothing assumed: it reads no
    /// assumed or floored symbol (a range reads only its symbol's definitions, the ranges it
    /// reads, its floor and the assumptions).
    private func readsNoPin(_ i: Int, _ ctx: EvaluationContext) -> Bool {
        guard let bits = ctx.pinnedReaders else { return false }
        return bits[i / 64] & (1 << UInt64(i % 64)) == 0
    }

    // MARK: Symbol ranges

    private func symbolRange(_ name: String, _ ctx: EvaluationContext) -> ClosedRange<Tristate> {
        if !ctx.assuming.isEmpty, let fixed = ctx.assuming[name] { return fixed...fixed }
        // (The graph's symbols are the tree's bool and tristate ones: one name lookup, not three,
        // on the evaluator's hottest path; `evaluate` gives n to a name the tree lacks.)
        if let i = graph.index[name] {
            ensure(i, ctx)
            return ctx.memo[i] ?? Tristate.n...Tristate.y
        }
        // string/int/hex (or typeless) symbols: "set or not" is all modcheck asks; undefined: n.
        return tree.symbols[name] == nil ? Tristate.n...Tristate.n : Tristate.n...Tristate.y
    }

    /// Computes the symbol and everything it reads, components in dependency order.
    private func ensure(_ start: Int, _ ctx: EvaluationContext) {
        if ctx.memo[start] != nil { return }
        // Under assumptions, a symbol that reads none of them has its range without them.
        var unassumed: EvaluationContext?
        func takeUnassumed(_ i: Int) {
            if unassumed == nil { unassumed = context([:]) }
            ensure(i, unassumed!)
            ctx.memo[i] = unassumed!.memo[i]
        }
        if readsNoPin(start, ctx) {
            takeUnassumed(start)
            return
        }
        // The cone: every not-yet-known symbol this one's range reads, transitively.
        var cone: [Int] = []
        var seen: Set<Int> = [start]
        var stack = [start]
        while let v = stack.popLast() {
            cone.append(v)
            for w in graph.dependencies[v] where !seen.contains(w) && ctx.memo[w] == nil {
                if ctx.assuming[graph.names[w]] != nil { continue }
                if readsNoPin(w, ctx) {
                    takeUnassumed(w)
                    continue
                }
                seen.insert(w)
                stack.append(w)
            }
        }
        // Tarjan numbers components dependencies-first.
        cone.sort { graph.component[$0] < graph.component[$1] }
        var k = 0
        while k < cone.count {
            let c = graph.component[cone[k]]
            var end = k
            while end < cone.count, graph.component[cone[end]] == c { end += 1 }
            let members = Array(cone[k..<end])
            if !graph.isCyclic[c] {
                ctx.memo[members[0]] = evaluate(members[0], ctx)
            } else {
                // Greatest fixpoint from "anything": each round can only narrow a sound answer.
                for m in members { ctx.memo[m] = Tristate.n...Tristate.y }
                var rounds = 0
                var changed = true
                while changed, rounds < 2 * members.count + 4 {
                    changed = false
                    rounds += 1
                    for m in members {
                        let r = evaluate(m, ctx)
                        if r != ctx.memo[m] {
                            ctx.memo[m] = r
                            changed = true
                        }
                    }
                }
            }
            k = end
        }
    }

    /// What a symbol's range is made of, by graph number: its definitions' dependencies,
    /// prompts and defaults, who selects and implies it (looked up by name once, not at every
    /// evaluation; a definition is not copied whole to read three of its fields).
    private struct RangeInputs {
        struct Definition {
            var dependency: KconfigExpression?
            var prompted: Bool
            var promptCondition: KconfigExpression?
            var defaults: [ConditionalValue]
        }
        var definitions: [Definition]
        var hasPrompt: Bool
        var isBool: Bool
        /// Defined under arch/ only: across all architectures, what one forces is merely possible.
        var architectureOnly: Bool
        var impliedBy: [(selector: String, condition: KconfigExpression?)]
        var selectedBy: [(selector: String, condition: KconfigExpression?)]
    }

    /// Each symbol's, made when the symbol is first evaluated (under the lock, as every
    /// evaluation): an evaluator updated by a patch evaluates a few hundred of 17,000.
    /// (A stored property, sized on first use: a `lazy` one would be copied whole by every
    /// element written.)
    private var rangeInputsMemo: [RangeInputs??] = []

    private func rangeInputs(_ i: Int) -> RangeInputs? {
        if rangeInputsMemo.isEmpty { rangeInputsMemo = Array(repeating: nil, count: graph.names.count) }
        if let known = rangeInputsMemo[i] { return known }
        let made = makeRangeInputs(graph.names[i])
        rangeInputsMemo[i] = .some(made)
        return made
    }

    private func makeRangeInputs(_ name: String) -> RangeInputs? {
        guard let s = tree.symbols[name] else { return nil }
        return RangeInputs(
            definitions: s.definitions.map {
                RangeInputs.Definition(
                    dependency: $0.dependency, prompted: $0.prompt != nil, promptCondition: $0.promptCondition,
                    defaults: $0.defaults)
            },
            hasPrompt: s.hasPrompt, isBool: s.type == .bool,
            architectureOnly: tree.isArchitectureUnion && s.definitions.allSatisfy { $0.location.file.hasPrefix("arch/") },
            impliedBy: tree.impliedBy[name] ?? [], selectedBy: tree.selectedBy[name] ?? [])
    }

    /// One symbol's range from the (already known) ranges of what it reads.
    private func evaluate(_ i: Int, _ ctx: EvaluationContext) -> ClosedRange<Tristate> {
        guard let s = rangeInputs(i) else { return Tristate.n...Tristate.n }
        let name = graph.names[i]
        let yes = Tristate.y...Tristate.y
        var hi = Tristate.n
        var lo = Tristate.n
        let hasPrompt = s.hasPrompt
        // The lowest value the defaults can give, and whether all of them may be inactive.
        var defaultLow = Tristate.y
        var mayFallThrough = true
        var directDependency = Tristate.n...Tristate.n
        for d in s.definitions {
            let dep = d.dependency.map { expressionRange($0, ctx) } ?? yes
            directDependency =
                max(
                    directDependency.lowerBound, dep.lowerBound)...max(
                    directDependency.upperBound, dep.upperBound)
            if d.prompted {
                let cond = d.promptCondition.map { expressionRange($0, ctx) } ?? yes
                hi = max(hi, min(dep.upperBound, cond.upperBound))
            }
            for def in d.defaults {
                let v = expressionRange(def.value, ctx)
                let c = def.condition.map { expressionRange($0, ctx) } ?? yes
                let activeHi = min(c.upperBound, dep.upperBound)
                let activeLo = min(c.lowerBound, dep.lowerBound)
                guard activeHi > .n else { continue }
                hi = max(hi, min(v.upperBound, activeHi))
                // sym_get_default_prop(): the first default whose condition holds wins.
                if mayFallThrough {
                    defaultLow = min(defaultLow, min(v.lowerBound, max(activeLo, .m)))
                    if activeLo > .n { mayFallThrough = false }
                }
            }
        }
        if !hasPrompt && !mayFallThrough { lo = defaultLow }
        // `imply` acts like a default capped by the target's own dependencies.
        for (implier, condition) in s.impliedBy {
            let r = symbolRange(implier, ctx)
            let c = condition.map { expressionRange($0, ctx) } ?? yes
            hi = max(hi, min(r.upperBound, c.upperBound, directDependency.upperBound))
            if !hasPrompt { lo = max(lo, min(r.lowerBound, c.lowerBound, directDependency.lowerBound)) }
        }
        // `select` ignores the target's dependencies (the "unmet direct dependencies" warning).
        for (selector, condition) in s.selectedBy {
            let r = symbolRange(selector, ctx)
            let c = condition.map { expressionRange($0, ctx) } ?? yes
            hi = max(hi, min(r.upperBound, c.upperBound))
            lo = max(lo, min(r.lowerBound, c.lowerBound))
        }
        // What the fixed symbols need (their `depends on` and `select`) holds too: with
        // ARM_SMMU_V3=m, IOMMU_API (selected) and ARM64 (depended on) are at least set.
        let floor = ctx.floors.isEmpty ? nil : ctx.floors[name]
        if let floor {
            lo = max(lo, floor)
            hi = max(hi, lo)
        }
        if s.isBool {
            if hi == .m { hi = .y }
            if lo == .m { lo = .y }
        }
        // Across all architectures, what one arch forces is merely possible on another.
        if s.architectureOnly { lo = floor ?? .n }
        if lo > hi { lo = hi }
        return lo...hi
    }

    /// Lower bounds implied by fixing symbols to m or y: the top-level conjuncts of their
    /// dependencies (`depends on A && B=y`) and their unconditional selects, transitively.
    func impliedFloors(_ assuming: [String: Tristate]) -> [String: Tristate] {
        if assuming.isEmpty { return [:] }
        var floors: [String: Tristate] = [:]
        var queue: [(String, Tristate)] = assuming.filter { $0.value >= .m }.map { ($0.key, $0.value) }
        var steps = 0
        while let (name, value) = queue.popLast(), steps < 10_000 {
            steps += 1
            // With several definitions, which one's dependency holds is unknown.
            guard let sym = tree.symbols[name], sym.definitions.count == 1, let d = sym.definitions.first
            else {
                continue
            }
            func raise(_ target: String, _ v: Tristate) {
                if assuming[target] != nil { return }
                let boolean = tree.symbols[target]?.type == .bool
                let floor = boolean && v == .m ? Tristate.y : v
                if floor > (floors[target] ?? .n) {
                    floors[target] = floor
                    queue.append((target, floor))
                }
            }
            var conjuncts: [KconfigExpression] = []
            func split(_ e: KconfigExpression) {
                if case .and(let a, let b) = e {
                    split(a)
                    split(b)
                } else {
                    conjuncts.append(e)
                }
            }
            if let dep = d.dependency { split(dep) }
            for c in conjuncts {
                switch c {
                case .symbol(let target): raise(target, .m)
                case .compare(.equal, .symbol(let target), .constant("y")): raise(target, .y)
                case .compare(.equal, .symbol(let target), .constant("m")): raise(target, .m)
                default: break
                }
            }
            for select in d.selects where select.condition == nil {
                if case .symbol(let target) = select.value { raise(target, value) }
            }
        }
        return floors
    }

    // MARK: Expression ranges

    private func expressionRange(_ e: KconfigExpression, _ ctx: EvaluationContext) -> ClosedRange<Tristate> {
        let repeated = KconfigEvaluator.repeatedSymbols(e).filter {
            ctx.assuming[$0] == nil && graph.index[$0] != nil
        }
        if repeated.isEmpty || repeated.count > KconfigEvaluator.maxEnumeratedSymbols {
            return interval(e, ctx, [:])
        }
        // A symbol occurring twice is one value, not two independent intervals: enumerate.
        let choices = repeated.map { name -> (String, [Tristate]) in
            let r = symbolRange(name, ctx)
            // A bool's range n...y does not make m a value it can take.
            let boolean = tree.symbols[name]?.type == .bool
            return (name, [Tristate.n, .m, .y].filter { r.contains($0) && !(boolean && $0 == .m) })
        }
        var lo = Tristate.y
        var hi = Tristate.n
        var fixed: [String: Tristate] = [:]
        func enumerate(_ k: Int) {
            if k == choices.count {
                let v = interval(e, ctx, fixed)
                lo = min(lo, v.lowerBound)
                hi = max(hi, v.upperBound)
                return
            }
            for value in choices[k].1 {
                fixed[choices[k].0] = value
                enumerate(k + 1)
            }
        }
        enumerate(0)
        return lo...max(lo, hi)
    }

    /// The names occurring more than once in `e`, sorted (most expressions name one or two
    /// symbols: no table is made for them).
    static func repeatedSymbols(_ e: KconfigExpression) -> [String] {
        var names: [String] = []
        e.forEachSymbol { names.append($0) }
        guard names.count > 1 else { return [] }
        names.sort()
        var out: [String] = []
        for k in 1..<names.count where names[k] == names[k - 1] && out.last != names[k] { out.append(names[k]) }
        return out
    }

    private func interval(_ e: KconfigExpression, _ ctx: EvaluationContext, _ fixed: [String: Tristate])
        -> ClosedRange<Tristate>
    {
        switch e {
        case .symbol(let s):
            if !fixed.isEmpty, let v = fixed[s] { return v...v }
            return symbolRange(s, ctx)
        case .constant(let c):
            // A macro call (`$(success,...)`): its value depends on the toolchain.
            if c.utf8.contains(UInt8(ascii: "$")) { return Tristate.n...Tristate.y }
            let v = Tristate(text: c) ?? .n
            return v...v
        case .not(let a):
            let r = interval(a, ctx, fixed)
            return r.upperBound.negated...r.lowerBound.negated
        case .and(let a, let b):
            let x = interval(a, ctx, fixed)
            let y = interval(b, ctx, fixed)
            return min(x.lowerBound, y.lowerBound)...min(x.upperBound, y.upperBound)
        case .or(let a, let b):
            let x = interval(a, ctx, fixed)
            let y = interval(b, ctx, fixed)
            return max(x.lowerBound, y.lowerBound)...max(x.upperBound, y.upperBound)
        case .compare(let op, let a, let b):
            // Two fixed texts (constants, undefined symbols, which kconfig values by their name).
            if let x = fixedText(a), let y = fixedText(b) {
                return KconfigEvaluator.compare(op, x, y) ? Tristate.y...Tristate.y : Tristate.n...Tristate.n
            }
            // Tristate comparisons; anything else (strings, numbers) may go either way.
            guard let x = comparable(a, ctx, fixed), let y = comparable(b, ctx, fixed) else {
                return Tristate.n...Tristate.y
            }
            var canHold = false
            var canFail = false
            for p in [Tristate.n, .m, .y] where x.contains(p) {
                for q in [Tristate.n, .m, .y] where y.contains(q) {
                    if op.holds(p.rawValue, q.rawValue) { canHold = true } else { canFail = true }
                }
            }
            return (canFail ? Tristate.n : .y)...(canHold ? Tristate.y : .n)
        }
    }

    private func fixedText(_ e: KconfigExpression) -> String? {
        switch e {
        // `"$(ARCH)" = "sh"`: a macro's value (ARCH, a toolchain test) is not known here.
        case .constant(let c): return c.utf8.contains(UInt8(ascii: "$")) ? nil : c
        case .symbol(let s): return tree.symbols[s] == nil ? s : nil
        default: return nil
        }
    }

    /// expr_calc_value(): tristates compare as n<m<y, numbers as numbers, anything else as text.
    static func compare(_ op: KconfigComparison, _ x: String, _ y: String) -> Bool {
        if let p = Tristate(text: x), let q = Tristate(text: y) { return op.holds(p.rawValue, q.rawValue) }
        if let p = number(x), let q = number(y) { return op.holds(p, q) }
        switch op {
        case .equal: return x == y
        case .notEqual: return x != y
        default: return op.holds(x < y ? -1 : (x == y ? 0 : 1), 0)
        }
    }

    private func comparable(_ e: KconfigExpression, _ ctx: EvaluationContext, _ fixed: [String: Tristate])
        -> ClosedRange<Tristate>?
    {
        switch e {
        case .constant(let c):
            guard let v = Tristate(text: c) else { return nil }
            return v...v
        case .symbol(let s):
            if let v = fixed[s] { return v...v }
            if let v = ctx.assuming[s] { return v...v }
            guard let sym = tree.symbols[s] else { return Tristate.n...Tristate.n }
            guard sym.type == .bool || sym.type == .tristate else { return nil }
            return symbolRange(s, ctx)
        default:
            return nil
        }
    }

    // MARK: Concrete .config

    /// The value of a symbol under a .config: its assignment (absent = n), capped by its
    /// dependencies like kconfig does, raised by selects, `m` promoted to `y` for a bool.
    public func value(_ symbol: String, config: DotConfig) -> Tristate {
        lock.lock()
        defer { lock.unlock() }
        return concreteValue(symbol, config)
    }

    /// The value of an expression under a .config.
    public func evaluate(_ e: KconfigExpression, _ config: DotConfig) -> Tristate {
        lock.lock()
        defer { lock.unlock() }
        return concreteExpression(e, config)
    }

    private func concreteValue(_ symbol: String, _ config: DotConfig) -> Tristate {
        let assigned = config.values[symbol].flatMap { Tristate(text: $0) } ?? .n
        let key = config.fingerprint + "\u{0}" + symbol
        if let known = valueCache[key] { return known }
        guard let s = tree.symbols[symbol] else { return assigned }
        if s.type != .bool && s.type != .tristate { return config.values[symbol] == nil ? .n : .y }
        // A select cycle (possible across merged architectures): the assignment as written.
        if valueInProgress.contains(symbol) { return assigned }
        valueInProgress.insert(symbol)
        defer { valueInProgress.remove(symbol) }
        let dependency =
            s.definitions.map { d in d.dependency.map { concreteExpression($0, config) } ?? .y }.max() ?? .y
        var v = min(assigned, dependency)
        for (selector, condition) in tree.selectedBy[symbol] ?? [] {
            v = max(
                v,
                min(concreteValue(selector, config), condition.map { concreteExpression($0, config) } ?? .y))
        }
        if s.type == .bool && v == .m { v = .y }
        valueCache[key] = v
        return v
    }

    private func concreteExpression(_ e: KconfigExpression, _ config: DotConfig) -> Tristate {
        switch e {
        case .symbol(let s): return concreteValue(s, config)
        case .constant(let c): return Tristate(text: c) ?? .n
        case .not(let a): return concreteExpression(a, config).negated
        case .and(let a, let b): return min(concreteExpression(a, config), concreteExpression(b, config))
        case .or(let a, let b): return max(concreteExpression(a, config), concreteExpression(b, config))
        case .compare(let op, let a, let b):
            func text(_ e: KconfigExpression) -> String {
                switch e {
                case .symbol(let s):
                    if let sym = tree.symbols[s], sym.type == .bool || sym.type == .tristate {
                        return concreteValue(s, config).description
                    }
                    if let v = config.values[s] { return v }
                    return tree.symbols[s] == nil ? s : ""
                case .constant(let c): return c
                default: return concreteExpression(e, config).description
                }
            }
            return KconfigEvaluator.compare(op, text(a), text(b)) ? .y : .n
        }
    }

    static func number(_ s: String) -> Int? {
        if s.hasPrefix("0x") || s.hasPrefix("0X") { return Int(s.dropFirst(2), radix: 16) }
        return Int(s)
    }
}

extension KconfigComparison {
    func holds(_ p: Int, _ q: Int) -> Bool {
        switch self {
        case .equal: return p == q
        case .notEqual: return p != q
        case .less: return p < q
        case .lessEqual: return p <= q
        case .greater: return p > q
        case .greaterEqual: return p >= q
        }
    }
}

/// Which bool/tristate symbols each symbol's range reads, and the strongly connected components
/// of that graph numbered dependencies-first (Tarjan's order).
struct KconfigSymbolGraph: Sendable {
    var names: [String] = []
    var index: [String: Int] = [:]
    var dependencies: [[Int]] = []
    /// Every name each symbol's range reads (bool/tristate or not), to renumber without rereading.
    var mentions: [[String]] = []
    var component: [Int] = []
    var isCyclic: [Bool] = []

    init(tree: KconfigTree) {
        self.init(tree: tree, updating: nil, changed: [])
    }

    /// With `base`, the graph of a tree that differs from base's only in the symbols `changed`
    /// (their definitions, or who selects or implies them): every other symbol keeps the names
    /// it mentions, and only the numbering of the graph is redone (a patch may add or remove
    /// symbols, which renumbers them and can give an unchanged symbol a new edge).
    init(tree: KconfigTree, updating base: KconfigSymbolGraph?, changed: Set<String>) {
        let boolish = tree.symbols.values.lazy.filter { $0.type == .bool || $0.type == .tristate }
        var sameNumbering = false
        if let base, base.names.count == boolish.count, boolish.allSatisfy({ base.index[$0.name] != nil }) {
            names = base.names
            index = base.index
            sameNumbering = true
        } else {
            names = boolish.map(\.name).sorted()
            for (i, name) in names.enumerated() { index[name] = i }
        }
        mentions = names.map { name -> [String] in
            if let base, !changed.contains(name), let old = base.index[name] { return base.mentions[old] }
            var mentioned = Set<String>()
            if let s = tree.symbols[name] {
                for d in s.definitions {
                    for e in [d.dependency, d.promptCondition].compactMap({ $0 }) {
                        mentioned.formUnion(e.symbols)
                    }
                    for v in d.defaults {
                        mentioned.formUnion(v.value.symbols)
                        if let c = v.condition { mentioned.formUnion(c.symbols) }
                    }
                }
            }
            for (selector, condition) in (tree.selectedBy[name] ?? []) + (tree.impliedBy[name] ?? []) {
                mentioned.insert(selector)
                if let c = condition { mentioned.formUnion(c.symbols) }
            }
            return Array(mentioned)
        }
        if let base, sameNumbering {
            // Numbered as the base: an unchanged symbol's edges are the base's.
            dependencies = names.indices.map { i in
                changed.contains(names[i]) ? mentions[i].compactMap { index[$0] }.sorted() : base.dependencies[i]
            }
        } else {
            dependencies = mentions.map { $0.compactMap { index[$0] }.sorted() }
        }
        computeComponents()
    }

    private mutating func computeComponents() {
        let n = names.count
        var order = [Int](repeating: -1, count: n)
        var low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        var counter = 0
        component = [Int](repeating: -1, count: n)
        isCyclic = []
        for root in 0..<n where order[root] < 0 {
            var work: [(node: Int, edge: Int)] = []
            func visit(_ v: Int) {
                order[v] = counter
                low[v] = counter
                counter += 1
                stack.append(v)
                onStack[v] = true
                work.append((v, 0))
            }
            visit(root)
            while let (v, e) = work.last {
                if e < dependencies[v].count {
                    work[work.count - 1].edge += 1
                    let w = dependencies[v][e]
                    if order[w] < 0 {
                        visit(w)
                    } else if onStack[w] {
                        low[v] = min(low[v], order[w])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[v]) }
                if low[v] == order[v] {
                    let id = isCyclic.count
                    var size = 0
                    while let w = stack.popLast() {
                        onStack[w] = false
                        component[w] = id
                        size += 1
                        if w == v { break }
                    }
                    isCyclic.append(size > 1 || dependencies[v].contains(v))
                }
            }
        }
    }
}

// MARK: The symbol graph kept (a whole tree's evaluator starts from it: building it walks every
// symbol's expressions, ~0.08 s of a warm run over a kernel tree).

extension KconfigEvaluator {
    /// The evaluator of `tree` whose symbol graph is `graph` (the bytes `graphBytes` gave for the
    /// same tree); nil when they cannot be read or do not number `tree`'s symbols.
    public convenience init?(tree: KconfigTree, graph bytes: [UInt8]) {
        guard let graph = KconfigSymbolGraph(bytes), graph.names.count == graph.dependencies.count,
            let first = graph.names.first, tree.symbols[first] != nil, let last = graph.names.last, tree.symbols[last] != nil
        else { return nil }
        self.init(tree: tree, graph: graph)
    }

    /// The symbol graph as bytes (what `init(tree:graph:)` reads).
    public var graphBytes: [UInt8] { graph.bytes }
}

extension KconfigSymbolGraph {
    // LEB128 counts and numbers; names as length and UTF-8; a mention of a graph symbol as its
    // number times two, of another name as twice its place in a list of the others plus one.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        func put(_ v: Int) {
            var v = UInt(v)
            while v >= 0x80 {
                out.append(UInt8(v & 0x7f) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        func put(_ s: String) {
            put(s.utf8.count)
            out += s.utf8
        }
        var others: [String] = []
        var otherIndex: [String: Int] = [:]
        var mentionCodes: [[Int]] = []
        for list in mentions {
            mentionCodes.append(
                list.map { name in
                    if let i = index[name] { return 2 * i }
                    if let j = otherIndex[name] { return 2 * j + 1 }
                    otherIndex[name] = others.count
                    others.append(name)
                    return 2 * (others.count - 1) + 1
                })
        }
        put(names.count)
        for name in names { put(name) }
        put(others.count)
        for name in others { put(name) }
        for (deps, codes) in zip(dependencies, mentionCodes) {
            put(deps.count)
            for d in deps { put(d) }
            put(codes.count)
            for c in codes { put(c) }
        }
        for c in component { put(c) }
        put(isCyclic.count)
        for c in isCyclic { out.append(c ? 1 : 0) }
        return out
    }

    init?(_ bytes: [UInt8]) {
        var at = 0
        func get() -> Int? {
            var v: UInt = 0
            var shift: UInt = 0
            while at < bytes.count, shift < 63 {
                let b = bytes[at]
                at += 1
                v |= UInt(b & 0x7f) << shift
                if b < 0x80 { return Int(exactly: v) }
                shift += 7
            }
            return nil
        }
        func string() -> String? {
            guard let n = get(), n <= bytes.count - at else { return nil }
            defer { at += n }
            return String(decoding: bytes[at..<at + n], as: UTF8.self)
        }
        func strings() -> [String]? {
            guard let n = get(), n <= bytes.count - at else { return nil }
            var out: [String] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                guard let s = string() else { return nil }
                out.append(s)
            }
            return out
        }
        func numbers(below limit: Int) -> [Int]? {
            guard let n = get(), n <= bytes.count - at else { return nil }
            var out: [Int] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                guard let v = get(), v < limit else { return nil }
                out.append(v)
            }
            return out
        }
        guard let names = strings(), let others = strings() else { return nil }
        let n = names.count
        var dependencies: [[Int]] = []
        var mentions: [[String]] = []
        dependencies.reserveCapacity(n)
        mentions.reserveCapacity(n)
        for _ in 0..<n {
            guard let deps = numbers(below: n), let codes = numbers(below: 2 * max(n, others.count) + 2) else { return nil }
            var list: [String] = []
            list.reserveCapacity(codes.count)
            for c in codes {
                if c % 2 == 0 {
                    guard c / 2 < n else { return nil }
                    list.append(names[c / 2])
                } else {
                    guard c / 2 < others.count else { return nil }
                    list.append(others[c / 2])
                }
            }
            dependencies.append(deps)
            mentions.append(list)
        }
        var component: [Int] = []
        component.reserveCapacity(n)
        for _ in 0..<n {
            guard let c = get() else { return nil }
            component.append(c)
        }
        guard let cyclicCount = get(), cyclicCount == bytes.count - at,
            component.allSatisfy({ $0 < cyclicCount })
        else { return nil }
        self.names = names
        var index: [String: Int] = [:]
        index.reserveCapacity(n)
        for (i, name) in names.enumerated() { index[name] = i }
        self.index = index
        self.dependencies = dependencies
        self.mentions = mentions
        self.component = component
        self.isCyclic = bytes[at...].map { $0 != 0 }
    }
}
