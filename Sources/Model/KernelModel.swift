import CSource
import Facts
import Foundation
import Git
import Kbuild
import Kconfig

/// What a tree means for module-ability: which configs can be `m`, which objects form which
/// module, where every symbol is defined and exported, which headers a module sees, and whether a
/// preprocessor region exists when a module is built as `m`.
public final class KernelModel: @unchecked Sendable {
    public let tree: KernelTree
    public let store: FactStore
    public let kconfig: KconfigTree
    public let evaluator: KconfigEvaluator
    public let kbuild: KbuildMap
    public let version: (major: Int, minor: Int)?
    public let scope: [String]
    public let units: [ModuleUnit]
    /// Units with a source in scope (every rule asks; computed once).
    let scoped: [ModuleUnit]
    /// Paths whose blob differs from the base model's tree (nil without a base).
    public let changedSinceBase: Set<String>?
    /// Whether the kbuild map, compiled sources and units came from a kept model structure.
    public let structureKept: Bool
    /// This model has its base's Kconfig, kbuild, compiled sources and units (a patch to C files
    /// or headers only): see `structuralBase`.
    let unitsAsBase: Bool
    public let unitsBySource: [String: [ModuleUnit]]
    /// Non-static definitions in .c and .S files, by name.
    public let definitions: OverlayTable<[SymbolProvider]>
    /// EXPORT_SYMBOL* sites, by name.
    public let exports: OverlayTable<[ExportSite]>
    /// Per-path symbol facts the indexes were built from (to update them incrementally).
    let symbolFacts: OverlayTable<SourceFacts>
    /// Compiled sources that invoke a macro naming EXPORT that is no `EXPORT_SYMBOL*` itself
    /// (`ACPI_EXPORT_SYMBOL(x)`): their exports are resolved through the macro's definition.
    let exportWrapperFiles: Set<String>
    private var wrapperExports: [String: [ExportSite]]?
    private var wrapperExportsByPath: [String: [(String, ExportSite)]] = [:]
    /// The key of this whole-tree model's symbol index snapshot (IndexSnapshot.swift): its wrapper
    /// exports, once worked out, are kept beside it.
    private(set) var indexSnapshotKey: ObjectID?
    public let configText: DotConfig?
    /// Problems met while building the model (missing objects, Kconfig syntax errors, ...).
    public private(set) var problems: [String]

    private let lock = NSLock()
    private var headerIndexes: [String: HeaderIndex] = [:]
    private var fullFacts: [String: SourceFacts] = [:]
    private var includeMemo: [String: [String]] = [:]
    /// Where an include name can land outside its includer's directory (`include/`, the
    /// architectures' include directories), by name: the same for every includer.
    private var nameMemo: [String: [String]] = [:]
    /// The tree's headers with their includes and closures (shared with the base model when no
    /// header changed).
    private(set) var headerGraph: HeaderGraph
    /// Per unit: each distinct reference that exists in the module and how it resolves (shared by
    /// the export rules, which would otherwise resolve everything three times).
    var resolutionMemo: [String: [UnitReference]] = [:]
    /// Compiled sources outside the scope that see a declaration of the names (outOfScopeUsers).
    var reverseMemo: [Set<String>: [String]] = [:]
    /// Each unit's sources by its name (shared with the models that keep these units).
    let unitSourcesByName: UnitSourcesByName
    /// The compiled C files outside the scope by what they include and declare (ReverseUsers.swift).
    var outsideIndexMemo: OutsideSourceIndex?
    /// A whole tree's outside-source index, made on another core from the moment its facts
    /// are known (a cold model's first reverse search asks for it).
    var outsideIndexAhead: BackgroundValue<OutsideSourceIndex>?
    /// Full reverse searches made by this model and every model derived from the same first one.
    let reverseSearches: SearchCounter
    /// What rules found per unit, for models derived from this one (KeptResults.swift).
    var keptResults: [String: Any] = [:]
    var changedNamesMemo: Set<String>?
    let memoLock = NSLock()
    /// The model this one was derived from (for `changedPaths(since:)`).
    private(set) weak var baseModelIdentity: KernelModel?
    /// The whole-tree model at the start of this one's chain of derivations (held: the earlier
    /// links are let go of, a series' or a history's), and every path changed since it.
    let rootModel: KernelModel?
    let changedSinceRoot: Set<String>?
    /// The base model's header indexes (to tell which units a changed header reaches).
    private let inheritedHeaderIndexes: [String: HeaderIndex]
    /// Which header blobs provide each name: one table for this model and every model derived
    /// from it, filled as header indexes are built.
    let headerNames: HeaderNameTable
    public let headerPaths: Set<String>
    public let architectures: [String]
    /// Every C and assembly file kbuild compiles (objects of reached directories, and the `.c`
    /// files they `#include`): only these define or export symbols.
    public let compiledSources: Set<String>
    /// `.c` files that other compiled `.c` files `#include`, by includer (transitively).
    let includedSources: [String: [String]]
    /// The condition an included `.c` file is included under, when it is not included always.
    let includeGuards: [String: PreprocessorCondition]
    /// The sources kbuild's objects name (compiled sources before the `.c` files they include):
    /// a model derived by a Makefile change starts from them. Set when the model worked them out;
    /// a model read from a snapshot works them out when first asked (`knownObjectSources()`).
    private var objectSourcesMemo: Set<String>?
    /// The tree's files by directory (for kbuild's `$(...)` objects).
    let listing: DirectoryListing

    public struct ExportSite: Sendable, Hashable {
        public var path: String
        public var line: Int
        public var flavour: ExportFlavour
    }

    public static let defaultScope = ["drivers/iommu"]

