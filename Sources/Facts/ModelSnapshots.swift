import Foundation
import Git
import Kconfig

/// Snapshots of what a model computed from its inputs, for the next run over the same inputs:
/// the Kconfig ranges without assumptions (every unit's and rule's first question), keyed by the
/// Kconfig files' blob ids, the architectures, the version semantics and the modcheck binary.
/// One file per key in the cache generation, written whole to a temporary file and renamed into
/// place (two runs writing the same snapshot both succeed, a reader never sees half a file),
/// with a checksum: a damaged snapshot is reported as a note, ignored and written again.
extension FactCache {
    /// Bump when the Kconfig evaluator's answers change meaning: old snapshots are then ignored.
    public static let rangesVersion = 1

    /// `MODCHECK_REBUILD=1`: read no snapshot — Kconfig ranges, model structure, a tree's checks or
    /// its report — build and check everything (scripts/accuracy times and verifies the model),
    /// and keep them again. `MODCHECK_REBUILD=checks`: read the model's snapshots but check again
    /// (scripts/accuracy's second pass compares a model built from them with a full build).
    public static let rebuild = ProcessInfo.processInfo.environment["MODCHECK_REBUILD"].map { $0 != "checks" } ?? false
    /// Whether kept checks and reports are not read back (any `MODCHECK_REBUILD`).
    public static let recheck = ProcessInfo.processInfo.environment["MODCHECK_REBUILD"] != nil

