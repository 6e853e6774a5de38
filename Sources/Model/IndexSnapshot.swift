import CSource
import Facts
import Foundation
import Git

/// A whole tree's symbol index — every non-static definition and every export of the sources
/// kbuild compiles (and the exports of objects it does not reach), with the files that export
/// through a wrapper macro — kept in the cache under the tree id, so that the next run over the
/// same tree (the base of `series`, `b4-check`, `triage`; the parent of a hook's commit; a `tree`
/// checked before) reads it instead of decoding the facts of twenty thousand files.
///
/// The snapshot is laid out to be read in place: names sorted by their bytes, each with where its
/// value is, so that a lookup is a binary search over the file's bytes and decodes one value;
/// nothing is decoded when the snapshot is read. A model read from it asks for a compiled file's
/// facts only when something needs them (the fact store decodes and remembers them then).
///
/// Kept only when building the index met no problem (no unreadable blob, no file over the scan
/// limits): a model read from the snapshot then reports exactly what a model built from the facts
/// would, which is nothing.
final class SymbolIndexSnapshot: @unchecked Sendable {
    /// Bump when what the snapshot holds or means changes.
    static let version = 1

    private let bytes: [UInt8]
    private let paths: [String]
    let wrapperFiles: Set<String>
    private let definitionTable: SortedNameTable
    private let exportTable: SortedNameTable

    /// What the index of `tree` depends on besides the tree: the binary (scanner, kbuild reader)
    /// and the scan limits (kept for the worst-case view only: no `.config`).
    static func key(tree: ObjectID, files: Int, limits: String) -> ObjectID? {
        let text = "symbol index v\(version) \(FactCache.binaryIdentity)\ntree \(tree.hex) \(files)\nlimits \(limits)\n"
        return try? Repository.blobHash(Array(text.utf8))
    }

    static func name(_ key: ObjectID) -> String { "index-\(key.hex).symbols" }

    /// The snapshot kept under `key`; nil when there is none or it is damaged (noted, removed).
    static func load(_ key: ObjectID, cache: FactCache) -> SymbolIndexSnapshot? {
        guard !FactCache.rebuild else { return nil }
        return cache.snapshot(name(key), unreadable: "symbol index snapshot", SymbolIndexSnapshot.init)
    }

