import CSource
import Foundation

/// How a reference from a module resolves, in the order DESIGN.md states: own objects, then header
/// macros and inlines, then exported definitions elsewhere; a non-exported definition elsewhere is
/// an error; a name found nowhere is unresolved (info only).
public enum SymbolResolution: Sendable {
    case own
    case header
    case exported([KernelModel.ExportSite])
    case notExported([SymbolProvider])
    case unresolved
    /// Neither the unit nor any header it includes declares the name: the kernel builds with
    /// -Werror=implicit-function-declaration, so this is a local, a macro's product or a name
    /// pasted by a macro, never a link-time reference.
    case undeclared
}

/// A reference of a module and how it resolves.
public struct UnitReference: Sendable {
    public var path: String
    public var reference: SymbolReference
    public var resolution: SymbolResolution
}

/// Everything a unit defines itself (any storage class, plus macros of its own sources), and what
/// its own sources declare (`extern` objects and prototypes written in a `.c` file).
public struct UnitNames: Sendable {
    public var names: Set<String> = []
    public var declared: Set<String> = []

    public init(_ facts: [SourceFacts]) {
        for f in facts {
            for d in f.definitions { names.insert(d.name) }
            for fn in f.functions { names.insert(fn.name) }
            for m in f.macros { names.insert(m.name) }
            for i in f.initializers { names.insert(i.variable) }
            for d in f.declarations { declared.insert(d.name) }
        }
    }
}

extension KernelModel {
    public func resolve(
        _ name: String, own: UnitNames, headers: HeaderIndex, ownSources: Set<String>, unit: ModuleUnit? = nil
    ) -> SymbolResolution {
        if own.names.contains(name) { return .own }
        if let conditions = headers.lookup(name) {
            // A stub under `#ifndef CONFIG_X` does not count in the allmodconfig-like build the
            // module is checked in (X is y there, and the real, exported definition is used).
            guard let unit else { return .header }
            if conditions.isEmpty || conditions.contains(where: { holdsInAllModConfig($0, unit: unit) }) {
                return .header
            }
        }
        guard own.declared.contains(name) || headers.isDeclared(name) else { return .undeclared }
        let providers = (definitions[name] ?? []).filter { !ownSources.contains($0.path) }
        let exportSites = (exportSites(name) ?? []).filter { !ownSources.contains($0.path) }
        if !exportSites.isEmpty { return .exported(exportSites) }
        if !providers.isEmpty { return .notExported(providers) }
        return .unresolved
    }

    /// The reference sites of a unit that exist when it is built as a module.
    public func moduleReferences(_ unit: ModuleUnit) -> [(path: String, reference: SymbolReference)] {
        var out: [(String, SymbolReference)] = []
        for (source, r) in references(of: unit) where unit.moduleSources.contains(source) {
            if existsInModule(r.condition, unit: unit) { out.append((source, r)) }
        }
        return out
    }

    /// Every reference site of a unit's sources, whatever its condition.
    /// Every reference site of a unit's sources, whatever its condition; the references of a
    /// `.c` file included under an `#if` carry that condition too.
    public func references(of unit: ModuleUnit) -> [(path: String, reference: SymbolReference)] {
        unit.sources.flatMap { source -> [(String, SymbolReference)] in
            let guardCondition = unit.sourceGuards[source]
            return (facts(source)?.references ?? []).map { r in
                guard let g = guardCondition else { return (source, r) }
                var guarded = r
                guarded.condition = .and([g, r.condition])
                return (source, guarded)
            }
        }
    }

    /// Every name the unit's sources reference (the names of `references(of:)`).
    public func referencedNames(of unit: ModuleUnit) -> Set<String> {
        var names: Set<String>?
        for source in unit.sources {
            guard let blob = tree.blobs[source] else { continue }
            let more = store.referencedNames(path: source, blob: blob)
            // The store's own set for the first (most units have one source): no copy made.
            if names == nil { names = more } else { names!.formUnion(more) }
        }
        return names ?? []
    }

    /// Facts of the sources that are part of the unit when it is a module (what module-context
    /// rules read).
    public func sourceFacts(_ unit: ModuleUnit) -> [SourceFacts] { unit.moduleSources.compactMap { facts($0) } }

    /// Each distinct name a module references (first site), with its resolution; memoized per model.
    public func resolvedReferences(_ unit: ModuleUnit) -> [UnitReference] {
        if let known = memoLock.withLock({ resolutionMemo[unit.name] }) { return known }
        let own = UnitNames(sourceFacts(unit))
        let headers = headerIndex(for: unit.sources)
        let ownSources = Set(unit.sources)
        var seen = Set<String>()
        var out: [UnitReference] = []
        for (path, ref) in moduleReferences(unit) where seen.insert(ref.name).inserted {
            out.append(
                UnitReference(
                    path: path, reference: ref,
                    resolution: resolve(
                        ref.name, own: own, headers: headers, ownSources: ownSources, unit: unit)))
        }
        memoLock.withLock { resolutionMemo[unit.name] = out }
        return out
    }
}
