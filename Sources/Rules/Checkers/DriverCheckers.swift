import CSource
import Foundation
import Kconfig
import Model

/// The functions of a unit, and which watched calls each can reach through the unit's own helpers.
struct UnitCallGraph {
    var functions: [String: FunctionFacts] = [:]

    init(_ facts: [SourceFacts]) {
        for f in facts { for fn in f.functions where functions[fn.name] == nil { functions[fn.name] = fn } }
    }

    /// Every function reachable from `root` (itself included) through calls to the unit's functions.
    func reachable(from root: String) -> [FunctionFacts] {
        var seen: Set<String> = [root]
        var queue = [root]
        var out: [FunctionFacts] = []
        while let name = queue.popLast() {
            guard let fn = functions[name] else { continue }
            out.append(fn)
            for callee in fn.callees where functions[callee] != nil && seen.insert(callee).inserted {
                queue.append(callee)
            }
        }
        return out
    }

    func calls(from root: String) -> [FunctionCall] { reachable(from: root).flatMap(\.calls) }

    func callees(from root: String) -> Set<String> { Set(reachable(from: root).flatMap(\.callees)) }
}

extension StructInitializer {
    func field(_ path: String) -> DesignatedField? { fields.first { $0.path == path } }
}

struct UnbalancedTeardownChecker: Checker {
    struct Pair {
        var register: String
        var unregister: String
        var unregisterArgument: String?
        var argumentIndex: Int
    }

    let spec: RuleSpec
    let driverStruct: String
    let probeField: String
    let removeFields: [String]
    let pairs: [Pair]

    init(spec: RuleSpec) throws {
        self.spec = spec
        driverStruct = try spec.parameters.string("driverStruct", default: "platform_driver")
        probeField = try spec.parameters.string("probeField", default: "probe")
        removeFields = try spec.parameters.strings("removeFields", default: ["remove", "remove_new"])
        pairs = try spec.parameters.mappings("pairs").enumerated().map { index, m in
            guard let r = m["register"], let u = m["unregister"] else {
                throw RuleLoadError(
                    file: spec.file, key: "checker.parameters.pairs[\(index)]", line: nil,
                    reason: "needs register and unregister")
            }
            return Pair(
                register: r, unregister: u, unregisterArgument: m["unregisterArgument"],
                argumentIndex: Int(m["argumentIndex"] ?? "") ?? 0)
        }
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        for unit in model.scopedUnits where unit.canBeModule {
            let facts = model.sourceFacts(unit)
            let graph = UnitCallGraph(facts)
            for f in facts {
                for driver in f.initializers
                where driver.structType == driverStruct && model.existsInModule(driver.condition, unit: unit)
                {
                    guard let probe = driver.field(probeField)?.value,
                        let remove = removeFields.lazy.compactMap({ driver.field($0)?.value }).first
                    else { continue }
                    let probeCalls = graph.calls(from: probe)
                    let removeCalls = graph.calls(from: remove)
                    for pair in pairs {
                        let registrations = probeCalls.filter { call in
                            call.callee == pair.register
                                && (pair.unregisterArgument == nil
                                    || call.arguments.count <= pair.argumentIndex
                                    || call.arguments[pair.argumentIndex] != pair.unregisterArgument)
                        }
                        guard let first = registrations.first else { continue }
                        let undone = removeCalls.contains { call in
                            call.callee == pair.unregister
                                && (pair.unregisterArgument == nil
                                    || (call.arguments.count > pair.argumentIndex
                                        && call.arguments[pair.argumentIndex] == pair.unregisterArgument))
                        }
                        if undone { continue }
                        let undo =
                            pair.unregisterArgument.map { "\(pair.unregister)(…, \($0))" }
                            ?? "\(pair.unregister)()"
                        findings.append(
                            spec.finding(
                                "\(probe)() calls \(pair.register)() but \(remove)() of \(moduleLabel(unit)) never calls \(undo): after unbind or rmmod the IOMMU core keeps pointers into the freed driver",
                                file: f.path, line: first.line, symbol: pair.register, module: unit))
                    }
                }
            }
        }
        return findings
    }
}

struct MissingOpsOwnerChecker: Checker {
    let spec: RuleSpec
    let opsStruct: String
    let ownerField: String
    let ownerValue: String
    let pinCall: String
    let releaseCall: String

    init(spec: RuleSpec) throws {
        self.spec = spec
        opsStruct = try spec.parameters.string("opsStruct", default: "iommu_ops")
        ownerField = try spec.parameters.string("ownerField", default: "owner")
        ownerValue = try spec.parameters.string("ownerValue", default: "THIS_MODULE")
        pinCall = try spec.parameters.string("pinCall", default: "try_module_get")
        releaseCall = try spec.parameters.string("releaseCall", default: "module_put")
    }

