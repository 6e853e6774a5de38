import CSource
import Foundation
import Kconfig
import Model

struct MissingModuleLicenseChecker: Checker {
    let spec: RuleSpec
    let errorSince: (Int, Int)
    let severityBefore: Severity

    init(spec: RuleSpec) throws {
        self.spec = spec
        let since = try spec.parameters.string("errorSince", default: "5.11").split(separator: ".").compactMap
        { Int($0) }
        guard since.count == 2 else {
            throw RuleLoadError(
                file: spec.file, key: "checker.parameters.errorSince", line: nil,
                reason: "expected MAJOR.MINOR")
        }
        errorSince = (since[0], since[1])
        let before = try spec.parameters.string("severityBefore", default: "warning")
        guard let s = Severity(rawValue: before) else {
            throw RuleLoadError(
                file: spec.file, key: "checker.parameters.severityBefore", line: nil,
                reason: "unknown severity")
        }
        severityBefore = s
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        let severity: Severity
        if let v = model.version, (v.major, v.minor) < errorSince {
            severity = severityBefore
        } else {
            severity = spec.severity
        }
        return model.scopedUnits.filter { $0.canBeModule && model.moduleLicense($0) == nil }.map { unit in
            let objects = unit.moduleSources.joined(separator: ", ")
            let first = unit.moduleSources.first { $0.hasSuffix(".c") } ?? unit.sources[0]
            let consequence =
                severity == .error
                ? "modpost: missing MODULE_LICENSE() in \(first.replacingOccurrences(of: ".c", with: ".o"))"
                : "modpost warns and the module taints the kernel and cannot use _GPL exports (an error since v5.11)"
            return spec.finding(
                "\(moduleLabel(unit)) has no MODULE_LICENSE() in any of its objects (\(objects)); \(consequence) — add MODULE_LICENSE(\"GPL v2\")",
                file: first, line: nil, symbol: nil, module: unit, severity: severity)
        }
    }
}

/// Registrations that work only for built-in code, in code that can be a module:
/// - an initcall (`subsys_initcall(fn)`, and `builtin_*_driver()`, which expands to
///   `device_initcall`): <linux/module.h>'s `MODULE` branch redefines these as `module_init()`,
///   so with that header in the file's include closure the module loads but, without a
///   `module_exit()`, can never be unloaded (a warning); without it the file does not compile
///   as a module (`type defaults to 'int' in declaration of 'device_initcall'`, an error);
/// - a linker-table declaration (`IOMMU_OF_DECLARE`, `CLK_OF_DECLARE`, ...): of.h emits the
///   table entry only `!defined(MODULE)`, so in a module its init never runs — an error when the
///   module has no other registration, a warning when it still registers through a driver.
struct BuiltinRegistrationChecker: Checker {
    let spec: RuleSpec
    let initcalls: Set<String>
    let initcallPatterns: [String]
    let expandsTo: [String: String]
    let linkerTables: Set<String>
    let linkerTablePatterns: [String]
    let exits: Set<String>
    let exitPatterns: [String]
    let inits: Set<String>
    let allowed: Set<String>

    init(spec: RuleSpec) throws {
        self.spec = spec
        initcalls = Set(try spec.parameters.strings("initcalls"))
        initcallPatterns = try spec.parameters.strings("initcallPatterns")
        expandsTo = try spec.parameters.mapping("expandsTo")
        linkerTables = Set(try spec.parameters.strings("linkerTables"))
        linkerTablePatterns = try spec.parameters.strings("linkerTablePatterns")
        exits = Set(try spec.parameters.strings("exits"))
        exitPatterns = try spec.parameters.strings("exitPatterns")
        inits = Set(try spec.parameters.strings("inits"))
        allowed = Set(try spec.parameters.strings("allowed"))
    }

    func matches(_ name: String, _ names: Set<String>, _ patterns: [String]) -> Bool {
        names.contains(name) || patterns.contains { matchesPattern(name, $0) }
    }

