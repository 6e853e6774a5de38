import CSource
import Facts
import Foundation
import Git
import Kbuild
import Kconfig
import Model

/// One extracted modularity change: what `modcheck changes` prints.
public struct ModularityChange: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case kconfigType = "kconfig-type"
        case configAdded = "config-added"
        case configRemoved = "config-removed"
        case configDependency = "config-dependency"
        case exportAdded = "export-added"
        case exportRemoved = "export-removed"
        case exportFlavour = "export-flavour"
        case registration = "registration"
        case registrationAdded = "registration-added"
        case registrationRemoved = "registration-removed"
        case fieldAdded = "field-added"
        case fieldRemoved = "field-removed"
        case fieldChanged = "field-changed"
        case moduleMacroAdded = "module-macro-added"
        case moduleMacroRemoved = "module-macro-removed"
        case composition = "composition"
    }

    public var kind: Kind
    public var file: String
    public var line: Int?
    public var symbol: String
    public var before: String?
    public var after: String?
    public var description: String
    /// Read from the diff alone (the file could not be placed in the tree): see `DiffFacts`.
    public var partial = false

    public init(
        kind: Kind, file: String, line: Int?, symbol: String, before: String?, after: String?,
        description: String, partial: Bool = false
    ) {
        self.kind = kind
        self.file = file
        self.line = line
        self.symbol = symbol
        self.before = before
        self.after = after
        self.description = description
        self.partial = partial
    }
}

/// Extracts modularity changes between two trees from per-file facts (no tree-wide pass needed).
public struct ChangeExtractor {
    public let store: FactStore
    public let scope: [String]

    public init(store: FactStore, scope: [String]) {
        self.store = store
        self.scope = scope
    }

    func inScope(_ path: String) -> Bool { KernelModel.path(path, isIn: scope) }

    static let registrationPatterns = [
        "module_*_driver", "builtin_*_driver", "builtin_driver", "module_driver", "module_init",
        "module_exit", "*_initcall", "*_initcall_sync", "*_OF_DECLARE", "*_DECLARE",
    ]
    static let watchedStructs: Set<String> = [
        "platform_driver", "iommu_ops", "pci_driver", "amba_driver", "virtio_driver", "device_driver",
    ]
    static let watchedFields: Set<String> = [
        "remove", "remove_new", "owner", "driver.owner", "driver.suppress_bind_attrs", "suppress_bind_attrs",
        "driver.of_match_table", "driver.acpi_match_table", "id_table", "probe", "shutdown",
    ]

    static func isRegistration(_ name: String) -> Bool {
        registrationPatterns.contains { pattern in
            let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
            if parts.count == 1 { return name == pattern }
            return name.hasPrefix(parts[0]) && name.hasSuffix(parts[parts.count - 1])
                && name.count >= parts[0].count + parts[parts.count - 1].count
        }
    }

    func facts(_ blob: ObjectID?, _ path: String) -> SourceFacts? {
        blob.flatMap { store.facts(path: path, blob: $0, depth: .full) }
    }

    /// Names the scoped sources reference, in either tree: exports of these matter anywhere.
    func scopedReferences(_ trees: [KernelTree]) -> Set<String> {
        var names = Set<String>()
        for tree in trees { for refs in scopedReferencesByPath(tree).values { names.formUnion(refs) } }
        return names
    }

