import CSource
import Dispatch
import Foundation
import Git

/// Where facts come from: the fact cache when it knows the blob, the C scanner otherwise.
/// Parallel tree passes open one repository handle per worker (libgit2 handles are not Sendable;
/// libgit2 shares the pack files underneath).
public final class FactStore: @unchecked Sendable {
    public let repositoryPath: String
    public let repository: Repository
    public let cache: FactCache?
    private let lock = NSLock()
    private var memory: [CacheSlot: SourceFacts] = [:]
    public private(set) var problems: [String] = []
    /// Files larger than this are not scanned (generated register headers); reported, not silent.
    public var maxFileSize = 8 << 20

    struct CacheSlot: Hashable {
        var blob: ObjectID
        var depth: UInt8
    }

    public init(repository: Repository, repositoryPath: String, cache: FactCache?) {
        self.repository = repository
        self.repositoryPath = repositoryPath
        self.cache = cache
    }

    public func report(_ problem: String) { lock.withLock { problems.append(problem) } }

    /// Worker threads for tree passes: one per core (`MODCHECK_WORKERS` overrides).
    public static var defaultWorkers: Int {
        if let text = ProcessInfo.processInfo.environment["MODCHECK_WORKERS"], let n = Int(text), n > 0 {
            return n
        }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    static func depthCode(_ depth: ScanDepth) -> UInt8 { depth == .full ? 2 : 1 }

    /// Facts of one file, at the given depth.
    public func facts(path: String, blob: ObjectID, depth: ScanDepth) -> SourceFacts? {
        facts(path: path, blob: blob, depth: depth, repository: repository)
    }

    func facts(path: String, blob: ObjectID, depth: ScanDepth, repository: Repository, quiet: Bool = false)
        -> SourceFacts?
    {
        let slot = CacheSlot(blob: blob, depth: FactStore.depthCode(depth))
        if let known = lock.withLock({ memory[slot] }) { return known.relocated(to: path) }
        let key = FactCache.Key(blob: blob.rawBytes, kind: slot.depth)
        if let bytes = cache?.get(key), let decoded = try? FactCodec.decode(bytes, path: path) {
            lock.withLock { memory[slot] = decoded }
            return decoded
        }
        let scanned: SourceFacts
        do {
            scanned = try repository.withBlob(blob) { buffer -> SourceFacts in
                if buffer.count > maxFileSize {
                    report(
                        "\(path): \(buffer.count) bytes, larger than the scan limit of \(maxFileSize); not scanned"
                    )
                    return SourceFacts.empty(path: path)
                }
                return CSourceScanner.scan(path: path, bytes: buffer, depth: depth)
            }
        } catch {
            if !quiet { report("\(path): cannot read blob \(blob): \(error)") }
            return nil
        }
        lock.withLock { memory[slot] = scanned }
        cache?.put(key, FactCodec.encode(scanned))
        return scanned
    }

    /// Scans many files in parallel (cached ones are decoded, not scanned).
    public func facts(
        of files: [(path: String, blob: ObjectID)], depth: ScanDepth, workers: Int = FactStore.defaultWorkers
    ) -> [SourceFacts] {
        if files.isEmpty { return [] }
        cache?.preloadAll()
        let results = ParallelSlots<SourceFacts>(count: files.count)
        defer { results.free() }
        let workerCount = max(1, min(workers, files.count / 64 + 1))
        let path = repositoryPath
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            // Worker 0 uses the session's handle; the others open their own (handles are not
            // Sendable) and read only objects of the repository on disk.
            let repo: Repository
            if worker == 0 {
                repo = repository
            } else {
                guard let opened = try? Repository.open(path, inMemoryWrites: true) else { return }
                repo = opened
            }
            var i = worker
            while i < files.count {
                results.set(
                    i,
                    facts(
                        path: files[i].path, blob: files[i].blob, depth: depth, repository: repo,
                        quiet: worker != 0))
                i += workerCount
            }
        }
        // Objects only the in-memory store holds (patched blobs) are read by the session's handle.
        var out: [SourceFacts] = []
        out.reserveCapacity(files.count)
        for i in 0..<files.count {
            if let f = results.get(i)
                ?? facts(path: files[i].path, blob: files[i].blob, depth: depth, repository: repository)
            {
                out.append(f)
            }
        }
        return out
    }

    public func text(_ blob: ObjectID, path: String) -> String? {
        do {
            return try repository.withBlob(blob) { buffer in
                String(decoding: buffer, as: UTF8.self)
            }
        } catch {
            report("\(path): cannot read blob \(blob): \(error)")
            return nil
        }
    }

    public func flush() { cache?.flush() }

    private var summaries: [ObjectID: AnyObject] = [:]

    /// A per-blob derived value (a header's name summary), built once per session.
    public func headerSummary<T: AnyObject>(_ blob: ObjectID, make: () -> T) -> T {
        if let known = lock.withLock({ summaries[blob] }) as? T { return known }
        let made = make()
        lock.withLock { summaries[blob] = made }
        return made
    }
}
