/// How bad a finding is: `error` fails a check (exit code 1), `warning` is shown, `info` is context
/// (for example a reference modcheck could not resolve).
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
    case info, warning, error

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One rule violation. Fields follow the JSON contract of DESIGN.md; `nil` fields are omitted.
public struct Finding: Sendable, Hashable {
    public var rule: String
    public var severity: Severity
    public var file: String?
    public var line: Int?
    public var symbol: String?
    public var module: String?
    public var config: String?
    public var message: String
    public var commit: String?
    public var patch: String?
    public var messageId: String?
    /// A later patch of the same series that makes this finding go away (`9/14`), and its
    /// Message-Id: the series as a whole does not have the problem (its patches in between do).
    public var fixedBy: String?
    public var fixedByMessageId: String?
    /// Read from a diff alone (a file of a posting that could not be placed in the tree).
    public var partial = false
    /// Set for change events (see Checker.swift); not part of the JSON contract.
    var eventFlag = false
    /// A state finding this event explains better (reported instead of it).
    public var supersedes: FindingIdentity?

    public init(
        rule: String, severity: Severity, file: String? = nil, line: Int? = nil, symbol: String? = nil,
        module: String? = nil, config: String? = nil, message: String
    ) {
        self.rule = rule
        self.severity = severity
        self.file = file
        self.line = line
        self.symbol = symbol
        self.module = module
        self.config = config
        self.message = message
    }

    /// What makes two findings "the same problem" across a patch: rule, severity, module and
    /// symbol (or field), never line numbers, so that a patch shifting code does not re-introduce
    /// findings. Findings without a module are tied to their file instead.
    public var identity: FindingIdentity {
        FindingIdentity(
            rule: rule, severity: severity, module: module, symbol: symbol,
            file: module == nil ? file : nil)
    }
}

public struct FindingIdentity: Sendable, Hashable {
    public var rule: String
    public var severity: Severity
    public var module: String?
    public var symbol: String?
    public var file: String?
}

/// The findings a change introduced and fixed, by identity.
public struct FindingDelta: Sendable {
    public var introduced: [Finding]
    public var fixed: [Finding]

    public init(before: [Finding], after: [Finding]) {
        let beforeIDs = Set(before.map(\.identity))
        let afterIDs = Set(after.map(\.identity))
        introduced = after.filter { !beforeIDs.contains($0.identity) }
        fixed = before.filter { !afterIDs.contains($0.identity) }
    }
}

extension Array where Element == Finding {
    /// Deterministic order for reports: file, line, rule, symbol.
    public func sortedForReport() -> [Finding] {
        sorted {
            ($0.file ?? "", $0.line ?? 0, $0.rule, $0.symbol ?? "")
                < ($1.file ?? "", $1.line ?? 0, $1.rule, $1.symbol ?? "")
        }
    }
}
