import CSource
import Foundation
import Kconfig
import Model

/// Finds a configuration kconfig accepts in which a piece of code is compiled the way a rule
/// needs (into vmlinux, or into a module) and a reference in it is live: the unit's kbuild chain
/// and the source's composite condition hold, the reference's own `#if` holds, and no header stub
/// stands in for the name. A rule reports a link or modpost failure only with such a
/// configuration, named in its message; conditions modcheck cannot read never count as evidence.
struct PresenceSearch {
    let model: KernelModel
    private var answers: [Question: KconfigWitness?] = [:]

    struct Question: Hashable {
        var exactly: [String: Tristate]
        var below: [String: Tristate]
        var architecture: String?
    }

    init(model: KernelModel) { self.model = model }

    mutating func witness(_ q: Question) -> KconfigWitness? {
        if let known = answers[q] { return known }
        let w = model.evaluator.witness(exactly: q.exactly, below: q.below, on: q.architecture)
        answers[q] = w
        return w
    }

    /// The symbol values that make `source` part of `unit`: built in (every gate y) or, with
    /// `module`, a module (its own symbol m, gates and composite parts at least m: bool ones y).
    func chain(of unit: ModuleUnit, source: String, module: Bool) -> (
        exactly: [String: Tristate], below: [String: Tristate], alternatives: [[String]]
    ) {
        var exactly: [String: Tristate] = [:]
        for c in unit.builtinChain(of: source) {
            exactly[c] = module && model.evaluator.tree.symbols[c]?.type == .tristate ? .m : .y
        }
        if module, let own = unit.config { exactly[own] = .m }
        var below: [String: Tristate] = [:]
        for e in unit.excluded { below[e.config] = e.builtin ? .y : .m }
        return (exactly, below, unit.builtinAlternatives(of: source))
    }

    /// A configuration with `exactly`/`below` in which `ref` (in module or built-in context) is
    /// live and no stub of its name (`stubs`: the conditions of header definitions) exists; the
    /// reference's own condition is asked for too when the first configuration lacks it.
    mutating func live(
        _ ref: SymbolReference, stubs: [PreprocessorCondition]?, exactly: [String: Tristate],
        below: [String: Tristate], alternatives: [[String]], inModule: Bool, architecture: String?
    ) -> KconfigWitness? {
        for choice in PresenceSearch.combinations(alternatives).prefix(4) {
            var q = Question(exactly: exactly, below: below, architecture: architecture)
            for c in choice where q.exactly[c] == nil { q.exactly[c] = .y }
            guard let w = witness(q) else { continue }
            if present(ref, stubs: stubs, in: w, inModule: inModule) { return w }
            let more = PresenceSearch.literals(ref.condition)
            guard !more.exactly.isEmpty || !more.below.isEmpty else { continue }
            for (k, v) in more.exactly where q.exactly[k] == nil { q.exactly[k] = v }
            for (k, v) in more.below where q.below[k] == nil && q.exactly[k] == nil { q.below[k] = v }
            if let stronger = witness(q), present(ref, stubs: stubs, in: stronger, inModule: inModule) {
                return stronger
            }
        }
        return nil
    }

    func present(_ ref: SymbolReference, stubs: [PreprocessorCondition]?, in w: KconfigWitness, inModule: Bool)
        -> Bool
    {
        guard model.holds(ref.condition, values: w.value, inModule: inModule, opaque: false) else { return false }
        return !(stubs ?? []).contains { model.holds($0, values: w.value, inModule: inModule, opaque: true) }
    }

    /// The symbol values a condition's top-level conjuncts ask for (`CONFIG_A && !CONFIG_B`).
    static func literals(_ c: PreprocessorCondition) -> (exactly: [String: Tristate], below: [String: Tristate]) {
        var exactly: [String: Tristate] = [:]
        var below: [String: Tristate] = [:]
        func visit(_ c: PreprocessorCondition) {
            switch c {
            case .and(let parts): parts.forEach(visit)
            case .config(let name, let test) where name.hasPrefix("CONFIG_"):
                let s = String(name.dropFirst(7))
                switch test {
                case .defined, .builtin, .enabled, .reachable: exactly[s] = .y
                case .module: exactly[s] = .m
                }
            case .not(.config(let name, let test)) where name.hasPrefix("CONFIG_"):
                let s = String(name.dropFirst(7))
                below[s] = test == .defined || test == .builtin ? .y : .m
            default: break
            }
        }
        visit(c)
        return (exactly, below)
    }

    /// One element of each group, every way (the first of each first).
    static func combinations(_ groups: [[String]]) -> [[String]] {
        var out: [[String]] = [[]]
        for g in groups { out = out.flatMap { prefix in g.map { prefix + [$0] } } }
        return out
    }
}