    /// Builds the model of a tree. With `base`, only what differs from the base tree is re-read.
    public init(
        tree: KernelTree, store: FactStore, scope: [String] = KernelModel.defaultScope,
        config: DotConfig? = nil,
        base: KernelModel? = nil, changedPaths: Set<String>? = nil
    ) {
        self.tree = tree
        self.store = store
        self.scope = scope
        self.configText = config
        var problems: [String] = []
        // The caller (a patch, a commit) usually knows what changed; otherwise compare the maps.
        let changed: Set<String>? = base.map { base in
            if let changedPaths { return changedPaths }
            var paths = Set<String>()
            for (path, blob) in tree.blobs where base.tree.blobs[path] != blob { paths.insert(path) }
            for path in base.tree.blobs.keys where tree.blobs[path] == nil { paths.insert(path) }
            return paths
        }
        // A whole tree: its kept structure, header paths and architectures are read on another
        // core while Kconfig is (each only reads the tree's paths and the cache).
        let wholeTree: BackgroundValue<WholeTreeLayout>? =
            base == nil
            ? BackgroundValue {
                let key = config == nil && store.cache != nil ? ModelStructure.key(of: tree) : nil
                let kept = key.flatMap { key in store.cache.flatMap { ModelStructure.load(key, cache: $0) } }
                var headers = Set<String>()
                var headerKey = PathSetSum()
                for (path, blob) in tree.blobs where isHeaderPath(path) {
                    headers.insert(path)
                    headerKey.add(path, blob)
                }
                let architectures = KernelModel.architectures(of: tree)
                let readsKey =
                    store.cache != nil
                    ? KeptHeaderReads.key(headers: headerKey, architectures: architectures, scope: scope) : nil
                let reads = readsKey.flatMap { key in store.cache.flatMap { KeptHeaderReads.load(key, cache: $0) } }
                return WholeTreeLayout(
                    structureKey: key, structure: kept, headerPaths: headers,
                    architectures: architectures, headerReadsKey: readsKey,
                    headerReads: reads?.headerCount == headers.count ? reads : nil)
            } : nil
        // The changed paths that appeared or vanished (files added, removed, renamed).
        let moved: Set<String>? = base.flatMap { base in
            changed.map { $0.filter { (tree.blobs[$0] != nil) != (base.tree.blobs[$0] != nil) } }
        }

        // Kconfig: reparsed only when a Kconfig file changed.
        var kconfigNow: (tree: KconfigTree, evaluator: KconfigEvaluator)?
        // A whole tree's: read on another core while kbuild is (below); nil when a file could
        // not be read there (read again here then, where a failed read is reported).
        var kconfigLater: BackgroundValue<KconfigReading?>?
        let changedKconfig = changed?.filter { KernelFileKind(path: $0) == .kconfig } ?? []
        // A whole tree's architectures and the key of its Kconfig snapshot.
        let wholeKey = base == nil ? KernelModel.kconfigKey(of: tree, store: store) : nil
        var reusedKconfig = false
        if let base, changed != nil, changedKconfig.isEmpty {
            kconfigNow = (base.kconfig, base.evaluator)
            reusedKconfig = true
        } else if let base,
            let updated = KconfigParser.reparse(
                base.kconfig, changed: changedKconfig,
                read: { path in tree.blobs[path].flatMap { store.text($0, path: path) } })
        {
            // Only the changed Kconfig files are read again, in the context they were sourced in.
            let evaluator = KconfigEvaluator(tree: updated, updating: base.evaluator, changedFiles: changedKconfig)
            evaluator.prefetchWitnessViews()
            kconfigNow = (updated, evaluator)
            problems += updated.diagnostics.filter { changedKconfig.contains($0.file) }.map {
                "\($0.file):\($0.line): \($0.message)"
            }
        } else if let wholeKey, !(wholeKey.treeKey.map { store.cache?.hasKconfigTree($0) == true } ?? false) {
            // (A kept Kconfig tree is read here: decoding it takes what the other thread would
            // spend starting up.)
            let path = store.repositoryPath
            kconfigLater = BackgroundValue {
                // Its own handle, opened when a file is read (a Kconfig snapshot reads none).
                var repository: Repository?
                let reader = KconfigTextReader { blob, _ in
                    if repository == nil { repository = try? Repository.open(path, inMemoryWrites: true) }
                    // (A blob only the caller's handle holds, a patched one, is not found here.)
                    return try? repository?.withBlob(blob) { buffer in
                        buffer.count > store.maxFileSize ? nil : String(decoding: buffer, as: UTF8.self)
                    }
                }
                let reading = KernelModel.readKconfig(tree: tree, store: store, base: nil, reader: reader, key: wholeKey)
                return reader.incomplete ? nil : reading
            }
        } else {
            let reading = KernelModel.readKconfig(
                tree: tree, store: store, base: base, reader: KconfigTextReader { store.text($0, path: $1) },
                key: wholeKey)
            kconfigNow = (reading.tree, reading.evaluator)
            problems += reading.problems
        }

        Timing.mark(
            reusedKconfig
                ? "kconfig (reused)"
                : kconfigLater != nil ? "kconfig (started)"
                : base != nil && kconfigNow?.evaluator.changedSymbols != nil
                    ? "kconfig (updated: \(kconfigNow?.evaluator.changedSymbols?.count ?? 0) changed)" : "kconfig (parsed)")
        // A whole-tree model's structure (kbuild, compiled sources, units) as an earlier run over a
        // tree of the same structure kept it (the worst-case view only).
        let layout = wholeTree?.value
        let structureKey = layout?.structureKey
        let keptStructure = layout?.structure
        structureKept = keptStructure != nil
        // kbuild: re-resolved only when a Makefile or Kbuild file changed (or a source appeared).
        let kbuild: KbuildMap
        var reusedKbuild = false
        // The units the kbuild update made again in place (none when kbuild is the base's).
        var kbuildReplaced: (removed: [KbuildUnit], added: [KbuildUnit])?
        if let base, let changed, !changed.contains(where: { KernelFileKind(path: $0) == .kbuild }) {
            kbuild = base.kbuild
            reusedKbuild = true
        } else if let keptStructure {
            kbuild = keptStructure.kbuild
        } else if let base, let changed,
            let updated = KernelModel.updatedKbuild(
                base.kbuild, changedDirectories: Set(
                    changed.filter { KernelFileKind(path: $0) == .kbuild }.map { treeDirectory(of: $0) }),
                tree: tree, store: store)
        {
            kbuild = updated
            kbuildReplaced = updated.replaced
        } else {
            var directories: [String: String] = [:]
            var rootMakefiles: [String: String] = [:]
            var kbuildDirectories: Set<String> = []
            for path in tree.blobs.keys where KernelFileKind(path: path) == .kbuild {
                kbuildDirectories.insert(treeDirectory(of: path))
            }
            for dir in kbuildDirectories {
                let files = KernelModel.kbuildFiles(of: dir, tree: tree)
                if let objects = files.objects, let text = store.text(objects.blob, path: objects.path) {
                    directories[dir] = text
                }
                if let roots = files.rootLists, let text = store.text(roots.blob, path: roots.path) {
                    rootMakefiles[dir] = text
                }
            }
            kbuild = KernelModel.resolveKbuild(
                directories: directories, rootMakefiles: rootMakefiles, tree: tree, store: store)
        }

        self.kbuild = kbuild
        if let kconfigLater, config == nil, keptStructure == nil {
            // The ranges the units read (below) worked out on another core as soon as Kconfig is
            // read, while compiled sources are found here: making the units then finds them.
            // (Not when the units come from a kept structure: nothing would read them.)
            let entries = kbuild.units
            _ = BackgroundValue {
                guard let reading = kconfigLater.value else { return }
                KernelModel.workOutRanges(for: entries, reading.evaluator)
                Timing.mark("unit ranges (worked out ahead)")
            }
        }
        if let base, let moved {
            // The base's header paths with the headers that appeared or vanished (the base's set
            // itself when none did), and its architectures unless a path under arch/ appeared or
            // vanished: no pass over the tree.
            var paths = base.headerPaths
            for path in moved where path.hasSuffix(".h") {
                if tree.blobs[path] != nil { paths.insert(path) } else { paths.remove(path) }
            }
            headerPaths = paths
            architectures =
                moved.contains(where: { $0.hasPrefix("arch/") }) ? KernelModel.architectures(of: tree) : base.architectures
        } else if let layout {
            headerPaths = layout.headerPaths
            architectures = layout.architectures
        } else {
            var paths = Set<String>()
            for (path, _) in tree.blobs where isHeaderPath(path) { paths.insert(path) }
            headerPaths = paths
            architectures = KernelModel.architectures(of: tree)
        }
        inheritedHeaderIndexes = base?.allHeaderIndexes() ?? [:]
        headerNames = base?.headerNames ?? HeaderNameTable(kept: layout?.headerReads)
        // (Where an include lands depends on the header paths and the architectures.)
        if let base, headerPaths == base.headerPaths, architectures == base.architectures {
            (includeMemo, nameMemo) = base.lock.withLock { (base.includeMemo, base.nameMemo) }
        } else if let base, let moved, architectures == base.architectures {
            // Headers appeared or vanished: an include can land elsewhere only when its last
            // component names one of them (every candidate path ends with it).
            let names = Set(moved.filter { $0.hasSuffix(".h") }.map { lastPathComponent($0[...]) })
            let (includes, byName) = base.lock.withLock { (base.includeMemo, base.nameMemo) }
            includeMemo = includes.filter { key, _ in
                // The key is the includer's directory, NUL, the included name.
                let name = key.utf8.lastIndex(of: 0).map { key[key.utf8.index(after: $0)...] } ?? key[...]
                return !names.contains(lastPathComponent(name))
            }
            nameMemo = byName.filter { name, _ in !names.contains(lastPathComponent(name[...])) }
        }
        // Closures hold while no header changed; then every index of the base holds too (an
        // index's key names its sources' blobs).
        if let base, let changed, headerPaths == base.headerPaths,
            !changed.contains(where: { KernelFileKind(path: $0) == .header })
        {
            headerGraph = base.headerGraph
            headerIndexes = inheritedHeaderIndexes
        } else if let base, headerPaths == base.headerPaths {
            // Headers changed in content only: the base's numbering (the graph itself is the
            // base's updated below when their includes are the same).
            headerGraph = HeaderGraph(layoutOf: base.headerGraph)
        } else if let base, let moved, architectures == base.architectures {
            // Header paths appeared or vanished: what the base read of the headers that did not
            // change is kept, unless one of their includes names an appeared or vanished header
            // by its last component (it may land elsewhere now).
            let names = Set(moved.filter { $0.hasSuffix(".h") }.map { lastPathComponent($0[...]) })
            let changedSet = changed ?? []
            headerGraph = HeaderGraph(paths: headerPaths, reusing: base.headerGraph) { path in
                guard !changedSet.contains(path), let blob = base.tree.blobs[path],
                    let f = store.facts(path: path, blob: blob, depth: .symbols)
                else { return false }
                return !f.includes.contains { names.contains(lastPathComponent($0[...])) }
            }
        } else {
            headerGraph = HeaderGraph(paths: headerPaths)
            // What an earlier run over the same headers read, and what this one reads kept for the next.
            if let reads = layout?.headerReads {
                headerGraph.keep(reads) { path, blob in
                    store.facts(path: path, blob: blob, depth: .symbols).map { f in store.headerSummary(blob) { HeaderSummary(f) } }
                }
            }
            // (Held until then: a model a caller let go of may have read what the next run needs.)
            if let cache = store.cache, let key = layout?.headerReadsKey {
                let (graph, names) = (headerGraph, headerNames)
                cache.atFlush { [unowned cache] in
                    guard graph.readBeyondKept else { return }
                    KeptHeaderReads.store(graph: graph, names: names, key: key, cache: cache)
                }
            }
        }
        Timing.mark("kbuild + header paths")
        if let base, base.tree.blobs["Makefile"] == tree.blobs["Makefile"] {
            version = base.version
        } else {
            version = tree.blobs["Makefile"].flatMap { store.text($0, path: "Makefile") }.flatMap(
                KernelTree.kernelVersion)
        }

        // What kbuild compiles depends on kbuild and on which sources exist (and, rarely, on a
        // source's `#include "x.c"`, read from its facts).
        let movedSources = (moved ?? []).filter { path in
            let kind = KernelFileKind(path: path)
            return kind == .cSource || kind == .assembly
        }
        let sameSourceFiles = moved != nil && movedSources.isEmpty
        // The directory listing follows the set of paths (a patch that adds or removes no file
        // keeps the base's).
        let listing =
            base.map { base in
                moved?.isEmpty ?? false
                    ? base.listing : DirectoryListing(tree, updating: base.listing, changed: moved ?? [])
            } ?? DirectoryListing(tree)
        self.listing = listing
        // (A compiled file that starts or stops including a `.c` file changes them too.)
        if let base, let changed, reusedKbuild, sameSourceFiles,
            KernelModel.sourceIncludesKept(changed, base: base, tree: tree, store: store)
        {
            compiledSources = base.compiledSources
            includedSources = base.includedSources
            includeGuards = base.includeGuards
            objectSourcesMemo = base.memoLock.withLock { base.objectSourcesMemo }
        } else if let keptStructure {
            (compiledSources, includedSources, includeGuards) = (
                keptStructure.compiled, keptStructure.included, keptStructure.guards
            )
        } else {
            // After an in-place kbuild update (or none), from the base's object sources.
            let replaced = reusedKbuild ? ([], []) : kbuildReplaced
            let updated = base.flatMap { base in
                replaced.flatMap { replaced in
                    KernelModel.objectSources(
                        updating: base.knownObjectSources(), replaced: replaced, moved: movedSources, kbuild: kbuild,
                        tree: tree)
                }
            }
            let direct = updated?.sources ?? KernelModel.objectSources(kbuild: kbuild, tree: tree, listing: listing)
            objectSourcesMemo = direct
            if let base, let changed,
                let kept = KernelModel.compiledSources(
                    direct, delta: updated.map { ($0.added, $0.removed) }, updating: base, changed: changed, tree: tree,
                    store: store)
            {
                (compiledSources, includedSources, includeGuards) = kept
            } else {
                (compiledSources, includedSources, includeGuards) = KernelModel.compiledSources(
                    objectSources: direct, tree: tree, store: store)
            }
        }
        Timing.mark("compiled sources")
        let (kconfig, evaluator): (KconfigTree, KconfigEvaluator)
        if let kconfigNow {
            (kconfig, evaluator) = kconfigNow
        } else if let reading = kconfigLater?.value {
            (kconfig, evaluator) = (reading.tree, reading.evaluator)
            problems += reading.problems
        } else {
            // A file the other core could not read (a patched blob only this handle holds).
            let reading = KernelModel.readKconfig(
                tree: tree, store: store, base: nil, reader: KconfigTextReader { store.text($0, path: $1) },
                key: wholeKey)
            (kconfig, evaluator) = (reading.tree, reading.evaluator)
            problems += reading.problems
        }
        self.kconfig = kconfig
        self.evaluator = evaluator
        Timing.mark("kconfig (joined)")

        // Units: every kbuild unit with at least one existing source. They depend only on Kconfig,
        // kbuild and which .c files exist: most patches change none of these.
        var units: [ModuleUnit] = []
        var bySource: [String: [ModuleUnit]] = [:]
        var unitsLater: BackgroundValue<([ModuleUnit], [String: [ModuleUnit]])>?
        let reusedUnits = reusedKconfig && reusedKbuild && sameSourceFiles && config == nil
        // A Kconfig change with the same kbuild and sources: units whose symbols' ranges the change
        // cannot reach are the base's (the evaluator knows which symbols read a changed one).
        // A kbuild change: units whose kbuild entry is unchanged are kept the same way.
        var keep: [String: ModuleUnit] = [:]
        var affected: Set<String>?
        var baseKbuildUnits: [String: KbuildUnit] = [:]
        // Sources that appeared or vanished: only units whose objects' directories hold one
        // are made again (an object's `.c`/`.S`, or a composite's part below its Makefile).
        // (The directories holding one, at any depth: an object's directory is looked up, not
        // compared with every moved path.)
        var movedDirectories = Set<String>()
        for path in movedSources {
            var dir = treeDirectory(of: path)
            while movedDirectories.insert(dir).inserted && !dir.isEmpty { dir = treeDirectory(of: dir) }
        }
        func touchesMovedSources(_ unit: KbuildUnit) -> Bool {
            guard !movedSources.isEmpty else { return false }
            return unit.objects.contains { movedDirectories.contains(treeDirectory(of: $0)) }
        }
        if let base, !reusedUnits, config == nil, base.configText == nil,
            includedSources == base.includedSources, includeGuards == base.includeGuards,
            let a = reusedKconfig ? [] : evaluator.affectedSymbols()
        {
            affected = a
        }
        let includedByC = includedSources
        let guardsOfC = includeGuards
        func makeUnit(_ unit: KbuildUnit) -> ModuleUnit? {
            var sources: [String] = []
            var sourceConditions: [String: [String]] = [:]
            for object in unit.objects.flatMap({ KernelModel.expandObject($0, tree: tree, listing: listing) }) {
                let stem = String(object.dropLast(2))
                let c = stem + ".c"
                let objectSources: [String]
                if tree.blobs[c] != nil {
                    // A `.c` file another one includes is compiled as part of the includer's object.
                    objectSources = [c] + (includedByC[c] ?? [])
                } else if tree.blobs[stem + ".S"] != nil {
                    objectSources = [stem + ".S"]
                } else {
                    continue
                }
                for s in objectSources where !sources.contains(s) {
                    sources.append(s)
                    if let configs = unit.objectConditions[object] { sourceConditions[s] = configs }
                }
            }
            if !sources.contains(where: { $0.hasSuffix(".c") }) { return nil }
            let own = unit.builtinOnly ? nil : unit.configs.last
            let chainAllowsModule = unit.configs.dropLast().allSatisfy {
                evaluator.range($0, assuming: [:]).upperBound >= .m
            }
            let canBeModule: Bool
            let canBeBuiltin: Bool
            if let config {
                let value = own.map { evaluator.value($0, config: config) } ?? .y
                canBeModule = !unit.builtinOnly && value == .m
                canBeBuiltin = unit.builtinOnly || value == .y
            } else {
                canBeModule =
                    !unit.builtinOnly && own.map { evaluator.canBeModule($0) } == true && chainAllowsModule
                // Built in only when every gate is y: a directory entered through `obj-m`
                // links none of its objects into vmlinux.
                canBeBuiltin = unit.configs.allSatisfy { evaluator.canBeBuiltin($0) }
            }
            var model = ModuleUnit(
                name: unit.name, sources: sources, config: own, configs: unit.configs,
                canBeModule: canBeModule,
                canBeBuiltin: canBeBuiltin)
            model.sourceConditions = sourceConditions
            for s in sources { if let g = guardsOfC[s] { model.sourceGuards[s] = g } }
            model.anyOf = unit.condition.anyOf
            model.excluded = unit.condition.requirements.filter(\.negated).map { ($0.config, $0.requiresBuiltin) }
            for (object, groups) in unit.objectAnyOf {
                let c = String(object.dropLast(2)) + ".c"
                for s in [c] + (includedByC[c] ?? []) where sources.contains(s) { model.sourceAnyOf[s] = groups }
            }
            model.moduleSources = sources.filter { source in
                guard let own, canBeModule else { return true }
                let can: (String) -> Bool = { evaluator.range($0, assuming: [own: .m]).upperBound >= .m }
                return (sourceConditions[source] ?? []).allSatisfy(can)
                    && (model.sourceAnyOf[source] ?? []).allSatisfy { $0.contains(where: can) }
            }
            return model
        }
        func mentionsAffected(_ unit: ModuleUnit, _ affected: Set<String>) -> Bool {
            unit.configs.contains(where: affected.contains)
                || unit.sourceConditions.values.contains(where: { $0.contains(where: affected.contains) })
                || unit.sourceAnyOf.values.contains(where: { $0.contains { $0.contains(where: affected.contains) } })
        }
        // A unit reads ranges with nothing assumed, and (a module) under its own symbol at m:
        // only a symbol whose range the change alters makes it again, not every one the change
        // could reach (a new driver that selects IOMMU_API reaches two thousand symbols and
        // changes none of their ranges).
        let valueAffected = affected == nil ? nil : evaluator.valueAffectedSymbols()
        func isStale(_ unit: ModuleUnit, _ affected: Set<String>) -> Bool {
            guard mentionsAffected(unit, affected) else { return false }
            guard let valueAffected else { return true }
            if mentionsAffected(unit, valueAffected) { return true }
            // Ranges under the unit's own symbol at m decide which sources a module holds.
            guard let own = unit.config, unit.canBeModule else { return false }
            var read = Set(unit.sourceConditions.values.joined())
            for groups in unit.sourceAnyOf.values { for group in groups { read.formUnion(group) } }
            guard !read.isEmpty else { return false }
            return evaluator.rangesMayDiffer(of: read, assuming: [own: .m]).map { !$0.isEmpty } ?? true
        }
        if let base, reusedUnits {
            units = base.units
            bySource = base.unitsBySource
        } else if let base, let affected, reusedKbuild, sameSourceFiles {
            // Same kbuild, same sources: the base's units, with those that read an affected
            // symbol made again (no pass over every kbuild unit, no table rebuilt).
            units = base.units
            bySource = base.unitsBySource
            let stale = units.indices.filter { isStale(units[$0], affected) }
            if !stale.isEmpty {
                let names = Set(stale.map { units[$0].name })
                var entries: [String: KbuildUnit] = [:]
                for unit in kbuild.units where names.contains(unit.name) { entries[unit.name] = unit }
                for i in stale {
                    guard let entry = entries[units[i].name], let made = makeUnit(entry) else { continue }
                    units[i] = made
                    for source in made.sources {
                        if let j = bySource[source]?.firstIndex(where: { $0.name == made.name }) {
                            bySource[source]![j] = made
                        }
                    }
                }
            }
        } else if let base, let affected, let replaced = kbuildReplaced,
            let spliced = KernelModel.units(
                updating: base, replaced: replaced, kbuild: kbuild,
                keeps: { entry, known in !touchesMovedSources(entry) && !isStale(known, affected) },
                make: makeUnit, mayChange: touchesMovedSources)
        {
            (units, bySource) = spliced
        } else if let keptStructure {
            units = keptStructure.units
            for unit in units {
                for s in unit.sources { bySource[s, default: []].append(unit) }
            }
        } else if base == nil {
            // A whole tree's: made on another core while the symbol index is built (below).
            nonisolated(unsafe) let make = makeUnit
            let entries = kbuild.units
            unitsLater = BackgroundValue {
                var units: [ModuleUnit] = []
                var bySource: [String: [ModuleUnit]] = [:]
                for unit in entries {
                    guard let model = make(unit) else { continue }
                    units.append(model)
                    for s in model.sources { bySource[s, default: []].append(model) }
                }
                Timing.mark("units (made on another core)")
                return (units, bySource)
            }
        } else {
            if let base, affected != nil {
                for u in base.units { keep[u.name] = u }
                if !reusedKbuild {
                    for u in base.kbuild.units { baseKbuildUnits[u.name] = u }
                }
            }
            for unit in kbuild.units {
                if let affected, let known = keep[unit.name],
                    reusedKbuild || baseKbuildUnits[unit.name] == unit, !touchesMovedSources(unit),
                    !isStale(known, affected)
                {
                    units.append(known)
                    for s in known.sources { bySource[s, default: []].append(known) }
                    continue
                }
                guard let model = makeUnit(unit) else { continue }
                units.append(model)
                for s in model.sources { bySource[s, default: []].append(model) }
            }
        }
        if unitsLater == nil {
            Timing.mark(
                reusedUnits
                    ? "units (reused)"
                    : affected != nil
                        ? "units (affected symbols \(affected?.count ?? 0))"
                        : keptStructure != nil ? "units (kept structure)" : "units (made)")
        }

        // The symbol index over every .c and .S file, updated incrementally from a base model.
        var symbolFacts: OverlayTable<SourceFacts>
        var definitions: OverlayTable<[SymbolProvider]>
        var exports: OverlayTable<[ExportSite]>
        var reusedIndex = false
        var wrapperFiles = Set<String>()
        // Names whose definitions or exports a patch may have changed (when the index changed).
        var changedNames = Set<String>()
        let compiled = compiledSources
        // A whole tree's index is kept in the cache under this key (IndexSnapshot.swift).
        let wholeIndexKey = base == nil && config == nil && store.cache != nil ? KernelModel.indexKey(tree, store: store) : nil
        if let base, let changed {
            symbolFacts = base.symbolFacts
            definitions = base.definitions
            exports = base.exports
            wrapperFiles = base.exportWrapperFiles
            // Files that start or stop being compiled (a Makefile or an include changed) count as
            // changed too.
            var indexChanged = changed
            if compiled != base.compiledSources {
                indexChanged.formUnion(compiled.symmetricDifference(base.compiledSources))
            }
            let relevant: (String) -> Bool = { path in
                compiled.contains(path) || base.compiledSources.contains(path)
            }
            let files = indexChanged.filter(relevant).compactMap { path in
                compiled.contains(path) ? tree.blobs[path].map { (path: path, blob: $0) } : nil
            }
            let fresh = store.facts(of: files, depth: .symbols)
            let freshPaths = Set(fresh.map(\.path))
            // Most patches change function bodies, not what a file defines or exports: then the
            // base's indexes are reused as they are (no copy of the tree-wide dictionaries).
            let unchanged =
                freshPaths.count == indexChanged.filter(relevant).count
                && fresh.allSatisfy { f in
                    base.symbolFacts[f.path].map {
                        KernelModel.contributions($0) == KernelModel.contributions(f)
                    } ?? false
                }
            reusedIndex = unchanged
            // The definition and export indexes are the base's then, but a file's facts are its
            // own (what it includes and declares decides who sees a name: ReverseUsers.swift).
            if unchanged { for f in fresh { symbolFacts[f.path] = f } }
            for path in indexChanged where relevant(path) { wrapperFiles.remove(path) }
            for f in fresh where KernelModel.invokesExportWrapper(f) { wrapperFiles.insert(f.path) }
            if !unchanged {
                for f in fresh { changedNames.formUnion(KernelModel.contributedNames(f)) }
                for path in indexChanged where relevant(path) {
                    if let old = base.symbolFacts[path] { changedNames.formUnion(KernelModel.contributedNames(old)) }
                }
                for path in indexChanged where relevant(path) {
                    if let old = symbolFacts[path] {
                        symbolFacts[path] = nil
                        KernelModel.remove(old, from: &definitions, &exports)
                    }
                }
                for facts in fresh {
                    symbolFacts[facts.path] = facts
                    KernelModel.add(facts, to: &definitions, &exports)
                }
            }
        } else if let cache = store.cache, let key = wholeIndexKey, let kept = SymbolIndexSnapshot.load(key, cache: cache) {
            // The index as a run over the same tree built it, read in place; a compiled file's
            // facts are decoded when something asks for them.
            let blobs = tree.blobs
            symbolFacts = OverlayTable(lookup: { path in
                guard compiled.contains(path), let blob = blobs[path] else { return nil }
                return store.facts(path: path, blob: blob, depth: .symbols)
            })
            definitions = OverlayTable(lookup: kept.definitions)
            exports = OverlayTable(lookup: kept.exports)
            wrapperFiles = kept.wrapperFiles
            indexSnapshotKey = key
            if let byPath = SymbolIndexSnapshot.loadWrapperExports(key, cache: cache) {
                wrapperExportsByPath = byPath
                wrapperExports = KernelModel.wrapperTable(byPath)
            }
        } else {
            let problemsBefore = store.problemCount
            var allFacts: [String: SourceFacts] = [:]
            var allDefinitions: [String: [SymbolProvider]] = [:]
            var allExports: [String: [ExportSite]] = [:]
            let files = compiled.sorted().compactMap { path in tree.blobs[path].map { (path: path, blob: $0) } }
            let read = store.facts(of: files, depth: .symbols)
            allFacts.reserveCapacity(read.count)
            allDefinitions.reserveCapacity(read.reduce(0) { $0 + $1.definitions.count })
            allExports.reserveCapacity(read.reduce(0) { $0 + $1.exports.count })
            for facts in read {
                allFacts[facts.path] = facts
                if KernelModel.invokesExportWrapper(facts) { wrapperFiles.insert(facts.path) }
                for d in facts.definitions where d.storage == .global {
                    allDefinitions[d.name, default: []].append(SymbolProvider(path: facts.path, line: d.line))
                }
                for e in facts.exports {
                    allExports[e.name, default: []].append(
                        ExportSite(path: facts.path, line: e.line, flavour: e.flavour))
                }
            }
            // Objects of Makefiles the descent does not reach (arch/mips platforms, reached through
            // make functions modcheck does not evaluate): their exports count, their definitions do
            // not (that keeps tools/ and selftests from providing symbols).
            let unreached = KernelModel.sources(of: kbuild.unreachedObjects, tree: tree).subtracting(compiled)
            let unreachedFiles = unreached.sorted().compactMap { path in tree.blobs[path].map { (path: path, blob: $0) } }
            for facts in store.facts(of: unreachedFiles, depth: .symbols) {
                for e in facts.exports {
                    allExports[e.name, default: []].append(
                        ExportSite(path: facts.path, line: e.line, flavour: e.flavour))
                }
            }
            if wholeIndexKey != nil {
                let (facts, scopeList) = (allFacts, scope)
                outsideIndexAhead = BackgroundValue {
                    OutsideSourceIndex(
                        compiled: compiled,
                        inScope: { KernelModel.path($0, isIn: scopeList) }, facts: { facts[$0] })
                }
            }
            symbolFacts = OverlayTable(allFacts)
            definitions = OverlayTable(allDefinitions)
            exports = OverlayTable(allExports)
            // Kept for the next run over this tree when nothing went wrong (what a model read from
            // the snapshot reports then is what this one does: nothing from the index).
            if let cache = store.cache, let key = wholeIndexKey, store.problemCount == problemsBefore {
                indexSnapshotKey = key
                let (definitions, exports, wrappers) = (allDefinitions, allExports, wrapperFiles)
                cache.inBackground {
                    cache.storeSnapshot(
                        SymbolIndexSnapshot.name(key),
                        SymbolIndexSnapshot.encode(definitions: definitions, exports: exports, wrapperFiles: wrappers))
                }
            }
        }
        Timing.mark("symbol index")
        if let unitsLater {
            (units, bySource) = unitsLater.value
            Timing.mark("units (made)")
        }
        if let structureKey, keptStructure == nil, let cache = store.cache {
            let structure = ModelStructure(
                kbuild: kbuild, compiled: compiledSources, included: includedSources, guards: includeGuards,
                units: units)
            cache.inBackground { structure.store(structureKey, cache: cache) }
        }
        self.units = units
        self.unitsBySource = bySource
        self.changedSinceBase = changed
        self.baseModelIdentity = base
        rootModel = base.map { $0.rootModel ?? $0 }
        changedSinceRoot = base.map { ($0.changedSinceRoot ?? []).union(changed ?? []) }
        reverseSearches = base?.reverseSearches ?? SearchCounter()
        self.unitsAsBase = base != nil && reusedUnits
        unitSourcesByName = base.flatMap { reusedUnits ? $0.unitSourcesByName : nil } ?? UnitSourcesByName()
        let scopeList = scope
        if let base, reusedUnits, base.scope == scope {
            scoped = base.scoped
        } else {
            scoped = units.filter { unit in
                unit.sources.contains { KernelModel.path($0, isIn: scopeList) }
            }
        }

        self.symbolFacts = symbolFacts
        self.definitions = definitions
        self.exports = exports
        exportWrapperFiles = wrapperFiles
        self.problems = problems
        // Wrapper exports of files no patch touched stay valid while no header they read changed
        // (the wrapper's definition lives in a header or the file itself): with the same header
        // paths, a file's include closure is the base's, and the base worked it out when it
        // expanded the file's wrappers.
        let changedHeaders = Set(changed?.filter { KernelFileKind(path: $0) == .header } ?? [])
        /// Whether the base's include closure of `sources` (worked out there) reads none of the
        /// changed headers; false when the base did not work it out.
        func closureUnchanged(_ sources: [String]) -> Bool {
            guard let index = inheritedHeaderIndexes[headerIndexKey(sources)] else { return false }
            return !changedHeaders.contains(where: index.contains)
        }
        if let base, let changed {
            let known = base.memoLock.withLock { base.wrapperExportsByPath }
            if changedHeaders.isEmpty {
                wrapperExportsByPath = known.filter { !changed.contains($0.key) }
            } else if headerPaths == base.headerPaths {
                wrapperExportsByPath = known.filter { path, _ in !changed.contains(path) && closureUnchanged([path]) }
            }
        }
        // How a unit's references resolve depends on its own sources, the headers it includes, the
        // units, and the tree-wide indexes: when a patch changed none of these but the sources of
        // other units, the base's resolutions of the untouched units still hold.
        // When the index changed, a unit whose references name none of the changed symbols
        // resolves as before too.
        // A changed header matters only to the units whose include closure read it (when no
        // header appeared or vanished, the closures themselves are unchanged).
        if let base, let changed, reusedUnits, changedHeaders.isEmpty || headerPaths == base.headerPaths {
            let inherited = base.memoLock.withLock { base.resolutionMemo }
            let touched = Set(changed.flatMap { unitsBySource[$0] ?? [] }.map(\.name))
            let sourcesByUnit = changedHeaders.isEmpty ? [:] : unitSourcesByName.table(units)
            resolutionMemo = inherited.filter { unit, references in
                guard !touched.contains(unit),
                    reusedIndex || !references.contains(where: { changedNames.contains($0.reference.name) })
                else { return false }
                if changedHeaders.isEmpty { return true }
                return sourcesByUnit[unit].map(closureUnchanged) ?? false
            }
        }
        // Headers whose content changed but not their includes (a patch to iommu.h): the base's
        // graph is kept, with those headers read again, and so are the base's closures.
        if let base, !changedHeaders.isEmpty, headerPaths == base.headerPaths, headerGraph !== base.headerGraph {
            let graph = base.headerGraph
            let changedNumbers = changedHeaders.compactMap { graph.number[$0] }
            if let updated = HeaderGraph(updating: graph, changed: changedNumbers, visit: visitHeader(graph: graph)) {
                headerGraph = updated
                headerIndexes = inheritedHeaderIndexes.mapValues {
                    HeaderIndex(graph: updated, reached: $0.reached, names: headerNames)
                }
            } else {
                // A changed header includes other headers now: every closure is worked out again,
                // from what the base read of the headers that did not change.
                headerGraph = HeaderGraph(paths: headerPaths, reusing: graph) { !changedHeaders.contains($0) }
            }
        }
    }

