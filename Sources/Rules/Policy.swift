import Foundation
import Yams

/// A repository's own settings (`.modcheck.yaml` at the top of the tree): scope, rules directory,
/// severity overrides and suppressions. Every suppression names its rule and a symbol or module,
/// and says why; suppressions that match nothing are reported.
public final class Policy: @unchecked Sendable {
    public struct Suppression: Sendable, Hashable {
        public var rule: String
        public var symbol: String?
        public var module: String?
        public var reason: String

        func matches(_ f: Finding) -> Bool {
            f.rule == rule && (symbol == nil || symbol == f.symbol) && (module == nil || module == f.module)
        }
    }

    public var scope: [String]?
    public var rulesDirectory: String?
    public var severity: [String: Severity] = [:]
    public var suppressions: [Suppression] = []
    private var used = Set<Int>()
    private let lock = NSLock()

    public init() {}

    public static func parse(_ text: String, file: String) throws -> Policy {
        func fail(_ key: String, _ reason: String) -> RuleLoadError {
            RuleLoadError(file: file, key: key, line: nil, reason: reason)
        }
        let node = try YAMLInput.compose(text, file: file)
        let policy = Policy()
        guard let mapping = node?.mapping else { return policy }
        for (k, v) in mapping {
            switch k.string ?? "" {
            case "scope":
                guard let list = v.sequence?.compactMap(\.string), !list.isEmpty else {
                    throw fail("scope", "expected a list of paths")
                }
                policy.scope = list
            case "rules":
                guard let dir = v.string else { throw fail("rules", "expected a directory") }
                policy.rulesDirectory = dir
            case "severity":
                guard let m = v.mapping else { throw fail("severity", "expected rule-id: severity pairs") }
                for (rk, rv) in m {
                    guard let id = rk.string, let text = rv.string, let s = Severity(rawValue: text) else {
                        throw fail("severity.\(rk.string ?? "?")", "expected error, warning or info")
                    }
                    policy.severity[id] = s
                }
            case "suppress":
                guard let list = v.sequence else { throw fail("suppress", "expected a list") }
                for (i, item) in list.enumerated() {
                    let key = "suppress[\(i)]"
                    guard let m = item.mapping, let rule = m["rule"]?.string else {
                        throw fail(key + ".rule", "missing")
                    }
                    let symbol = m["symbol"]?.string
                    let module = m["module"]?.string
                    guard symbol != nil || module != nil else {
                        throw fail(key, "name the symbol or the module it applies to")
                    }
                    guard let reason = m["reason"]?.string, !reason.isEmpty else {
                        throw fail(key + ".reason", "every suppression says why")
                    }
                    policy.suppressions.append(
                        Suppression(rule: rule, symbol: symbol, module: module, reason: reason))
                }
            default:
                throw fail(k.string ?? "?", "unknown key (expected scope, rules, severity, suppress)")
            }
        }
        return policy
    }

    /// Severity overrides applied, suppressed findings removed (and their suppressions marked used).
    func apply(_ findings: [Finding]) -> [Finding] {
        var out: [Finding] = []
        for var f in findings {
            if let index = suppressions.firstIndex(where: { $0.matches(f) }) {
                lock.withLock { _ = used.insert(index) }
                continue
            }
            if let s = severity[f.rule], f.severity != .info { f.severity = s }
            out.append(f)
        }
        return out
    }

    /// Suppressions that matched nothing in this run.
    public var unusedSuppressions: [Suppression] {
        lock.withLock { suppressions.enumerated().filter { !used.contains($0.offset) }.map(\.element) }
    }
}
