import CSource
import Foundation
import Kconfig
import Model

/// Built-in code that calls into code that can be a module: vmlinux then fails to link with an
/// undefined reference. Reported only with a configuration kconfig accepts in which it happens
/// (the user's whole kbuild chain y, every provider of the symbol below y), found by
/// KconfigEvaluator.witness and named in the message.
struct BuiltinUsesModularChecker: Checker {
    let spec: RuleSpec
    init(spec: RuleSpec) throws { self.spec = spec }

    /// What one reference needs for a link failure, and the configuration that gives it.
    struct Question: Hashable {
        var user: [String]
        var provider: String
        var others: [String]
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        var answers: [Question: KconfigWitness?] = [:]
        for user in model.scopedUnits where user.canBeBuiltin {
            let own = UnitNames(model.sourceFacts(user))
            let ownSources = Set(user.sources)
            let headers = model.headerIndex(for: user.sources)
            var seen = Set<String>()
            for (source, ref) in model.references(of: user)
            where !own.names.contains(ref.name) && !seen.contains(ref.name)
                && (own.declared.contains(ref.name) || headers.isDeclared(ref.name))
            {
                guard let providers = modularProviders(of: ref.name, model: model, excluding: ownSources),
                    let main = providers.first, let pConfig = main.config,
                    !user.configs.contains(pConfig)
                else { continue }
                // Under the configuration asked about, a header may provide the name (a stub
                // under `#ifndef CONFIG_P` or `!IS_REACHABLE(...)`): then nothing is linked.
                let chain = user.builtinChain(of: source)
                guard !chain.contains(pConfig) else { continue }
                var assumption: [String: Tristate] = [pConfig: .m]
                for c in chain { assumption[c] = .y }
                if let conditions = headers.lookup(ref.name),
                    conditions.isEmpty
                        || conditions.contains(where: { model.mayHold($0, assuming: assumption, inModule: false) })
                {
                    continue
                }
                guard model.mayHold(ref.condition, assuming: assumption, inModule: false) else { continue }
                // Kconfig's ranges first (cheap): can the user chain be y with the provider m?
                guard
                    chain.allSatisfy({
                        model.evaluator.range($0, assuming: [pConfig: .m]).upperBound == .y
                    }),
                    chain.isEmpty
                        || model.evaluator.range(pConfig, assuming: Dictionary(
                            uniqueKeysWithValues: chain.map { ($0, Tristate.y) })).contains(.m)
                else { continue }
                let others = providers.dropFirst().compactMap(\.config).filter { $0 != pConfig }
                let question = Question(user: chain, provider: pConfig, others: Array(Set(others)).sorted())
                let witness: KconfigWitness?
                if let known = answers[question] {
                    witness = known
                } else {
                    var exactly = assumption
                    exactly[pConfig] = .m
                    witness = model.evaluator.witness(
                        exactly: exactly,
                        below: Dictionary(uniqueKeysWithValues: question.others.map { ($0, Tristate.y) }))
                    answers[question] = witness
                }
                guard let witness else { continue }
                seen.insert(ref.name)
                let example = witness.description
                var finding = spec.finding(
                    "\(source) (\(user.configLabel), can be built in) uses '\(ref.name)' from \(main.shortName), which can be a module (CONFIG_\(pConfig)=m): vmlinux fails to link with an undefined reference, e.g. with \(example) — add 'depends on \(pConfig)' to a tristate user, 'depends on \(pConfig) || !\(pConfig)', or guard the use with IS_REACHABLE(CONFIG_\(pConfig))",
                    file: source, line: ref.line, symbol: ref.name, module: nil)
                // The user is built-in code, not a module: name its config, tie the finding to its file.
                finding.config = user.config.map { "CONFIG_" + $0 }
                findings.append(finding)
            }
        }
        return findings
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
