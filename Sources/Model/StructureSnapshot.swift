import CSource
import Facts
import Foundation
import Git
import Kbuild

/// What a whole-tree model works out from the tree's structure alone — the kbuild map (parsed
/// Makefiles and resolved units), the sources kbuild compiles with the `.c` files they include,
/// and the module units with their Kconfig answers — kept in the cache for the next run over a
/// tree with the same structure: the next `series`, `b4-check` or `triage` on the same base, the
/// hook on a branch whose base was checked before.
///
/// The structure depends on every path (directory listings expand `$(BITS).o`-style objects),
/// on the content of every file except headers (Kconfig, Makefiles and fragments they include,
/// the `.c` files whose `#include "x.c"` kbuild compiles along), on the modcheck binary (the
/// Kconfig evaluator's and kbuild reader's answers) and on the `.config` (none: snapshots are
/// made only for the worst-case view). Headers do not enter it, so a tree that differs from a
/// snapshotted one only in headers shares its structure.
struct ModelStructure {
    var kbuild: KbuildMap
    var compiled: Set<String>
    var included: [String: [String]]
    var guards: [String: PreprocessorCondition]
    var units: [ModuleUnit]

    /// Bump when what the structure holds or means changes.
    static let version = 1

    /// The key of `tree`'s structure: an order-independent 128-bit digest over every path (with
    /// its blob id, except for headers), with the modcheck binary and the format version.
    static func key(of tree: KernelTree) -> ObjectID? {
        var sum = PathSetSum()
        for (path, blob) in tree.blobs { sum.add(path, path.hasSuffix(".h") ? nil : blob) }
        let text = "model structure v\(version) \(FactCache.binaryIdentity)\n\(sum.text)\n"
        return try? Repository.blobHash(Array(text.utf8))
    }

    static func name(_ key: ObjectID) -> String { "structure-\(key.hex).model" }

    /// The structure a run kept for `key`; nil when there is none or it is damaged (noted, removed).
    static func load(_ key: ObjectID, cache: FactCache) -> ModelStructure? {
        guard !FactCache.rebuild else { return nil }
        return cache.snapshot(name(key), unreadable: "model structure snapshot") { payload in
            payload.withUnsafeBytes { raw -> ModelStructure? in
                var r = ByteReader(raw)
                return try? decode(&r)
            }
        }
    }

    func store(_ key: ObjectID, cache: FactCache) {
        var w = ByteWriter()
        encode(&w)
        cache.storeSnapshot(ModelStructure.name(key), w.bytes)
    }

    // MARK: Encoding (ByteWriter: varints, strings once per snapshot)

    func encode(_ w: inout ByteWriter) {
        w.list(kbuild.units) { Self.kbuildUnit($0, &$1) }
        w.list(kbuild.diagnostics) { Self.diagnostic($0, &$1) }
        Self.makefiles(kbuild.makefiles, &w)
        Self.makefiles(kbuild.rootMakefiles, &w)
        w.strings(kbuild.unreachedObjects)
        w.bool(kbuild.reachableDirectories != nil)
        if let reachable = kbuild.reachableDirectories { w.strings(reachable.sorted()) }
        w.strings(compiled.sorted())
        w.map(included) { $1.strings($0) }
        w.map(guards) { FactCodec.condition($0, &$1) }
        w.list(units) { Self.moduleUnit($0, &$1) }
    }

    static func decode(_ r: inout ByteReader) throws -> ModelStructure {
        let units = try r.list { try kbuildUnit(&$0) }
        let diagnostics = try r.list { try diagnostic(&$0) }
        var kbuild = KbuildMap(units: units, diagnostics: diagnostics)
        kbuild.makefiles = try makefiles(&r)
        kbuild.rootMakefiles = try makefiles(&r)
        kbuild.unreachedObjects = try r.strings()
        kbuild.reachableDirectories = try r.bool() ? Set(try r.strings()) : nil
        let compiled = Set(try r.strings())
        let included = try r.map { try $0.strings() }
        let guards = try r.map { try FactCodec.condition(&$0) }
        let moduleUnits = try r.list { try moduleUnit(&$0) }
        guard r.isAtEnd else { throw ByteDecodingError() }
        return ModelStructure(kbuild: kbuild, compiled: compiled, included: included, guards: guards, units: moduleUnits)
    }

    static func diagnostic(_ d: KbuildDiagnostic, _ w: inout ByteWriter) {
        w.string(d.file)
        w.int(d.line)
        w.string(d.message)
    }

    static func diagnostic(_ r: inout ByteReader) throws -> KbuildDiagnostic {
        KbuildDiagnostic(file: try r.string(), line: try r.int(), message: try r.string())
    }

    static func kbuildGuard(_ g: KbuildGuard, _ w: inout ByteWriter) {
        w.string(g.config)
        w.bool(g.requiresBuiltin)
        w.bool(g.negated)
        w.strings(g.alternatives)
    }

