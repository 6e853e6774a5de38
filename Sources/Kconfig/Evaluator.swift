/// Answers "what values can this symbol take?" under worst-case (allmodconfig-like) reasoning,
/// optionally with some symbols fixed, and "what value does it have?" under a concrete .config.
///
/// Semantics follow scripts/kconfig/symbol.c: a symbol's upper bound is its prompt visibility
/// (dependencies && prompt condition) or a default (capped by dependencies), raised by any
/// `select` (which ignores the target's dependencies); a `bool` whose visibility is `m` is
/// promoted to `y` (sym_calc_visibility). Expressions use Kconfig's tristate logic; an
/// expression mentioning few symbols is evaluated exactly by enumeration, so
/// `depends on X || !X` is not over-approximated.
public final class KconfigEvaluator: @unchecked Sendable {
    public let tree: KconfigTree
    private var cache: [String: ClosedRange<Tristate>] = [:]
    private var inProgress: Set<String> = []
    private var valueCache: [String: Tristate] = [:]
    private var floorCache: [String: [String: Tristate]] = [:]

    public init(tree: KconfigTree) { self.tree = tree }

    static let maxChain = 400

    /// A cache key for a set of assumptions: `A=m,B=y|`.
    static func key(_ assuming: [String: Tristate]) -> String {
        if assuming.isEmpty { return "|" }
        return assuming.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            + "|"
    }

    public func isDefined(_ symbol: String) -> Bool { tree.symbols[symbol] != nil }

    public func canBeModule(_ symbol: String) -> Bool {
        guard tree.symbols[symbol]?.type == .tristate else { return false }
        return range(symbol).contains(.m)
    }

    public func canBeBuiltin(_ symbol: String) -> Bool { range(symbol).upperBound == .y }

    public func range(_ symbol: String, assuming: [String: Tristate] = [:]) -> ClosedRange<Tristate> {
        if let fixed = assuming[symbol] { return fixed...fixed }
        let key = KconfigEvaluator.key(assuming) + symbol
        if let known = cache[key] { return known }
        guard let s = tree.symbols[symbol] else { return Tristate.n...Tristate.n }
        if s.type != .bool && s.type != .tristate {
            // string/int/hex symbols: "set or not" is all modcheck asks.
            return Tristate.n...Tristate.y
        }
        // A dependency cycle (they exist through select), or a chain too deep to follow: the
        // conservative answer.
        if inProgress.contains(symbol) || inProgress.count > KconfigEvaluator.maxChain {
            return Tristate.n...Tristate.y
        }
        inProgress.insert(symbol)
        defer { inProgress.remove(symbol) }
        var hi = Tristate.n
        var lo = Tristate.n
        let hasPrompt = s.hasPrompt
        for d in s.definitions {
            let dep = d.dependency.map { range(of: $0, assuming: assuming) } ?? (Tristate.y...Tristate.y)
            if d.prompt != nil {
                let cond =
                    d.promptCondition.map { range(of: $0, assuming: assuming) } ?? (Tristate.y...Tristate.y)
                hi = max(hi, min(dep.upperBound, cond.upperBound))
            }
            for def in d.defaults {
                let v = range(of: def.value, assuming: assuming)
                let c = def.condition.map { range(of: $0, assuming: assuming) } ?? (Tristate.y...Tristate.y)
                hi = max(hi, min(v.upperBound, c.upperBound, dep.upperBound))
                if !hasPrompt { lo = max(lo, min(v.lowerBound, c.lowerBound, dep.lowerBound)) }
            }
        }
        for (selector, condition) in tree.selectedBy[symbol] ?? [] {
            let r = range(selector, assuming: assuming)
            let c = condition.map { range(of: $0, assuming: assuming) } ?? (Tristate.y...Tristate.y)
            hi = max(hi, min(r.upperBound, c.upperBound))
            lo = max(lo, min(r.lowerBound, c.lowerBound))
        }
        if !hasPrompt {
            for (selector, condition) in tree.impliedBy[symbol] ?? [] {
                let r = range(selector, assuming: assuming)
                let c = condition.map { range(of: $0, assuming: assuming) } ?? (Tristate.y...Tristate.y)
                let dep =
                    s.definitions.compactMap(\.dependency).first.map { range(of: $0, assuming: assuming) }
                    ?? (Tristate.y...Tristate.y)
                hi = max(hi, min(r.upperBound, c.upperBound, dep.upperBound))
            }
        }
        // What the fixed symbols need (their `depends on` and `select`) holds too: with
        // ARM_SMMU_V3=m, IOMMU_API (selected) and ARM64 (depended on) are at least set.
        if let floor = impliedFloors(assuming)[symbol] {
            lo = max(lo, floor)
            hi = max(hi, lo)
        }
        if s.type == .bool {
            if hi == .m { hi = .y }
            if lo == .m { lo = .y }
        }
        // Across all architectures, what one arch forces is merely possible on another.
        if tree.isArchitectureUnion && assuming[symbol] == nil
            && s.definitions.allSatisfy({ $0.location.file.hasPrefix("arch/") })
        {
            lo = impliedFloors(assuming)[symbol] ?? .n
        }
        if lo > hi { lo = hi }
        let result = lo...hi
        cache[key] = result
        return result
    }

