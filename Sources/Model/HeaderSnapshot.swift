import CSource
import Facts
import Foundation
import Git

/// What runs over a tree's headers read of them, kept for the next run over the same headers: per
/// header read, its blob and the headers its includes land on (numbers of the graph, whose
/// numbering is the sorted header paths), and the name table of those headers' summaries (which
/// blob provides, declares, wraps, defines a struct or a string of each name). A whole tree's
/// first include closure reads ~3,000 headers' facts, makes their summaries, resolves their
/// includes and indexes their names (a quarter of a warm hook); from this snapshot it follows
/// kept edges and marks blobs as read.
///
/// Keyed by the header paths with their blobs, the architectures and the binary: the same key
/// means the same numbering, the same includes landing on the same headers, the same summaries.
/// A run's answers stay those of a run without it: a kept header counts as read only when the
/// closure that reads it reaches it (HeaderGraph), and a kept name-table entry answers only once
/// its blob counts as read, in the order the blobs were read (HeaderNameTable).
final class KeptHeaderReads: @unchecked Sendable {
    static let version = 3

    let key: ObjectID
    let headerCount: Int
    /// Header number → its blob, the numbers of the headers it includes, and the notes reading
    /// it reported (the scanner's limits: a run that follows it reports them as reading would).
    let reads: [Int: (blob: ObjectID, includes: [Int], notes: [String])]
    /// The blobs the name tables hold entries of, numbered as the entries name them.
    let blobs: [ObjectID]
    let blobSet: Set<ObjectID>
    private let bytes: [UInt8]
    private let tables: [SortedNameTable]
    private let lock = NSLock()
    private var memo: [Int: [String: [(blob: ObjectID, bytes: ArraySlice<UInt8>)]]] = [:]


    /// The six name tables, in this order.
    enum Table: Int, CaseIterable {
        case providers, declarers, wrappers, structs, mentions, strings
    }

    static func name(_ key: ObjectID) -> String { "headers-\(key.hex).reads" }

    /// The key of a tree's headers (every header path with its blob: `headers`, a PathSetSum),
    /// for a model of `scope` (the headers a run reads follow the units it checks: a `--scope
    /// drivers` run reads 20k of them, a hook's run 3,000; each keeps its own), the architectures
    /// and the binary.
    static func key(headers: PathSetSum, architectures: [String], scope: [String]) -> ObjectID? {
        let text =
            "header reads v\(version) \(FactCache.binaryIdentity)\n"
            + "architectures \(architectures.joined(separator: " "))\nscope \(scope.joined(separator: " "))\n"
            + "\(headers.text)\n"
        return try? Repository.blobHash(Array(text.utf8))
    }

    static func load(_ key: ObjectID, cache: FactCache) -> KeptHeaderReads? {
        guard !FactCache.rebuild else { return nil }
        return cache.snapshot(name(key), unreadable: "header reads snapshot") { KeptHeaderReads(key: key, payload: $0) }
    }