    static func kbuildGuard(_ r: inout ByteReader) throws -> KbuildGuard {
        KbuildGuard(config: try r.string(), requiresBuiltin: try r.bool(), negated: try r.bool(), alternatives: try r.strings())
    }

    static func kbuildUnit(_ u: KbuildUnit, _ w: inout ByteWriter) {
        w.string(u.name)
        w.strings(u.configs)
        w.bool(u.builtinOnly)
        w.strings(u.objects)
        w.list(u.condition.requirements) { kbuildGuard($0, &$1) }
        w.map(u.objectConditions) { $1.strings($0) }
        w.map(u.objectAnyOf) { v, w in w.list(v) { $1.strings($0) } }
        w.string(u.makefile)
        w.int(u.line)
    }

    static func kbuildUnit(_ r: inout ByteReader) throws -> KbuildUnit {
        var unit = KbuildUnit(name: try r.string(), configs: try r.strings(), builtinOnly: try r.bool(), objects: try r.strings())
        unit.condition = KbuildCondition(try r.list { try kbuildGuard(&$0) })
        unit.objectConditions = try r.map { try $0.strings() }
        unit.objectAnyOf = try r.map { r in try r.list { try $0.strings() } }
        unit.makefile = try r.string()
        unit.line = try r.int()
        return unit
    }

    static func makefiles(_ map: [String: KbuildMakefile], _ w: inout ByteWriter) {
        w.map(map) { m, w in
            w.string(m.path)
            w.list(m.assignments) { a, w in
                w.string(a.list)
                w.optionalString(a.selector)
                w.strings(a.objects)
                w.int(a.line)
                w.list(a.guards) { kbuildGuard($0, &$1) }
                w.map(a.objectConfigs) { $1.strings($0) }
            }
            w.list(m.diagnostics) { diagnostic($0, &$1) }
            w.strings(m.included)
        }
    }

    static func makefiles(_ r: inout ByteReader) throws -> [String: KbuildMakefile] {
        try r.map { r in
            let path = try r.string()
            let assignments = try r.list { r -> KbuildAssignment in
                var a = KbuildAssignment(
                    list: try r.string(), selector: try r.optionalString(), objects: try r.strings(), line: try r.int(),
                    guards: try r.list { try kbuildGuard(&$0) })
                a.objectConfigs = try r.map { try $0.strings() }
                return a
            }
            var makefile = KbuildMakefile(
                path: path, assignments: assignments, diagnostics: try r.list { try diagnostic(&$0) })
            makefile.included = try r.strings()
            return makefile
        }
    }

    static func moduleUnit(_ u: ModuleUnit, _ w: inout ByteWriter) {
        w.string(u.name)
        w.strings(u.sources)
        w.strings(u.moduleSources)
        w.optionalString(u.config)
        w.strings(u.configs)
        w.bool(u.canBeModule)
        w.bool(u.canBeBuiltin)
        w.map(u.sourceConditions) { $1.strings($0) }
        w.map(u.sourceGuards) { FactCodec.condition($0, &$1) }
        w.list(u.anyOf) { $1.strings($0) }
        w.map(u.sourceAnyOf) { v, w in w.list(v) { $1.strings($0) } }
        w.list(u.excluded) { e, w in
            w.string(e.config)
            w.bool(e.builtin)
        }
    }

    static func moduleUnit(_ r: inout ByteReader) throws -> ModuleUnit {
        let name = try r.string()
        let sources = try r.strings()
        let moduleSources = try r.strings()
        let config = try r.optionalString()
        let configs = try r.strings()
        var unit = ModuleUnit(
            name: name, sources: sources, config: config, configs: configs, canBeModule: try r.bool(),
            canBeBuiltin: try r.bool())
        unit.moduleSources = moduleSources
        unit.sourceConditions = try r.map { try $0.strings() }
        unit.sourceGuards = try r.map { try FactCodec.condition(&$0) }
        unit.anyOf = try r.list { try $0.strings() }
        unit.sourceAnyOf = try r.map { r in try r.list { try $0.strings() } }
        unit.excluded = try r.list { r in (config: try r.string(), builtin: try r.bool()) }
        return unit
    }
}

/// An order-free digest of a set of paths (each with its blob, or without): the sum of each
/// entry's FNV-1a hash and, independently, the xor of its splitmix64 mix, with the count — no
/// sort of 65k paths. What a snapshot keyed by a tree's paths (its structure, its headers) keys.
struct PathSetSum {
    private var sum: UInt64 = 0
    private var mixed: UInt64 = 0
    private(set) var count = 0

    mutating func add(_ path: String, _ blob: ObjectID?) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        if let blob {
            withUnsafeBytes(of: blob) { raw in
                for byte in raw { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            }
        }
        sum &+= h
        var z = h &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        mixed ^= z ^ (z >> 31)
        count += 1
    }

    /// The count and both sums.
    var text: String { "\(count) \(sum) \(mixed)" }
}