    /// Lower bounds implied by fixing symbols to m or y: the top-level conjuncts of their
    /// dependencies (`depends on A && B=y`) and their unconditional selects, transitively.
    func impliedFloors(_ assuming: [String: Tristate]) -> [String: Tristate] {
        if assuming.isEmpty { return [:] }
        let cacheKey = KconfigEvaluator.key(assuming)
        if let known = floorCache[cacheKey] { return known }
        var floors: [String: Tristate] = [:]
        var queue: [(String, Tristate)] = assuming.filter { $0.value >= .m }.map { ($0.key, $0.value) }
        var steps = 0
        while let (name, value) = queue.popLast(), steps < 10_000 {
            steps += 1
            guard let sym = tree.symbols[name], sym.definitions.count == 1, let d = sym.definitions.first
            else { continue }
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
                default: break
                }
            }
            for select in d.selects where select.condition == nil {
                if case .symbol(let target) = select.value { raise(target, value) }
            }
        }
        floorCache[cacheKey] = floors
        return floors
    }

    /// The range of values an expression can take.
    public func range(of expression: KconfigExpression, assuming: [String: Tristate] = [:]) -> ClosedRange<
        Tristate
    > {
        let symbols = expression.symbols.filter { assuming[$0] == nil && tree.symbols[$0] != nil }
        // Exact by enumeration when few symbols repeat (`X || !X`); intervals otherwise.
        if symbols.count <= 4, hasRepeats(expression) {
            var ranges: [(String, [Tristate])] = []
            for s in symbols.sorted() {
                let r = range(s, assuming: assuming)
                ranges.append((s, [Tristate.n, .m, .y].filter { r.contains($0) }))
            }
            var lo = Tristate.y
            var hi = Tristate.n
            func enumerate(_ i: Int, _ fixed: [String: Tristate]) {
                if i == ranges.count {
                    let v = interval(expression, fixed)
                    lo = min(lo, v.lowerBound)
                    hi = max(hi, v.upperBound)
                    return
                }
                for value in ranges[i].1 {
                    var next = fixed
                    next[ranges[i].0] = value
                    enumerate(i + 1, next)
                }
            }
            enumerate(0, assuming)
            return lo...max(lo, hi)
        }
        return interval(expression, assuming)
    }

    func hasRepeats(_ e: KconfigExpression) -> Bool {
        var seen = Set<String>()
        var repeated = false
        func walk(_ e: KconfigExpression) {
            switch e {
            case .symbol(let s): if !seen.insert(s).inserted { repeated = true }
            case .constant: break
            case .not(let a): walk(a)
            case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b):
                walk(a)
                walk(b)
            }
        }
        walk(e)
        return repeated
    }

    func interval(_ e: KconfigExpression, _ assuming: [String: Tristate]) -> ClosedRange<Tristate> {
        switch e {
        case .symbol(let s): return range(s, assuming: assuming)
        case .constant(let c):
            // A macro call (`$(success,...)`): its value depends on the toolchain.
            if c == "$?" { return Tristate.n...Tristate.y }
            let v = Tristate(text: c) ?? .n
            return v...v
        case .not(let a):
            let r = interval(a, assuming)
            return r.upperBound.negated...r.lowerBound.negated
        case .and(let a, let b):
            let x = interval(a, assuming)
            let y = interval(b, assuming)
            return min(x.lowerBound, y.lowerBound)...min(x.upperBound, y.upperBound)
        case .or(let a, let b):
            let x = interval(a, assuming)
            let y = interval(b, assuming)
            return max(x.lowerBound, y.lowerBound)...max(x.upperBound, y.upperBound)
        case .compare(let op, let a, let b):
            // Tristate comparisons against y/m/n; anything else (strings, numbers) may go either way.
            guard let (x, y) = comparable(a, b, assuming) else { return Tristate.n...Tristate.y }
            var canHold = false
            var canFail = false
            for p in [Tristate.n, .m, .y] where x.contains(p) {
                for q in [Tristate.n, .m, .y] where y.contains(q) {
                    let holds: Bool
                    switch op {
                    case .equal: holds = p == q
                    case .notEqual: holds = p != q
                    case .less: holds = p < q
                    case .lessEqual: holds = p <= q
                    case .greater: holds = p > q
                    case .greaterEqual: holds = p >= q
                    }
                    if holds { canHold = true } else { canFail = true }
                }
            }
            return (canFail ? Tristate.n : .y)...(canHold ? Tristate.y : .n)
        }
    }

    func comparable(_ a: KconfigExpression, _ b: KconfigExpression, _ assuming: [String: Tristate]) -> (
        ClosedRange<Tristate>, ClosedRange<Tristate>
    )? {
        func side(_ e: KconfigExpression) -> ClosedRange<Tristate>? {
            switch e {
            case .constant(let c):
                guard let v = Tristate(text: c) else { return nil }
                return v...v
            case .symbol(let s):
                if let fixed = assuming[s] { return fixed...fixed }
                guard let sym = tree.symbols[s] else { return Tristate.n...Tristate.n }
                guard sym.type == .bool || sym.type == .tristate else { return nil }
                return range(s, assuming: assuming)
            default:
                return nil
            }
        }
        guard let x = side(a), let y = side(b) else { return nil }
        return (x, y)
    }

    // MARK: Concrete .config

    /// The value of a symbol under a .config: its assignment (absent = n), capped by its
    /// dependencies like kconfig does, raised by selects.
    public func value(_ symbol: String, config: DotConfig) -> Tristate {
        if let known = valueCache[config.fingerprint + "\u{0}" + symbol] { return known }
        guard let s = tree.symbols[symbol] else {
            return config.values[symbol].flatMap { Tristate(text: $0) } ?? .n
        }
        if inProgress.contains("cfg:" + symbol) {
            return config.values[symbol].flatMap { Tristate(text: $0) } ?? .n
        }
        inProgress.insert("cfg:" + symbol)
        defer { inProgress.remove("cfg:" + symbol) }
        var v = config.values[symbol].flatMap { Tristate(text: $0) } ?? .n
        if s.type != .bool && s.type != .tristate { return config.values[symbol] == nil ? .n : .y }
        let dep = s.definitions.map { d in d.dependency.map { evaluate($0, config) } ?? .y }.max() ?? .y
        v = min(v, dep)
        for (selector, condition) in tree.selectedBy[symbol] ?? [] {
            v = max(v, min(value(selector, config: config), condition.map { evaluate($0, config) } ?? .y))
        }
        if s.type == .bool && v == .m { v = .y }
        valueCache[config.fingerprint + "\u{0}" + symbol] = v
        return v
    }

    public func evaluate(_ e: KconfigExpression, _ config: DotConfig) -> Tristate {
        switch e {
        case .symbol(let s): return value(s, config: config)
        case .constant(let c): return Tristate(text: c) ?? .n
        case .not(let a): return evaluate(a, config).negated
        case .and(let a, let b): return min(evaluate(a, config), evaluate(b, config))
        case .or(let a, let b): return max(evaluate(a, config), evaluate(b, config))
        case .compare(let op, let a, let b):
            func text(_ e: KconfigExpression) -> String {
                switch e {
                case .symbol(let s):
                    if let sym = tree.symbols[s], sym.type == .bool || sym.type == .tristate {
                        return value(s, config: config).description
                    }
                    return config.values[s] ?? (tree.symbols[s] == nil ? s : "")
                case .constant(let c): return c
                default: return evaluate(e, config).description
                }
            }
            let x = text(a)
            let y = text(b)
            let holds: Bool
            switch op {
            case .equal: holds = x == y
            case .notEqual: holds = x != y
            default:
                if let xi = Int(x), let yi = Int(y) {
                    switch op {
                    case .less: holds = xi < yi
                    case .lessEqual: holds = xi <= yi
                    case .greater: holds = xi > yi
                    default: holds = xi >= yi
                    }
                } else {
                    holds = false
                }
            }
            return holds ? .y : .n
        }
    }
}

/// A `.config` file: `CONFIG_X=y|m|"str"|123` and `# CONFIG_X is not set`.
public struct DotConfig: Sendable, Hashable {
    public var values: [String: String]
    public var diagnostics: [KconfigDiagnostic]
    var fingerprint: String

    public static func parse(_ text: String, path: String = ".config") -> DotConfig {
        var values: [String: String] = [:]
        var diagnostics: [KconfigDiagnostic] = []
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if line.hasPrefix("# CONFIG_") && line.hasSuffix(" is not set") {
                    let name = line.dropFirst(9).dropLast(11)
                    values[String(name)] = "n"
                }
                continue
            }
            guard line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "=") else {
                diagnostics.append(
                    KconfigDiagnostic(file: path, line: number, message: "expected CONFIG_NAME=value"))
                continue
            }
            let name = String(line[line.index(line.startIndex, offsetBy: 7)..<eq])
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            values[name] = value
        }
        let fingerprint =
            String(values.count) + ":" + String(values.keys.sorted().joined(separator: ",").hashValue)
        return DotConfig(values: values, diagnostics: diagnostics, fingerprint: fingerprint)
    }
}