    /// The units after an in-place kbuild update (`replaced`: the entries of the directories made
    /// again, before and after), from `base`'s: every entry outside those directories is where it
    /// was, so the base's units are walked beside kbuild's entries, in order. An unchanged entry
    /// keeps the base's unit when `keeps(entry, unit)`; any other is made by `make` (nil: no
    /// unit); entries that were no unit stay none unless `mayChange` (a source appeared beside them).
    /// Only the lists of sources whose units changed are made again, in kbuild's order. Nil when
    /// the walk does not line up with the base's units (then every unit is made again).
    static func units(
        updating base: KernelModel, replaced: (removed: [KbuildUnit], added: [KbuildUnit]), kbuild: KbuildMap,
        keeps: (KbuildUnit, ModuleUnit) -> Bool, make: (KbuildUnit) -> ModuleUnit?, mayChange: (KbuildUnit) -> Bool
    ) -> (units: [ModuleUnit], bySource: [String: [ModuleUnit]])? {
        let before = Dictionary(replaced.removed.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(replaced.added.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard before.count == replaced.removed.count, after.count == replaced.added.count else { return nil }
        let old = base.units
        var units: [ModuleUnit] = []
        units.reserveCapacity(old.count + after.count)
        var touched = Set<String>()
        var i = 0
        for entry in kbuild.units {
            // Base units whose entries are gone (they sat among the replaced ones).
            while i < old.count, before[old[i].name] != nil, after[old[i].name] == nil {
                touched.formUnion(old[i].sources)
                i += 1
            }
            let same = after[entry.name] == nil || before[entry.name] == entry
            var known: ModuleUnit?
            if i < old.count, old[i].name == entry.name {
                known = old[i]
                i += 1
            } else if same && !mayChange(entry) {
                continue  // no unit before, and nothing that could make one
            }
            if same, let known, keeps(entry, known) {
                units.append(known)
                continue
            }
            let made = make(entry)
            if let known, let made, known == made {
                units.append(known)
                continue
            }
            if let known { touched.formUnion(known.sources) }
            if let made {
                touched.formUnion(made.sources)
                units.append(made)
            }
        }
        while i < old.count, before[old[i].name] != nil, after[old[i].name] == nil {
            touched.formUnion(old[i].sources)
            i += 1
        }
        guard i == old.count else { return nil }
        var bySource = base.unitsBySource
        if !touched.isEmpty {
            for s in touched { bySource[s] = nil }
            for unit in units where unit.sources.contains(where: touched.contains) {
                for s in unit.sources where touched.contains(s) { bySource[s, default: []].append(unit) }
            }
        }
        return (units, bySource)
    }

    /// Reads header `i` of `graph` in this tree: its blob, summary, and the headers it includes.
    /// A header an earlier run read with the same blob (a snapshot whose name-table entries this
    /// model's table holds) is followed as kept: marked read, no facts, no summary made.
    func visitHeader(graph: HeaderGraph) -> (Int) -> HeaderRead? {
        let kept = graph.kept.flatMap { $0 === self.headerNames.kept ? $0 : nil }
        return { i in
            let h = graph.paths[i]
            guard let blob = self.tree.blobs[h] else { return nil }
            if let read = kept?.reads[i], read.blob == blob {
                for note in read.notes { self.store.report(note) }
                self.headerNames.markRead(blob)
                return HeaderRead(blob: blob, summary: nil, includes: read.includes, notes: read.notes)
            }
            guard let f = self.store.facts(path: h, blob: blob, depth: .symbols) else { return nil }
            let summary = self.store.headerSummary(blob) { HeaderSummary(f) }
            self.headerNames.register(blob, summary)
            let includes = f.includes.flatMap { self.resolveIncludeMemo($0, from: h) }.compactMap { graph.number[$0] }
            return HeaderRead(blob: blob, summary: summary, includes: includes, notes: FactStore.limitNotes(f, path: h))
        }
    }

    /// The sources kbuild compiles: each object's `.c` (else `.S`) in a reached directory, and the
    /// `.c` files those `#include "..."` (compiled as part of the includer), transitively.
    /// The base's compiled sources, when what changed only adds object sources that include no
    /// `.c` file: no source the base compiled is dropped or deleted, no compiled `.c` file changed
    /// what it includes, and every `.c` file that appeared is an object's source (one that only an
    /// include could reach would need the full pass). Then the include closure is the base's and
    /// the new sources join it — what `compiledSources(objectSources:…)` gives, without its pass
    /// over every compiled file's includes. `delta`: the object sources added to and removed from
    /// the base's, when known (else found by comparing the sets). Nil otherwise.
    static func compiledSources(
        _ direct: Set<String>, delta: (added: Set<String>, removed: Set<String>)?, updating base: KernelModel,
        changed: Set<String>, tree: KernelTree, store: FactStore
    ) -> (Set<String>, [String: [String]], [String: PreprocessorCondition])? {
        let added: Set<String>
        if let delta {
            guard delta.removed.isEmpty else { return nil }
            added = delta.added
        } else {
            // One pass: every base source kept exactly when the sources not added are as many.
            let old = base.knownObjectSources()
            added = direct.subtracting(old)
            guard direct.count - added.count == old.count else { return nil }
        }
        for path in changed where path.hasSuffix(".c") {
            let now = tree.blobs[path]
            let was = base.tree.blobs[path]
            if now == nil, base.compiledSources.contains(path) { return nil }
            if was == nil, now != nil, !added.contains(path) { return nil }
        }
        guard sourceIncludesKept(changed, base: base, tree: tree, store: store) else { return nil }
        let files = added.filter { $0.hasSuffix(".c") }.compactMap { path in tree.blobs[path].map { (path: path, blob: $0) } }
        guard store.sourceIncludes(of: files).allSatisfy(\.isEmpty) else { return nil }
        return (base.compiledSources.union(added), base.includedSources, base.includeGuards)
    }

    /// A whole tree's kbuild map: its 2,500 Makefiles parsed on every core (an `include` one reads
    /// is read under a lock: the repository is used from one thread at a time), then resolved.
    static func resolveKbuild(
        directories: [String: String], rootMakefiles: [String: String], tree: KernelTree, store: FactStore
    ) -> KbuildMap {
        let files =
            directories.map { (dir: $0.key, text: $0.value, root: false) }
            + rootMakefiles.map { (dir: $0.key, text: $0.value, root: true) }
        let slots = ParallelSlots<KbuildMakefile>(count: files.count)
        defer { slots.free() }
        let readLock = NSLock()
        nonisolated(unsafe) let read: (String) -> String? = { path in
            readLock.withLock { tree.blobs[path].flatMap { store.text($0, path: path) } }
        }
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let file = files[i]
            let path = KbuildReader.makefilePath(of: file.dir)
            slots.set(i, file.root ? KbuildReader.parse(path: path, text: file.text) : KbuildReader.parse(path: path, text: file.text, read: read))
        }
        var parsed: [String: KbuildMakefile] = [:]
        var roots: [String: KbuildMakefile] = [:]
        for (i, file) in files.enumerated() {
            guard let made = slots.get(i) else { continue }
            if file.root { roots[file.dir] = made } else { parsed[file.dir] = made }
        }
        return KbuildReader.resolve(parsedDirectories: parsed, parsedRootMakefiles: roots)
    }

    /// Whether every changed `.c` file the base compiled includes the same `.c` files (under the
    /// same conditions) as in the base.
    static func sourceIncludesKept(_ changed: Set<String>, base: KernelModel, tree: KernelTree, store: FactStore) -> Bool {
        var now: [(path: String, blob: ObjectID)] = []
        var was: [(path: String, blob: ObjectID)] = []
        for path in changed where path.hasSuffix(".c") && base.compiledSources.contains(path) {
            guard let n = tree.blobs[path], let w = base.tree.blobs[path] else { continue }
            now.append((path, n))
            was.append((path, w))
        }
        if now.isEmpty { return true }
        return zip(store.sourceIncludes(of: now), store.sourceIncludes(of: was)).allSatisfy { n, w in
            n.count == w.count && zip(n, w).allSatisfy { $0.name == $1.name && $0.condition == $1.condition }
        }
    }

    /// The object sources (worked out here once when the model was read from a snapshot).
    func knownObjectSources() -> Set<String> {
        if let known = memoLock.withLock({ objectSourcesMemo }) { return known }
        let made = KernelModel.objectSources(kbuild: kbuild, tree: tree, listing: listing)
        memoLock.withLock { objectSourcesMemo = made }
        return made
    }

    /// The base's object sources after a kbuild update that made some units again in place and
    /// sources that appeared or vanished: only the objects those units name and the objects of
    /// the moved sources are looked at again (an object's source is its `.c`, else its `.S`, while
    /// some unit names it); with the sources that joined and left. Nil when a variable-named
    /// object could stand for other files (one among those units, or in a directory where a
    /// source moved), or the map does not know where those are.
    static func objectSources(
        updating old: Set<String>, replaced: (removed: [KbuildUnit], added: [KbuildUnit]), moved: Set<String>,
        kbuild: KbuildMap, tree: KernelTree
    ) -> (sources: Set<String>, added: Set<String>, removed: Set<String>)? {
        guard let variableDirectories = kbuild.variableObjectDirectories else { return nil }
        var objects = Set<String>()
        for unit in replaced.removed { objects.formUnion(unit.objects) }
        for unit in replaced.added { objects.formUnion(unit.objects) }
        for path in moved where path.hasSuffix(".c") || path.hasSuffix(".S") {
            if variableDirectories.contains(treeDirectory(of: path)) { return nil }
            objects.insert(String(path.dropLast(2)) + ".o")
        }
        var sources = old
        var added = Set<String>()
        var removed = Set<String>()
        for object in objects {
            if object.utf8.contains(UInt8(ascii: "$")) || variableDirectories.contains(treeDirectory(of: object)) {
                return nil
            }
            // Only this object names its stem's `.c` and `.S`.
            let stem = String(object.dropLast(2))
            let c = stem + ".c"
            let asm = stem + ".S"
            let before = old.contains(c) ? c : old.contains(asm) ? asm : nil
            var after: String?
            if !(kbuild.objectToUnits[object] ?? []).isEmpty {
                after = tree.blobs[c] != nil ? c : tree.blobs[asm] != nil ? asm : nil
            }
            guard before != after else { continue }
            if let before {
                sources.remove(before)
                removed.insert(before)
            }
            if let after {
                sources.insert(after)
                added.insert(after)
            }
        }
        return (sources, added, removed)
    }

    /// Each object's `.c`, else its `.S`, over every unit of the kbuild map.
    static func objectSources(kbuild: KbuildMap, tree: KernelTree, listing: DirectoryListing) -> Set<String> {
        var compiled = Set<String>()
        // Each object's `.c`, else its `.S` (one string made per object, not four).
        func add(_ object: String) {
            var source = object
            source.removeLast()
            source.append("c")
            if tree.blobs[source] != nil {
                compiled.insert(source)
                return
            }
            source.removeLast()
            source.append("S")
            if tree.blobs[source] != nil { compiled.insert(source) }
        }
        for unit in kbuild.units {
            // (No array per object: only a name with a variable expands to several.)
            for object in unit.objects {
                if object.utf8.contains(UInt8(ascii: "$")) {
                    for expanded in expandObject(object, tree: tree, listing: listing) { add(expanded) }
                } else {
                    add(object)
                }
            }
        }
        return compiled
    }

    /// The object sources and the `.c` files they `#include "..."`, transitively.
    static func compiledSources(objectSources: Set<String>, tree: KernelTree, store: FactStore) -> (
        Set<String>, [String: [String]], [String: PreprocessorCondition]
    ) {
        var guards: [String: PreprocessorCondition] = [:]
        var unguarded = Set<String>()
        var compiled = objectSources
        var included: [String: [String]] = [:]
        var pending = compiled.filter { $0.hasSuffix(".c") }.sorted()
        var rounds = 0
        while !pending.isEmpty, rounds < 8 {
            rounds += 1
            let files = pending.compactMap { path in tree.blobs[path].map { (path: path, blob: $0) } }
            pending = []
            for (file, includes) in zip(files, store.sourceIncludes(of: files)) {
                let dir = treeDirectory(of: file.path)
                for (name, condition) in includes {
                    let path = normalize(dir.isEmpty ? name : dir + "/" + name)
                    guard tree.blobs[path] != nil else { continue }
                    included[file.path, default: []].append(path)
                    if let c = condition {
                        guards[path] = guards[path].map { .or([$0, c]) } ?? c
                    } else {
                        unguarded.insert(path)
                    }
                    if compiled.insert(path).inserted { pending.append(path) }
                }
            }
        }
        // Transitively: an includer also compiles what its included files include.
        var closed: [String: [String]] = [:]
        for root in included.keys {
            var seen: [String] = []
            var queue = included[root] ?? []
            while let next = queue.popLast() {
                guard !seen.contains(next), seen.count < 256 else { continue }
                seen.append(next)
                queue += included[next] ?? []
            }
            closed[root] = seen.sorted()
        }
        for path in unguarded { guards[path] = nil }
        return (compiled, closed, guards)
    }

    /// The architectures of a tree: the directories under `arch/` that hold files.
    static func architectures(of tree: KernelTree) -> [String] {
        var found = Set<String>()
        for (path, _) in tree.blobs {
            if let arch = architectureDirectory(of: path) { found.insert(String(arch)) }
        }
        return found.sorted()
    }

    /// The `.c` (else `.S`) sources of objects.
    static func sources(of objects: [String], tree: KernelTree) -> Set<String> {
        var out = Set<String>()
        for object in objects.flatMap({ expandObject($0, tree: tree) }) {
            let stem = String(object.dropLast(2))
            if tree.blobs[stem + ".c"] != nil {
                out.insert(stem + ".c")
            } else if tree.blobs[stem + ".S"] != nil {
                out.insert(stem + ".S")
            }
        }
        return out
    }

    /// An object whose name holds a variable only the build knows (`tree_$(BITS).o` in
    /// arch/sparc/prom): every source of its directory that the name can stand for.
    static func expandObject(_ object: String, tree: KernelTree, listing: DirectoryListing? = nil) -> [String] {
        guard object.utf8.contains(UInt8(ascii: "$")) else { return [object] }
        let dir = treeDirectory(of: object)
        let name = String(object.dropFirst(dir.isEmpty ? 0 : dir.count + 1).dropLast(2))
        guard !name.contains("/"), let open = name.range(of: "$("), let close = name.range(of: ")", range: open.upperBound..<name.endIndex)
        else { return [] }
        let prefix = String(name[..<open.lowerBound])
        let suffix = String(name[close.upperBound...])
        guard !suffix.contains("$") else { return [] }
        let prefixPath = dir.isEmpty ? "" : dir + "/"
        // A pass over every path, unless the caller expands many objects (one listing then).
        let files =
            listing?.files(in: dir)
            ?? tree.blobs.keys.filter {
                $0.hasPrefix(prefixPath) && !$0.dropFirst(prefixPath.count).contains("/")
            }.map { String($0.dropFirst(prefixPath.count)) }.sorted()
        return files.compactMap { file -> String? in
            guard file.hasSuffix(".c") || file.hasSuffix(".S") else { return nil }
            let stem = String(file.dropLast(2))
            guard stem.hasPrefix(prefix), stem.hasSuffix(suffix), stem.count > prefix.count + suffix.count else {
                return nil
            }
            return (dir.isEmpty ? "" : dir + "/") + stem + ".o"
        }
    }

    /// The file kbuild reads for a directory's objects (its Kbuild file, else its Makefile), and,
    /// for the top and arch directories that have both, the Makefile read for its root lists.
    static func kbuildFiles(of dir: String, tree: KernelTree) -> (
        objects: (path: String, blob: ObjectID)?, rootLists: (path: String, blob: ObjectID)?
    ) {
        let prefix = dir.isEmpty ? "" : dir + "/"
        let makefile = tree.blobs[prefix + "Makefile"].map { (path: prefix + "Makefile", blob: $0) }
        guard let kbuild = tree.blobs[prefix + "Kbuild"].map({ (path: prefix + "Kbuild", blob: $0) }) else {
            return (makefile, nil)
        }
        return (kbuild, KbuildReader.isRootDirectory(dir) ? makefile : nil)
    }

    /// The base's kbuild map with the changed directories' files read again.
    static func updatedKbuild(
        _ base: KbuildMap, changedDirectories: Set<String>, tree: KernelTree, store: FactStore
    ) -> KbuildMap? {
        var directories: [String: String?] = [:]
        var rootMakefiles: [String: String?] = [:]
        // A directory whose Makefile includes a changed fragment is read again too.
        var changedDirectories = changedDirectories
        for (dir, makefile) in base.makefiles
        where makefile.included.contains(where: { changedDirectories.contains(treeDirectory(of: $0)) }) {
            changedDirectories.insert(dir)
        }
        for dir in changedDirectories {
            let files = kbuildFiles(of: dir, tree: tree)
            // (updateValue: a directory whose file is gone is told as nil; `[dir] = nil` drops it.)
            directories.updateValue(files.objects.flatMap { store.text($0.blob, path: $0.path) }, forKey: dir)
            if files.rootLists != nil || base.rootMakefiles[dir] != nil {
                rootMakefiles.updateValue(files.rootLists.flatMap { store.text($0.blob, path: $0.path) }, forKey: dir)
            }
        }
        return KbuildReader.resolve(
            updating: base, directories: directories, rootMakefiles: rootMakefiles,
            read: { path in tree.blobs[path].flatMap { store.text($0, path: path) } })
    }

    /// Whether a file invokes a macro that names EXPORT but is no `EXPORT_SYMBOL*` spelled out.
    static func invokesExportWrapper(_ f: SourceFacts) -> Bool {
        f.invocations.contains { inv in
            inv.function == nil && inv.name.contains("EXPORT")
                && CSourceScanner.exportFlavour(inv.name, inv.arguments) == nil
        }
    }

    /// EXPORT_SYMBOL* sites of `name`, spelled out or made by a wrapper macro.
    public func exportSites(_ name: String) -> [ExportSite]? {
        let wrapped = wrapperExportTable()[name]
        guard let wrapped else { return exports[name] }
        return (exports[name] ?? []) + wrapped
    }

    /// Exports made by wrapper macros (`ACPI_EXPORT_SYMBOL(x)` → `EXPORT_SYMBOL(x)`,
    /// `EXPORT_TRACEPOINT_SYMBOL_GPL(t)` → `EXPORT_SYMBOL_GPL(__tracepoint_##t)`), each expanded
    /// through the definitions the file sees: its own macros, then its include closure's.
    func wrapperExportTable() -> [String: [ExportSite]] {
        if let known = memoLock.withLock({ wrapperExports }) { return known }
        var byPath = memoLock.withLock { wrapperExportsByPath }
        let problemsBefore = store.problemCount
        for path in exportWrapperFiles.sorted() where byPath[path] == nil {
            byPath[path] = wrapperExports(of: path)
        }
        let table = KernelModel.wrapperTable(byPath)
        memoLock.withLock {
            wrapperExportsByPath = byPath
            wrapperExports = table
        }
        // Kept beside the tree's index snapshot when working them out met no problem (a model
        // that reads them back reports what this one did: nothing from them).
        if let key = indexSnapshotKey, let cache = store.cache, store.problemCount == problemsBefore {
            SymbolIndexSnapshot.storeWrapperExports(byPath, key: key, cache: cache)
        }
        return table
    }

    /// The wrapper exports by name, from each file's.
    static func wrapperTable(_ byPath: [String: [(String, ExportSite)]]) -> [String: [ExportSite]] {
        var table: [String: [ExportSite]] = [:]
        // In path order: a name two files export through wrappers lists them the same way every run.
        for path in byPath.keys.sorted() {
            for (name, site) in byPath[path] ?? [] { table[name, default: []].append(site) }
        }
        return table
    }

    func wrapperExports(of path: String) -> [(String, ExportSite)] {
        guard let f = symbolFacts[path] else { return [] }
        let own = Dictionary(
            f.macros.filter { !$0.uses.isEmpty }.map { ($0.name, $0.uses) }, uniquingKeysWith: { a, _ in a })
        var headers: HeaderIndex?
        func definition(_ macro: String) -> [MacroUse]? {
            if let uses = own[macro] { return uses }
            if headers == nil { headers = headerIndex(for: [path]) }
            return headers?.macroUses(macro)
        }
        func expand(_ macro: String, _ arguments: [String], depth: Int) -> [(ExportFlavour, String)] {
            if let known = CSourceScanner.exportFlavour(macro, arguments) { return [known] }
            guard depth < 8, let uses = definition(macro) else { return [] }
            return uses.flatMap { expand($0.macro, $0.arguments(with: arguments), depth: depth + 1) }
        }
        var out: [(String, ExportSite)] = []
        for inv in f.invocations
        where inv.function == nil && inv.name.contains("EXPORT")
            && CSourceScanner.exportFlavour(inv.name, inv.arguments) == nil
        {
            for (flavour, name) in expand(inv.name, inv.arguments, depth: 0)
            where !name.isEmpty && name.utf8.allSatisfy({ $0 == 0x5f || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) }) {
                out.append((name, ExportSite(path: path, line: inv.line, flavour: flavour)))
            }
        }
        return out
    }

