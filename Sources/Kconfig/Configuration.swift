import Foundation

/// One architecture's view of a Kconfig tree, compiled for evaluating many concrete
/// configurations: symbols are numbered, expressions refer to numbers, and only the definitions
/// that exist on the architecture are kept (in a tree of every architecture, `config X86` and
/// `config ARM64` never exist at once).
final class ArchitectureView: @unchecked Sendable {
    indirect enum Expression {
        case symbol(Int)
        /// A name no definition on this architecture declares: n, and its own name as text.
        case undefined(String)
        case constant(String)
        case not(Expression)
        case and(Expression, Expression)
        case or(Expression, Expression)
        case compare(KconfigComparison, Expression, Expression)
    }

    struct Definition {
        var dependency: Expression?
        var hasPrompt: Bool
        var promptCondition: Expression?
        var defaults: [(value: Expression, condition: Expression?)]
        var choice: Int?
    }

    let architecture: String?
    let names: [String]
    let index: [String: Int]
    let types: [KconfigType]
    let definitions: [[Definition]]
    /// Who selects / implies each symbol, with the condition besides the selector's value.
    let selectors: [[(symbol: Int, condition: Expression?)]]
    let impliers: [[(symbol: Int, condition: Expression?)]]
    /// Members of each choice, in declaration order, and its defaults.
    let choices: [[Int]]
    let choiceDefaults: [[(value: Expression, condition: Expression?)]]
    /// The symbol with `option modules` (MODULES): without it every tristate acts as a bool.
    let modules: Int?
    let semantics: KconfigSemantics
    /// Which symbols mention a name this view does not define (a superset): the index of the
    /// view built from scratch that this one descends from (made when first asked), and the
    /// mentions of every symbol compiled again since.
    let undefinedMentions: UndefinedMentions
    let laterMentions: [String: [Int]]

