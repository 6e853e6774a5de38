import Facts
import Foundation
import Git

/// What a file's hunks alone show, for a file of a posting that cannot be placed in the tree (a
/// file the base lacks, a hunk that does not match): Kconfig type, `depends on` and `select`
/// lines of the config the hunk is in, `EXPORT_SYMBOL*` added or removed, registration macros,
/// the watched driver-struct fields, `MODULE_*` macros, kbuild object lines. Every change is
/// marked `partial` (read from the diff, not from the applied file).
enum DiffFacts {
    /// Fields whose presence rules read without a tree (forced unbind, a removed `.remove`,
    /// ops without `.owner`).
    static let watchedFields: Set<String> = ["owner", "remove", "remove_new", "suppress_bind_attrs"]

    /// The changes of one file patch. `inScope` decides for Kconfig, kbuild and registration
    /// changes; `exportMatters` for exports outside the scope (a name scoped code references).
    static func changes(
        of file: FilePatch, inScope: (String) -> Bool, exportMatters: (String) -> Bool
    ) -> [ModularityChange] {
        let path = file.path
        var out: [ModularityChange]
        switch KernelFileKind(path: path) {
        case .kconfig:
            guard inScope(path) else { return [] }
            out = kconfigChanges(file)
        case .kbuild:
            guard inScope(path) else { return [] }
            out = lineChanges(file) { line in
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix("obj-") || firstMatch(kbuildList, t) != nil
                else { return nil }
                return (.composition, t.split(separator: " ").first.map(String.init) ?? t, t)
            }
        case .cSource, .header:
            let scoped = inScope(path)
            out = lineChanges(file) { line in
                if let m = firstMatch(export, line) {
                    return exportMatters(m[2]) || scoped ? (.exportAdded, m[2], m[1]) : nil
                }
                guard scoped else { return nil }
                if let m = firstMatch(registration, line) {
                    return (.registrationAdded, m[1], m[2].isEmpty ? m[1] : "\(m[1])(\(m[2]))")
                }
                if let m = firstMatch(field, line), watchedFields.contains(m[1]) {
                    return (.fieldAdded, m[1], line.trimmingCharacters(in: .whitespaces))
                }
                if let m = firstMatch(moduleMacro, line) {
                    return (.moduleMacroAdded, m[1], line.trimmingCharacters(in: .whitespaces))
                }
                return nil
            }
        default:
            return []
        }
        for i in out.indices { out[i].partial = true }
        return out
    }

    /// Added and removed lines that `classify` recognises, as `…Added` / `…Removed` changes; a line
    /// removed and added again unchanged is no change.
    static func lineChanges(
        _ file: FilePatch, classify: (String) -> (ModularityChange.Kind, String, String)?
    ) -> [ModularityChange] {
        var added: [(ModularityChange.Kind, String, String, Int)] = []
        var removed: [(ModularityChange.Kind, String, String, Int)] = []
        for hunk in file.hunks {
            var newLine = hunk.newStart
            var oldLine = hunk.oldStart
            for l in hunk.lines {
                let text = String(decoding: l.content, as: UTF8.self)
                switch l.origin {
                case .context:
                    newLine += 1
                    oldLine += 1
                case .addition:
                    if let (k, s, d) = classify(text) { added.append((k, s, d, newLine)) }
                    newLine += 1
                case .deletion:
                    if let (k, s, d) = classify(text) { removed.append((k, s, d, oldLine)) }
                    oldLine += 1
                }
            }
        }
        var out: [ModularityChange] = []
        let removedKeys = Set(removed.map { "\($0.1)\u{0}\($0.2)" })
        let addedKeys = Set(added.map { "\($0.1)\u{0}\($0.2)" })
        for (kind, symbol, detail, line) in added where !removedKeys.contains("\(symbol)\u{0}\(detail)") {
            // An export whose macro changed (EXPORT_SYMBOL → EXPORT_SYMBOL_GPL) is one change.
            if kind == .exportAdded, let old = removed.first(where: { $0.0 == .exportAdded && $0.1 == symbol }) {
                out.append(
                    ModularityChange(
                        kind: .exportFlavour, file: file.path, line: line, symbol: symbol, before: old.2, after: detail,
                        description: "\(symbol): \(old.2) → \(detail)"))
                continue
            }
            out.append(
                ModularityChange(
                    kind: kind, file: file.path, line: line, symbol: symbol, before: nil, after: detail,
                    description: "+\(detail)\(kind == .exportAdded ? "(\(symbol))" : "")"))
        }
        for (kind, symbol, detail, line) in removed where !addedKeys.contains("\(symbol)\u{0}\(detail)") {
            if kind == .exportAdded, added.contains(where: { $0.0 == .exportAdded && $0.1 == symbol }) { continue }
            let removedKind: ModularityChange.Kind =
                switch kind {
                case .exportAdded: .exportRemoved
                case .registrationAdded: .registrationRemoved
                case .fieldAdded: .fieldRemoved
                case .moduleMacroAdded: .moduleMacroRemoved
                default: kind
                }
            out.append(
                ModularityChange(
                    kind: removedKind, file: file.path, line: line, symbol: symbol, before: detail, after: nil,
                    description: "-\(detail)\(kind == .exportAdded ? "(\(symbol))" : "")"))
        }
        return out
    }