    func builtinOnly(_ name: String, _ names: Set<String>, _ patterns: [String]) -> Bool {
        !allowed.contains(name) && matches(name, names, patterns)
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        let units = model.scopedUnits.filter(\.canBeModule)
        return PerUnitFindings(rule: spec.id, readsHeaders: true).findings(of: model, units) { unit in
            var findings: [Finding] = []
            let invocations = unit.moduleSources.flatMap { source in
                (model.facts(source)?.invocations ?? []).filter {
                    $0.function == nil && model.existsInModule($0.condition, unit: unit)
                }.map { (source, $0) }
            }
            let hasExit = invocations.contains { matches($0.1.name, exits, exitPatterns) }
            let hasInit = invocations.contains {
                matches($0.1.name, inits, exitPatterns) || builtinOnly($0.1.name, initcalls, initcallPatterns)
            }
            for (source, inv) in invocations {
                let arg = inv.arguments.first.map { "(\($0))" } ?? ""
                let label = moduleLabel(unit)
                if builtinOnly(inv.name, linkerTables, linkerTablePatterns) {
                    let initFunction = inv.arguments.last.map { "\($0)()" } ?? "its init"
                    findings.append(
                        spec.finding(
                            hasInit
                                ? "\(inv.name)\(arg) in \(label): a module's table entry is never walked (of.h emits it only !defined(MODULE)), so \(initFunction) does not run when the driver is a module — fine only if probing through its driver does the same work; otherwise move it under a symbol that depends on \(unit.configLabel)=y"
                                : "\(inv.name)\(arg) in \(label): a module's table entry is never walked (of.h emits it only !defined(MODULE)) and the module registers nothing else, so \(initFunction) never runs — register a platform driver (module_platform_driver()) or make \(unit.configLabel) bool",
                            file: source, line: inv.line, symbol: inv.name, module: unit,
                            severity: hasInit ? .warning : spec.severity))
                    continue
                }
                guard builtinOnly(inv.name, initcalls, initcallPatterns) else { continue }
                let target = expandsTo[inv.name] ?? inv.name
                if !definedForModules(target, source: source, unit: unit, model: model) {
                    findings.append(
                        spec.finding(
                            "\(inv.name)\(arg) in \(label) does not compile as a module: nothing in \(source)'s includes defines \(target)() for module objects (<linux/init.h> defines it only !defined(MODULE); <linux/module.h> maps it to module_init()) — use module_platform_driver()/module_init() and module_exit()",
                            file: source, line: inv.line, symbol: inv.name, module: unit))
                } else if !hasExit {
                    findings.append(
                        spec.finding(
                            "\(inv.name)\(arg) in \(label) becomes module_init() but the module has no module_exit(): it loads and can never be unloaded — use module_platform_driver() or add module_exit(), or make \(unit.configLabel) bool",
                            file: source, line: inv.line, symbol: inv.name, module: unit, severity: .warning))
                }
            }
            return findings
        }
    }

    /// Whether the file (its own macros or its include closure) defines `macro` in module context.
    func definedForModules(_ macro: String, source: String, unit: ModuleUnit, model: KernelModel) -> Bool {
        let assuming: [String: Tristate] = unit.config.map { [$0: .m] } ?? [:]
        if let own = model.facts(source)?.macros.filter({ $0.name == macro }), !own.isEmpty,
            own.contains(where: { model.mayHold($0.condition, assuming: assuming, inModule: true) })
        {
            return true
        }
        guard let conditions = model.headerIndex(for: [source]).lookup(macro) else { return false }
        return conditions.isEmpty
            || conditions.contains { model.mayHold($0, assuming: assuming, inModule: true) }
    }
}

struct MissingRemoveChecker: Checker {
    let spec: RuleSpec
    let driverStruct: String
    let registrations: Set<String>
    let removeFields: [String]
    let probeRegistrations: Set<String>

    init(spec: RuleSpec) throws {
        self.spec = spec
        driverStruct = try spec.parameters.string("driverStruct", default: "platform_driver")
        registrations = Set(
            try spec.parameters.strings("registrationMacros", default: ["module_platform_driver"]))
        removeFields = try spec.parameters.strings("removeFields", default: ["remove", "remove_new"])
        probeRegistrations = Set(try spec.parameters.strings("probeRegistrations"))
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        for unit in model.scopedUnits where unit.canBeModule {
            let facts = model.sourceFacts(unit)
            for f in facts {
                for inv in f.invocations
                where registrations.contains(inv.name) && model.existsInModule(inv.condition, unit: unit) {
                    guard let name = inv.arguments.first,
                        let driver = facts.lazy.flatMap(\.initializers).first(where: {
                            $0.variable == name && $0.structType == driverStruct
                        })
                    else { continue }
                    if driver.fields.contains(where: { removeFields.contains($0.path) }) { continue }
                    // Without registrations that need an explicit undo, unbind has nothing to leak.
                    guard let probe = driver.field("probe")?.value else { continue }
                    let made = UnitCallGraph(facts).callees(from: probe).intersection(probeRegistrations).sorted()
                    guard !made.isEmpty else { continue }
                    let calls = made.map { "\($0)()" }.joined(separator: ", ")
                    findings.append(
                        spec.finding(
                            "\(inv.name)(\(name)) in \(moduleLabel(unit)) but struct \(driverStruct) \(name) has no .remove while \(probe)() calls \(calls): rmmod or unbind leaves those registrations pointing into freed module memory — add .remove that undoes them",
                            file: f.path, line: driver.line, symbol: name, module: unit))
                }
            }
        }
        return findings
    }
}