    /// `architecture: nil` keeps every definition.
    init(tree: KconfigTree, architecture: String?) {
        self.architecture = architecture
        semantics = tree.semantics
        func exists(_ d: KconfigDefinition) -> Bool {
            guard let architecture, let own = d.architecture else { return true }
            return own == architecture
        }
        var names: [String] = []
        var index: [String: Int] = [:]
        // Each symbol's definitions that exist here, in the order the tree's symbols are met.
        var present: [(type: KconfigType, active: [KconfigDefinition], all: [KconfigDefinition])] = []
        names.reserveCapacity(tree.symbols.count)
        index.reserveCapacity(tree.symbols.count)
        present.reserveCapacity(tree.symbols.count)
        for (name, symbol) in tree.symbols {
            // (Most symbols are the common tree's: their definitions array is shared, not copied;
            // a definition is read in place, not copied whole, to learn its architecture.)
            let definitions = symbol.definitions
            var everyOne = true
            if let architecture {
                for k in definitions.indices where definitions[k].architecture.map({ $0 != architecture }) ?? false {
                    everyOne = false
                    break
                }
            }
            let active = everyOne ? definitions : definitions.filter(exists)
            guard !active.isEmpty else { continue }
            index[name] = names.count
            names.append(name)
            present.append((symbol.type, active, symbol.definitions))
        }
        self.names = names
        self.index = index
        let compile = ArchitectureView.compiler(index)
        var choiceNumbers: [String: Int] = [:]
        var choiceIDs: [String] = []
        var members: [[(order: (Int, Int), symbol: Int)]] = []
        var types: [KconfigType] = []
        var definitions: [[Definition]] = []
        var selectors: [[(symbol: Int, condition: Expression?)]] = Array(repeating: [], count: names.count)
        var impliers: [[(symbol: Int, condition: Expression?)]] = Array(repeating: [], count: names.count)
        let fileOrder = Dictionary(tree.files.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        types.reserveCapacity(names.count)
        definitions.reserveCapacity(names.count)
        for (i, (type, active, _)) in present.enumerated() {
            types.append(type)
            let compiled = active.indices.map { k in
                var choice: Int?
                if let id = active[k].choice {
                    if choiceNumbers[id] == nil {
                        choiceNumbers[id] = choiceIDs.count
                        choiceIDs.append(id)
                        members.append([])
                    }
                    choice = choiceNumbers[id]
                    members[choice!].append(((fileOrder[active[k].location.file] ?? 0, active[k].location.line), i))
                }
                return ArchitectureView.definition(active, k, choice: choice, compile)
            }
            definitions.append(compiled)
            ArchitectureView.addEdges(
                of: i, active, dependencies: compiled.map(\.dependency), index: index, compile, &selectors, &impliers)
        }
        self.types = types
        self.definitions = definitions
        choices = members.map { list in
            var seen = Set<Int>()
            return list.sorted { $0.order < $1.order }.map(\.symbol).filter { seen.insert($0).inserted }
        }
        choiceDefaults = choiceIDs.map { id in
            (tree.choiceDefaults[id] ?? []).map { (compile($0.value), $0.condition.map(compile)) }
        }
        self.selectors = selectors
        self.impliers = impliers
        modules = present.indices.first { i in present[i].all.contains { $0.options.contains("modules") } }
        undefinedMentions = UndefinedMentions(tree: tree, names: names, index: index, exists: exists)
        laterMentions = [:]
    }

    /// Every name `definitions` mention (conditions, defaults, select and imply targets) that
    /// `index` does not define.
    static func undefinedNames(in definitions: [KconfigDefinition], index: [String: Int]) -> Set<String> {
        var found = Set<String>()
        let note: (String) -> Void = { name in if index[name] == nil { found.insert(name) } }
        for d in definitions {
            d.dependency?.forEachSymbol(note)
            d.promptCondition?.forEachSymbol(note)
            for list in [d.defaults, d.selects, d.implies] {
                for v in list {
                    v.value.forEachSymbol(note)
                    v.condition?.forEachSymbol(note)
                }
            }
        }
        return found
    }

    func isBoolean(_ i: Int) -> Bool { types[i] == .bool || types[i] == .tristate }

    /// Expressions over symbol names made expressions over this view's symbol numbers.
    static func compiler(_ index: [String: Int]) -> (KconfigExpression) -> Expression {
        func compile(_ e: KconfigExpression) -> Expression {
            switch e {
            case .symbol(let s): return index[s].map { .symbol($0) } ?? .undefined(s)
            case .constant(let c): return .constant(c)
            case .not(let a): return .not(compile(a))
            case .and(let a, let b): return .and(compile(a), compile(b))
            case .or(let a, let b): return .or(compile(a), compile(b))
            case .compare(let op, let a, let b): return .compare(op, compile(a), compile(b))
            }
        }
        return compile
    }

    /// `definitions[k]` compiled (read in place: a definition is not copied whole).
    static func definition(
        _ definitions: [KconfigDefinition], _ k: Int, choice: Int?, _ compile: (KconfigExpression) -> Expression
    ) -> Definition {
        Definition(
            dependency: definitions[k].dependency.map(compile), hasPrompt: definitions[k].prompt != nil,
            promptCondition: definitions[k].promptCondition.map(compile),
            defaults: definitions[k].defaults.map { (compile($0.value), $0.condition.map(compile)) },
            choice: choice)
    }

    /// The selects and implies of symbol `i`'s definitions that exist here, with their strength,
    /// added to their targets' lists.
    /// `dependencies`: each definition's dependency, compiled (nil: compiled here).
    static func addEdges(
        of i: Int, _ active: [KconfigDefinition], dependencies: [Expression?]? = nil, index: [String: Int],
        _ compile: (KconfigExpression) -> Expression,
        _ selectors: inout [[(symbol: Int, condition: Expression?)]],
        _ impliers: inout [[(symbol: Int, condition: Expression?)]]
    ) {
        for k in active.indices where !active[k].selects.isEmpty || !active[k].implies.isEmpty {
            let dependency = dependencies?[k] ?? active[k].dependency.map(compile)
            // KconfigParser.strength, compiled (the dependency compiled once per definition).
            func strength(_ v: ConditionalValue) -> Expression? {
                KconfigParser.strength(dependency: dependency, condition: v.condition.map(compile), and: Expression.and)
            }
            for v in active[k].selects {
                if case .symbol(let target) = v.value, let t = index[target] {
                    selectors[t].append((i, strength(v)))
                }
            }
            for v in active[k].implies {
                if case .symbol(let target) = v.value, let t = index[target] {
                    impliers[t].append((i, strength(v)))
                }
            }
        }
    }

    /// `base`'s view of `tree`, where only the symbols `changed` differ in meaning from the tree
    /// `base` was made of (KconfigEvaluator's updating init): their definitions and the select /
    /// imply edges they start are compiled again, everything else is shared. A symbol the change
    /// adds (a new driver's `config`) is numbered after the base's, and the symbols that already
    /// mention it (compiled as undefined in the base) are compiled again too. Nil when the change
    /// removes a symbol on this architecture, or touches a choice or `option modules` (then the
    /// view is made from scratch).
    init?(updating base: ArchitectureView, tree: KconfigTree, changed: Set<String>) {
        let architecture = base.architecture
        func exists(_ d: KconfigDefinition) -> Bool {
            guard let architecture, let own = d.architecture else { return true }
            return own == architecture
        }
        var changedIndexes: [Int] = []
        var added: [String] = []
        for name in changed {
            let now = tree.symbols[name]?.definitions.filter(exists) ?? []
            guard let i = base.index[name] else {
                if now.isEmpty { continue }
                if now.contains(where: { $0.choice != nil || $0.options.contains("modules") }) { return nil }
                added.append(name)
                continue
            }
            if now.isEmpty || now.contains(where: { $0.choice != nil }) { return nil }
            if base.definitions[i].contains(where: { $0.choice != nil }) { return nil }
            changedIndexes.append(i)
        }
        if changedIndexes.isEmpty && changed.contains(where: { base.index[$0] != nil }) { return nil }
        var names = base.names
        var index = base.index
        added.sort()
        for name in added {
            index[name] = names.count
            names.append(name)
        }
        if !added.isEmpty {
            // Symbols that mention an added one: compiled again, with the edges they start.
            // (The candidates come from the index of undefined mentions; each is looked at.)
            let newNames = Set(added)
            func mentions(_ e: KconfigExpression?) -> Bool { e?.mentions(anyOf: newNames) ?? false }
            func mentions(_ values: [ConditionalValue]) -> Bool {
                values.contains { mentions($0.value) || mentions($0.condition) }
            }
            var candidates = Set<Int>()
            for name in added {
                candidates.formUnion(base.undefinedMentions.symbols(mentioning: name))
                candidates.formUnion(base.laterMentions[name] ?? [])
            }
            candidates.subtract(changedIndexes)
            for i in candidates.sorted() where i < base.names.count {
                var mentioning = false
                var inChoice = false
                for d in tree.symbols[base.names[i]]?.definitions ?? [] where exists(d) {
                    if d.choice != nil { inChoice = true }
                    if !mentioning {
                        mentioning =
                            mentions(d.dependency) || mentions(d.promptCondition) || mentions(d.defaults)
                            || mentions(d.selects) || mentions(d.implies)
                    }
                }
                guard mentioning else { continue }
                if inChoice { return nil }
                changedIndexes.append(i)
            }
        }
        self.architecture = architecture
        semantics = tree.semantics
        self.names = names
        self.index = index
        let compile = ArchitectureView.compiler(index)
        var types = base.types
        var definitions = base.definitions
        var selectors = base.selectors + Array(repeating: [], count: added.count)
        var impliers = base.impliers + Array(repeating: [], count: added.count)
        for name in added {
            let active = tree.symbols[name]!.definitions.filter(exists)
            types.append(tree.symbols[name]!.type)
            definitions.append(active.indices.map { ArchitectureView.definition(active, $0, choice: nil, compile) })
        }
        let isChanged = Set(changedIndexes)
        // Edges started by a changed symbol are dropped from every target, then made again.
        for t in selectors.indices where selectors[t].contains(where: { isChanged.contains($0.symbol) }) {
            selectors[t].removeAll { isChanged.contains($0.symbol) }
        }
        for t in impliers.indices where impliers[t].contains(where: { isChanged.contains($0.symbol) }) {
            impliers[t].removeAll { isChanged.contains($0.symbol) }
        }
        for i in changedIndexes {
            let symbol = tree.symbols[names[i]]!
            types[i] = symbol.type
            let active = symbol.definitions.filter(exists)
            definitions[i] = active.indices.map { ArchitectureView.definition(active, $0, choice: nil, compile) }
            ArchitectureView.addEdges(of: i, active, index: index, compile, &selectors, &impliers)
        }
        var laterMentions = base.laterMentions
        func noteMentions(of i: Int, _ active: [KconfigDefinition]) {
            for name in ArchitectureView.undefinedNames(in: active, index: index) {
                laterMentions[name, default: []].append(i)
            }
        }
        for i in changedIndexes { noteMentions(of: i, tree.symbols[names[i]]!.definitions.filter(exists)) }
        for (k, name) in added.enumerated() {
            let active = tree.symbols[name]!.definitions.filter(exists)
            ArchitectureView.addEdges(of: base.names.count + k, active, index: index, compile, &selectors, &impliers)
            noteMentions(of: base.names.count + k, active)
        }
        self.laterMentions = laterMentions
        undefinedMentions = base.undefinedMentions
        self.types = types
        self.definitions = definitions
        self.selectors = selectors
        self.impliers = impliers
        choices = base.choices
        choiceDefaults = base.choiceDefaults
        modules = base.modules
        if let m = modules, isChanged.contains(m) { return nil }
    }
}

/// The symbols of a view built from scratch that mention each name the view does not define,
/// made the first time a view updated from it adds a symbol (most never do), then shared.
final class UndefinedMentions: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [String: [Int]]?
    private var make: (() -> [String: [Int]])?

