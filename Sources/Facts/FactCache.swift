import CSource
import Foundation
import Git
import Kconfig

/// A persistent, content-addressed store of encoded facts: the key is a blob id (a content hash),
/// so one cache serves every kernel tree on the machine and the second look at an unchanged blob
/// costs no parsing. Records live in 256 append-only shard files (by the first byte of the id),
/// each with an index of where its records are that readers write (`ShardIndex`);
/// writers append under `flock`, so concurrent runs are safe; a shard whose tail fails its checks
/// (a writer killed mid-record) is cut back to its last good record, with a warning, and a record
/// whose value fails its checksum when read is noted and made again.
public final class FactCache: @unchecked Sendable {
    /// Bump when the encoding or any extractor changes meaning: old records are then ignored.
    public static let formatVersion = 4

    public struct Key: Hashable, Sendable {
        public var blob: [UInt8]  // 20 raw bytes
        public var kind: UInt8

        public init(blob: [UInt8], kind: UInt8) {
            self.blob = blob
            self.kind = kind
        }
    }

    /// The generation directory this version reads and writes, and the cache root above it.
    public let directory: String
    public let root: String
    private let lock = NSLock()
    /// Shards read from disk (mapped lazily): where each good record's value is.
    private var shards: [Int: MappedShard] = [:]
    /// Records added in this run (also appended to `pending` until flushed).
    private var added: [Key: [UInt8]] = [:]
    private var pending: [Int: [(Key, [UInt8])]] = [:]
    /// Records read in this run whose value failed its checksum.
    private var damaged = Set<Key>()
    /// Evaluators whose ranges go to a snapshot at `flush` (ModelSnapshots.swift).
    private var snapshots: [KeptEvaluator] = []
    /// Snapshots others make at `flush` (a model's header reads, HeaderSnapshot.swift).
    private var flushActions: [() -> Void] = []
    private var lastBoundCheck: Date?
    public private(set) var warnings: [String] = []
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// The default location: `$XDG_CACHE_HOME/modcheck`, else `~/.cache/modcheck`.
    public static func defaultDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/modcheck" }
        return (env["HOME"] ?? NSTemporaryDirectory()) + "/.cache/modcheck"
    }

    public init(directory: String) throws {
        root = directory
        self.directory = directory + "/" + CacheHousekeeping.currentGeneration
        do {
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        } catch {
            throw FactCacheError(
                message:
                    "\(self.directory): cannot create the cache directory (\(error.localizedDescription))")
        }
        CacheHousekeeping.stamp(self.directory)
    }

    /// Keeps the cache under `maxBytes` (least recently used first; see CacheHousekeeping), with
    /// a note when something was removed. Looked at most once a minute (a triage finishes one
    /// check per posting).
    public func enforceBound(_ maxBytes: Int64 = CacheHousekeeping.defaultMaxBytes) {
        let now = Date()
        let due = lock.withLock { () -> Bool in
            if let last = lastBoundCheck, now.timeIntervalSince(last) < 60 { return false }
            lastBoundCheck = now
            return true
        }
        guard due else { return }
        let pruned = CacheHousekeeping.prune(root: root, maxBytes: maxBytes)
        guard !pruned.removedGenerations.isEmpty || pruned.removedShards > 0 else { return }
        note(
            "\(root): the cache held \(CacheHousekeeping.describe(pruned.remainingBytes + pruned.freedBytes)), over its bound of \(CacheHousekeeping.describe(maxBytes)) (MODCHECK_CACHE_MAX_SIZE): removed \(pruned.removedGenerations.count) old generation(s) and \(pruned.removedShards) shard(s), \(CacheHousekeeping.describe(pruned.freedBytes))"
        )
    }

    private func shardPath(_ shard: Int) -> String {
        directory + "/" + String(format: "%02x", shard) + ".pack"
    }

    /// Reads every shard now, in parallel, so that later lookups from worker threads are cheap.
    public func preloadAll() { preload(Set(0..<256)) }

    /// Reads the shards holding `blobs`' records now, in parallel (a few files' facts index a
    /// few shards, not all 256).
    public func preload(shardsOf blobs: [ObjectID]) { preload(Set(blobs.map { Int($0.rawBytes[0]) })) }

    private func preload(_ wanted: Set<Int>) {
        let loaded = ParallelSlots<MappedShard>(count: 256)
        defer { loaded.free() }
        let needed = lock.withLock { wanted.sorted().filter { shards[$0] == nil } }
        DispatchQueue.concurrentPerform(iterations: needed.count) { i in
            loaded.set(needed[i], readShard(needed[i]))
        }
        lock.withLock {
            for shard in needed where shards[shard] == nil { shards[shard] = loaded.get(shard) ?? MappedShard.empty }
        }
    }

    public func get(_ key: Key) -> [UInt8]? {
        let shard = Int(key.blob.first ?? 0)
        lock.lock()
        defer { lock.unlock() }
        if let value = added[key] {
            hits += 1
            return value
        }
        if shards[shard] == nil {
            lock.unlock()
            let records = readShard(shard)
            lock.lock()
            if shards[shard] == nil { shards[shard] = records }
        }
        switch shards[shard]?.value(RecordKey(key)) {
        case .some(.some(let value)):
            hits += 1
            return value
        case .some(.none):
            // A record whose bytes fail their checksum (a disk error): the file is scanned again
            // and its facts appended anew (the later record wins when the shard is next indexed).
            damaged.insert(key)
            warnings.append(
                "\(shardPath(shard)): damaged cache shard record (blob \(key.blob.map { String(format: "%02x", $0) }.joined())): ignored, the file is scanned again"
            )
        case .none:
            break
        }
        misses += 1
        return nil
    }

    public func put(_ key: Key, _ value: [UInt8]) {
        let shard = Int(key.blob.first ?? 0)
        lock.withLock {
            if added[key] != nil || (shards[shard]?.contains(RecordKey(key)) == true && !damaged.contains(key)) {
                return
            }
            added[key] = value
            pending[shard, default: []].append((key, value))
        }
    }

    /// Runs `action` at the next `flush` (what it writes is a snapshot of what the run learned).
    public func atFlush(_ action: @escaping () -> Void) {
        lock.withLock { flushActions.append(action) }
    }

    func takeFlushActions() -> [() -> Void] {
        lock.withLock {
            defer { flushActions = [] }
            return flushActions
        }
    }

    func lockedSnapshots<T>(_ body: (inout [KeptEvaluator]) -> T) -> T {
        lock.withLock { body(&snapshots) }
    }

    /// Snapshot writes a run hands to another thread (`inBackground`); `flush` waits for them.
    private let backgroundWrites = DispatchGroup()
    private var backgroundWork: [() -> Void] = []
    private var backgroundRunning = false

    /// Runs `work` (encoding and writing a snapshot of values the caller no longer changes) on
    /// another thread, one after another; `flush` waits for every one. The thread runs at a
    /// lower priority: what the run itself still has to work out (the units, the rules' witness
    /// views) gets the second core first, and the snapshots its idle time.
    public func inBackground(_ work: @escaping () -> Void) {
        backgroundWrites.enter()
        let start = lock.withLock { () -> Bool in
            backgroundWork.append(work)
            defer { backgroundRunning = true }
            return !backgroundRunning
        }
        guard start else { return }
        let thread = Thread { [self] in
            FactCache.lowerThisThreadsPriority()
            while let next = lock.withLock({ () -> (() -> Void)? in
                if backgroundWork.isEmpty {
                    backgroundRunning = false
                    return nil
                }
                return backgroundWork.removeFirst()
            }) {
                next()
                backgroundWrites.leave()
            }
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Nice 10 for the calling thread only: on Linux the nice value is a thread's, and
    /// `PRIO_PROCESS` with who 0 names the calling thread (setpriority(2), NOTES).
    static func lowerThisThreadsPriority() {
        #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    /// Appends the records added in this run to their shards, and writes the snapshots.
    public func flush() {
        // The snapshots made at flush are encoded here while the other thread still writes those
        // handed to it earlier; then both are waited for.
        defer {
            flushSnapshots()
            backgroundWrites.wait()
        }
        let work = lock.withLock { () -> [Int: [(Key, [UInt8])]] in
            defer { pending = [:] }
            return pending
        }
        for (shard, records) in work {
            var bytes: [UInt8] = []
            for (key, value) in records { FactCache.appendRecord(&bytes, key: key, value: value) }
            let fd = open(shardPath(shard), O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard fd >= 0 else {
                note("\(shardPath(shard)): cannot write the cache (errno \(errno)); continuing without it")
                continue
            }
            flock(fd, LOCK_EX)
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            flock(fd, LOCK_UN)
            close(fd)
        }
    }

    func note(_ message: String) { lock.withLock { warnings.append(message) } }

    // Record: "MC" kind(1) blob(20) length(4 LE) checksum(4 LE, FNV-1a of the value) value.
    static func appendRecord(_ out: inout [UInt8], key: Key, value: [UInt8]) {
        out.append(0x4d)
        out.append(0x43)
        out.append(key.kind)
        out.append(contentsOf: key.blob)
        appendUInt32(&out, UInt32(value.count))
        appendUInt32(&out, fnv1a(value[...]))
        out.append(contentsOf: value)
    }

    static func appendUInt32(_ out: inout [UInt8], _ v: UInt32) {
        for i in 0..<4 { out.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) }
    }

    static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBytes { fnv1a($0) }
    }

    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }

    /// A shard, mapped read-only (records are read in place: nothing is copied but the values
    /// asked for). A damaged tail is cut back first (see `repair`).
    private func readShard(_ shard: Int) -> MappedShard {
        let path = shardPath(shard)
        guard let mapped = MappedShard(path: path) else { return .empty }
        // Read means used: `cache prune` drops shards least recently used first (a shard every
        // run reads but none writes to is not the oldest).
        utime(path, nil)
        guard mapped.corrupt else {
            mapped.writeIndex(path + ShardIndex.suffix)
            return mapped
        }
        repair(path)
        guard let again = MappedShard(path: path) else { return .empty }
        again.writeIndex(path + ShardIndex.suffix)
        return again
    }

    /// The records of a shard's bytes up to the first one whose frame is damaged (where each
    /// value is, with its checksum); the length of that good prefix. Values are not read here:
    /// a run reads a few thousand of a cache's hundreds of thousands of records, and each
    /// value's checksum is checked when it is read (`MappedShard.value`).
    static func parseShard(_ bytes: UnsafeRawBufferPointer) -> (
        records: [RecordKey: RecordSpan], goodLength: Int, corrupt: Bool
    ) {
        var records: [RecordKey: RecordSpan] = [:]
        var offset = 0
        func readUInt32(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
            return v
        }
        let header = 2 + 1 + 20 + 4 + 4
        while offset < bytes.count {
            guard bytes.count - offset >= header, bytes[offset] == 0x4d, bytes[offset + 1] == 0x43 else {
                return (records, offset, true)
            }
            let kind = bytes[offset + 2]
            let length = Int(readUInt32(offset + 23))
            let checksum = readUInt32(offset + 27)
            let start = offset + header
            guard length <= bytes.count - start else { return (records, offset, true) }
            records[RecordKey(bytes.baseAddress! + offset + 3, kind: kind)] = RecordSpan(
                offset: start, length: length, checksum: checksum)
            offset = start + length
        }
        return (records, offset, false)
    }

    /// A shard that read as damaged: read again under the writers' lock (a run appending right
    /// then is not damage); still damaged (a writer killed mid-record, a disk error), it is cut
    /// back to its last good record, with a note. The good records are kept either way.
    private func repair(_ path: String) {
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { return }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        lseek(fd, 0, SEEK_SET)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        let again = bytes.withUnsafeBytes { FactCache.parseShard($0) }
        guard again.corrupt else { return }
        ftruncate(fd, off_t(again.goodLength))
        note(
            "\(path): damaged cache shard (a run killed while writing, or a disk error): kept \(again.records.count) record(s), dropped \(bytes.count - again.goodLength) byte(s) after them"
        )
    }
}

