import Dispatch
import Facts
import Foundation
import Git

extension Session {
    /// A session for a worker thread: the same repository opened again (a libgit2 handle is used
    /// by one thread at a time, and each worker's patched blobs go to its own in-memory store),
    /// sharing this session's fact store, rules, policy and options.
    public convenience init(workerOf main: Session) throws {
        try self.init(
            repository: Repository.open(main.repositoryPath, inMemoryWrites: true), sharing: main)
    }
}

/// Work spread over the machine's cores, one session handle per worker.
public enum Workers {
    /// `body(session, i)` for every i in 0..<count, on up to `workers` threads; results in index
    /// order. Items are handed out one at a time (a long series does not hold up a short one's
    /// worker). The first error, in index order, is rethrown after every worker stopped.
    public static func map<T: Sendable>(
        _ count: Int, session: Session, workers: Int = FactStore.defaultWorkers,
        _ body: @Sendable (Session, Int) throws -> T
    ) throws -> [T] {
        guard count > 0 else { return [] }
        let n = max(1, min(workers, count))
        var sessions = [session]
        for _ in 1..<n {
            // A worker whose handle cannot be opened is simply not started.
            if let worker = try? Session(workerOf: session) { sessions.append(worker) }
        }
        let slots = ParallelSlots<Result<T, Error>>(count: count)
        defer { slots.free() }
        let next = LockedCounter()
        let handles = sessions
        DispatchQueue.concurrentPerform(iterations: handles.count) { k in
            let worker = handles[k]
            worker.store.using(worker.repository) {
                while let i = next.take(below: count) {
                    slots.set(i, Result { try body(worker, i) })
                }
            }
        }
        return try (0..<count).map { i in
            guard let result = slots.get(i) else { throw InputError("internal error: item \(i) was not processed") }
            return try result.get()
        }
    }
}

/// A shared counter handing out 0, 1, 2, … to whoever asks first.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// Values made once per key, by the first thread that asks; the others wait for it (a checked
/// base costs seconds, and two workers asking for the same base must not build it twice).
final class OnceMap<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Result<Value, Error>] = [:]
    private var building: [Key: NSLock] = [:]

    func value(_ key: Key, make: () throws -> Value) throws -> Value {
        let keyLock: NSLock = lock.withLock {
            if let known = building[key] { return known }
            let made = NSLock()
            building[key] = made
            return made
        }
        return try keyLock.withLock {
            if let known = lock.withLock({ values[key] }) { return try known.get() }
            let result = Result { try make() }
            lock.withLock { values[key] = result }
            return try result.get()
        }
    }
}