    /// The running binary, by path, size and modification time: snapshots hold what this build
    /// computed, and a rebuilt or upgraded modcheck (whose evaluator or rules may answer
    /// differently) never reads another build's.
    public static let binaryIdentity: String = {
        let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "unknown" }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(path) \(size) \(modified)"
    }()

    /// The key of a Kconfig tree's ranges: its files (path and blob), architectures, semantics.
    public static func rangesKey(files: [String: ObjectID], architectures: [String], semantics: KconfigSemantics)
        -> ObjectID?
    {
        var text = "kconfig ranges v\(rangesVersion) \(binaryIdentity)\nimply-before-5.7 \(semantics.implyBeforeV57)\n"
        text += "architectures \(architectures.joined(separator: " "))\n"
        for (path, blob) in files.sorted(by: { $0.key < $1.key }) { text += "\(blob.hex) \(path)\n" }
        return try? Repository.blobHash(Array(text.utf8))
    }

    func rangesName(_ key: ObjectID) -> String { "kconfig-\(key.hex).ranges" }

    /// The ranges a run kept for `key`; nil when there is no snapshot or it is damaged (noted).
    public func kconfigRanges(_ key: ObjectID) -> [String: ClosedRange<Tristate>]? {
        snapshot(rangesName(key), unreadable: "Kconfig snapshot", FactCache.decodeRanges)
    }

    /// Remembers an evaluator whose ranges and witness answers are to be kept under `key` at
    /// `flush` (when it then knows more of them than the `loaded` and `loadedWitnesses` it
    /// started from).
    public func keepRanges(of evaluator: KconfigEvaluator, key: ObjectID, loaded: Int, loadedWitnesses: Int = 0) {
        lockedSnapshots { $0.append(KeptEvaluator(key: key, evaluator: evaluator, ranges: loaded, witnesses: loadedWitnesses)) }
    }

    func flushSnapshots() {
        let work = lockedSnapshots { list -> [KeptEvaluator] in
            defer { list = [] }
            return list
        }
        for kept in work {
            if kept.evaluator.defaultRangeCount > kept.ranges, let ranges = kept.evaluator.defaultRanges() {
                storeSnapshot(rangesName(kept.key), FactCache.encodeRanges(ranges))
            }
            if kept.evaluator.witnessAnswerCount > kept.witnesses {
                storeSnapshot(witnessesName(kept.key), FactCache.encodeWitnesses(kept.evaluator.witnessRecords()))
            }
        }
        for action in takeFlushActions() { action() }
    }

    func witnessesName(_ key: ObjectID) -> String { "kconfig-\(key.hex).witnesses" }

    /// The witness answers a run kept for `key` (Kconfig files, architectures, semantics, binary:
    /// the same questions have the same answers); nil when there are none or they are damaged.
    public func kconfigWitnesses(_ key: ObjectID) -> [KconfigWitnessRecord]? {
        snapshot(witnessesName(key), unreadable: "Kconfig witness snapshot", FactCache.decodeWitnesses)
    }

    static func encodeWitnesses(_ records: [KconfigWitnessRecord]) -> [UInt8] {
        func values(_ v: [String: Tristate], _ w: inout ByteWriter) {
            w.list(v.sorted { $0.key < $1.key }) { e, w in
                w.string(e.key)
                w.int(e.value.rawValue)
            }
        }
        // In a fixed order: the same answers make the same bytes.
        let sorted = records.map { r -> (String, KconfigWitnessRecord) in
            (
                KconfigWitness.text(r.exactly) + "|" + KconfigWitness.text(r.below) + "|" + (r.only ?? "-"), r
            )
        }.sorted { $0.0 < $1.0 }
        var w = ByteWriter()
        w.list(sorted) { entry, w in
            let r = entry.1
            values(r.exactly, &w)
            values(r.below, &w)
            w.optionalString(r.only)
            w.bool(r.found != nil)
            if let found = r.found {
                w.optionalString(found.architecture)
                values(found.asked, &w)
                values(found.adjusted, &w)
            }
        }
        return w.bytes
    }

    static func decodeWitnesses(_ bytes: [UInt8]) -> [KconfigWitnessRecord]? {
        bytes.withUnsafeBytes { raw -> [KconfigWitnessRecord]? in
            var r = ByteReader(raw)
            func values(_ r: inout ByteReader) throws -> [String: Tristate] {
                let list = try r.list { r -> (String, Tristate) in
                    let name = try r.string()
                    guard let value = Tristate(rawValue: try r.int()) else { throw ByteDecodingError() }
                    return (name, value)
                }
                return Dictionary(list, uniquingKeysWith: { a, _ in a })
            }
            let records = try? r.list { r -> KconfigWitnessRecord in
                let exactly = try values(&r)
                let below = try values(&r)
                let only = try r.optionalString()
                var found: KconfigWitnessRecord.Found?
                if try r.bool() {
                    found = .init(architecture: try r.optionalString(), asked: try values(&r), adjusted: try values(&r))
                }
                return KconfigWitnessRecord(exactly: exactly, below: below, only: only, found: found)
            }
            guard let records, r.isAtEnd else { return nil }
            return records
        }
    }

    /// An evaluator whose ranges and witness answers go to snapshots at `flush`, with how many of
    /// each it was seeded with.
    struct KeptEvaluator {
        var key: ObjectID
        var evaluator: KconfigEvaluator
        var ranges: Int
        var witnesses: Int
    }

    // MARK: Any snapshot: "MCSN" 1, payload, FNV-1a (4 LE) of everything before it.

    func snapshotPath(_ name: String) -> String { directory + "/" + name }

    /// The snapshot format: "MCSN", this byte, the payload, a checksum of everything before it.
    /// Format 3 sums the payload's 8-byte words (format 1 summed every byte: 10–25 ms of a warm
    /// run's 15 MB of snapshots); a snapshot of another format is not damage: it is removed and
    /// made again.
    static let snapshotFormat: UInt8 = 3

    /// A snapshot's payload; nil when there is none or it is damaged (noted, removed).
    public func snapshot(_ name: String) -> [UInt8]? {
        let path = snapshotPath(name)
        guard var bytes = FactCache.readWhole(path) else { return nil }
        let body = bytes.count - 4
        guard bytes.count >= 9, Array(bytes[0..<4]) == Array("MCSN".utf8) else {
            note("\(path): damaged snapshot; ignored and made again")
            unlink(path)
            return nil
        }
        guard bytes[4] == FactCache.snapshotFormat else {
            unlink(path)
            return nil
        }
        let stored = UInt32((0..<4).reduce(0) { $0 | Int(bytes[body + $1]) << (8 * $1) })
        guard stored == bytes.withUnsafeBytes({ FactCache.wordSum(UnsafeRawBufferPointer(rebasing: $0[5..<body])) }) else {
            note("\(path): damaged snapshot; ignored and made again")
            unlink(path)
            return nil
        }
        // Read means used: `cache prune` drops the current generation's files oldest first.
        utime(path, nil)
        bytes.removeLast(4)
        bytes.removeFirst(5)
        return bytes
    }

    /// The whole file at `path` (nil when it cannot be read), read into one array.
    static func readWhole(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 0 else { return nil }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                done += n
            }
            failed = done != size
            count = done
        }
        return failed ? nil : bytes
    }

    /// A 32-bit checksum of `bytes` by 8-byte words (FNV-1a's steps over words, folded).
    static func wordSum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let words = bytes.count / 8
        for i in 0..<words {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x0000_0100_0000_01b3
        }
        for i in words * 8..<bytes.count { h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01b3 }
        h ^= UInt64(bytes.count)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// A snapshot as `read` makes it of the payload; nil when there is none, or when it is damaged
    /// or `read` cannot read it (then noted and removed: the next run makes it again).
    public func snapshot<T>(_ name: String, unreadable what: String, _ read: ([UInt8]) -> T?) -> T? {
        guard let payload = snapshot(name) else { return nil }
        guard let value = read(payload) else {
            discardSnapshot(name, reason: "unreadable \(what)")
            return nil
        }
        return value
    }

    /// Drops a snapshot whose payload its reader could not read (noted; the next run makes it again).
    public func discardSnapshot(_ name: String, reason: String) {
        note("\(snapshotPath(name)): \(reason); ignored and made again")
        unlink(snapshotPath(name))
    }

    /// Stores a snapshot whole: written to a temporary file and renamed into place.
    public func storeSnapshot(_ name: String, _ payload: [UInt8]) {
        var trailer: [UInt8] = []
        FactCache.appendUInt32(&trailer, payload.withUnsafeBytes { FactCache.wordSum($0) })
        // Written in pieces: a snapshot of tens of megabytes is not copied again to be written.
        writeWhole(snapshotPath(name), [Array("MCSN".utf8) + [FactCache.snapshotFormat], payload, trailer])
    }

    /// Writes `pieces` one after another to a temporary file and renames it to `path`; a
    /// failure is noted.
    func writeWhole(_ path: String, _ pieces: [[UInt8]]) {
        switch FactCache.writeFile(path, pieces) {
        case .none: break
        case .some(.write(let temporary, let code)):
            note("\(temporary): cannot write a snapshot (errno \(code)); continuing without it")
        case .some(.rename(let code)):
            note("\(path): cannot put the snapshot in place (errno \(code))")
        }
    }

    enum WriteFailure {
        case write(temporary: String, errno: Int32)
        case rename(errno: Int32)
    }

    /// Writes `pieces` to a temporary file beside `path` and renames it into place (readers see
    /// the old file or the whole new one; two writers at once both succeed); nil when it worked.
    static func writeFile(_ path: String, _ pieces: [[UInt8]]) -> WriteFailure? {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { return .write(temporary: temporary, errno: errno) }
        var written = true
        for piece in pieces where written {
            written = piece.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return false }
                    done += n
                }
                return true
            }
        }
        let code = errno
        close(fd)
        guard written else {
            unlink(temporary)
            return .write(temporary: temporary, errno: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            return .rename(errno: code)
        }
        return nil
    }

    // A snapshot's payload: count (4 LE), per range: name length (2 LE), name, lower, upper.
    static func encodeRanges(_ ranges: [String: ClosedRange<Tristate>]) -> [UInt8] {
        var out: [UInt8] = []
        appendUInt32(&out, UInt32(ranges.count))
        for (name, range) in ranges.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(name.utf8)
            out.append(UInt8(bytes.count & 0xff))
            out.append(UInt8(bytes.count >> 8))
            out += bytes
            out.append(UInt8(range.lowerBound.rawValue))
            out.append(UInt8(range.upperBound.rawValue))
        }
        return out
    }

    static func decodeRanges(_ bytes: [UInt8]) -> [String: ClosedRange<Tristate>]? {
        guard bytes.count >= 4 else { return nil }
        let count = (0..<4).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        var out: [String: ClosedRange<Tristate>] = [:]
        out.reserveCapacity(min(count, bytes.count))
        var offset = 4
        for _ in 0..<count {
            guard offset + 2 <= bytes.count else { return nil }
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            offset += 2
            guard offset + length + 2 <= bytes.count else { return nil }
            let name = String(decoding: bytes[offset..<offset + length], as: UTF8.self)
            offset += length
            guard let low = Tristate(rawValue: Int(bytes[offset])), let high = Tristate(rawValue: Int(bytes[offset + 1])),
                low <= high
            else { return nil }
            out[name] = low...high
            offset += 2
        }
        return offset == bytes.count ? out : nil
    }
}