/// Where a record's value is in its shard, and the checksum it must have.
struct RecordSpan {
    var offset: Int
    var length: Int
    var checksum: UInt32
}

/// A record's key as plain words (the 20 bytes of the blob id and the kind): a shard's index
/// holds hundreds of thousands of them.
struct RecordKey: Hashable {
    var high: UInt64
    var middle: UInt64
    var low: UInt32
    var kind: UInt8

    init(_ blob: UnsafeRawPointer, kind: UInt8) {
        high = blob.loadUnaligned(as: UInt64.self)
        middle = blob.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        low = blob.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
        self.kind = kind
    }

    init(_ key: FactCache.Key) {
        var bytes = key.blob
        if bytes.count < 20 { bytes += [UInt8](repeating: 0, count: 20 - bytes.count) }
        self = bytes.withUnsafeBytes { RecordKey($0.baseAddress!, kind: key.kind) }
    }
}

/// A shard file mapped read-only, with where each good record's value is. Appends by other runs
/// after the mapping are not seen (the next run reads them); the mapping stays valid if the file
/// is removed (`cache prune`), and a repair only ever cuts records after the good prefix indexed
/// here, so no record read through it can vanish under it.
/// Where the records are comes from the shard's index file (`ShardIndex`: a good prefix of the
/// shard, written by an earlier reader) and the frames after that prefix: a warm run reads a few
/// kilobytes per shard, not every page of a cache that serves every tree on the machine.
final class MappedShard: @unchecked Sendable {
    static let empty = MappedShard()
    private let base: UnsafeRawPointer?
    private let size: Int
    private let index: [RecordKey: RecordSpan]
    let corrupt: Bool
    /// Records found after the indexed prefix (the next index should cover them), and the length
    /// of the good prefix read.
    let unindexedRecords: Int
    private let goodLength: Int