    init(
        tree: KconfigTree, names: [String], index: [String: Int],
        exists: @escaping (KconfigDefinition) -> Bool
    ) {
        make = {
            var mentions: [String: [Int]] = [:]
            for (i, name) in names.enumerated() {
                let active = tree.symbols[name]?.definitions.filter(exists) ?? []
                for undefined in ArchitectureView.undefinedNames(in: active, index: index) {
                    mentions[undefined, default: []].append(i)
                }
            }
            return mentions
        }
    }

    func symbols(mentioning name: String) -> [Int] {
        lock.withLock {
            if made == nil {
                made = make?() ?? [:]
                make = nil
            }
            return made?[name] ?? []
        }
    }
}

/// The values of one concrete configuration, computed from user values the way
/// scripts/kconfig/symbol.c does (sym_calc_visibility, sym_calc_value): a visible symbol takes
/// its user value capped by its visibility; an invisible one its first active default, raised
/// by `imply` within its dependencies; `select` raises any symbol, even past its dependencies
/// (the "unmet direct dependencies" warning, recorded in `unmet`); `m` on a bool becomes `y`.
/// Symbols with a prompt and no user value of their own take `baseline` (y: allyesconfig).
final class ConcreteConfiguration {
    let view: ArchitectureView
    let user: [Int: Tristate]
    let baseline: Tristate
    private var memo: [Tristate?]
    private var inProgress: [Bool]
    private var chosen: [Int: Int?] = [:]
    /// Symbols evaluated whose selects exceed their dependencies (a configuration kconfig
    /// warns about; modcheck does not count it as one the kernel allows).
    private(set) var unmet: Set<Int> = []

    init(view: ArchitectureView, user: [Int: Tristate], baseline: Tristate = .y) {
        self.view = view
        self.user = user
        self.baseline = baseline
        memo = Array(repeating: nil, count: view.names.count)
        inProgress = Array(repeating: false, count: view.names.count)
    }

    func value(_ name: String) -> Tristate { view.index[name].map(value) ?? .n }

