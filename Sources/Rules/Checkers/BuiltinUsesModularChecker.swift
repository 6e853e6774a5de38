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

    /// One user's findings and every name it references (kept per unit: a model derived by a
    /// patch that changes neither the user's sources nor a definition of those names has them).
    struct Kept {
        var findings: [Finding]
        var names: Set<String>
        var only: Set<String>?
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        var search = PresenceSearch(model: model)
        let base = model.structuralBase
        let changedNames = base == nil ? [] : model.namesDefinedInChangedFiles
        func findingsOf(_ user: ModuleUnit, only: Set<String>?) -> [Finding] {
            let key = (only == nil ? "in:" : "out:") + user.name
            if let base, !model.sourcesChanged(user), let kept: Kept = base.keptResult(spec.id, key),
                kept.only == only, kept.names.isDisjoint(with: changedNames),
                model.headersAgree(on: kept.names, with: base)
            {
                model.keep(kept, spec.id, key)
                return kept.findings
            }
            let (found, names) = check(user, only: only, model: model, search: &search)
            model.keep(Kept(findings: found, names: names, only: only), spec.id, key)
            return found
        }
        for user in model.scopedUnits where user.canBeBuiltin {
            findings += findingsOf(user, only: nil)
        }
        // The reverse: a scoped provider that can be a module, called by built-in code outside
        // the scope (an IOMMU driver turned tristate breaks a built-in caller in drivers/firmware).
        let provided = modularNamesInScope(model)
        for user in model.outOfScopeUsers(seeing: provided) {
            findings += findingsOf(user, only: provided)
        }
        return findings
    }

    /// Non-static names the scoped units define whose every provider can be a module.
    func modularNamesInScope(_ model: KernelModel) -> Set<String> {
        var names = Set<String>()
        for unit in model.scopedUnits where unit.canBeModule {
            for source in unit.sources {
                for d in model.facts(source)?.definitions ?? [] where d.storage == .global && d.kind != .enumerator {
                    if modularProviders(of: d.name, model: model, excluding: []) != nil { names.insert(d.name) }
                }
            }
        }
        return names
    }

    /// The findings of one built-in user (only for references to `only`, when given), and the
    /// names it references.
    func check(_ user: ModuleUnit, only: Set<String>?, model: KernelModel, search: inout PresenceSearch)
        -> (findings: [Finding], names: Set<String>)
    {
        var findings: [Finding] = []
        let referenced = model.referencedNames(of: user)
        // A user outside the scope found because it can see a declaration (a header everything
        // includes) and that references none of the names has nothing to report: its references
        // and header closure are not worked out (thousands of such users when a widely included
        // header declares a provider's names).
        if let only, referenced.isDisjoint(with: only) { return ([], referenced) }
        let references = model.references(of: user)
        do {
            let own = UnitNames(user.sources.compactMap { model.facts($0) })
            let ownSources = Set(user.sources)
            let headers = model.headerIndex(for: user.sources)
            let arch = model.architecture(of: user)
            var seen = Set<String>()
            // One finding per provider: the first reference, and the names it shares the fix with.
            var byProvider: [String: (source: String, ref: SymbolReference, provider: ModuleUnit, config: String, witness: KconfigWitness, names: [String])] = [:]
            var order: [String] = []
            for (source, ref) in references
            where only?.contains(ref.name) ?? true && !own.names.contains(ref.name) && !seen.contains(ref.name)
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
                // An object linked by several lines (`obj-$(CONFIG_FUSION_SAS) += mptbase.o ...`)
                // is built in as soon as one of them is y: the user's own line may be one.
                guard !providers.contains(where: { p in p.configs.allSatisfy(chain.contains) }) else { continue }
                var (exactly, below, alternatives) = search.chain(of: user, source: source, module: false)
                exactly[pConfig] = .m
                for other in providers.dropFirst() {
                    if let c = other.config, c != pConfig, exactly[c] == nil { below[c] = .y }
                }
                guard
                    let found = search.live(
                        ref, stubs: stubs, exactly: exactly, below: below, alternatives: alternatives,
                        inModule: false, architecture: arch),
                    !providers.contains(where: { p in p.configs.allSatisfy { found.value($0) == .y } })
                else { continue }
                seen.insert(ref.name)
                if byProvider[main.name] == nil {
                    order.append(main.name)
                    byProvider[main.name] = (source, ref, main, pConfig, found, [])
                }
                byProvider[main.name]?.names.append(ref.name)
            }
            for key in order {
                guard let f = byProvider[key] else { continue }
                let others = f.names.dropFirst()
                let also =
                    others.isEmpty
                    ? ""
                    : " (and \(others.prefix(4).map { "'\($0)'" }.joined(separator: ", "))\(others.count > 4 ? " and \(others.count - 4) more" : ""))"
                var finding = spec.finding(
                    "\(f.source) (\(user.configLabel), can be built in) uses '\(f.ref.name)'\(also) from \(f.provider.shortName), which can be a module (CONFIG_\(f.config)=m): vmlinux fails to link with an undefined reference, e.g. with \(f.witness.description) — add 'depends on \(f.config)' to a tristate user, 'depends on \(f.config) || !\(f.config)', or guard the use with IS_REACHABLE(CONFIG_\(f.config))",
                    file: f.source, line: f.ref.line, symbol: f.ref.name, module: nil)
                // The user is built-in code, not a module: name its config, tie the finding to its file.
                finding.config = user.config.map { "CONFIG_" + $0 }
                findings.append(finding)
            }
        }
        return (findings, referenced)
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