    private init() {
        base = nil
        size = 0
        index = [:]
        corrupt = false
        unindexedRecords = 0
        goodLength = 0
    }

    /// nil when the file cannot be read (then there is nothing in it for this run).
    init?(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        size = Int(info.st_size)
        guard size > 0 else {
            base = nil
            index = [:]
            corrupt = false
            unindexedRecords = 0
            goodLength = 0
            return
        }
        guard var mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return nil }
        let whole = UnsafeRawBufferPointer(start: mapped, count: size)
        var records: [RecordKey: RecordSpan] = [:]
        var start = 0
        if let kept = ShardIndex.read(path + ShardIndex.suffix, shard: whole) {
            records = kept.records
            start = kept.covered
        }
        let tail = FactCache.parseShard(UnsafeRawBufferPointer(rebasing: whole[start...]))
        if start == 0 {
            records = tail.records
            // Indexing read every page; mapped afresh, the run holds only the pages of the records
            // it asks for (a cache serves every tree on the machine: most records are other trees').
            munmap(mapped, size)
            guard let again = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), again != MAP_FAILED else { return nil }
            mapped = again
        } else {
            // A later record of the same key (one written again after damage) wins.
            for (key, span) in tail.records {
                records[key] = RecordSpan(offset: span.offset + start, length: span.length, checksum: span.checksum)
            }
        }
        base = UnsafeRawPointer(mapped)
        index = records
        corrupt = tail.corrupt
        unindexedRecords = tail.records.count
        goodLength = start + tail.goodLength
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    func contains(_ key: RecordKey) -> Bool { index[key] != nil }

    /// nil: no such record; `.some(nil)`: a record whose value fails its checksum.
    func value(_ key: RecordKey) -> [UInt8]?? {
        guard let base, let at = index[key] else { return nil }
        let bytes = UnsafeRawBufferPointer(start: base + at.offset, count: at.length)
        guard FactCache.fnv1a(bytes) == at.checksum else { return .some(nil) }
        return [UInt8](bytes)
    }

    /// Writes the index of the good prefix read when records were found after the indexed one
    /// (best effort: a cache that cannot be written is read as before).
    func writeIndex(_ path: String) {
        guard !corrupt, goodLength > 0, unindexedRecords > 0 else { return }
        ShardIndex.write(path, records: index, covered: goodLength)
    }
}