    private init?(_ payload: [UInt8]) {
        bytes = payload
        var parsed: (paths: [String], wrappers: [String], definitions: SortedNameTable, exports: SortedNameTable)?
        payload.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard let paths = try? r.strings(), let wrappers = try? r.strings(),
                let definitions = SortedNameTable(raw, at: r.position),
                let exports = SortedNameTable(raw, at: definitions.end)
            else { return }
            parsed = (paths, wrappers, definitions, exports)
        }
        guard let parsed else { return nil }
        paths = parsed.paths
        wrapperFiles = Set(parsed.wrappers)
        definitionTable = parsed.definitions
        exportTable = parsed.exports
    }

    /// The definitions of `name` (nil: none), as the built index has them.
    func definitions(_ name: String) -> [SymbolProvider]? {
        value(definitionTable, name) { r in
            SymbolProvider(path: try path(r.int()), line: try r.int())
        }
    }

    /// The export sites of `name` (nil: none).
    func exports(_ name: String) -> [KernelModel.ExportSite]? {
        value(exportTable, name) { r in
            let path = try path(r.int())
            let line = try r.int()
            return KernelModel.ExportSite(path: path, line: line, flavour: try FactCodec.flavour(&r))
        }
    }

    private func path(_ index: Int) throws -> String {
        guard index >= 0, index < paths.count else { throw ByteDecodingError() }
        return paths[index]
    }

    private func value<T>(_ table: SortedNameTable, _ name: String, _ element: (inout ByteReader) throws -> T) -> [T]? {
        bytes.withUnsafeBytes { raw -> [T]? in
            guard let at = table.find(name, in: raw) else { return nil }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[at...]))
            return try? r.list(element)
        }
    }

    // MARK: The exports wrapper macros make (`ACPI_EXPORT_SYMBOL(x)`), by file: worked out when
    // first asked for (from the files' include closures), kept beside the index.

    static func wrappersName(_ key: ObjectID) -> String { "index-\(key.hex).wrappers" }

    static func storeWrapperExports(_ byPath: [String: [(String, KernelModel.ExportSite)]], key: ObjectID, cache: FactCache) {
        var w = ByteWriter()
        w.list(byPath.sorted { $0.key < $1.key }) { entry, w in
            w.string(entry.key)
            w.list(entry.value) { e, w in
                w.string(e.0)
                w.int(e.1.line)
                FactCodec.flavour(e.1.flavour, &w)
            }
        }
        cache.storeSnapshot(wrappersName(key), w.bytes)
    }

    static func loadWrapperExports(_ key: ObjectID, cache: FactCache) -> [String: [(String, KernelModel.ExportSite)]]? {
        guard !FactCache.rebuild else { return nil }
        return cache.snapshot(wrappersName(key), unreadable: "wrapper exports snapshot") { payload in
            payload.withUnsafeBytes { raw -> [String: [(String, KernelModel.ExportSite)]]? in
                var r = ByteReader(raw)
                guard
                    let entries = try? r.list({ r -> (String, [(String, KernelModel.ExportSite)]) in
                        let path = try r.string()
                        return (
                            path,
                            try r.list { r in
                                let name = try r.string()
                                let line = try r.int()
                                return (name, KernelModel.ExportSite(path: path, line: line, flavour: try FactCodec.flavour(&r)))
                            }
                        )
                    }), r.isAtEnd
                else { return nil }
                return Dictionary(entries, uniquingKeysWith: { a, _ in a })
            }
        }
    }

    /// The payload of a snapshot of these tables.
    static func encode(
        definitions: [String: [SymbolProvider]], exports: [String: [KernelModel.ExportSite]], wrapperFiles: Set<String>
    ) -> [UInt8] {
        var paths = PathNumbers()
        let definitionValues = definitions.map { name, providers -> (String, [UInt8]) in
            var w = ByteWriter(capacity: 32)
            w.list(providers) { p, w in
                w.int(paths.number(p.path))
                w.int(p.line)
            }
            return (name, w.bytes)
        }
        let exportValues = exports.map { name, sites -> (String, [UInt8]) in
            var w = ByteWriter(capacity: 32)
            w.list(sites) { s, w in
                w.int(paths.number(s.path))
                w.int(s.line)
                FactCodec.flavour(s.flavour, &w)
            }
            return (name, w.bytes)
        }
        var w = ByteWriter()
        w.strings(paths.paths)
        w.strings(wrapperFiles.sorted())
        var out = w.bytes
        SortedNameTable.append(definitionValues, to: &out)
        SortedNameTable.append(exportValues, to: &out)
        return out
    }
}

/// Paths numbered in the order first met: a snapshot writes each once and its values the numbers.
struct PathNumbers {
    private(set) var paths: [String] = []
    private var numbers: [String: Int] = [:]

    mutating func number(_ path: String) -> Int {
        if let n = numbers[path] { return n }
        numbers[path] = paths.count
        paths.append(path)
        return paths.count - 1
    }
}

/// Names with byte values, sorted by the names' bytes, inside a larger buffer: a count, then per
/// name the offsets (from the table's start) and lengths of its name and value (4 bytes LE each),
/// then the names and values. Looked up by binary search, in place.
struct SortedNameTable {
    let start: Int
    let count: Int
    let end: Int

    static let entrySize = 16

    init?(_ raw: UnsafeRawBufferPointer, at start: Int) {
        guard start >= 0, raw.count - start >= 8 else { return nil }
        self.start = start
        count = Int(SortedNameTable.word(raw, start))
        let size = Int(SortedNameTable.word(raw, start + 4))
        guard count >= 0, size >= 8 + count * SortedNameTable.entrySize, size <= raw.count - start else { return nil }
        end = start + size
    }

