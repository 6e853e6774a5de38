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
    static let version = 2

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

    /// The key of a tree's headers: an order-free sum over each header's path and blob (as the
    /// structure key: no sort of 20k paths), their count, the architectures and the binary.
    struct KeyBuilder {
        private var sum: UInt64 = 0
        private var mixed: UInt64 = 0
        private var count = 0

        mutating func add(_ path: String, _ blob: ObjectID) {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in path.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            withUnsafeBytes(of: blob) { raw in
                for byte in raw { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            }
            sum &+= h
            var z = h &+ 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            mixed ^= z ^ (z >> 31)
            count += 1
        }

        func key(architectures: [String]) -> ObjectID? {
            let text =
                "header reads v\(KeptHeaderReads.version) \(FactCache.binaryIdentity)\n"
                + "architectures \(architectures.joined(separator: " "))\n\(count) \(sum) \(mixed)\n"
            return try? Repository.blobHash(Array(text.utf8))
        }
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
    func entries(_ table: Table, _ name: String) -> [(blob: ObjectID, bytes: ArraySlice<UInt8>)] {
        if let known = lock.withLock({ memo[table.rawValue]?[name] }) { return known }
        let found = bytes.withUnsafeBytes { raw -> [(blob: ObjectID, bytes: ArraySlice<UInt8>)] in
            guard let at = tables[table.rawValue].find(name, in: raw) else { return [] }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[at...]))
            guard let list = try? r.list({ r -> (Int, Int) in (try r.int(), try r.int()) }) else { return [] }
            var out: [(blob: ObjectID, bytes: ArraySlice<UInt8>)] = []
            var offset = at + r.position
            for (blob, length) in list {
                guard blob >= 0, blob < blobs.count, length >= 0, offset + length <= raw.count else { return [] }
                out.append((blobs[blob], bytes[offset..<offset + length]))
                offset += length
            }
            return out
        }
        lock.withLock { memo[table.rawValue, default: [:]][name] = found }
        return found
    }

    /// Every entry of `table` (what a new snapshot carries over).
    func allEntries(_ table: Table) -> [String: [(blob: ObjectID, bytes: ArraySlice<UInt8>)]] {
        let names = bytes.withUnsafeBytes { raw in tables[table.rawValue].entries(in: raw).map(\.0) }
        var out: [String: [(blob: ObjectID, bytes: ArraySlice<UInt8>)]] = [:]
        for name in names { out[name] = entries(table, name) }
        return out
    }

    /// Writes what `graph` read (with what it was given from `kept`) and the name table's
    /// entries of those headers' blobs.
    static func store(graph: HeaderGraph, names: HeaderNameTable, key: ObjectID, cache: FactCache) {
        let reads = graph.readHeaders()
        var blobNumbers: [ObjectID: Int] = [:]
        var blobList: [ObjectID] = []
        func number(_ blob: ObjectID) -> Int {
            if let n = blobNumbers[blob] { return n }
            blobNumbers[blob] = blobList.count
            blobList.append(blob)
            return blobList.count - 1
        }
        for read in reads { _ = number(read.blob) }
        let entries = names.encodedEntries(of: Set(blobList))
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
        for table in Table.allCases {
            let list = (entries[table] ?? [:]).map { name, values -> (String, [UInt8]) in
                var w = ByteWriter()
                w.list(values) { value, w in
                    w.int(number(value.blob))
                    w.int(value.bytes.count)
                }
                var bytes = w.bytes
                for value in values { bytes += value.bytes }
                return (name, bytes)
            }
            SortedNameTable.append(list, to: &out)
        }
        cache.storeSnapshot(name(key), out)
    }
}

/// The name-table entry values, each its own record (a kept entry is decoded alone).
enum HeaderEntryCoding {
    static func conditions(_ c: [PreprocessorCondition]) -> [UInt8] {
        var w = ByteWriter()
        w.list(c) { FactCodec.condition($0, &$1) }
        return w.bytes
    }

    static func conditions(_ bytes: ArraySlice<UInt8>) -> [PreprocessorCondition]? {
        decode(bytes) { r in try r.list { try FactCodec.condition(&$0) } }
    }

    static func uses(_ u: [MacroUse]) -> [UInt8] {
        var w = ByteWriter()
        w.list(u) { FactCodec.macroUse($0, &$1) }
        return w.bytes
    }

    static func uses(_ bytes: ArraySlice<UInt8>) -> [MacroUse]? {
        decode(bytes) { r in try r.list { try FactCodec.macroUse(&$0) } }
    }

    static func words(_ s: Set<String>) -> [UInt8] {
        var w = ByteWriter()
        w.strings(s.sorted())
        return w.bytes
    }

    static func words(_ bytes: ArraySlice<UInt8>) -> Set<String>? { decode(bytes) { Set(try $0.strings()) } }

    static func text(_ s: String) -> [UInt8] {
        var w = ByteWriter()
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
