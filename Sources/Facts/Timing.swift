import Foundation

/// Phase timings on stderr when `MODCHECK_TIMING` is set (for profiling, not for tests).
public enum Timing {
    static let enabled = ProcessInfo.processInfo.environment["MODCHECK_TIMING"] != nil
    nonisolated(unsafe) static var last = Date()

    public static func mark(_ label: @autoclosure () -> String) {
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(
            Data(String(format: "[timing] %7.3fs %@\n", now.timeIntervalSince(last), label()).utf8))
        last = now
    }
}