struct MissingDeviceTableChecker: Checker {
    let spec: RuleSpec
    let suffix: String
    let tableFields: [String: String]

    init(spec: RuleSpec) throws {
        self.spec = spec
        suffix = try spec.parameters.string("tableSuffix", default: "_device_id")
        tableFields = try spec.parameters.mapping("tableFields")
    }

    /// `of_match_ptr(tbl)`, `ACPI_PTR(tbl)`, `&tbl[0]` → `tbl`.
    static func tableName(_ value: String) -> String {
        var v = value.trimmingCharacters(in: .whitespaces)
        while let open = v.firstIndex(of: "("), v.hasSuffix(")") {
            v = String(v[v.index(after: open)..<v.index(before: v.endIndex)]).trimmingCharacters(
                in: .whitespaces)
        }
        if v.hasPrefix("&") { v.removeFirst() }
        if let bracket = v.firstIndex(of: "[") { v = String(v[..<bracket]) }
        return v.trimmingCharacters(in: .whitespaces)
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        for unit in model.scopedUnits where unit.canBeModule {
            let facts = model.sourceFacts(unit)
            let initializers = facts.flatMap { f in f.initializers.map { (f.path, $0) } }
            let exported = Set(
                facts.flatMap(\.invocations).filter {
                    $0.name == "MODULE_DEVICE_TABLE" && $0.arguments.count >= 2
                }.map { $0.arguments[1] })
            var seen = Set<String>()
            for (_, driver) in initializers where model.existsInModule(driver.condition, unit: unit) {
                for field in driver.fields where tableFields[field.path] != nil {
                    let table = MissingDeviceTableChecker.tableName(field.value)
                    guard let (path, tableInit) = initializers.first(where: { $0.1.variable == table }),
                        tableInit.structType.hasSuffix(suffix), !exported.contains(table),
                        seen.insert(table).inserted
                    else { continue }
                    let type = String(tableInit.structType.dropLast(suffix.count))
                    findings.append(
                        spec.finding(
                            "\(moduleLabel(unit)) matches devices with \(tableInit.structType) \(table) but has no MODULE_DEVICE_TABLE(\(type), \(table)): udev cannot autoload the module — add it after the table",
                            file: path, line: tableInit.line, symbol: table, module: unit))
                }
            }
        }
        return findings
    }
}

struct ModuleRefcountBalanceChecker: Checker {
    let spec: RuleSpec
    let gets: Set<String>
    let puts: Set<String>

    init(spec: RuleSpec) throws {
        self.spec = spec
        gets = Set(try spec.parameters.strings("get", default: ["try_module_get", "__module_get"]))
        puts = Set(try spec.parameters.strings("put", default: ["module_put"]))
    }

    func check(_ context: CheckContext) -> [Finding] {
        let model = context.model
        var findings: [Finding] = []
        let paths = Set(model.scopedUnits.flatMap(\.sources)).sorted()
        for path in paths {
            guard let f = model.facts(path) else { continue }
            let calls = f.functions.flatMap(\.calls)
            let released = Set(calls.filter { puts.contains($0.callee) }.compactMap(\.arguments.first))
            var seen = Set<String>()
            for call in calls where gets.contains(call.callee) {
                guard let object = call.arguments.first, !released.contains(object),
                    seen.insert(object).inserted
                else { continue }
                findings.append(
                    spec.finding(
                        "\(call.callee)(\(object)) in \(path) has no module_put(\(object)) in the same file: the module can never be unloaded, or the release is somewhere reviewers cannot see",
                        file: path, line: call.line, symbol: object, module: nil))
            }
        }
        return findings
    }
}