    /// Whether code in scope pins the owner before using the ops: `try_module_get(...owner)`.
    func corePins(_ model: KernelModel) -> Bool {
        let paths = Set(model.units.filter { $0.sources.contains(where: model.inScope) }.flatMap(\.sources))
        for path in paths {
            guard let f = model.facts(path) else { continue }
            for fn in f.functions {
                if fn.calls.contains(where: {
                    $0.callee == pinCall && ($0.arguments.first ?? "").contains(ownerField)
                }) {
                    return true
                }
            }
        }
        return false
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        var pinned: Bool?
        for unit in model.scopedUnits where unit.canBeModule {
            let facts = model.sourceFacts(unit)
            let headers = model.headerIndex(for: unit.sources)
            let members = headers.structMembers(opsStruct)
            let graph = UnitCallGraph(facts)
            let allCallees = Set(graph.functions.values.flatMap(\.callees))
            for f in facts {
                for ops in f.initializers
                where ops.structType == opsStruct && model.existsInModule(ops.condition, unit: unit) {
                    let hasMember = members?.contains(ownerField) ?? true
                    let setInInitializer = ops.field(ownerField)?.value == ownerValue
                    let setByHelper = allCallees.contains { callee in
                        guard let mentions = headers.mentions(callee) else { return false }
                        return mentions.contains(ownerField) && mentions.contains(ownerValue)
                    }
                    let setInCode = graph.functions.values.contains {
                        $0.assignsMembers[ownerField] == ownerValue
                    }
                    let ownerSet = setInInitializer || setByHelper || setInCode
                    if pinned == nil { pinned = corePins(model) }
                    let corePinned = pinned ?? false
                    if hasMember && ownerSet && corePinned { continue }
                    var problems: [String] = []
                    if !hasMember {
                        problems.append(
                            "struct \(opsStruct) has no '\(ownerField)' member in this tree, so the ops cannot be pinned"
                        )
                    } else if !ownerSet {
                        problems.append("\(ops.variable) does not set .\(ownerField) = \(ownerValue)")
                    }
                    if !corePinned {
                        problems.append(
                            "the IOMMU core never takes \(pinCall)() on the ops owner before calling them")
                    }
                    let fix =
                        hasMember
                        ? "set .\(ownerField) = \(ownerValue) and have the core wrap its use of the ops in \(pinCall)(ops->\(ownerField))/\(releaseCall)()"
                        : "add 'struct module *\(ownerField);' to struct \(opsStruct), set .\(ownerField) = \(ownerValue) in \(ops.variable), and have the core take \(pinCall)(ops->\(ownerField)) before using the ops and \(releaseCall)() after"
                    findings.append(
                        spec.finding(
                            "\(moduleLabel(unit)) can be unloaded while the IOMMU core still calls \(ops.variable): \(problems.joined(separator: "; ")) — \(fix)",
                            file: f.path, line: ops.line, symbol: ops.variable, module: unit))
                }
            }
        }
        return findings
    }
}

struct ForcedUnbindChecker: Checker {
    let spec: RuleSpec
    let driverStruct: String
    let field: String
    let value: String
    let evidenceStructs: Set<String>
    let evidenceCalls: Set<String>

    init(spec: RuleSpec) throws {
        self.spec = spec
        driverStruct = try spec.parameters.string("driverStruct", default: "platform_driver")
        field = try spec.parameters.string("field", default: "driver.suppress_bind_attrs")
        value = try spec.parameters.string("value", default: "true")
        let evidence = spec.parameters.nested("iommuEvidence")
        evidenceStructs = Set(try evidence.strings("structs", default: ["iommu_ops"]))
        evidenceCalls = Set(
            try evidence.strings("calls", default: ["iommu_device_register", "bus_set_iommu"]))
    }

    func isIOMMU(_ facts: [SourceFacts]) -> Bool {
        facts.contains { f in
            f.initializers.contains { evidenceStructs.contains($0.structType) }
                || f.functions.contains { fn in fn.callees.contains(where: evidenceCalls.contains) }
        }
    }

    func drivers(_ model: KernelModel, _ unit: ModuleUnit) -> [(String, StructInitializer)] {
        model.sourceFacts(unit).flatMap { f in
            f.initializers.filter { $0.structType == driverStruct }.map { (f.path, $0) }
        }
    }

    func suppresses(_ driver: StructInitializer) -> Bool { driver.field(field)?.value == value }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        return PerUnitFindings(rule: spec.id).findings(of: model, model.scopedUnits) { unit in
            var findings: [Finding] = []
            let facts = model.sourceFacts(unit)
            guard isIOMMU(facts) else { return [] }
            for (path, driver) in drivers(model, unit) where !suppresses(driver) {
                if unit.canBeModule && model.existsInModule(driver.condition, unit: unit) {
                    findings.append(
                        spec.finding(
                            "IOMMU driver \(driver.variable) of \(moduleLabel(unit)) lacks .\(field) = \(value): a sysfs unbind tears the IOMMU down under live DMA masters — keep .\(field.split(separator: ".").last ?? "") = \(value)",
                            file: path, line: driver.line, symbol: driver.variable, module: unit))
                    continue
                }
                // The change removed the field: forced unbinding becomes possible even for built-in code.
                guard let base = context.base, let old = base.tree.blobs[path], old != model.tree.blobs[path],
                    let before = base.facts(path),
                    before.initializers.contains(where: { $0.variable == driver.variable && suppresses($0) })
                else { continue }
                var f = spec.finding(
                    "the change removes .\(field) = \(value) from IOMMU driver \(driver.variable) (\(unit.shortName)): a sysfs unbind can now tear the IOMMU down under live DMA masters",
                    file: path, line: driver.line, symbol: driver.variable, module: unit)
                f.isEvent = true
                findings.append(f)
            }
            return findings
        }
    }
}