    func value(_ i: Int) -> Tristate {
        if let known = memo[i] { return known }
        guard view.isBoolean(i) else { return .n }
        // A loop only a union of architectures or a broken tree can make: n breaks it.
        if inProgress[i] { return .n }
        inProgress[i] = true
        defer { inProgress[i] = false }
        let boolean = view.types[i] == .bool
        func promoted(_ t: Tristate) -> Tristate { boolean && t == .m ? .y : t }
        let definitions = view.definitions[i]
        let directDependency = promoted(
            definitions.map { $0.dependency.map(evaluate) ?? .y }.max() ?? .n)
        let visibility = promoted(self.visibility(i))
        var reverse = Tristate.n
        for s in view.selectors[i] {
            reverse = max(reverse, min(value(s.symbol), s.condition.map(evaluate) ?? .y))
            if reverse == .y { break }
        }
        reverse = promoted(reverse)
        var implied = Tristate.n
        for s in view.impliers[i] {
            implied = max(implied, min(value(s.symbol), s.condition.map(evaluate) ?? .y))
            if implied == .y { break }
        }
        implied = promoted(implied)
        var result = Tristate.n
        if let choice = definitions.lazy.compactMap(\.choice).first, visibility != .n {
            // One member of a visible choice is y: the one asked for, else the first visible.
            result = chosenMember(choice) == i ? .y : .n
        } else if visibility != .n, let wanted = user[i] ?? (definitions.contains(where: \.hasPrompt) ? baseline : nil) {
            result = min(wanted, visibility)
        } else {
            // sym_get_default_prop(): the first default whose condition (with its definition's
            // dependencies) holds.
            search: for d in definitions {
                for v in d.defaults {
                    let active = min(v.condition.map(evaluate) ?? .y, d.dependency.map(evaluate) ?? .y)
                    if active != .n {
                        result = min(evaluate(v.value), active)
                        break search
                    }
                }
            }
            if implied != .n {
                result = max(result, implied)
                if !view.semantics.implyBeforeV57 { result = min(result, directDependency) }
            }
        }
        if reverse > directDependency { unmet.insert(i) }
        result = promoted(max(result, reverse))
        // Before v5.7 an `imply` from a y symbol turned m into y (sym_calc_value: implied.tri ==
        // yes), so a built-in user that implied its provider never saw it as a module.
        if view.semantics.implyBeforeV57 && result == .m && implied == .y { result = .y }
        memo[i] = result
        return result
    }

    /// Prompt visibility: the best of the prompts' `depends on` and `if` conditions.
    func visibility(_ i: Int) -> Tristate {
        var best = Tristate.n
        for d in view.definitions[i] where d.hasPrompt {
            best = max(best, min(d.dependency.map(evaluate) ?? .y, d.promptCondition.map(evaluate) ?? .y))
        }
        return best
    }

    func chosenMember(_ choice: Int) -> Int? {
        if let known = chosen[choice] { return known }
        let members = view.choices[choice]
        var pick = members.first { user[$0] == .y }
        // sym_choice_default(): the first default whose condition holds and whose member is
        // visible, else the first visible member.
        if pick == nil {
            for d in view.choiceDefaults[choice] where (d.condition.map(evaluate) ?? .y) != .n {
                if case .symbol(let m) = d.value, members.contains(m), visibility(m) != .n {
                    pick = m
                    break
                }
            }
        }
        if pick == nil { pick = members.first { visibility($0) == .y } }
        chosen[choice] = pick
        return pick
    }

    /// The text of a symbol in comparisons: its tristate value, or a string/int/hex symbol's
    /// first active default (user values of those are not modelled).
    func text(_ e: ArchitectureView.Expression) -> String? {
        switch e {
        case .symbol(let i):
            if view.isBoolean(i) { return value(i).description }
            for d in view.definitions[i] {
                for v in d.defaults
                where min(v.condition.map(evaluate) ?? .y, d.dependency.map(evaluate) ?? .y) != .n {
                    return text(v.value)
                }
            }
            return ""
        case .undefined(let name): return name
        case .constant(let c): return c.utf8.contains(UInt8(ascii: "$")) ? nil : c
        default: return evaluate(e).description
        }
    }

    func evaluate(_ e: ArchitectureView.Expression) -> Tristate {
        switch e {
        case .symbol(let i): return value(i)
        case .undefined: return .n
        case .constant(let c):
            // A macro (`$(success,...)`, `$(cc-option,...)`): a current gcc toolchain has the
            // feature; one that asks for clang does not.
            if c.utf8.contains(UInt8(ascii: "$")) { return c.contains("clang") ? .n : .y }
            return Tristate(text: c) ?? .n
        case .not(let a): return evaluate(a).negated
        case .and(let a, let b):
            let x = evaluate(a)
            return x == .n ? .n : min(x, evaluate(b))
        case .or(let a, let b):
            let x = evaluate(a)
            return x == .y ? .y : max(x, evaluate(b))
        case .compare(let op, let a, let b):
            // A comparison with a macro's value (`"$(ARCH)" = "um"`) is unknown: taken as holding.
            guard let x = text(a), let y = text(b) else { return .y }
            return KconfigEvaluator.compare(op, x, y) ? .y : .n
        }
    }
}

/// A configuration shared by the witnesses that refer to it (read under its own lock).
final class ConcreteConfigurationBox: @unchecked Sendable {
    private let lock = NSLock()
    private let config: ConcreteConfiguration

    init(_ config: ConcreteConfiguration) { self.config = config }

    func value(_ symbol: String) -> Tristate { lock.withLock { config.value(symbol) } }
}

/// A configuration that kconfig accepts and that has the asked values: what a
/// `KCONFIG_ALLCONFIG=<assignments> make ARCH=<architecture> allyesconfig` reproduces.
public struct KconfigWitness: Sendable, Hashable {
    /// nil for a tree parsed for one architecture.
    public var architecture: String?
    /// The whole configuration, to check more of it than was asked.
    let configuration: ConcreteConfigurationBox?

    public static func == (a: KconfigWitness, b: KconfigWitness) -> Bool {
        a.architecture == b.architecture && a.asked == b.asked && a.adjusted == b.adjusted
    }

    public func hash(into h: inout Hasher) {
        h.combine(architecture)
        h.combine(asked)
        h.combine(adjusted)
    }

    /// A symbol's value in the witness configuration.
    public func value(_ symbol: String) -> Tristate {
        if let v = asked[symbol] { return v }
        return configuration?.value(symbol) ?? adjusted[symbol] ?? .n
    }
    /// The values asked for.
    public var asked: [String: Tristate]
    /// What else differs from allyesconfig: the user-settable symbols the search had to lower
    /// or raise to reach the asked values.
    public var adjusted: [String: Tristate]