/// A shard's index file (`XX.pack.idx`): where each record of the shard's first `covered` bytes
/// is. "MCIX", a format byte, covered (8 LE), count (4 LE), per record: the key's words (8, 8,
/// 4 LE), kind, three zero bytes, value offset (8 LE), length (4 LE), checksum (4 LE); then a
/// checksum by words of everything before it. Written to a temporary file and renamed (readers
/// write it; two at once both succeed). Trusted only while the shard is at least `covered`
/// long and the frame before the last indexed value still names that record (a shard removed
/// by `cache prune` and written anew is not the shard indexed); each value's own checksum is
/// checked when it is read, as always.
enum ShardIndex {
    static let suffix = ".idx"
    static let format: UInt8 = 1
    static let entrySize = 40

    static func read(_ path: String, shard: UnsafeRawBufferPointer) -> (records: [RecordKey: RecordSpan], covered: Int)? {
        guard let bytes = FactCache.readWhole(path), bytes.count >= 21 else { return nil }
        return bytes.withUnsafeBytes { raw -> (records: [RecordKey: RecordSpan], covered: Int)? in
            let body = raw.count - 4
            guard raw.load(as: UInt32.self) == magic, raw[4] == format,
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: body, as: UInt32.self))
                    == FactCache.wordSum(UnsafeRawBufferPointer(rebasing: raw[0..<body]))
            else { return nil }
            let covered = Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 5, as: UInt64.self)))
            let count = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 13, as: UInt32.self)))
            guard covered > 0, covered <= shard.count, body == 17 + count * entrySize else { return nil }
            var records = [RecordKey: RecordSpan](minimumCapacity: count)
            var last: (key: RecordKey, span: RecordSpan)?
            for i in 0..<count {
                let at = 17 + i * entrySize
                let key = RecordKey(raw.baseAddress! + at, kind: raw[at + 20])
                let span = RecordSpan(
                    offset: Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))),
                    length: Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 32, as: UInt32.self))),
                    checksum: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 36, as: UInt32.self)))
                guard span.offset >= 31, span.offset + span.length <= covered else { return nil }
                records[key] = span
                if last == nil || span.offset > last!.span.offset { last = (key, span) }
            }
            // The shard is still the one indexed: the last indexed record ends the prefix, and
            // its frame (magic, kind, blob, length, checksum) is where the index says.
            guard let last, last.span.offset + last.span.length == covered else { return nil }
            let frame = last.span.offset - 31
            guard shard[frame] == 0x4d, shard[frame + 1] == 0x43,
                RecordKey(shard.baseAddress! + frame + 3, kind: shard[frame + 2]) == last.key,
                UInt32(littleEndian: shard.loadUnaligned(fromByteOffset: frame + 23, as: UInt32.self))
                    == UInt32(last.span.length),
                UInt32(littleEndian: shard.loadUnaligned(fromByteOffset: frame + 27, as: UInt32.self))
                    == last.span.checksum
            else { return nil }
            return (records, covered)
        }
    }

    static func write(_ path: String, records: [RecordKey: RecordSpan], covered: Int) {
        let sorted = records.sorted { $0.value.offset < $1.value.offset }
        var bytes = [UInt8](repeating: 0, count: 17 + sorted.count * entrySize + 4)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: magic, as: UInt32.self)
            raw[4] = format
            raw.storeBytes(of: UInt64(covered).littleEndian, toByteOffset: 5, as: UInt64.self)
            raw.storeBytes(of: UInt32(sorted.count).littleEndian, toByteOffset: 13, as: UInt32.self)
            for (i, (key, span)) in sorted.enumerated() {
                let at = 17 + i * entrySize
                raw.storeBytes(of: key.high, toByteOffset: at, as: UInt64.self)
                raw.storeBytes(of: key.middle, toByteOffset: at + 8, as: UInt64.self)
                raw.storeBytes(of: key.low, toByteOffset: at + 16, as: UInt32.self)
                raw[at + 20] = key.kind
                raw.storeBytes(of: UInt64(span.offset).littleEndian, toByteOffset: at + 24, as: UInt64.self)
                raw.storeBytes(of: UInt32(span.length).littleEndian, toByteOffset: at + 32, as: UInt32.self)
                raw.storeBytes(of: span.checksum.littleEndian, toByteOffset: at + 36, as: UInt32.self)
            }
            let body = raw.count - 4
            let sum = FactCache.wordSum(UnsafeRawBufferPointer(rebasing: raw[0..<body]))
            raw.storeBytes(of: sum.littleEndian, toByteOffset: body, as: UInt32.self)
        }
        // (Best effort: a cache that cannot be written is read as before, without a note.)
        _ = FactCache.writeFile(path, [bytes])
    }

    /// "MCIX" read as a native word.
    static let magic: UInt32 = Array("MCIX".utf8).withUnsafeBytes { $0.load(as: UInt32.self) }
}

public struct FactCacheError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
