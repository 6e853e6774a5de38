import CSource
import Dispatch
import Foundation
import Git

/// Where facts come from: the fact cache when it knows the blob, the C scanner otherwise.
/// Parallel tree passes open one repository handle per worker (libgit2 handles are not Sendable;
/// libgit2 shares the pack files underneath). A thread that works with its own handle (a triage
/// worker, whose patched blobs live in that handle's in-memory store) says so with `using`.
public final class FactStore: @unchecked Sendable {
    public let repositoryPath: String
    private let mainRepository: Repository
    private let threadKey: String
    public let cache: FactCache?
    private let lock = NSLock()
    private var memory: [CacheSlot: SourceFacts] = [:]
    private var sourceIncludeMemo: [ObjectID: [(name: String, condition: PreprocessorCondition?)]] = [:]
    private var referencedNameMemo: [ObjectID: Set<String>] = [:]
    public private(set) var problems: [String] = []
    /// How many problems were reported so far.
    public var problemCount: Int { lock.withLock { problems.count } }
    private var reported = Set<String>()
    /// Files larger than this are not scanned (generated register headers); reported, not silent.
    public var maxFileSize = FactStore.defaultMaxFileSize
    public static let defaultMaxFileSize = 8 << 20
    /// Seconds one file's scan may take before it stops with a note (nil: no limit). A real
    /// kernel file scans in milliseconds; only pathological input gets near this.
    public var scanTimeLimit: Double? = FactStore.defaultScanTimeLimit
    public static let defaultScanTimeLimit = 10.0

    struct CacheSlot: Hashable {
        var blob: ObjectID
        var depth: UInt8
    }

    public init(repository: Repository, repositoryPath: String, cache: FactCache?) {
        mainRepository = repository
        threadKey = "modcheck.FactStore.repository.\(UInt(bitPattern: ObjectIdentifier(repository).hashValue))"
        self.repositoryPath = repositoryPath
        self.cache = cache
    }

    /// The handle this thread reads blobs with: its own (`using`), else the session's.
    public var repository: Repository {
        (Thread.current.threadDictionary[threadKey] as? Repository) ?? mainRepository
    }

    /// Runs `body` with this thread reading blobs through `repository` (libgit2 handles are used
    /// by one thread at a time; a worker's patched blobs are only in its own handle's store).
    public func using<T>(_ repository: Repository, _ body: () throws -> T) rethrows -> T {
        let threadDictionary = Thread.current.threadDictionary
        let previous = threadDictionary[threadKey]
        threadDictionary[threadKey] = repository
        defer { threadDictionary[threadKey] = previous }
        return try body()
    }

    /// Records a problem for the report, once: a blob read at two depths or by two models is
    /// one problem.
    public func report(_ problem: String) {
        lock.withLock {
            if reported.insert(problem).inserted { problems.append(problem) }
        }
    }

    /// The scanner's caps that cut this file short (the facts may be incomplete).
    func reportLimits(_ facts: SourceFacts, path: String) {
        for note in FactStore.limitNotes(facts, path: path) { report(note) }
    }