    /// Kconfig lines by the config they belong to: the `config` line in the hunk (context or
    /// changed), else the one git names in the hunk header (`@@ ... @@ config ARM_SMMU`).
    static func kconfigChanges(_ file: FilePatch) -> [ModularityChange] {
        struct Entry {
            var oldType: String?
            var newType: String?
            var oldDepends: [String] = []
            var newDepends: [String] = []
            var added = false
            var removed = false
            var line = 0
        }
        var entries: [String: Entry] = [:]
        var order: [String] = []
        for hunk in file.hunks {
            var current = firstMatch(config, hunk.header)?[1]
            var newLine = hunk.newStart
            for l in hunk.lines {
                let text = String(decoding: l.content, as: UTF8.self)
                defer { if l.origin != .deletion { newLine += 1 } }
                if let m = firstMatch(config, text) {
                    current = m[1]
                    if entries[m[1]] == nil {
                        entries[m[1]] = Entry()
                        order.append(m[1])
                    }
                    if l.origin == .addition { entries[m[1]]?.added = true }
                    if l.origin == .deletion { entries[m[1]]?.removed = true }
                    entries[m[1]]?.line = newLine
                    continue
                }
                guard let name = current, l.origin != .context else { continue }
                if entries[name] == nil {
                    entries[name] = Entry()
                    order.append(name)
                }
                if entries[name]?.line == 0 { entries[name]?.line = newLine }
                if let m = firstMatch(type, text) {
                    let type = m[1].hasSuffix("bool") ? "bool" : "tristate"
                    if l.origin == .addition { entries[name]?.newType = type } else { entries[name]?.oldType = type }
                } else if let m = firstMatch(dependency, text) {
                    let clause = "\(m[1]) \(m[2])"
                    if l.origin == .addition {
                        entries[name]?.newDepends.append(clause)
                    } else {
                        entries[name]?.oldDepends.append(clause)
                    }
                }
            }
        }
        var out: [ModularityChange] = []
        for name in order {
            guard let e = entries[name] else { continue }
            if e.added && !e.removed {
                let type = e.newType ?? "unknown type"
                let deps = e.newDepends.isEmpty ? "" : ", " + e.newDepends.joined(separator: ", ")
                out.append(
                    ModularityChange(
                        kind: .configAdded, file: file.path, line: e.line, symbol: name, before: nil,
                        after: "\(type)\(deps)", description: "new config \(name) (\(type)\(deps))"))
                continue
            }
            if e.removed && !e.added {
                out.append(
                    ModularityChange(
                        kind: .configRemoved, file: file.path, line: e.line, symbol: name, before: e.oldType,
                        after: nil, description: "config \(name) removed"))
                continue
            }
            if let n = e.newType, e.oldType != n {
                out.append(
                    ModularityChange(
                        kind: .kconfigType, file: file.path, line: e.line, symbol: name,
                        before: e.oldType ?? "unknown", after: n,
                        description: "\(name): \(e.oldType ?? "?") → \(n)"))
            }
            if Set(e.oldDepends) != Set(e.newDepends) {
                let before = e.oldDepends.joined(separator: ", ")
                let after = e.newDepends.joined(separator: ", ")
                out.append(
                    ModularityChange(
                        kind: .configDependency, file: file.path, line: e.line, symbol: name,
                        before: before.isEmpty ? nil : before, after: after.isEmpty ? nil : after,
                        description: "\(name): \(before.isEmpty ? "-" : before) → \(after.isEmpty ? "-" : after)"))
            }
        }
        return out
    }

    // The line shapes read from hunks (compiled once).
    static let kbuildList = regex(#"^[\w-]+-(y|objs|\$\(CONFIG_\w+\))\s*[+:]?="#)
    static let export = regex(#"\b(EXPORT_SYMBOL\w*)\s*\(\s*(\w+)"#)
    static let registration = regex(#"^\s*((?:module|builtin)_\w+_driver|module_init|module_exit|\w+_initcall(?:_sync)?)\s*\(\s*(\w*)"#)
    static let field = regex(#"^\s*\.(\w+)\s*="#)
    static let moduleMacro = regex(#"^\s*(MODULE_[A-Z_]+)\s*\("#)
    static let config = regex(#"^\s*(?:menu)?config\s+(\w+)"#)
    static let type = regex(#"^\s*(bool|tristate|def_bool|def_tristate)\b"#)
    static let dependency = regex(#"^\s*(depends on|select|imply)\s+(.+?)\s*$"#)

    static func regex(_ pattern: String) -> NSRegularExpression {
        // The patterns are constants of this file: a bad one is a programming error.
        try! NSRegularExpression(pattern: pattern)
    }

    /// The capture groups of the first match (index 0: the whole match).
    static func firstMatch(_ re: NSRegularExpression, _ text: String) -> [String]? {
        guard let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (0..<m.numberOfRanges).map { i in
            Range(m.range(at: i), in: text).map { String(text[$0]) } ?? ""
        }
    }
}
