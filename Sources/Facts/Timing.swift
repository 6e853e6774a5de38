import Foundation

/// Phase timings on stderr when `MODCHECK_TIMING` is set (for profiling, not for tests): the time
/// since the same thread's previous mark, since the first mark (`@`), and which thread (`tN`:
/// worker threads interleave their lines).
public enum Timing {
    static let enabled = ProcessInfo.processInfo.environment["MODCHECK_TIMING"] != nil
    private static let lock = NSLock()
    nonisolated(unsafe) private static var first: Date?
    nonisolated(unsafe) private static var threads = 0

    /// Prints the time since this thread's previous mark (workers interleave their lines; a
    /// delta since another thread's mark would mean nothing) and since the first mark.
    public static func mark(_ label: @autoclosure () -> String) {
        guard enabled else { return }
        let now = Date()
        let thread = Thread.current.threadDictionary
        let last = thread["modcheck.timing.last"] as? Date
        thread["modcheck.timing.last"] = now
        let (total, number) = lock.withLock { () -> (Double, Int) in
            if first == nil { first = now }
            let number = thread["modcheck.timing.thread"] as? Int ?? { threads += 1; return threads }()
            return (now.timeIntervalSince(first ?? now), number)
        }
        thread["modcheck.timing.thread"] = number
        let since = now.timeIntervalSince(last ?? now)
        FileHandle.standardError.write(
            Data(String(format: "[timing] %7.3fs @%7.3fs t%d %@\n", since, total, number, label()).utf8))
    }
}