    /// The notes the scanner's caps in `facts` make (what reading the file reports).
    public static func limitNotes(_ facts: SourceFacts, path: String) -> [String] {
        facts.diagnostics.filter(\.isLimit).map { "\(path):\($0.line): \($0.message)" }
    }

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
        facts(path: path, blob: blob, depth: depth, repository: nil)
    }

    /// `repository`: the handle to read the blob with when it must be scanned (nil: the calling
    /// thread's, looked up only then — a remembered or cached blob needs none).
    func facts(path: String, blob: ObjectID, depth: ScanDepth, repository: Repository?, quiet: Bool = false)
        -> SourceFacts?
    {
        let slot = CacheSlot(blob: blob, depth: FactStore.depthCode(depth))
        if let known = lock.withLock({ memory[slot] }) { return known.relocated(to: path) }
        let key = FactCache.Key(blob: blob.rawBytes, kind: slot.depth)
        if let bytes = cache?.get(key), let decoded = try? FactCodec.decode(bytes, path: path) {
            lock.withLock { memory[slot] = decoded }
            reportLimits(decoded, path: path)
            return decoded
        }
        let scanned: SourceFacts
        var tooLarge = false
        do {
            scanned = try (repository ?? self.repository).withBlob(blob) { buffer -> SourceFacts in
                if buffer.count > maxFileSize {
                    tooLarge = true
                    report(
                        "\(path): \(buffer.count) bytes, larger than the scan limit of \(maxFileSize) (--max-file-size); not scanned"
                    )
                    return SourceFacts.empty(path: path)
                }
                return CSourceScanner.scan(path: path, bytes: buffer, depth: depth, timeLimit: scanTimeLimit)
            }
        } catch {
            if !quiet { report("\(path): \(FactStore.unreadable(blob, error))") }
            return nil
        }
        // Skipped and timed-out files are not cached: their empty or partial facts depend on this
        // run's limits, and a later run must report them again, never read them back silently.
        reportLimits(scanned, path: path)
        lock.withLock { memory[slot] = scanned }
        if !tooLarge && !scanned.timedOut { cache?.put(key, FactCodec.encode(scanned)) }
        return scanned
    }

    /// Why a blob could not be read, in a user's words.
    static func unreadable(_ blob: ObjectID, _ error: Error) -> String {
        guard let git = error as? GitError else { return "cannot read blob \(blob): \(error)" }
        // GIT_ENOTFOUND: libgit2's message repeats the id; say what it means instead.
        if git.code == -3 {
            return "blob \(blob) is missing from the object store (a shallow or partial clone, or a damaged repository); not scanned"
        }
        return "blob \(blob) cannot be read (\(git.message)): a damaged object or pack; not scanned"
    }

    /// The `#include "x.c"` lines of a C file (with the `#if` each sits under), remembered per
    /// blob: kbuild's compiled-source resolution reads them for every compiled file whenever a
    /// Makefile changes, and almost no file has any.
    /// Files not read before are read in parallel first (a cold cache scans them).
    /// The names a file's code references (its full facts' references), by blob: what a reverse
    /// search asks of thousands of files, many times over in one triage.
    public func referencedNames(path: String, blob: ObjectID) -> Set<String> {
        if let known = lock.withLock({ referencedNameMemo[blob] }) { return known }
        // Full facts decoded before are at hand; a cached record gives its names alone (nothing
        // else of it decoded or kept: a reverse search reads thousands of files once each).
        let names: Set<String>
        let slot = CacheSlot(blob: blob, depth: FactStore.depthCode(.full))
        if lock.withLock({ memory[slot] == nil }),
            let bytes = cache?.get(FactCache.Key(blob: blob.rawBytes, kind: slot.depth)),
            let read = try? FactCodec.referenceNames(bytes)
        {
            names = read
        } else {
            names = Set((facts(path: path, blob: blob, depth: .full)?.references ?? []).map(\.name))
        }
        lock.withLock { referencedNameMemo[blob] = names }
        return names
    }

    public func sourceIncludes(of files: [(path: String, blob: ObjectID)]) -> [[(name: String, condition: PreprocessorCondition?)]] {
        func includes(_ f: SourceFacts?) -> [(name: String, condition: PreprocessorCondition?)] {
            (f?.includes ?? []).filter { $0.hasSuffix(".c") }.map { (name: $0, condition: f?.includeConditions[$0]) }
        }
        let missing = lock.withLock { files.filter { sourceIncludeMemo[$0.blob] == nil } }
        if !missing.isEmpty {
            let blobOf = Dictionary(missing.map { ($0.path, $0.blob) }, uniquingKeysWith: { a, _ in a })
            var read: [ObjectID: [(name: String, condition: PreprocessorCondition?)]] = [:]
            for f in facts(of: missing, depth: .symbols) { if let blob = blobOf[f.path] { read[blob] = includes(f) } }
            // Unreadable files have no facts: no includes either.
            for file in missing where read[file.blob] == nil { read[file.blob] = [] }
            lock.withLock { sourceIncludeMemo.merge(read) { a, _ in a } }
        }
        return lock.withLock { files.map { sourceIncludeMemo[$0.blob] ?? [] } }
    }

    /// Scans many files in parallel (cached ones are decoded, not scanned).
    public func facts(
        of files: [(path: String, blob: ObjectID)], depth: ScanDepth, workers: Int = FactStore.defaultWorkers
    ) -> [SourceFacts] {
        if files.isEmpty { return [] }
        cache?.preload(shardsOf: files.map(\.blob))
        let results = ParallelSlots<SourceFacts>(count: files.count)
        defer { results.free() }
        let workerCount = max(1, min(workers, files.count / 64 + 1))
        let path = repositoryPath
        // The calling thread's handle: iteration 0 may run on another thread while it waits.
        nonisolated(unsafe) let own = repository
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            // Worker 0 uses the caller's handle; the others open their own (handles are not
            // Sendable) and read only objects of the repository on disk.
            let repo: Repository
            if worker == 0 {
                repo = own
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
        // Objects only the in-memory store holds (patched blobs) are read by the caller's handle.
        var out: [SourceFacts] = []
        out.reserveCapacity(files.count)
        for i in 0..<files.count {
            if let f = results.get(i)
                ?? facts(path: files[i].path, blob: files[i].blob, depth: depth, repository: own)
            {
                out.append(f)
            }
        }
        return out
    }

    /// A Kconfig file or Makefile as text; nil (reported) when unreadable or over the size limit.
    public func text(_ blob: ObjectID, path: String) -> String? {
        do {
            return try repository.withBlob(blob) { buffer -> String? in
                if buffer.count > maxFileSize {
                    report(
                        "\(path): \(buffer.count) bytes, larger than the scan limit of \(maxFileSize) (--max-file-size); not read"
                    )
                    return nil
                }
                return String(decoding: buffer, as: UTF8.self)
            }
        } catch {
            report("\(path): \(FactStore.unreadable(blob, error))")
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
