import Foundation

/// Which modcheck made a report: its version, the libgit2 it ran with and the rule set's version
/// (a digest of the rule files). `modcheck --version` prints it; JSON `summary.tool` and SARIF
/// `tool.driver` carry it, so a report says what produced it.
public struct ToolIdentity: Sendable, Equatable {
    /// modcheck's own version (bumped with each landing that changes what it reports).
    public static let modcheckVersion = "0.14.0"

    public var modcheck: String
    public var libgit2: String
    /// "<12 hex digits of the rule files' digest> (<N> rules)".
    public var rules: String

    public init(modcheck: String = ToolIdentity.modcheckVersion, libgit2: String, rules: String) {
        self.modcheck = modcheck
        self.libgit2 = libgit2
        self.rules = rules
    }

    /// The identity the renderers put in reports (set once by the command line, at start).
    public static var current: ToolIdentity? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var value: ToolIdentity?

    public var json: [String: Any] { ["modcheck": modcheck, "libgit2": libgit2, "rules": rules] }

    public var text: String { "modcheck \(modcheck)\nlibgit2 \(libgit2)\nrules \(rules)" }
}
