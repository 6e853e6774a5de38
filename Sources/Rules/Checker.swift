import CSource
import Facts
import Foundation
import Kconfig
import Model

/// What a checker sees: the tree after the change, and in regression modes the tree before it.
public struct CheckContext: @unchecked Sendable {
    public var model: KernelModel
    public var base: KernelModel?
    /// Symbols a GKI kernel exports to vendor modules (`--kmi-symbol-list`); nil when not given.
    public var kmiSymbols: Set<String>?

    public init(model: KernelModel, base: KernelModel? = nil, kmiSymbols: Set<String>? = nil) {
        self.model = model
        self.base = base
        self.kmiSymbols = kmiSymbols
    }
}

/// Android GKI symbol lists: one symbol a line; `[abi_symbol_list]`-style section headers,
/// comments (`#`) and blank lines are ignored.
public enum KMISymbolList {
    public static func parse(_ text: String) -> Set<String> {
        var symbols = Set<String>()
        for raw in text.split(whereSeparator: \.isNewline) {
            let line =
                raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(
                    String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("[") { continue }
            symbols.insert(trimmed)
        }
        return symbols
    }
}

/// A checker kind: the code behind one or more rule files. Rules are data; a checker reads its
/// parameters from the rule's YAML.
public protocol Checker: Sendable {
    init(spec: RuleSpec) throws
    func check(_ context: CheckContext) -> [Finding]
}

/// Findings a rule makes one unit at a time from that unit's own sources, its unit entry and
/// Kconfig: a model derived from its base by C source and header changes only (`structuralBase`:
/// same evaluator, kbuild, units and scope) takes the base's findings for every unit whose
/// sources did not change, and works out only the others. Events are not kept: they belong to
/// the change that made them, which changed the unit's sources.
/// A rule that also reads headers (a macro's definition) keeps findings only while no header
/// changed.
struct PerUnitFindings {
    let rule: String
    var readsHeaders = false

    func findings(of model: KernelModel, _ units: [ModuleUnit], _ check: (ModuleUnit) -> [Finding]) -> [Finding] {
        let base = model.structuralBase.flatMap { !readsHeaders || model.sameHeaders(as: $0) ? $0 : nil }
        var out: [Finding] = []
        for unit in units {
            if let base, !model.sourcesChanged(unit), let kept: [Finding] = base.keptResult(rule, unit.name) {
                model.keep(kept, rule, unit.name)
                out += kept
                continue
            }
            let found = check(unit)
            model.keep(found.filter { !$0.isEvent }, rule, unit.name)
            out += found
        }
        return out
    }
}

extension Finding {
    /// A finding that describes what a change *did* (an export removed, a field dropped) rather than
    /// a state of the tree: it is reported where it happens and never counted as "fixed" later.
    public var isEvent: Bool {
        get { eventFlag }
        set { eventFlag = newValue }
    }
}

public enum CheckerRegistry {
    public static let kinds: [String: any Checker.Type] = [
        "required-export": RequiredExportChecker.self,
        "export-removed-in-use": ExportRemovedInUseChecker.self,
        "gpl-only-symbol": GPLOnlySymbolChecker.self,
        "export-gpl-consistency": ExportGPLConsistencyChecker.self,
        "missing-module-license": MissingModuleLicenseChecker.self,
        "builtin-registration-in-module": BuiltinRegistrationChecker.self,
        "missing-remove": MissingRemoveChecker.self,
        "unbalanced-teardown": UnbalancedTeardownChecker.self,
        "missing-ops-owner": MissingOpsOwnerChecker.self,
        "forced-unbind": ForcedUnbindChecker.self,
        "missing-device-table": MissingDeviceTableChecker.self,
        "builtin-uses-modular": BuiltinUsesModularChecker.self,
        "module-refcount-balance": ModuleRefcountBalanceChecker.self,
    ]
}

/// The rules of a catalog, instantiated with their checkers.
public struct RuleEngine: Sendable {
    public var catalog: RuleCatalog
    /// Applied to every check when set (see CheckContext.kmiSymbols).
    public var kmiSymbols: Set<String>?
    /// The repository's `.modcheck.yaml`: severity overrides and suppressions.
    public var policy: Policy?
    let checkers: [(RuleSpec, any Checker)]