    static func contributedNames(_ f: SourceFacts) -> [String] {
        f.definitions.filter { $0.storage == .global }.map(\.name) + f.exports.map(\.name)
    }

    /// What a file contributes to the tree-wide indexes, independent of line numbers.
    static func contributions(_ f: SourceFacts) -> [String] {
        f.definitions.filter { $0.storage == .global }.map { "d:" + $0.name }
            + f.exports.map { "e:\($0.name):\($0.flavour)" }
    }

    /// The key of a whole tree's symbol index snapshot (IndexSnapshot.swift): the tree id and
    /// its number of files (an empty stand-in for a root commit's parent carries the commit's
    /// tree id), the scan limits.
    static func indexKey(_ tree: KernelTree, store: FactStore) -> ObjectID? {
        SymbolIndexSnapshot.key(
            tree: tree.tree, files: tree.blobs.count,
            limits: "\(store.maxFileSize) \(store.scanTimeLimit.map { "\($0)" } ?? "-")")
    }

    static func add(
        _ facts: SourceFacts, to definitions: inout OverlayTable<[SymbolProvider]>,
        _ exports: inout OverlayTable<[ExportSite]>
    ) {
        for d in facts.definitions where d.storage == .global {
            definitions[d.name] = (definitions[d.name] ?? []) + [SymbolProvider(path: facts.path, line: d.line)]
        }
        for e in facts.exports {
            exports[e.name] =
                (exports[e.name] ?? []) + [ExportSite(path: facts.path, line: e.line, flavour: e.flavour)]
        }
    }