    /// Every assignment, asked and adjusted.
    public var assignments: [String: Tristate] { asked.merging(adjusted) { a, _ in a } }

    /// `CONFIG_A=y CONFIG_B=m`, sorted.
    public static func text(_ values: [String: Tristate]) -> String {
        values.sorted { $0.key < $1.key }.map { "CONFIG_\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// `CONFIG_A=y CONFIG_P=m (ARCH=x86; from allyesconfig also CONFIG_X=n)`.
    public var description: String {
        var notes: [String] = []
        if let architecture { notes.append("ARCH=\(architecture)") }
        if !adjusted.isEmpty { notes.append("from allyesconfig also \(KconfigWitness.text(adjusted))") }
        return KconfigWitness.text(asked) + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
    }
}

/// One question a witness search answered, and its answer (nil: no witness found): what a
/// snapshot keeps of it (the configuration is made again from the assignments).
public struct KconfigWitnessRecord: Sendable, Equatable {
    public var exactly: [String: Tristate]
    public var below: [String: Tristate]
    public var only: String?
    public var found: Found?

    /// A witness without its configuration.
    public struct Found: Sendable, Equatable {
        public var architecture: String?
        public var asked: [String: Tristate]
        public var adjusted: [String: Tristate]

        public init(architecture: String?, asked: [String: Tristate], adjusted: [String: Tristate]) {
            self.architecture = architecture
            self.asked = asked
            self.adjusted = adjusted
        }
    }

    public init(exactly: [String: Tristate], below: [String: Tristate], only: String?, found: Found?) {
        self.exactly = exactly
        self.below = below
        self.only = only
        self.found = found
    }
}

/// Finds a configuration with some symbols at given values, starting from allyesconfig and
/// repairing what keeps the asked values from holding: a select that forces a symbol wanted `m`
/// to `y` is lowered at its selector; a dependency that keeps a symbol wanted `y` down is raised
/// (or, for `!X`, its X lowered). Every answer is checked by evaluating the whole configuration
/// again; a nil answer means none was found, not that none exists.
final class KconfigWitnessSearch: @unchecked Sendable {
    let tree: KconfigTree
    private let lock = NSLock()
    private var views: [String: ArchitectureView] = [:]
    static let maxRounds = 12
    static let maxDepth = 6
    /// Assignments beyond the asked ones a search may make: a configuration that needs more is
    /// not reported (it is far from anything a developer builds, and far configurations are where
    /// modcheck's model of kconfig is least checked).
    static let maxAdjustments = 40

    /// The search of an evaluator updated from another (see `init(tree:updating:changed:affected:root:)`).
    private var base: KconfigWitnessSearch?
    private let changed: Set<String>
    /// Symbols whose range may read a changed one (KconfigEvaluator.affectedSymbols).
    private let affected: Set<String>?
    /// The search of the evaluator built from scratch that the base descends from, with the
    /// symbols changed (`changed`) and reached (`affected`) since: what the base did not make or
    /// answer is made or answered there once (it serves every patch of a base) and taken here.
    private let root: (search: KconfigWitnessSearch, changed: Set<String>, affected: Set<String>)?
    private var answers: [Question: KconfigWitness?] = [:]
    /// Answers an earlier run over the same Kconfig files gave (a snapshot), without their
    /// configurations: made whole (from the witness's assignments, on its architecture's view
    /// alone) when asked. A search from scratch only.
    private var seeded: [Question: KconfigWitness?] = [:]

    /// Made from the whole tree, not updated from another search.
    private let fromScratch: Bool
    /// How many searches were updated from this one directly: a root that several chains start
    /// from (triage's base, one chain per posting) makes views and answers for all of them; the
    /// root of one chain (`series`, `hook`) does not make what only that chain asks (it would be
    /// made twice: from scratch there, then updated here).
    private var derivedCount = 0
    private var servesMany: Bool { lock.withLock { derivedCount >= 2 } }

    init(tree: KconfigTree) {
        self.tree = tree
        base = nil
        changed = []
        affected = nil
        root = nil
        fromScratch = true
    }

    /// The search of `tree`, which differs from `base.tree` in the meaning of `changed` symbols
    /// only: a view the base already made is updated rather than compiled from the whole tree,
    /// and the base's answers that `affected` symbols cannot change are kept. `root` (when the
    /// base is not itself built from scratch) is the search views and answers come from when
    /// the base has none.
    init(
        tree: KconfigTree, updating base: KconfigWitnessSearch, changed: Set<String>, affected: Set<String>?,
        root: (search: KconfigWitnessSearch, changed: Set<String>, affected: Set<String>)?
    ) {
        self.tree = tree
        self.base = base
        self.changed = changed
        self.affected = affected
        self.root = root ?? (base.fromScratch ? (base, changed, affected ?? changed) : nil)
        fromScratch = false
        if base.fromScratch { base.lock.withLock { base.derivedCount += 1 } }
        // One link back only: the base stops inheriting from its own base (it answers from
        // scratch what it did not answer yet), so a series of updated searches is not a chain
        // that keeps every earlier one alive.
        base.lock.withLock { base.base = nil }
    }

    func view(_ architecture: String?) -> ArchitectureView {
        let key = architecture ?? ""
        if let known = madeView(key) { return known }
        let view = makeView(architecture)
        return lock.withLock {
            if let known = views[key] { return known }
            views[key] = view
            return view
        }
    }

    /// The view of `key` this search made, waiting for it when it is being made on another core.
    private func madeView(_ key: String) -> ArchitectureView? {
        let (known, pending) = lock.withLock { (views[key], inFlight[key]) }
        if let known { return known }
        guard let pending else { return nil }
        pending.wait()
        return lock.withLock { views[key] }
    }

    private func makeView(_ architecture: String?) -> ArchitectureView {
        let key = architecture ?? ""
        let (base, root) = lock.withLock { (self.base, self.root) }
        var made: ArchitectureView?
        // The base's view, when it made one; else the root's (made there if need be, when the
        // root serves several chains), updated by what changed since.
        if let base, base.tree.choiceDefaults == tree.choiceDefaults,
            let view = base.lock.withLock({ base.views[key] })
        {
            made = ArchitectureView(updating: view, tree: tree, changed: changed)
        }
        if made == nil, let root, root.search.tree.choiceDefaults == tree.choiceDefaults,
            let view = root.search.madeView(key) ?? (root.search.servesMany ? root.search.view(architecture) : nil)
        {
            made = ArchitectureView(updating: view, tree: tree, changed: root.changed)
        }
        return made ?? ArchitectureView(tree: tree, architecture: architecture)
    }

    /// Views being made on another core (`prefetchViews`), each done when its group is left.
    private var inFlight: [String: DispatchGroup] = [:]

    /// Starts making, on another core, the views a search updated by a Kconfig change is likely
    /// to ask for first: those of the first two architectures on which every changed symbol is
    /// declared (x86, arm64 for a change to a common Kconfig file), made in the search built
    /// from scratch that this one descends from, so that this search (and every later one of
    /// the chain) updates them in microseconds. A view from scratch costs 20–30 ms of a
    /// 17,000-symbol tree; a search that asks for none costs the other core that much.
    func prefetchViews() {
        guard !changed.isEmpty, let target = lock.withLock({ root?.search }) else { return }
        let architectures = Array(architectures(for: changed.sorted()).prefix(2))
        target.makeInBackground(architectures)
    }

    private func makeInBackground(_ architectures: [String?]) {
        let started: [(String?, DispatchGroup)] = lock.withLock {
            architectures.compactMap { architecture in
                let key = architecture ?? ""
                guard views[key] == nil, inFlight[key] == nil else { return nil }
                let group = DispatchGroup()
                group.enter()
                inFlight[key] = group
                return (architecture, group)
            }
        }
        guard !started.isEmpty else { return }
        DispatchQueue.global().async {
            for (architecture, group) in started {
                let view = self.makeView(architecture)
                self.lock.withLock {
                    let key = architecture ?? ""
                    if self.views[key] == nil { self.views[key] = view }
                    self.inFlight[key] = nil
                }
                group.leave()
            }
        }
    }

    /// Every architecture some definition belongs to (made once; under `lock`).
    private var allArchitecturesMemo: Set<String>?
    private var allArchitectures: Set<String> {
        lock.withLock {
            if let known = allArchitecturesMemo { return known }
            let made = Set(tree.symbols.values.flatMap { $0.definitions.compactMap(\.architecture) })
            allArchitecturesMemo = made
            return made
        }
    }

    /// The architectures to try, most common first: those on which every asked symbol is declared.
    func architectures(for symbols: [String]) -> [String?] {
        guard tree.isArchitectureUnion else { return [nil] }
        var candidates: Set<String>?
        for name in symbols {
            guard let s = tree.symbols[name] else { return [] }
            if s.definitions.contains(where: { $0.architecture == nil }) { continue }
            let own = Set(s.definitions.compactMap(\.architecture))
            candidates = candidates.map { $0.intersection(own) } ?? own
        }
        let all = allArchitectures
        // A tree without architectures (a partial tree): its one view.
        if all.isEmpty { return [nil] }
        let preferred = ["x86", "arm64", "arm", "powerpc", "riscv", "mips", "s390", "loongarch"]
        let pool = candidates ?? all
        return (preferred.filter(pool.contains) + pool.subtracting(preferred).sorted()).map { $0 }
    }

    /// A configuration where every `exactly` symbol has its value and every `below` symbol is
    /// lower than its bound.
    /// Answers are remembered, and an updated search takes its base's answer to a question
    /// none of whose symbols, asked or adjusted, the Kconfig change can reach (`affected`): the
    /// search only reads the asked symbols' dependency closures, which then read nothing changed.
    /// The taken witness's configuration is made again on this search's view, so what a rule
    /// asks of it beyond the asked symbols is this tree's answer.
    func find(exactly: [String: Tristate], below: [String: Tristate] = [:], on only: String? = nil) -> KconfigWitness? {
        let question = Question(exactly: exactly, below: below, only: only)
        if let known = lock.withLock({ answers[question] }) { return known }
        if let kept = lock.withLock({ seeded[question] }) {
            // No witness then, none now; a witness is made whole again on its architecture's view
            // (asked afresh when one of its names is not there: never, for the same files).
            let answer: KconfigWitness?? = if let w = kept { whole(w).map { .some($0) } } else { .some(nil) }
            if let answer {
                lock.withLock { _ = answers.updateValue(answer, forKey: question) }
                return answer
            }
        }
        if let inherited = inheritedAnswer(question) {
            lock.withLock { answers[question] = inherited }
            return inherited
        }
        var found: KconfigWitness?
        let candidates = architectures(for: Array(exactly.keys)).filter { only == nil || $0 == only }
        for (k, architecture) in candidates.enumerated() {
            // No configuration on the first architecture (one on none, often: a select that
            // forces the asked symbol): the views after it are made two at a time, every other
            // one on another core (a view from scratch costs 15–30 ms; a tree has 25).
            if k == 1, fromScratch {
                makeInBackground(stride(from: 2, to: candidates.count, by: 2).map { candidates[$0] })
            }
            if let w = find(exactly: exactly, below: below, view: view(architecture)) {
                found = w
                break
            }
        }
        lock.withLock { answers[question] = found }
        return found
    }

    struct Question: Hashable {
        var exactly: [String: Tristate]
        var below: [String: Tristate]
        var only: String?
    }

    /// The base's answer, when it still holds here (nil: ask again; `.some(nil)`: no witness).
    private func inheritedAnswer(_ q: Question) -> KconfigWitness?? {
        func reaches(_ q: Question, _ affected: Set<String>) -> Bool {
            q.exactly.keys.contains(where: affected.contains) || q.below.keys.contains(where: affected.contains)
        }
        let (base, root) = lock.withLock { (self.base, self.root) }
        var answer: (witness: KconfigWitness?, affected: Set<String>)?
        if let base, let affected, !reaches(q, affected), let known = base.lock.withLock({ base.answers[q] ?? base.seeded[q] }) {
            answer = (known, affected)
        } else if let root, !reaches(q, root.affected) {
            // Asked of the root (and kept there for the next posting) when no change since
            // reaches it and the root serves several chains.
            if let known = root.search.lock.withLock({ root.search.answers[q] ?? root.search.seeded[q] }) {
                answer = (known, root.affected)
            } else if root.search.servesMany {
                answer = (root.search.find(exactly: q.exactly, below: q.below, on: q.only), root.affected)
            }
        }
        guard let (known, affected) = answer else { return nil }
        guard let w = known else { return .some(nil) }
        if w.adjusted.keys.contains(where: affected.contains) { return nil }
        return whole(w).map { .some($0) }
    }

    /// A witness (of this search or another over a tree where its assignments mean the same) with
    /// this search's configuration of its assignments; nil when a name is not on its view.
    private func whole(_ w: KconfigWitness) -> KconfigWitness? {
        let view = view(w.architecture)
        var user: [Int: Tristate] = [:]
        for (name, value) in w.assignments {
            guard let i = view.index[name] else { return nil }
            user[i] = value
        }
        if let modules = view.modules, user[modules] == nil { user[modules] = .y }
        let config = ConcreteConfiguration(view: view, user: user)
        return KconfigWitness(
            architecture: w.architecture, configuration: ConcreteConfigurationBox(config), asked: w.asked,
            adjusted: w.adjusted)
    }

    /// Every answer this search (from scratch) gave or was seeded with, for a snapshot.
    func records() -> [KconfigWitnessRecord] {
        lock.withLock {
            guard fromScratch else { return [] }
            var all = seeded
            for (q, a) in answers { all[q] = a }
            return all.map { q, a in
                KconfigWitnessRecord(
                    exactly: q.exactly, below: q.below, only: q.only,
                    found: a.map { .init(architecture: $0.architecture, asked: $0.asked, adjusted: $0.adjusted) })
            }
        }
    }

    /// How many answers this search knows (given or seeded).
    var answerCount: Int {
        lock.withLock { fromScratch ? seeded.merging(answers) { _, b in b }.count : 0 }
    }

    /// Answers of an earlier run over the same Kconfig files (a search from scratch only).
    func seed(_ records: [KconfigWitnessRecord]) {
        lock.withLock {
            guard fromScratch else { return }
            for r in records {
                // (updateValue: a subscript assignment of a nil answer would drop the question.)
                let answer: KconfigWitness? = r.found.map {
                    KconfigWitness(architecture: $0.architecture, configuration: nil, asked: $0.asked, adjusted: $0.adjusted)
                }
                seeded.updateValue(answer, forKey: Question(exactly: r.exactly, below: r.below, only: r.only))
            }
        }
    }

    private func find(exactly: [String: Tristate], below: [String: Tristate], view: ArchitectureView)
        -> KconfigWitness?
    {
        var pinned: [Int: Tristate] = [:]
        for (name, value) in exactly {
            guard let i = view.index[name] else { return nil }
            pinned[i] = value
        }
        let asked = pinned
        // m exists only with loadable modules.
        if let modules = view.modules, pinned[modules] == nil { pinned[modules] = .y }
        let bounds = below.compactMap { name, bound in view.index[name].map { ($0, bound) } }
        var user = pinned
        for _ in 0..<KconfigWitnessSearch.maxRounds {
            let config = ConcreteConfiguration(view: view, user: user)
            var repair = Repair(view: view, config: config, pinned: pinned, user: user)
            var satisfied = true
            for (i, wanted) in pinned.sorted(by: { $0.key < $1.key }) {
                let got = config.value(i)
                if got == wanted { continue }
                satisfied = false
                if got > wanted {
                    repair.lowerSymbol(i, to: wanted, depth: 0)
                } else {
                    repair.raiseSymbol(i, to: wanted, depth: 0)
                }
            }
            for (i, bound) in bounds where config.value(i) >= bound {
                satisfied = false
                repair.lowerSymbol(i, to: bound == .y ? .m : .n, depth: 0)
            }
            // A select past a dependency is a configuration kconfig warns about: lower its selector.
            for i in config.unmet.sorted() {
                satisfied = false
                repair.lowerSelectors(of: i, to: .n, depth: 0)
            }
            if satisfied {
                var adjusted: [String: Tristate] = [:]
                for (i, v) in user where asked[i] == nil && !(i == view.modules && v == .y) {
                    adjusted[view.names[i]] = v
                }
                return KconfigWitness(
                    architecture: view.architecture, configuration: ConcreteConfigurationBox(config), asked: exactly,
                    adjusted: adjusted)
            }
            if !repair.changed || repair.user.count - pinned.count > KconfigWitnessSearch.maxAdjustments {
                return nil
            }
            user = repair.user
        }
        return nil
    }

    /// One round of repairs: new user values that should bring the configuration closer.
    struct Repair {
        let view: ArchitectureView
        let config: ConcreteConfiguration
        let pinned: [Int: Tristate]
        var user: [Int: Tristate]
        var changed = false

        init(view: ArchitectureView, config: ConcreteConfiguration, pinned: [Int: Tristate], user: [Int: Tristate]) {
            self.view = view
            self.config = config
            self.pinned = pinned
            self.user = user
        }

        mutating func set(_ i: Int, _ v: Tristate) -> Bool {
            if let p = pinned[i], p != v { return false }
            // A symbol without a prompt takes no user value (its default and selects decide).
            guard view.definitions[i].contains(where: \.hasPrompt) else { return false }
            let v = view.types[i] == .bool && v == .m ? Tristate.y : v
            if user[i] == v { return false }
            user[i] = v
            changed = true
            return true
        }

        /// Lowers a symbol to at most `target`: its own user value, and the selects that raise it.
        @discardableResult
        mutating func lowerSymbol(_ i: Int, to target: Tristate, depth: Int) -> Bool {
            guard config.value(i) > target, depth < KconfigWitnessSearch.maxDepth else { return false }
            var progress = false
            if pinned[i] == nil || pinned[i]! <= target {
                progress = set(i, view.types[i] == .bool ? .n : target) || progress
            }
            progress = lowerSelectors(of: i, to: target, depth: depth) || progress
            return progress
        }

        @discardableResult
        mutating func lowerSelectors(of i: Int, to target: Tristate, depth: Int) -> Bool {
            var progress = false
            // An implier at y promotes an m to y: it must come down to m for the symbol to be m.
            if target == .m && view.semantics.implyBeforeV57 {
                for s in view.impliers[i] where min(config.value(s.symbol), s.condition.map(config.evaluate) ?? .y) == .y {
                    progress = lowerSymbol(s.symbol, to: .m, depth: depth + 1) || progress
                }
            }
            for s in view.selectors[i] {
                let term = min(config.value(s.symbol), s.condition.map(config.evaluate) ?? .y)
                guard term > target else { continue }
                // Either the selector goes down, or the condition it selects under does.
                if !lowerSymbol(s.symbol, to: target, depth: depth + 1), let c = s.condition {
                    progress = lower(c, to: target, depth: depth + 1) || progress
                } else {
                    progress = true
                }
            }
            return progress
        }

        /// Raises a symbol to at least `target`: whatever keeps its dependency or prompt down.
        @discardableResult
        mutating func raiseSymbol(_ i: Int, to target: Tristate, depth: Int) -> Bool {
            guard config.value(i) < target, depth < KconfigWitnessSearch.maxDepth else { return false }
            var progress = false
            if user[i] == nil || user[i]! < target { progress = set(i, target) || progress }
            for d in view.definitions[i] {
                if let dep = d.dependency { progress = raise(dep, to: target, depth: depth + 1) || progress }
                if d.hasPrompt, let c = d.promptCondition { progress = raise(c, to: target, depth: depth + 1) || progress }
                if !d.hasPrompt, let first = d.defaults.first {
                    if let c = first.condition { progress = raise(c, to: target, depth: depth + 1) || progress }
                    progress = raise(first.value, to: target, depth: depth + 1) || progress
                }
            }
            return progress
        }

        mutating func raise(_ e: ArchitectureView.Expression, to target: Tristate, depth: Int) -> Bool {
            if config.evaluate(e) >= target || depth >= KconfigWitnessSearch.maxDepth { return false }
            switch e {
            case .symbol(let i): return raiseSymbol(i, to: target, depth: depth)
            case .not(let a): return lower(a, to: target.negated, depth: depth)
            case .and(let a, let b):
                let x = raise(a, to: target, depth: depth)
                let y = raise(b, to: target, depth: depth)
                return x || y
            case .or(let a, let b): return raise(a, to: target, depth: depth) || raise(b, to: target, depth: depth)
            case .compare(let op, .symbol(let i), .constant(let c)), .compare(let op, .constant(let c), .symbol(let i)):
                guard let v = Tristate(text: c) else { return false }
                switch op {
                case .equal: return v > config.value(i) ? raiseSymbol(i, to: v, depth: depth) : lowerSymbol(i, to: v, depth: depth)
                case .notEqual: return v == .n ? raiseSymbol(i, to: .m, depth: depth) : false
                default: return false
                }
            default: return false
            }
        }

        mutating func lower(_ e: ArchitectureView.Expression, to target: Tristate, depth: Int) -> Bool {
            if config.evaluate(e) <= target || depth >= KconfigWitnessSearch.maxDepth { return false }
            switch e {
            case .symbol(let i): return lowerSymbol(i, to: target, depth: depth)
            case .not(let a): return raise(a, to: target.negated, depth: depth)
            case .and(let a, let b): return lower(a, to: target, depth: depth) || lower(b, to: target, depth: depth)
            case .or(let a, let b):
                let x = lower(a, to: target, depth: depth)
                let y = lower(b, to: target, depth: depth)
                return x || y
            case .compare(let op, .symbol(let i), .constant(let c)), .compare(let op, .constant(let c), .symbol(let i)):
                guard let v = Tristate(text: c) else { return false }
                switch op {
                case .equal:
                    // `X=n` fails once X is set; `X=y` once X is below y; `X=m` once X is n.
                    guard config.value(i) == v else { return false }
                    return v == .n ? raiseSymbol(i, to: .m, depth: depth) : lowerSymbol(i, to: v == .y ? .m : .n, depth: depth)
                case .notEqual: return v == .n ? lowerSymbol(i, to: .n, depth: depth) : false
                default: return false
                }
            default: return false
            }
        }
    }
}
