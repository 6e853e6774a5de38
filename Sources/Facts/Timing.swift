import Foundation

/// Phase timings on stderr when `MODCHECK_TIMING` is set (for profiling, not for tests): the time
/// since the previous mark of any thread, and since the first mark (`@`: with worker threads the
/// marks interleave, and only the second stays meaningful).
public enum Timing {
    static let enabled = ProcessInfo.processInfo.environment["MODCHECK_TIMING"] != nil
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: Date?
    nonisolated(unsafe) private static var first: Date?

    public static func mark(_ label: @autoclosure () -> String) {
        guard enabled else { return }
        let now = Date()
        let (since, total) = lock.withLock { () -> (Double, Double) in
            defer { last = now }
            if first == nil { first = now }
            return (now.timeIntervalSince(last ?? now), now.timeIntervalSince(first ?? now))
        }
        FileHandle.standardError.write(
            Data(String(format: "[timing] %7.3fs @%7.3fs %@\n", since, total, label()).utf8))
    }
}