    static func remove(
        _ facts: SourceFacts, from definitions: inout OverlayTable<[SymbolProvider]>,
        _ exports: inout OverlayTable<[ExportSite]>
    ) {
        for d in facts.definitions where d.storage == .global {
            let left = (definitions[d.name] ?? []).filter { $0.path != facts.path }
            definitions[d.name] = left.isEmpty ? nil : left
        }
        for e in facts.exports {
            let left = (exports[e.name] ?? []).filter { $0.path != facts.path }
            exports[e.name] = left.isEmpty ? nil : left
        }
    }

    public func inScope(_ path: String) -> Bool { KernelModel.path(path, isIn: scope) }

    /// Whether `path` is one of `scope`'s paths or lies below one of its directories.
    public static func path(_ path: String, isIn scope: [String]) -> Bool {
        scope.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Units with a source in scope.
    public var scopedUnits: [ModuleUnit] { scoped }

    public var problemsFromFacts: [String] { store.problems }

    /// Full facts of one file of this tree (cached by blob id).
    public func facts(_ path: String) -> SourceFacts? {
        if let known = lock.withLock({ fullFacts[path] }) { return known }
        guard let blob = tree.blobs[path], let facts = store.facts(path: path, blob: blob, depth: .full)
        else { return nil }
        lock.withLock { fullFacts[path] = facts }
        return facts
    }

    // MARK: Regions

    /// Whether code under `condition` can exist in a build where the given symbols have the
    /// given values (`CONFIG_X` of `#ifdef` is only defined for `=y`; `=m` defines CONFIG_X_MODULE).
    public func mayHold(_ condition: PreprocessorCondition, assuming: [String: Tristate], inModule: Bool)
        -> Bool
    {
        truthRange(condition, assuming: assuming, inModule: inModule).mayHold
    }

    struct Truth {
        var mayHold: Bool
        var mayFail: Bool
    }

    func range(_ config: String, assuming: [String: Tristate]) -> ClosedRange<Tristate> {
        if let fixed = assuming[config] { return fixed...fixed }
        if let configText {
            let v = evaluator.value(config, config: configText)
            return v...v
        }
        return evaluator.range(config, assuming: assuming)
    }

    func truthRange(_ condition: PreprocessorCondition, assuming: [String: Tristate], inModule: Bool) -> Truth
    {
        switch condition {
        case .always: return Truth(mayHold: true, mayFail: false)
        case .never: return Truth(mayHold: false, mayFail: true)
        case .opaque: return Truth(mayHold: true, mayFail: true)
        case .not(let inner):
            let t = truthRange(inner, assuming: assuming, inModule: inModule)
            return Truth(mayHold: t.mayFail, mayFail: t.mayHold)
        case .and(let parts):
            let ts = parts.map { truthRange($0, assuming: assuming, inModule: inModule) }
            return Truth(mayHold: ts.allSatisfy(\.mayHold), mayFail: ts.contains(where: \.mayFail))
        case .or(let parts):
            let ts = parts.map { truthRange($0, assuming: assuming, inModule: inModule) }
            return Truth(mayHold: ts.contains(where: \.mayHold), mayFail: ts.allSatisfy(\.mayFail))
        case .config(let name, let test):
            if name == "MODULE" { return Truth(mayHold: inModule, mayFail: !inModule) }
            var symbol = name.hasPrefix("CONFIG_") ? String(name.dropFirst(7)) : name
            var test = test
            if test == .defined, symbol.hasSuffix("_MODULE"), evaluator.isDefined(String(symbol.dropLast(7)))
            {
                symbol = String(symbol.dropLast(7))
                test = .module
            }
            let r = range(symbol, assuming: assuming)
            switch test {
            case .defined, .builtin:
                return Truth(mayHold: r.upperBound == .y, mayFail: r.lowerBound < .y)
            case .enabled:
                return Truth(mayHold: r.upperBound >= .m, mayFail: r.lowerBound == .n)
            case .module:
                return Truth(mayHold: r.contains(.m), mayFail: r != Tristate.m...Tristate.m)
            case .reachable:
                // IS_REACHABLE: built in, or a module seen from another module.
                let hold = r.upperBound == .y || (inModule && r.contains(.m))
                let fail = r.lowerBound < .m || (!inModule && r.lowerBound < .y)
                return Truth(mayHold: hold, mayFail: fail)
            }
        }
    }

    /// The architecture a unit is built for, when its Makefile lives under `arch/<arch>/` of a
    /// tree read for every architecture (arch/alpha/oprofile/oprofile.ko is alpha's alone).
    public func architecture(of unit: ModuleUnit) -> String? {
        guard kconfig.isArchitectureUnion, unit.name.hasPrefix("arch/") else { return nil }
        let parts = unit.name.split(separator: "/", maxSplits: 2)
        guard parts.count == 3, architectures.contains(String(parts[1])) else { return nil }
        return String(parts[1])
    }

    /// Whether `condition` holds in the allmodconfig-like build of `unit` as a module: every
    /// other symbol at the highest value Kconfig allows (given the unit is m); conditions modcheck
    /// cannot model, and their negations, taken as true (`#ifndef _FOO_H`, `#ifdef __KERNEL__`).
    /// A unit of one architecture is checked in that architecture's allmodconfig.
    public func holdsInAllModConfig(_ condition: PreprocessorCondition, unit: ModuleUnit) -> Bool {
        let assuming: [String: Tristate] = unit.config.map { [$0: .m] } ?? [:]
        let arch = configText == nil ? architecture(of: unit) : nil
        func eval(_ c: PreprocessorCondition) -> Bool {
            switch c {
            case .always, .opaque: return true
            case .never: return false
            case .not(let inner):
                // Unknown either way (`#ifndef _FOO_H` include guards above all).
                if case .opaque = inner { return true }
                return !eval(inner)
            case .and(let parts): return parts.allSatisfy(eval)
            case .or(let parts): return parts.contains(where: eval)
            case .config(let name, var test):
                if name == "MODULE" { return unit.config != nil }
                var symbol = name.hasPrefix("CONFIG_") ? String(name.dropFirst(7)) : name
                if test == .defined, symbol.hasSuffix("_MODULE"),
                    evaluator.isDefined(String(symbol.dropLast(7)))
                {
                    symbol = String(symbol.dropLast(7))
                    test = .module
                }
                let v =
                    arch.map { symbol == unit.config ? .m : evaluator.allModConfigValue(symbol, architecture: $0) }
                    ?? range(symbol, assuming: assuming).upperBound
                switch test {
                case .defined, .builtin: return v == .y
                case .enabled: return v >= .m
                case .module: return v == .m
                case .reachable: return v == .y || (unit.config != nil && v == .m)
                }
            }
        }
        return eval(condition)
    }

    /// Whether `condition` holds under concrete values (a witness configuration). `opaque`:
    /// what a condition modcheck cannot model counts as.
    public func holds(
        _ condition: PreprocessorCondition, values: (String) -> Tristate, inModule: Bool, opaque: Bool
    ) -> Bool {
        switch condition {
        case .always: return true
        case .never: return false
        case .opaque: return opaque
        case .not(let inner):
            if case .opaque = inner { return opaque }
            return !holds(inner, values: values, inModule: inModule, opaque: opaque)
        case .and(let parts): return parts.allSatisfy { holds($0, values: values, inModule: inModule, opaque: opaque) }
        case .or(let parts): return parts.contains { holds($0, values: values, inModule: inModule, opaque: opaque) }
        case .config(let name, var test):
            if name == "MODULE" { return inModule }
            var symbol = name.hasPrefix("CONFIG_") ? String(name.dropFirst(7)) : name
            if test == .defined, symbol.hasSuffix("_MODULE"), evaluator.isDefined(String(symbol.dropLast(7))) {
                symbol = String(symbol.dropLast(7))
                test = .module
            }
            let v = values(symbol)
            switch test {
            case .defined, .builtin: return v == .y
            case .enabled: return v >= .m
            case .module: return v == .m
            case .reachable: return v == .y || (inModule && v == .m)
            }
        }
    }

    /// Whether code under `condition` exists in `unit` when the unit is built as a module.
    public func existsInModule(_ condition: PreprocessorCondition, unit: ModuleUnit) -> Bool {
        guard let config = unit.config else { return mayHold(condition, assuming: [:], inModule: false) }
        return mayHold(condition, assuming: [config: .m], inModule: true)
    }

    // MARK: Headers

    func allHeaderIndexes() -> [String: HeaderIndex] {
        lock.withLock { headerIndexes.merging(inheritedHeaderIndexes) { mine, _ in mine } }
    }

    func resolveIncludeMemo(_ name: String, from path: String) -> [String] {
        let dir = treeDirectory(of: path)
        // Quoted includes resolve against the includer's directory first, so the key keeps it.
        let key = dir + "\u{0}" + name
        if let known = lock.withLock({ includeMemo[key] }) { return known }
        let resolved = resolveInclude(name, from: path)
        lock.withLock { includeMemo[key] = resolved }
        return resolved
    }

    /// Where `#include` of `name` can land, on any architecture (modcheck reasons across all).
    func resolveInclude(_ name: String, from path: String) -> [String] {
        let dir = treeDirectory(of: path)
        let own = KernelModel.normalize(dir.isEmpty ? name : dir + "/" + name)
        let elsewhere = resolveIncludeByName(name)
        return headerPaths.contains(own) ? [own] + elsewhere : elsewhere
    }

    /// Where `#include` of `name` can land outside its includer's directory, in candidate order.
    func resolveIncludeByName(_ name: String) -> [String] {
        if let known = lock.withLock({ nameMemo[name] }) { return known }
        var candidates: [String] = []
        candidates.append("include/" + name)
        candidates.append("include/uapi/" + name)
        for arch in architectures {
            candidates.append("arch/\(arch)/include/" + name)
            candidates.append("arch/\(arch)/include/uapi/" + name)
        }
        if name.hasPrefix("asm/") {
            candidates.append("include/asm-generic/" + name.dropFirst(4))
        }
        let resolved = candidates.map(KernelModel.normalize).filter { headerPaths.contains($0) }
        lock.withLock { nameMemo[name] = resolved }
        return resolved
    }

    static func normalize(_ path: String) -> String {
        // Called for every include candidate: a byte scan, not Foundation's substring search.
        var previous: UInt8 = 0
        var hasDotSegment = false
        for byte in path.utf8 {
            if byte == UInt8(ascii: ".") && (previous == UInt8(ascii: ".") || previous == 0) {
                hasDotSegment = true
                break
            }
            if byte == UInt8(ascii: "/") && previous == UInt8(ascii: ".") {
                hasDotSegment = true
                break
            }
            previous = byte
        }
        guard hasDotSegment else { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == "..", !parts.isEmpty {
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    /// Header indexes are keyed by the sources and their blobs.
    func headerIndexKey(_ sources: [String]) -> String {
        sources.sorted().map { "\($0)@\(tree.blobs[$0]?.hex ?? "-")" }.joined(separator: "\n")
    }

    /// Names a unit's sources can use without linking: macros and static inlines of every header
    /// they include (transitively), plus struct definitions seen there.
    public func headerIndex(for sources: [String]) -> HeaderIndex {
        let key = headerIndexKey(sources)
        if let known = lock.withLock({ headerIndexes[key] }) { return known }
        var roots: [Int] = []
        for s in sources {
            guard let f = facts(s) else { continue }
            for inc in f.includes {
                for h in resolveIncludeMemo(inc, from: s) { if let i = headerGraph.number[h] { roots.append(i) } }
            }
        }
        let graph = headerGraph
        let set = graph.closure(of: roots, visit: visitHeader(graph: graph))
        let index = HeaderIndex(graph: graph, reached: set, names: headerNames)
        Timing.mark("header closure of \(sources.first ?? "-"): \(set.count) headers (\(headerNames.keptFollowed) kept so far)")
        lock.withLock { headerIndexes[key] = index }
        return index
    }

    /// The struct definition of `tag` in any header of the tree (used when no unit includes it).
    public func structMembers(_ tag: String, headers: [String]) -> Set<String>? {
        var members: Set<String>?
        for h in headers {
            guard let f = facts(h) else { continue }
            for s in f.structs where s.tag == tag && !s.members.isEmpty {
                members = (members ?? []).union(s.members)
            }
        }
        return members
    }
}

/// What one header provides without linking, computed once per blob and shared by every unit
/// and every model that includes it.
public final class HeaderSummary: @unchecked Sendable {
    public let names: Set<String>
    /// Names the header declares with external linkage (prototypes, `extern` objects).
    public let declared: Set<String>
    /// Function-like macros whose body exports, with the invocations the body makes.
    public let macroUses: [String: [MacroUse]]
    /// Object-like macros whose body is a string literal.
    public let strings: [String: String]
    public let conditions: [String: [PreprocessorCondition]]
    public let structs: [String: Set<String>]
    public let mentions: [String: Set<String>]

    init(_ f: SourceFacts) {
        var names = Set<String>()
        var conditions: [String: [PreprocessorCondition]] = [:]
        var structs: [String: Set<String>] = [:]
        var mentions: [String: Set<String>] = [:]
        for m in f.macros {
            names.insert(m.name)
            if m.condition != .always {
                conditions[m.name, default: []].append(m.condition)
            } else {
                conditions[m.name, default: []].append(.always)
            }
            if !m.bodyMentions.isEmpty { mentions[m.name, default: []].formUnion(m.bodyMentions) }
        }
        for d in f.definitions where d.storage != .global || d.kind == .function {
            names.insert(d.name)
            conditions[d.name, default: []].append(d.condition)
        }
        for fn in f.functions where fn.storage != .global {
            for (member, value) in fn.assignsMembers {
                mentions[fn.name, default: []].formUnion([member, value])
            }
        }
        for s in f.structs where !s.members.isEmpty { structs[s.tag, default: []].formUnion(s.members) }
        declared = Set(f.declarations.map(\.name))
        macroUses = Dictionary(
            f.macros.filter { !$0.uses.isEmpty }.map { ($0.name, $0.uses) }, uniquingKeysWith: { a, _ in a })
        strings = Dictionary(
            f.macros.compactMap { m in m.stringValue.map { (m.name, $0) } }, uniquingKeysWith: { a, _ in a })
        self.names = names
        self.conditions = conditions
        self.structs = structs
        self.mentions = mentions
    }
}

/// What a set of included headers provides without linking.
public struct HeaderIndex: Sendable {
    let graph: HeaderGraph
    /// The headers the sources reach.
    let reached: HeaderSet
    let names: HeaderNameTable

    init(graph: HeaderGraph, reached: HeaderSet, names: HeaderNameTable) {
        self.graph = graph
        self.reached = reached
        self.names = names
    }

    /// Whether a header with this content is among the included ones.
    func has(_ blob: ObjectID) -> Bool { graph.headers(of: blob).contains(where: reached.contains) }

    /// Whether the header at `path` is among the included ones.
    public func contains(_ path: String) -> Bool { graph.number[path].map(reached.contains) ?? false }

    /// The included headers' paths.
    public var headers: [String] { reached.members.map { graph.paths[$0] } }

    /// The conditions under which the headers provide `name` (a macro or inline outside any
    /// `#if` has `.always`), or nil when none provides it. Asks the shared table, which lists the
    /// few headers defining a name, instead of every header the unit includes.
    public func lookup(_ name: String) -> [PreprocessorCondition]? {
        var out: [PreprocessorCondition]?
        for p in names.providers(name) where has(p.blob) { out = (out ?? []) + p.conditions }
        return out
    }

    /// Whether an included header declares `name` (a prototype or an `extern` object).
    public func isDeclared(_ name: String) -> Bool { names.declarers(name).contains(where: has) }

    /// The invocations an included header's definition of `macro` makes (export wrappers).
    public func macroUses(_ macro: String) -> [MacroUse]? {
        names.macroUses(macro).first { has($0.blob) }?.uses
    }

    public func structMembers(_ tag: String) -> Set<String>? {
        var out: Set<String>?
        for e in names.structs(tag) where has(e.blob) { out = (out ?? []).union(e.members) }
        return out
    }

    /// The string an included header's `#define NAME "text"` gives.
    public func stringMacro(_ name: String) -> String? { names.strings(name).first { has($0.blob) }?.text }

    public func mentions(_ name: String) -> Set<String>? {
        var out: Set<String>?
        for e in names.mentions(name) where has(e.blob) { out = (out ?? []).union(e.words) }
        return out
    }
}

/// Name -> the header blobs that provide it, with the conditions, over every header summary
/// registered; likewise declarations, export wrappers, struct members and watched mentions.
/// Shared by a model and the models derived from it (a series, a history), so a header read
/// once is indexed once. With the entries an earlier run kept (KeptHeaderReads), a kept blob is
/// marked read instead of indexed again, and its entries answer from then on, in the order the
/// blobs were read (a run with the snapshot answers as one without).
final class HeaderNameTable: @unchecked Sendable {
    struct Provider: Sendable {
        var blob: ObjectID
        var conditions: [PreprocessorCondition]
    }

    private let lock = NSLock()
    private var table: [String: [Provider]] = [:]
    private var declaring: [String: [ObjectID]] = [:]
    private var wrappers: [String: [(blob: ObjectID, uses: [MacroUse])]] = [:]
    private var structTable: [String: [(blob: ObjectID, members: Set<String>)]] = [:]
    private var mentionTable: [String: [(blob: ObjectID, words: Set<String>)]] = [:]
    private var stringTable: [String: [(blob: ObjectID, text: String)]] = [:]
    /// Every blob read, with when (its summary's entries come in this order).
    private var order: [ObjectID: Int] = [:]
    /// Blobs whose summaries this run indexed itself (not kept).
    private var summarized: [ObjectID: HeaderSummary] = [:]
    let kept: KeptHeaderReads?

    init(kept: KeptHeaderReads? = nil) { self.kept = kept }

    /// How many blobs this run summarized and indexed itself (the rest it was given kept).
    var summarizedCount: Int { lock.withLock { summarized.count } }

    func register(_ blob: ObjectID, _ summary: HeaderSummary) {
        lock.withLock {
            guard order[blob] == nil else { return }
            order[blob] = order.count
            if kept?.blobSet.contains(blob) == true { return }
            summarized[blob] = summary
            for (name, conditions) in summary.conditions {
                table[name, default: []].append(Provider(blob: blob, conditions: conditions))
            }
            for name in summary.declared { declaring[name, default: []].append(blob) }
            for (name, uses) in summary.macroUses { wrappers[name, default: []].append((blob, uses)) }
            for (tag, members) in summary.structs { structTable[tag, default: []].append((blob, members)) }
            for (name, words) in summary.mentions { mentionTable[name, default: []].append((blob, words)) }
            for (name, text) in summary.strings { stringTable[name, default: []].append((blob, text)) }
        }
    }

    /// How many headers were followed from the kept reads (MODCHECK_TIMING, tests).
    private(set) var keptFollowed = 0

    /// Marks a kept blob read (a header the closure reached through kept edges).
    func markRead(_ blob: ObjectID) {
        lock.withLock {
            keptFollowed += 1
            if order[blob] == nil { order[blob] = order.count }
        }
    }

    /// This run's entries of `name` with the kept ones of blobs read, in the order read.
    private func merged<T>(
        _ own: [T], blob: (T) -> ObjectID, kept table: KeptHeaderReads.Table, _ name: String,
        decode: (ObjectID, ArraySlice<UInt8>) -> T?
    ) -> [T] {
        guard let kept else { return own }
        let entries = kept.entries(table, name)
        guard !entries.isEmpty else { return own }
        let read = lock.withLock { entries.map { order[$0.blob] } }
        var out: [(Int, T)] = []
        for (entry, when) in zip(entries, read) {
            guard let when, let value = decode(entry.blob, entry.bytes) else { continue }
            out.append((when, value))
        }
        guard !out.isEmpty else { return own }
        let ownOrder = lock.withLock { own.map { order[blob($0)] ?? Int.max } }
        out += zip(ownOrder, own).map { ($0, $1) }
        return out.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func providers(_ name: String) -> [Provider] {
        merged(lock.withLock { table[name] ?? [] }, blob: \.blob, kept: .providers, name) { blob, bytes in
            HeaderEntryCoding.conditions(bytes).map { Provider(blob: blob, conditions: $0) }
        }
    }

    /// The header blobs that declare `name`.
    func declarers(_ name: String) -> [ObjectID] {
        merged(lock.withLock { declaring[name] ?? [] }, blob: { $0 }, kept: .declarers, name) { blob, _ in blob }
    }

    func macroUses(_ name: String) -> [(blob: ObjectID, uses: [MacroUse])] {
        merged(lock.withLock { wrappers[name] ?? [] }, blob: \.blob, kept: .wrappers, name) { blob, bytes in
            HeaderEntryCoding.uses(bytes).map { (blob, $0) }
        }
    }

    func structs(_ tag: String) -> [(blob: ObjectID, members: Set<String>)] {
        merged(lock.withLock { structTable[tag] ?? [] }, blob: \.blob, kept: .structs, tag) { blob, bytes in
            HeaderEntryCoding.words(bytes).map { (blob, $0) }
        }
    }

    func mentions(_ name: String) -> [(blob: ObjectID, words: Set<String>)] {
        merged(lock.withLock { mentionTable[name] ?? [] }, blob: \.blob, kept: .mentions, name) { blob, bytes in
            HeaderEntryCoding.words(bytes).map { (blob, $0) }
        }
    }

    func strings(_ name: String) -> [(blob: ObjectID, text: String)] {
        merged(lock.withLock { stringTable[name] ?? [] }, blob: \.blob, kept: .strings, name) { blob, bytes in
            HeaderEntryCoding.text(bytes).map { (blob, $0) }
        }
    }

    /// The summaries of `blobs` this run made itself (not kept), in blob order: the same reads
    /// make the same snapshot bytes.
    func ownSummaries(of blobs: Set<ObjectID>) -> [(blob: ObjectID, summary: HeaderSummary)] {
        lock.withLock { summarized.filter { blobs.contains($0.key) } }.sorted { $0.key < $1.key }.map {
            ($0.key, $0.value)
        }
    }

    /// Appends the entries of `table` that `own` summaries (each with its blob's number) make,
    /// each as its blob number, its payload's length and the payload.
    static func appendEntries(
        of table: KeptHeaderReads.Table, _ own: [(number: Int, summary: HeaderSummary)], to entries: inout [String: [UInt8]]
    ) {
        func add(_ n: Int, _ name: String, _ payload: [UInt8]) {
            entries[name, default: []].appendEntry(n, payload)
        }
        entries.reserveCapacity(
            entries.count
                + own.reduce(0) { sum, entry in
                    let s = entry.summary
                    switch table {
                    case .providers: return sum + s.conditions.count
                    case .declarers: return sum + s.declared.count
                    case .wrappers: return sum + s.macroUses.count
                    case .structs: return sum + s.structs.count
                    case .mentions: return sum + s.mentions.count
                    case .strings: return sum + s.strings.count
                    }
                })
        for (n, summary) in own {
            switch table {
            case .providers:
                for (name, conditions) in summary.conditions { add(n, name, HeaderEntryCoding.conditions(conditions)) }
            case .declarers: for name in summary.declared { add(n, name, []) }
            case .wrappers: for (name, uses) in summary.macroUses { add(n, name, HeaderEntryCoding.uses(uses)) }
            case .structs: for (tag, members) in summary.structs { add(n, tag, HeaderEntryCoding.words(members)) }
            case .mentions: for (name, words) in summary.mentions { add(n, name, HeaderEntryCoding.words(words)) }
            case .strings: for (name, text) in summary.strings { add(n, name, HeaderEntryCoding.text(text)) }
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// A name-table entry: the blob's number, the payload's length, the payload.
    fileprivate mutating func appendEntry(_ number: Int, _ payload: [UInt8]) {
        ByteWriter.append(number, to: &self)
        ByteWriter.append(payload.count, to: &self)
        append(contentsOf: payload)
    }
}

/// The Kconfig files one parse read, with their blobs (filled by the parser's read callback).
final class KconfigFilesRead {
    var files: [String: ObjectID] = [:]
}

extension KernelModel {
    /// Asks `evaluator` for the ranges making `units` reads (`makeUnit` in `init`), so that they
    /// are known when it does: a unit's gates with nothing assumed, its own symbol's, and, for a
    /// possible module, its objects' conditions with the symbol at m.
    static func workOutRanges(for units: [KbuildUnit], _ evaluator: KconfigEvaluator) {
        for unit in units {
            for c in unit.configs { _ = evaluator.range(c) }
            guard !unit.builtinOnly, let own = unit.configs.last, evaluator.canBeModule(own) else { continue }
            for configs in unit.objectConditions.values {
                for c in configs { _ = evaluator.range(c, assuming: [own: .m]) }
            }
            for groups in unit.objectAnyOf.values {
                for group in groups { for c in group { _ = evaluator.range(c, assuming: [own: .m]) } }
            }
        }
    }
}

/// Reads the Kconfig files of one parse: each file's text, with the files read and their blobs
/// (the key of a Kconfig snapshot); `incomplete` when a file could not be read.
final class KconfigTextReader: @unchecked Sendable {
    let files = KconfigFilesRead()
    private(set) var incomplete = false
    private let text: (ObjectID, String) -> String?

    init(_ text: @escaping (ObjectID, String) -> String?) { self.text = text }

    /// (`recorded`: the file counts in the snapshot's key; the top Makefile, read for the
    /// kernel version, does not.)
    func read(_ path: String, in tree: KernelTree, recorded: Bool = true) -> String? {
        guard let blob = tree.blobs[path] else { return nil }
        if recorded { files.files[path] = blob }
        guard let text = text(blob, path) else {
            incomplete = true
            return nil
        }
        return text
    }
}

/// A tree's Kconfig read whole, its evaluator, and what the parse said of it.
struct KconfigReading: @unchecked Sendable {
    var tree: KconfigTree
    var evaluator: KconfigEvaluator
    var problems: [String]
}

extension KernelModel {
    /// Reads a tree's whole Kconfig (a snapshot of an earlier parse of the same files, else a
    /// parse), and makes its evaluator: from `base`'s by comparison when their semantics agree.
    /// Snapshots are kept only of a parse that read every file.
    /// The architectures with a Kconfig directory, and the key of the tree's Kconfig snapshot.
    static func kconfigKey(of tree: KernelTree, store: FactStore) -> (architectures: [String], treeKey: ObjectID?) {
        var architectureSet = Set<String>()
        for (path, _) in tree.blobs {
            if let arch = architectureDirectory(of: path, kconfigOnly: true) { architectureSet.insert(String(arch)) }
        }
        let architectures = architectureSet.sorted()
        let treeKey = store.cache != nil ? FactCache.kconfigTreeKey(tree: tree.blobs, architectures: architectures) : nil
        return (architectures, treeKey)
    }

    /// `key`: the tree's `kconfigKey`, when the caller worked it out.
    static func readKconfig(
        tree: KernelTree, store: FactStore, base: KernelModel?, reader: KconfigTextReader,
        key: (architectures: [String], treeKey: ObjectID?)? = nil
    ) -> KconfigReading {
        Timing.mark("kconfig: model init")
        let blobs = tree.blobs
        // The tree as a run over the same Kconfig files parsed it (a snapshot), else parsed.
        let (architectures, treeKey) = key ?? kconfigKey(of: tree, store: store)
        var parsed: KconfigTree
        if let cache = store.cache, let treeKey, let kept = cache.kconfigTree(treeKey, blobs: blobs) {
            parsed = kept.tree
            reader.files.files = kept.files
        } else {
            parsed = KconfigParser.parse(
                root: "Kconfig", srcarch: nil, architectures: architectures, read: { reader.read($0, in: tree) })
            parsed.semantics = KconfigSemantics(
                version: reader.read("Makefile", in: tree, recorded: false).flatMap(KernelTree.kernelVersion))
            if let cache = store.cache, let treeKey, !reader.incomplete {
                let (kept, files) = (parsed, reader.files.files)
                cache.inBackground { cache.storeKconfigTree(kept, files: files, key: treeKey) }
            }
        }
        let kconfig = parsed
        let problems = kconfig.diagnostics.map { "\($0.file):\($0.line): \($0.message)" }
        Timing.mark("kconfig: tree read")
        // A base with the same semantics: the symbols whose meaning changed are found by
        // comparison, so what they cannot reach is kept from the base.
        if let base, let updated = KconfigEvaluator(tree: parsed, comparingWith: base.evaluator) {
            return KconfigReading(tree: kconfig, evaluator: updated, problems: problems)
        }
        // Its symbol graph as a run over the same Kconfig files kept it, else built and kept.
        let evaluator: KconfigEvaluator
        let graphName = treeKey.map(FactCache.kconfigGraphName)
        if let cache = store.cache, let graphName, !FactCache.rebuild,
            let kept = cache.snapshot(
                graphName, unreadable: "Kconfig graph snapshot", { KconfigEvaluator(tree: kconfig, graph: $0) })
        {
            evaluator = kept
        } else {
            evaluator = KconfigEvaluator(tree: kconfig)
            if let cache = store.cache, let graphName, !reader.incomplete {
                cache.storeSnapshot(graphName, evaluator.graphBytes)
            }
        }
        Timing.mark("kconfig: evaluator")
        // The ranges an earlier run over the same Kconfig files worked out (a snapshot).
        if let cache = store.cache, !reader.incomplete,
            let key = FactCache.rangesKey(
                files: reader.files.files, architectures: architectures, semantics: parsed.semantics)
        {
            if !FactCache.rebuild, let ranges = cache.kconfigRanges(key) { evaluator.seedDefaultRanges(ranges) }
            if !FactCache.rebuild, let answers = cache.kconfigWitnesses(key) { evaluator.seedWitnessAnswers(answers) }
            cache.keepRanges(
                of: evaluator, key: key, loaded: evaluator.defaultRangeCount,
                loadedWitnesses: evaluator.witnessAnswerCount)
        }
        return KconfigReading(tree: kconfig, evaluator: evaluator, problems: problems)
    }
}

/// The files of each directory of a tree (name → sorted file names), made on first use with one
/// pass over the paths: `$(...)` objects of kbuild (`obj-y += $(BITS).o`-style names) are expanded
/// against their directory's files, and a model expands many. Only paths matter: a model whose
/// tree has its base's paths (a patch that adds and removes no file) shares the base's.
final class DirectoryListing: @unchecked Sendable {
    private let tree: KernelTree
    private let lock = NSLock()
    private var byDirectory: [String: [String]]?

    /// A listing this one's tree differs from in `changed` paths only (files added or removed).
    private var base: (listing: DirectoryListing, changed: Set<String>)?

    init(_ tree: KernelTree) { self.tree = tree }

    /// The listing of `tree`, which has `base`'s paths but for `changed` ones: made from the
    /// base's when that one was made, not from a pass over every path.
    init(_ tree: KernelTree, updating base: DirectoryListing, changed: Set<String>) {
        self.tree = tree
        self.base = (base, changed)
    }

    func files(in dir: String) -> [String] { index()[dir] ?? [] }

    /// Every directory's files, made on first use: from the base's (made first, when it was not:
    /// the postings of a triage all descend from one base, which makes it once for them all).
    private func index() -> [String: [String]] {
        lock.withLock {
            if byDirectory == nil, let (listing, changed) = base {
                var index = listing.index()
                for path in changed {
                    let d = treeDirectory(of: path)
                    let name = String(path.dropFirst(d.isEmpty ? 0 : d.count + 1))
                    var names = index[d] ?? []
                    let present = tree.blobs[path] != nil
                    if present && !names.contains(name) {
                        names.insert(name, at: names.firstIndex { $0 > name } ?? names.endIndex)
                    } else if !present {
                        names.removeAll { $0 == name }
                    }
                    index[d] = names.isEmpty ? nil : names
                }
                byDirectory = index
                base = nil
            }
            if let known = byDirectory { return known }
            var index: [String: [String]] = [:]
            for path in tree.blobs.keys {
                let d = treeDirectory(of: path)
                index[d, default: []].append(String(path.dropFirst(d.isEmpty ? 0 : d.count + 1)))
            }
            for key in index.keys { index[key]!.sort() }
            byDirectory = index
            return index
        }
    }
}

/// Unit name → sources, made once for a list of units and shared by the models that keep it (a
/// patch to a header asks it for every unit whose resolutions it inherits).
final class UnitSourcesByName: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [String: [String]]?

    func table(_ units: [ModuleUnit]) -> [String: [String]] {
        lock.withLock {
            if let made { return made }
            let table = Dictionary(units.map { ($0.name, $0.sources) }, uniquingKeysWith: { a, _ in a })
            made = table
            return table
        }
    }
}

/// What a whole-tree model reads of a tree's paths besides Kconfig (made on another core).
struct WholeTreeLayout: @unchecked Sendable {
    var structureKey: ObjectID?
    var structure: ModelStructure?
    var headerPaths: Set<String>
    var architectures: [String]
    /// The key of the tree's headers, and what an earlier run read of them (a snapshot).
    var headerReadsKey: ObjectID?
    var headerReads: KeptHeaderReads?
}

/// A value worked out on another thread from the moment it is made; `value` waits for it.
/// (The thread has the large stack Kconfig evaluation needs: see `Modcheck.main`.)
final class BackgroundValue<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: T?

    init(_ make: @escaping @Sendable () -> T) {
        let thread = Thread {
            self.result = make()
            self.done.signal()
        }
        thread.stackSize = 1 << 29
        thread.start()
    }

    private let lock = NSLock()
    private var finished = false

    /// The value (waits until it is made; then returns at once). Any thread may ask.
    var value: T {
        lock.withLock {
            if !finished {
                done.wait()
                finished = true
            }
        }
        return result!
    }
}