    public init(catalog: RuleCatalog, only: Set<String>? = nil) throws {
        self.catalog = catalog
        var checkers: [(RuleSpec, any Checker)] = []
        for spec in catalog.rules where only?.contains(spec.id) ?? true {
            guard let kind = CheckerRegistry.kinds[spec.checkerKind] else {
                throw RuleLoadError(
                    file: spec.file, key: "checker.kind", line: nil,
                    reason:
                        "unknown checker kind '\(spec.checkerKind)' (known: \(CheckerRegistry.kinds.keys.sorted().joined(separator: ", ")))"
                )
            }
            checkers.append((spec, try kind.init(spec: spec)))
        }
        self.checkers = checkers
    }

    /// All findings for the context's tree (and, with a base, for its change); with `rules`, the
    /// findings of those rules only (each rule's findings do not depend on the others').
    public func check(_ context: CheckContext, rules: Set<String>? = nil) -> [Finding] {
        var context = context
        if context.kmiSymbols == nil { context.kmiSymbols = kmiSymbols }
        var findings: [Finding] = []
        for (spec, checker) in checkers where rules?.contains(spec.id) ?? true {
            findings += checker.check(context)
            Timing.mark("rule \(spec.id)")
        }
        var seen = Set<FindingIdentity>()
        let unique = findings.filter { seen.insert($0.identity).inserted || $0.isEvent }
        return policy?.apply(unique) ?? unique
    }

    /// Findings a caller made without a model (from a diff alone): kept only for enabled rules,
    /// with the rule's severity, marked partial and events, and passed through the policy.
    public func diffOnly(_ findings: [(rule: String, finding: Finding)]) -> [Finding] {
        let enabled = Dictionary(checkers.map { ($0.0.id, $0.0) }, uniquingKeysWith: { a, _ in a })
        let made = findings.compactMap { rule, finding -> Finding? in
            guard let spec = enabled[rule] else { return nil }
            var f = finding
            f.rule = spec.id
            f.severity = spec.severity
            f.partial = true
            f.isEvent = true
            return f
        }
        return policy?.apply(made) ?? made
    }

    /// Introduced and fixed findings of one step: `before` are the previous step's findings
    /// (state and events), `after` this step's. Events never count as fixed; an event that
    /// supersedes a state finding (an export removed → the module now misses it) replaces it.
    public static func delta(before: [Finding], after: [Finding]) -> FindingDelta {
        let beforeIDs = Set(before.map(\.identity))
        let afterStateIDs = Set(after.filter { !$0.isEvent }.map(\.identity))
        let afterIDs = Set(after.map(\.identity))
        let superseded = Set(after.compactMap(\.supersedes))
        var introduced = after.filter {
            !beforeIDs.contains($0.identity) && !superseded.contains($0.identity)
        }
        var seen = Set<FindingIdentity>()
        introduced = introduced.filter { seen.insert($0.identity).inserted }
        let fixed = before.filter {
            !$0.isEvent && !afterStateIDs.contains($0.identity) && !afterIDs.contains($0.identity)
        }
        return FindingDelta(introduced: introduced, fixed: fixed)
    }
}

extension FindingDelta {
    public init(introduced: [Finding], fixed: [Finding]) {
        self.introduced = introduced
        self.fixed = fixed
    }
}

extension RuleSpec {
    func finding(
        _ message: String, file: String?, line: Int?, symbol: String?, module: ModuleUnit?,
        severity: Severity? = nil
    ) -> Finding {
        Finding(
            rule: id, severity: severity ?? self.severity, file: file, line: line, symbol: symbol,
            module: module?.name, config: module?.config.map { "CONFIG_" + $0 }, message: message)
    }
}

extension ModuleUnit {
    var configLabel: String { config.map { "CONFIG_\($0)" } ?? "obj-y" }
}

/// Glob-style matching for macro name patterns such as `*_initcall` or `module_*_driver`: each
/// `*` stands for any run of characters.
func matchesPattern(_ name: String, _ pattern: String) -> Bool {
    let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
    if parts.count == 1 { return name == pattern }
    guard name.hasPrefix(parts[0]) else { return false }
    var rest = name.dropFirst(parts[0].count)
    for (k, part) in parts.enumerated().dropFirst() {
        if k == parts.count - 1 { return rest.hasSuffix(part) }
        guard !part.isEmpty else { continue }
        guard let r = rest.range(of: part) else { return false }
        rest = rest[r.upperBound...]
    }
    return true
}