    /// References of each scoped `.c` file of `tree`, for callers that check many small changes
    /// against one base (triage): the tree-wide walk is done once.
    public func scopedReferencesByPath(_ tree: KernelTree) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for (path, blob) in tree.blobs where inScope(path) && path.hasSuffix(".c") {
            out[path] = Set(facts(blob, path)?.references.map(\.name) ?? [])
        }
        return out
    }

    public func changes(from old: KernelTree, to new: KernelTree) -> [ModularityChange] {
        var changed: [String] = []
        for (path, blob) in new.blobs where old.blobs[path] != blob { changed.append(path) }
        for path in old.blobs.keys where new.blobs[path] == nil { changed.append(path) }
        return changes(
            paths: changed, old: { old.blobs[$0] }, new: { new.blobs[$0] },
            scopedReferences: { scopedReferences([old, new]) })
    }

    /// The modularity changes of `paths` between two trees given as blob lookups;
    /// `scopedReferences` (asked only when an out-of-scope source changed) names what the scoped
    /// sources of either tree reference.
    public func changes(
        paths: [String], old: (String) -> ObjectID?, new: (String) -> ObjectID?,
        scopedReferences: () -> Set<String>
    ) -> [ModularityChange] {
        var out: [ModularityChange] = []
        var used: Set<String>?
        for path in paths.sorted() {
            switch KernelFileKind(path: path) {
            case .kconfig where inScope(path):
                out += kconfigChanges(path, old: old(path), new: new(path))
            case .kbuild where inScope(path):
                out += kbuildChanges(path, old: old(path), new: new(path))
            case .cSource, .header:
                let before = facts(old(path), path)
                let after = facts(new(path), path)
                if inScope(path) {
                    out += sourceChanges(path, before: before, after: after, exportFilter: nil)
                } else if before?.exports.isEmpty == false || after?.exports.isEmpty == false {
                    if used == nil { used = scopedReferences() }
                    out += sourceChanges(path, before: before, after: after, exportFilter: used)
                }
            default:
                break
            }
        }
        return out
    }

    func kconfigChanges(_ path: String, old: ObjectID?, new: ObjectID?) -> [ModularityChange] {
        func entries(_ blob: ObjectID?) -> [String: KconfigEntry] {
            guard let blob, let text = store.text(blob, path: path) else { return [:] }
            var map: [String: KconfigEntry] = [:]
            for e in KconfigParser.parseFile(path: path, text: text).entries where map[e.name] == nil {
                map[e.name] = e
            }
            return map
        }
        let before = entries(old)
        let after = entries(new)
        var out: [ModularityChange] = []
        for (name, a) in after.sorted(by: { $0.key < $1.key }) {
            let deps = a.dependsOn.map { ", depends on \($0)" } ?? ""
            guard let b = before[name] else {
                out.append(
                    ModularityChange(
                        kind: .configAdded, file: path, line: a.line, symbol: name, before: nil,
                        after: "\(a.type)\(deps)",
                        description: "new config \(name) (\(a.type)\(deps))"))
                continue
            }
            if b.type != a.type {
                out.append(
                    ModularityChange(
                        kind: .kconfigType, file: path, line: a.line, symbol: name, before: "\(b.type)",
                        after: "\(a.type)",
                        description: "\(name): \(b.type) → \(a.type)"))
            }
            if b.dependsOn != a.dependsOn {
                out.append(
                    ModularityChange(
                        kind: .configDependency, file: path, line: a.line, symbol: name, before: b.dependsOn,
                        after: a.dependsOn,
                        description:
                            "\(name): depends on \(b.dependsOn ?? "nothing") → \(a.dependsOn ?? "nothing")"))
            }
        }
        for (name, b) in before.sorted(by: { $0.key < $1.key }) where after[name] == nil {
            out.append(
                ModularityChange(
                    kind: .configRemoved, file: path, line: b.line, symbol: name, before: "\(b.type)",
                    after: nil,
                    description: "config \(name) removed"))
        }
        return out
    }

    func kbuildChanges(_ path: String, old: ObjectID?, new: ObjectID?) -> [ModularityChange] {
        func units(_ blob: ObjectID?) -> [String: [String]] {
            guard let blob, let text = store.text(blob, path: path) else { return [:] }
            let dir = treeDirectory(of: path)
            let map = KbuildReader.resolve(directories: [dir: text])
            var out: [String: [String]] = [:]
            for u in map.units { out[u.name] = u.objects }
            return out
        }
        let before = units(old)
        let after = units(new)
        var out: [ModularityChange] = []
        for name in Set(before.keys).union(after.keys).sorted() where before[name] != after[name] {
            let b = before[name]?.joined(separator: " ")
            let a = after[name]?.joined(separator: " ")
            out.append(
                ModularityChange(
                    kind: .composition, file: path, line: nil, symbol: name, before: b, after: a,
                    description: "\(name): \(b ?? "(none)") → \(a ?? "(none)")"))
        }
        return out
    }

    func sourceChanges(_ path: String, before: SourceFacts?, after: SourceFacts?, exportFilter: Set<String>?)
        -> [ModularityChange]
    {
        var out: [ModularityChange] = []
        let oldExports = Dictionary(
            (before?.exports ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newExports = Dictionary(
            (after?.exports ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for e in (after?.exports ?? []) where exportFilter?.contains(e.name) ?? true {
            if let o = oldExports[e.name] {
                if o.flavour != e.flavour {
                    out.append(
                        ModularityChange(
                            kind: .exportFlavour, file: path, line: e.line, symbol: e.name,
                            before: o.flavour.macro, after: e.flavour.macro,
                            description: "\(o.flavour.macro)(\(e.name)) → \(e.flavour.macro)(\(e.name))"))
                }
            } else {
                out.append(
                    ModularityChange(
                        kind: .exportAdded, file: path, line: e.line, symbol: e.name, before: nil,
                        after: e.flavour.macro,
                        description: "+\(e.flavour.macro)(\(e.name))"))
            }
        }
        for e in (before?.exports ?? [])
        where newExports[e.name] == nil && (exportFilter?.contains(e.name) ?? true) {
            out.append(
                ModularityChange(
                    kind: .exportRemoved, file: path, line: e.line, symbol: e.name, before: e.flavour.macro,
                    after: nil,
                    description: "-\(e.flavour.macro)(\(e.name))"))
        }
        if exportFilter != nil { return out }

        // Registration macros and MODULE_* macros at file scope.
        func keyed(_ f: SourceFacts?) -> [String: MacroInvocation] {
            var map: [String: MacroInvocation] = [:]
            for inv in f?.invocations ?? [] where inv.function == nil {
                map["\(inv.name)(\(inv.arguments.joined(separator: ", ")))"] = inv
            }
            return map
        }
        let oldInv = keyed(before)
        let newInv = keyed(after)
        let removed = oldInv.filter { newInv[$0.key] == nil }.map(\.value)
        var added = newInv.filter { oldInv[$0.key] == nil }.map(\.value)
        for r in removed.sorted(by: { $0.line < $1.line }) {
            if ChangeExtractor.isRegistration(r.name) {
                if let i = added.firstIndex(where: {
                    ChangeExtractor.isRegistration($0.name) && $0.arguments.first == r.arguments.first
                }) {
                    let a = added.remove(at: i)
                    out.append(
                        ModularityChange(
                            kind: .registration, file: path, line: a.line, symbol: r.arguments.first ?? "",
                            before: r.name, after: a.name,
                            description: "\(r.name) → \(a.name) (\(r.arguments.first ?? ""))"))
                } else {
                    out.append(
                        ModularityChange(
                            kind: .registrationRemoved, file: path, line: r.line,
                            symbol: r.arguments.first ?? "", before: r.name, after: nil,
                            description: "-\(r.name)(\(r.arguments.joined(separator: ", ")))"))
                }
            } else if r.name.hasPrefix("MODULE_") {
                out.append(
                    ModularityChange(
                        kind: .moduleMacroRemoved, file: path, line: r.line, symbol: r.name,
                        before: r.arguments.joined(separator: ", "), after: nil,
                        description: "-\(r.name)(\(r.arguments.joined(separator: ", ")))"))
            }
        }
        for a in added.sorted(by: { $0.line < $1.line }) {
            if ChangeExtractor.isRegistration(a.name) {
                out.append(
                    ModularityChange(
                        kind: .registrationAdded, file: path, line: a.line, symbol: a.arguments.first ?? "",
                        before: nil, after: a.name,
                        description: "+\(a.name)(\(a.arguments.joined(separator: ", ")))"))
            } else if a.name.hasPrefix("MODULE_") && a.name != "MODULE_PARM_DESC" {
                out.append(
                    ModularityChange(
                        kind: .moduleMacroAdded, file: path, line: a.line, symbol: a.name, before: nil,
                        after: a.arguments.joined(separator: ", "),
                        description: "+\(a.name)(\(a.arguments.joined(separator: ", ")))"))
            }
        }

        // Fields of driver and ops structs that decide unload safety.
        let oldInit = Dictionary(
            (before?.initializers ?? []).map { ($0.variable, $0) }, uniquingKeysWith: { a, _ in a })
        for i in after?.initializers ?? [] where ChangeExtractor.watchedStructs.contains(i.structType) {
            let oldFields = Dictionary(
                (oldInit[i.variable]?.fields ?? []).map { ($0.path, $0.value) },
                uniquingKeysWith: { a, _ in a })
            let newFields = Dictionary(i.fields.map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
            let isNew = oldInit[i.variable] == nil
            for field in i.fields where ChangeExtractor.watchedFields.contains(field.path) {
                if let o = oldFields[field.path] {
                    if o != field.value {
                        out.append(
                            ModularityChange(
                                kind: .fieldChanged, file: path, line: field.line,
                                symbol: "\(i.variable).\(field.path)", before: o, after: field.value,
                                description:
                                    "struct \(i.structType) \(i.variable): .\(field.path) = \(o) → \(field.value)"
                            ))
                    }
                } else if !isNew {
                    out.append(
                        ModularityChange(
                            kind: .fieldAdded, file: path, line: field.line,
                            symbol: "\(i.variable).\(field.path)", before: nil, after: field.value,
                            description:
                                "struct \(i.structType) \(i.variable): +.\(field.path) = \(field.value)"))
                }
            }
            for (fieldPath, value) in oldFields.sorted(by: { $0.key < $1.key })
            where newFields[fieldPath] == nil && ChangeExtractor.watchedFields.contains(fieldPath) {
                out.append(
                    ModularityChange(
                        kind: .fieldRemoved, file: path, line: i.line, symbol: "\(i.variable).\(fieldPath)",
                        before: value, after: nil,
                        description: "struct \(i.structType) \(i.variable): -.\(fieldPath) = \(value)"))
            }
        }
        return out
    }
}

extension ExportFlavour {
    public var macro: String {
        switch self {
        case .plain: "EXPORT_SYMBOL"
        case .gpl: "EXPORT_SYMBOL_GPL"
        case .ns: "EXPORT_SYMBOL_NS"
        case .nsGpl: "EXPORT_SYMBOL_NS_GPL"
        }
    }
}
