import CSource
import Foundation
import Kconfig
import Model

/// Built-in code that calls into code that can be a module: vmlinux then fails to link with an
/// undefined reference. Reported only with a configuration kconfig accepts in which it happens:
/// the user's whole kbuild chain y (directory gates, its object line, a composite part's own
/// symbol), every provider of the symbol below y, the reference compiled in and no header stub
/// standing in for it. KconfigEvaluator.witness finds the configuration; the message names it.
struct BuiltinUsesModularChecker: Checker {
    let spec: RuleSpec
    init(spec: RuleSpec) throws { self.spec = spec }

    /// What one reference needs for a link failure.
    struct Question: Hashable {
        var exactly: [String: Tristate]
        var below: [String: Tristate]
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        var answers: [Question: KconfigWitness?] = [:]
        func witness(_ q: Question) -> KconfigWitness? {
            if let known = answers[q] { return known }
            let w = model.evaluator.witness(exactly: q.exactly, below: q.below)
            answers[q] = w
            return w
        }
        for user in model.scopedUnits where user.canBeBuiltin {
            let own = UnitNames(user.sources.compactMap { model.facts($0) })
            let ownSources = Set(user.sources)
            let headers = model.headerIndex(for: user.sources)
            var seen = Set<String>()
            for (source, ref) in model.references(of: user)
            where !own.names.contains(ref.name) && !seen.contains(ref.name)
                && (own.declared.contains(ref.name) || headers.isDeclared(ref.name))
            {
                guard let providers = modularProviders(of: ref.name, model: model, excluding: ownSources),
                    let main = providers.first, let pConfig = main.config
                else { continue }
                let chain = user.builtinChain(of: source)
                guard !chain.contains(pConfig) else { continue }
                let stubs = headers.lookup(ref.name)
                if let stubs, stubs.isEmpty { continue }
                // Cheap first: can the chain be y with the provider m at all (Kconfig's ranges)?
                guard
                    chain.allSatisfy({ model.evaluator.range($0, assuming: [pConfig: .m]).upperBound == .y }),
                    chain.isEmpty
                        || model.evaluator.range(
                            pConfig, assuming: Dictionary(uniqueKeysWithValues: chain.map { ($0, Tristate.y) })
                        ).contains(.m)
                else { continue }
                var below: [String: Tristate] = [:]
                for other in providers.dropFirst() {
                    if let c = other.config, c != pConfig { below[c] = .y }
                }
                for e in user.excluded { below[e.config] = e.builtin ? .y : .m }
                // One symbol of each `filter` group; the first that gives a configuration.
                var found: KconfigWitness?
                for choice in combinations(user.builtinAlternatives(of: source)).prefix(4) {
                    var exactly: [String: Tristate] = [pConfig: .m]
                    for c in chain + choice { exactly[c] = .y }
                    guard var w = witness(Question(exactly: exactly, below: below)) else { continue }
                    // The reference must be compiled in, and no header stub may stand in for it,
                    // in that configuration; if the reference's own condition fails, ask for it.
                    if !referencePresent(ref, stubs: stubs, in: w, model: model) {
                        let more = literals(ref.condition)
                        guard !more.exactly.isEmpty || !more.below.isEmpty else { continue }
                        var q = Question(exactly: exactly, below: below)
                        for (k, v) in more.exactly where q.exactly[k] == nil { q.exactly[k] = v }
                        for (k, v) in more.below where q.below[k] == nil && q.exactly[k] == nil { q.below[k] = v }
                        guard let stronger = witness(q), referencePresent(ref, stubs: stubs, in: stronger, model: model)
                        else { continue }
                        w = stronger
                    }
                    found = w
                    break
                }
                guard let found else { continue }
                seen.insert(ref.name)
                var finding = spec.finding(
                    "\(source) (\(user.configLabel), can be built in) uses '\(ref.name)' from \(main.shortName), which can be a module (CONFIG_\(pConfig)=m): vmlinux fails to link with an undefined reference, e.g. with \(found.description) — add 'depends on \(pConfig)' to a tristate user, 'depends on \(pConfig) || !\(pConfig)', or guard the use with IS_REACHABLE(CONFIG_\(pConfig))",
                    file: source, line: ref.line, symbol: ref.name, module: nil)
                // The user is built-in code, not a module: name its config, tie the finding to its file.
                finding.config = user.config.map { "CONFIG_" + $0 }
                findings.append(finding)
            }
        }
        return findings
    }

    /// Whether, in the witness configuration, the reference is compiled into built-in code and
    /// no header declares a stub of the name instead (conditions modcheck cannot read count
    /// against the reference and for a stub: only a sure link failure is reported).
    func referencePresent(
        _ ref: SymbolReference, stubs: [PreprocessorCondition]?, in w: KconfigWitness, model: KernelModel
    ) -> Bool {
        guard model.holds(ref.condition, values: w.value, inModule: false, opaque: false) else { return false }
        return !(stubs ?? []).contains { model.holds($0, values: w.value, inModule: false, opaque: true) }
    }

    /// The symbol values a condition's top-level conjuncts ask for (`CONFIG_A && !CONFIG_B`).
    func literals(_ c: PreprocessorCondition) -> (exactly: [String: Tristate], below: [String: Tristate]) {
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
    func combinations(_ groups: [[String]]) -> [[String]] {
        var out: [[String]] = [[]]
        for g in groups { out = out.flatMap { prefix in g.map { prefix + [$0] } } }
        return out
    }

    /// The units that define `name` non-static, when every one of them can be a module (a
    /// built-in definition anywhere links the reference); nil otherwise.
    func modularProviders(of name: String, model: KernelModel, excluding own: Set<String>) -> [ModuleUnit]? {
        guard let sites = model.definitions[name] else { return nil }
        var units: [ModuleUnit] = []
        for site in sites where !own.contains(site.path) {
            guard let providers = model.unitsBySource[site.path], !providers.isEmpty else { return nil }
            for p in providers {
                guard p.canBeModule, p.config != nil else { return nil }
                if !units.contains(p) { units.append(p) }
            }
        }
        return units.isEmpty ? nil : units
    }
}