    private init?(key: ObjectID, payload: [UInt8]) {
        self.key = key
        bytes = payload
        var parsed: (Int, [Int: (ObjectID, [Int], [String])], [ObjectID], [SortedNameTable])?
        payload.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard (try? r.int()) == KeptHeaderReads.version, let count = try? r.int(), count >= 0,
                let blobs = try? r.list({ r -> ObjectID in
                    guard let id = ObjectID(hex: try r.string()) else { throw ByteDecodingError() }
                    return id
                }),
                let list = try? r.list({ r -> (Int, Int, [Int], [String]) in
                    (try r.int(), try r.int(), try r.list { try $0.int() }, try r.strings())
                })
            else { return }
            var reads: [Int: (ObjectID, [Int], [String])] = [:]
            reads.reserveCapacity(list.count)
            for (header, blob, includes, notes) in list {
                guard header >= 0, header < count, blob >= 0, blob < blobs.count,
                    includes.allSatisfy({ $0 >= 0 && $0 < count })
                else { return }
                reads[header] = (blobs[blob], includes, notes)
            }
            var tables: [SortedNameTable] = []
            var at = r.position
            for _ in Table.allCases {
                guard let table = SortedNameTable(raw, at: at) else { return }
                tables.append(table)
                at = table.end
            }
            guard at == raw.count else { return }
            parsed = (count, reads, blobs, tables)
        }
        guard let parsed else { return nil }
        headerCount = parsed.0
        reads = parsed.1.mapValues { (blob: $0.0, includes: $0.1, notes: $0.2) }
        blobs = parsed.2
        blobSet = Set(parsed.2)
        tables = parsed.3
    }

    /// The entries of `name` in `table`: each blob with its value's bytes (decoded by the caller).
    /// A name's value is its entries one after another: the blob's number, the length, the bytes.
    func entries(_ table: Table, _ name: String) -> [(blob: ObjectID, bytes: ArraySlice<UInt8>)] {
        if let known = lock.withLock({ memo[table.rawValue]?[name] }) { return known }
        let found = bytes.withUnsafeBytes { raw -> [(blob: ObjectID, bytes: ArraySlice<UInt8>)] in
            guard let range = tables[table.rawValue].findRange(name, in: raw) else { return [] }
            var out: [(blob: ObjectID, bytes: ArraySlice<UInt8>)] = []
            var offset = range.lowerBound
            while offset < range.upperBound {
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[offset..<range.upperBound]))
                guard let blob = try? r.int(), let length = try? r.int(), blob >= 0, blob < blobs.count, length >= 0
                else { return [] }
                let at = offset + r.position
                guard length <= range.upperBound - at else { return [] }
                out.append((blobs[blob], bytes[at..<at + length]))
                offset = at + length
            }
            return out
        }
        lock.withLock { memo[table.rawValue, default: [:]][name] = found }
        return found
    }

    /// Every name of `table` with its value's bytes as kept (carried into a new snapshot whole:
    /// its blob numbers hold there, the new snapshot's blob list starting with this one's).
    func rawValues(_ table: Table) -> [(String, ArraySlice<UInt8>)] {
        bytes.withUnsafeBytes { raw in
            var out: [(String, ArraySlice<UInt8>)] = []
            let t = tables[table.rawValue]
            out.reserveCapacity(t.count)
            for i in 0..<t.count {
                guard let (name, value) = t.entryRange(i, in: raw) else { break }
                out.append((String(decoding: name, as: UTF8.self), bytes[value]))
            }
            return out
        }
    }

    /// Writes what `graph` read, with what its kept reads hold that it did not reach, and the
    /// name table's entries of those headers' blobs.
    static func store(graph: HeaderGraph, names: HeaderNameTable, key: ObjectID, cache: FactCache) {
        let kept = graph.kept.flatMap { $0 === names.kept ? $0 : nil }
        var reads = graph.readHeaders()
        if let kept {
            let read = Set(reads.map(\.header))
            for (header, k) in kept.reads where !read.contains(header) {
                reads.append((header, k.blob, k.includes, k.notes))
            }
            reads.sort { $0.header < $1.header }
        }
        // Kept blobs first, in their order: the kept entries' numbers stay right.
        var blobNumbers: [ObjectID: Int] = [:]
        var blobList: [ObjectID] = []
        func number(_ blob: ObjectID) -> Int {
            if let n = blobNumbers[blob] { return n }
            blobNumbers[blob] = blobList.count
            blobList.append(blob)
            return blobList.count - 1
        }
        for blob in kept?.blobs ?? [] { _ = number(blob) }
        for read in reads { _ = number(read.blob) }
        // Each table is sorted and laid out on its own, two at a time (the encoding of a cold
        // run's reads is a tenth of its time).
        let blobs = Set(blobList)
        let own = names.ownSummaries(of: blobs).map { (blobNumbers[$0.blob]!, $0.summary) }
        let laidOut = ParallelSlots<[UInt8]>(count: Table.allCases.count)
        defer { laidOut.free() }
        DispatchQueue.concurrentPerform(iterations: Table.allCases.count) { i in
            let table = Table.allCases[i]
            var entries: [String: [UInt8]] = [:]
            for (name, value) in kept?.rawValues(table) ?? [] { entries[name] = Array(value) }
            HeaderNameTable.appendEntries(of: table, own, to: &entries)
            var out: [UInt8] = []
            SortedNameTable.append(entries.map { ($0.key, $0.value) }, to: &out)
            laidOut.set(i, out)
        }
        var w = ByteWriter()
        w.int(version)
        w.int(graph.paths.count)
        w.list(blobList) { $1.string($0.hex) }
        w.list(reads) { read, w in
            w.int(read.header)
            w.int(number(read.blob))
            w.list(read.includes) { $1.int($0) }
            w.strings(read.notes)
        }
        var out = w.bytes
        let tables = Table.allCases.indices.map { laidOut.get($0) ?? [] }
        out.reserveCapacity(out.count + tables.reduce(0) { $0 + $1.count })
        for table in tables { out += table }
        cache.storeSnapshot(name(key), out)
    }
}

/// The name-table entry values, each its own record (a kept entry is decoded alone).
enum HeaderEntryCoding {
    static func conditions(_ c: [PreprocessorCondition]) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.list(c) { FactCodec.condition($0, &$1) }
        return w.bytes
    }

    static func conditions(_ bytes: ArraySlice<UInt8>) -> [PreprocessorCondition]? {
        decode(bytes) { r in try r.list { try FactCodec.condition(&$0) } }
    }

    static func uses(_ u: [MacroUse]) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.list(u) { FactCodec.macroUse($0, &$1) }
        return w.bytes
    }

    static func uses(_ bytes: ArraySlice<UInt8>) -> [MacroUse]? {
        decode(bytes) { r in try r.list { try FactCodec.macroUse(&$0) } }
    }

    static func words(_ s: Set<String>) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.strings(s.sorted())
        return w.bytes
    }

    static func words(_ bytes: ArraySlice<UInt8>) -> Set<String>? { decode(bytes) { Set(try $0.strings()) } }

    static func text(_ s: String) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.string(s)
        return w.bytes
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String? { decode(bytes) { try $0.string() } }

    private static func decode<T>(_ bytes: ArraySlice<UInt8>, _ read: (inout ByteReader) throws -> T) -> T? {
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard let value = try? read(&r), r.isAtEnd else { return nil }
            return value
        }
    }
}