    static func word(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    /// Entry `i`: its name's bytes and where its value starts; nil when the entry points outside
    /// the table (damage).
    func entry(_ i: Int, in raw: UnsafeRawBufferPointer) -> (name: UnsafeRawBufferPointer, value: Int)? {
        entryRange(i, in: raw).map { ($0.name, $0.value.lowerBound) }
    }

    /// Entry `i`: its name's bytes and where its value lies.
    func entryRange(_ i: Int, in raw: UnsafeRawBufferPointer) -> (name: UnsafeRawBufferPointer, value: Range<Int>)? {
        let entry = start + 8 + i * SortedNameTable.entrySize
        let nameAt = start + Int(SortedNameTable.word(raw, entry))
        let nameLength = Int(SortedNameTable.word(raw, entry + 4))
        let valueAt = start + Int(SortedNameTable.word(raw, entry + 8))
        let valueLength = Int(SortedNameTable.word(raw, entry + 12))
        guard nameAt >= start, nameAt + nameLength <= end, valueAt >= start, valueAt + valueLength <= end else {
            return nil
        }
        return (UnsafeRawBufferPointer(rebasing: raw[nameAt..<nameAt + nameLength]), valueAt..<valueAt + valueLength)
    }

    /// Where `name`'s value starts in `raw`; nil when the table has no such name (or is damaged
    /// there).
    func find(_ name: String, in raw: UnsafeRawBufferPointer) -> Int? { findRange(name, in: raw)?.lowerBound }

    /// Where `name`'s value lies in `raw`; nil when the table has no such name.
    func findRange(_ name: String, in raw: UnsafeRawBufferPointer) -> Range<Int>? {
        var name = name
        return name.withUTF8 { key -> Range<Int>? in
            var low = 0
            var high = count
            while low < high {
                let mid = (low + high) / 2
                guard let (entryName, value) = entryRange(mid, in: raw) else { return nil }
                let order = SortedNameTable.compare(entryName, UnsafeRawBufferPointer(key))
                if order == 0 { return value }
                if order < 0 { low = mid + 1 } else { high = mid }
            }
            return nil
        }
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int { PackedNames.compare(a, b) }

    /// Appends a table of `entries` (any order; names distinct) to `out`, written in place (no
    /// copy of the names and values but into `out`).
    static func append(_ entries: [(String, [UInt8])], to out: inout [UInt8]) {
        // The names' bytes side by side, and the entries ordered by them (no array per name).
        let names = PackedNames(entries.lazy.map(\.0))
        let (nameBytes, nameStart) = (names.bytes, names.starts)
        let order = names.byteOrder()
        func put(_ v: Int, _ into: inout [UInt8]) {
            for i in 0..<4 { into.append(UInt8((UInt32(v) >> (8 * UInt32(i))) & 0xff)) }
        }
        let dataStart = 8 + order.count * entrySize
        let dataSize = nameBytes.count + entries.reduce(0) { $0 + $1.1.count }
        out.reserveCapacity(out.count + dataStart + dataSize)
        put(order.count, &out)
        put(dataStart + dataSize, &out)
        var at = dataStart
        for i in order {
            let nameCount = nameStart[i + 1] - nameStart[i]
            put(at, &out)
            put(nameCount, &out)
            at += nameCount
            put(at, &out)
            put(entries[i].1.count, &out)
            at += entries[i].1.count
        }
        for i in order {
            out += nameBytes[nameStart[i]..<nameStart[i + 1]]
            out += entries[i].1
        }
    }
}

/// A whole tree's compiled C files outside a scope, by the last component of each name they
/// include and by each name they declare (ReverseUsers.swift: what a reverse search reads instead
/// of every compiled file), kept under the tree's symbol index key and the scope, read in place.
final class OutsideIndexSnapshot: @unchecked Sendable {
    static let version = 2
    private let bytes: [UInt8]
    private let paths: [String]
    private let includeTable: SortedNameTable
    private let declarationTable: SortedNameTable
    /// Each file's include names, by path (what a reverse search asks of a file it tied).
    private let fileIncludesTable: SortedNameTable

    static func name(_ key: ObjectID) -> String { "outside-\(key.hex).index" }

    static func load(_ key: ObjectID, cache: FactCache) -> OutsideIndexSnapshot? {
        guard !FactCache.rebuild else { return nil }
        return cache.snapshot(name(key), unreadable: "outside-source index snapshot", OutsideIndexSnapshot.init)
    }

    private init?(_ payload: [UInt8]) {
        bytes = payload
        var parsed: ([String], SortedNameTable, SortedNameTable, SortedNameTable)?
        payload.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard (try? r.int()) == OutsideIndexSnapshot.version, let paths = try? r.strings(),
                let includes = SortedNameTable(raw, at: r.position),
                let declarations = SortedNameTable(raw, at: includes.end),
                let fileIncludes = SortedNameTable(raw, at: declarations.end), fileIncludes.end == raw.count
            else { return }
            parsed = (paths, includes, declarations, fileIncludes)
        }
        guard let parsed else { return nil }
        (paths, includeTable, declarationTable, fileIncludesTable) = parsed
    }

    /// The include names of the compiled file at `path`; nil when the index has no such file.
    func includes(of path: String) -> [String]? {
        bytes.withUnsafeBytes { raw -> [String]? in
            guard let at = fileIncludesTable.find(path, in: raw) else { return nil }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[at...]))
            return try? r.strings()
        }
    }

    /// Every file's include names (a layered index flattened).
    func allIncludes() -> [String: [String]] {
        bytes.withUnsafeBytes { raw in
            var out: [String: [String]] = [:]
            for (path, at) in fileIncludesTable.entries(in: raw) {
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[at...]))
                out[path] = (try? r.strings()) ?? []
            }
            return out
        }
    }

    func files(including name: String) -> Set<String>? { files(includeTable, name) }
    func files(declaring name: String) -> Set<String>? { files(declarationTable, name) }

    private func files(_ table: SortedNameTable, _ name: String) -> Set<String>? {
        bytes.withUnsafeBytes { raw -> Set<String>? in
            guard let at = table.find(name, in: raw) else { return nil }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[at...]))
            guard let numbers = try? r.list({ try $0.int() }) else { return nil }
            var out = Set<String>()
            for n in numbers where n >= 0 && n < paths.count { out.insert(paths[n]) }
            return out
        }
    }

    /// Both tables whole (a layered index flattened).
    func tables() -> ([String: Set<String>], [String: Set<String>]) {
        bytes.withUnsafeBytes { raw in (all(includeTable, raw), all(declarationTable, raw)) }
    }

    private func all(_ table: SortedNameTable, _ raw: UnsafeRawBufferPointer) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for (name, at) in table.entries(in: raw) {
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[at...]))
            let numbers = (try? r.list({ try $0.int() })) ?? []
            out[name] = Set(numbers.filter { $0 >= 0 && $0 < paths.count }.map { paths[$0] })
        }
        return out
    }

    static func store(
        _ tables: (includes: [String: Set<String>], declarations: [String: Set<String>], fileIncludes: [String: [String]]),
        key: ObjectID, cache: FactCache
    ) {
        var paths = PathNumbers()
        func encode(_ table: [String: Set<String>]) -> [(String, [UInt8])] {
            table.map { name, files in
                var w = ByteWriter(capacity: 32)
                w.list(files.sorted()) { path, w in w.int(paths.number(path)) }
                return (name, w.bytes)
            }
        }
        let includes = encode(tables.includes)
        let declarations = encode(tables.declarations)
        var w = ByteWriter()
        w.int(version)
        w.strings(paths.paths)
        var out = w.bytes
        SortedNameTable.append(includes, to: &out)
        SortedNameTable.append(declarations, to: &out)
        SortedNameTable.append(
            tables.fileIncludes.map { path, names in
                var w = ByteWriter(capacity: 32)
                w.strings(names)
                return (path, w.bytes)
            }, to: &out)
        cache.storeSnapshot(name(key), out)
    }
}

extension SortedNameTable {
    /// Every name with where its value starts (a damaged entry ends the walk).
    func entries(in raw: UnsafeRawBufferPointer) -> [(String, Int)] {
        var out: [(String, Int)] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            guard let (name, value) = entry(i, in: raw) else { break }
            out.append((String(decoding: name, as: UTF8.self), value))
        }
        return out
    }
}
