import Facts
import Foundation
import Git
import Rules
import CSource

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
            // Each pattern only where the line holds the words it needs (a regular expression per
            // line of every unplaced hunk cost more than the rest of reading a posting).
            out = lineChanges(file) { line in
                if has(line, "EXPORT_SYMBOL"), let m = firstMatch(export, line) {
                    return exportMatters(m[2]) || scoped ? (.exportAdded, m[2], m[1]) : nil
                }
                guard scoped else { return nil }
                if has(line, "module_") || has(line, "builtin_") || has(line, "initcall"),
                    let m = firstMatch(registration, line)
                {
                    return (.registrationAdded, m[1], m[2].isEmpty ? m[1] : "\(m[1])(\(m[2]))")
                }
                let lead = firstNonBlank(line)
                if lead == UInt8(ascii: ".") || lead >= 0x80, let m = firstMatch(field, line), watchedFields.contains(m[1]) {
                    return (.fieldAdded, m[1], line.trimmingCharacters(in: .whitespaces))
                }
                if has(line, "MODULE_"), let m = firstMatch(moduleMacro, line) {
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

    /// The rules that need no tree, on what a posting's diff shows of files it could not place:
    /// a removed `.suppress_bind_attrs = true` (forced unbind) or `.remove` (missing remove); a
    /// new driver file kbuild links under a config the posting makes `tristate`, when the Kconfig
    /// or Makefile hunk could not be placed (so the model cannot see the module), registered with
    /// a `builtin_*_driver` macro or without `MODULE_LICENSE`. `newFile` gives the facts of a file
    /// the posting creates (new files always apply). The findings carry rule ids; RuleEngine's
    /// `diffOnly` gives them their rule's severity and the policy, and marks them partial.
    /// `change`: the index in `changes` of the change a finding reads (nil: a new driver's file).
    static func findings(_ changes: [ModularityChange], newFile: (String) -> SourceFacts?)
        -> [(rule: String, finding: Finding, change: Int?)]
    {
        var out: [(rule: String, finding: Finding, change: Int?)] = []
        var change: Int?
        func add(_ rule: String, _ file: String, _ line: Int?, symbol: String? = nil, module: String? = nil, config: String? = nil, _ message: String) {
            var f = Finding(rule: rule, severity: .warning, file: file, line: line, symbol: symbol, module: module, config: config, message: message)
            f.partial = true
            out.append((rule, f, change))
        }
        let note = "(read from the diff alone: the file does not apply to the base)"
        for (i, c) in changes.enumerated() where c.partial && c.kind == .fieldRemoved {
            change = i
            let removed = c.before ?? ""
            if c.symbol == "suppress_bind_attrs", removed.contains("true") {
                add(
                    "forced-unbind", c.file, c.line,
                    "the change removes .suppress_bind_attrs = true from a driver in \(c.file) \(note): a sysfs unbind can then tear the IOMMU down under live DMA masters")
            } else if c.symbol == "remove" || c.symbol == "remove_new" {
                add(
                    "missing-remove", c.file, c.line,
                    "the change removes .\(c.symbol) from a driver in \(c.file) \(note): unbinding or unloading it leaves the IOMMU registered with the core")
            }
        }
        // Configs the posting makes tristate (placed or not), and the objects partial kbuild lines
        // link under them.
        var tristate = Set<String>()
        var partialConfigs = Set<String>()
        for c in changes where (c.kind == .configAdded && (c.after ?? "").hasPrefix("tristate")) || (c.kind == .kconfigType && c.after == "tristate") {
            tristate.insert(c.symbol)
            if c.partial { partialConfigs.insert(c.symbol) }
        }
        guard !tristate.isEmpty else { return out }
        change = nil
        var seen = Set<String>()
        for c in changes where c.partial {
            guard KernelFileKind(path: c.file) == .kbuild, let line = c.after,
                let m = firstMatch(objectLine, line), tristate.contains(m[1])
            else { continue }
            let config = m[1]
            let dir = treeDirectory(of: c.file)
            for object in m[2].split(whereSeparator: { $0 == " " || $0 == "\t" }) where object.hasSuffix(".o") {
                let path = (dir.isEmpty ? "" : dir + "/") + object.dropLast(2) + ".c"
                guard seen.insert(path).inserted, let facts = newFile(path) else { continue }
                let module = (dir.isEmpty ? "" : dir + "/") + object.dropLast(2) + ".ko"
                if let r = facts.invocations.first(where: { $0.name.hasPrefix("builtin_") && $0.name.hasSuffix("_driver") }) {
                    add(
                        "builtin-registration-in-module", path, r.line, symbol: r.arguments.first, module: module,
                        config: "CONFIG_" + config,
                        "\(r.name)(\(r.arguments.first ?? "")) in \(path), which the posting links into \(module) under CONFIG_\(config), now tristate \(note): a module registered this way has no exit path — use module_platform_driver()")
                }
                if !facts.invocations.contains(where: { $0.name == "MODULE_LICENSE" }) {
                    add(
                        "missing-module-license", path, nil, module: module, config: "CONFIG_" + config,
                        "\(path) becomes \(module) under CONFIG_\(config), now tristate, and has no MODULE_LICENSE() \(note): modpost rejects the module and GPL-only symbols stay out of reach")
                }
            }
        }
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
        // A line removed and added again with another value is one change, neither removed nor
        // added: an export whose macro changed (EXPORT_SYMBOL → EXPORT_SYMBOL_GPL), a field given
        // another value (`.remove = a_remove` → `.remove = b_remove`).
        let changedKinds: [ModularityChange.Kind: ModularityChange.Kind] = [
            .exportAdded: .exportFlavour, .fieldAdded: .fieldChanged,
        ]
        for (kind, symbol, detail, line) in added where !removedKeys.contains("\(symbol)\u{0}\(detail)") {
            if let changedKind = changedKinds[kind], let old = removed.first(where: { $0.0 == kind && $0.1 == symbol }) {
                out.append(
                    ModularityChange(
                        kind: changedKind, file: file.path, line: line, symbol: symbol, before: old.2, after: detail,
                        description: (kind == .exportAdded ? "\(symbol): " : "") + "\(old.2) → \(detail)"))
                continue
            }
            out.append(
                ModularityChange(
                    kind: kind, file: file.path, line: line, symbol: symbol, before: nil, after: detail,
                    description: "+\(detail)\(kind == .exportAdded ? "(\(symbol))" : "")"))
        }
        for (kind, symbol, detail, line) in removed where !addedKeys.contains("\(symbol)\u{0}\(detail)") {
            if changedKinds[kind] != nil, added.contains(where: { $0.0 == kind && $0.1 == symbol }) { continue }
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
                if has(text, "config"), let m = firstMatch(config, text) {
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
                if has(text, "bool") || has(text, "tristate"), let m = firstMatch(type, text) {
                    let type = m[1].hasSuffix("bool") ? "bool" : "tristate"
                    if l.origin == .addition { entries[name]?.newType = type } else { entries[name]?.oldType = type }
                } else if has(text, "depends on") || has(text, "select") || has(text, "imply"),
                    let m = firstMatch(dependency, text)
                {
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
    static let objectLine = regex(#"^\s*obj-\$\(CONFIG_(\w+)\)\s*[+:]?=\s*(.*)$"#)
    static let kbuildList = regex(#"^[\w-]+-(y|objs|\$\(CONFIG_\w+\))\s*[+:]?="#)
    static let export = regex(#"\b(EXPORT_SYMBOL\w*)\s*\(\s*(\w+)"#)
    static let registration = regex(#"^\s*((?:module|builtin)_\w+_driver|module_init|module_exit|\w+_initcall(?:_sync)?)\s*\(\s*(\w*)"#)
    static let field = regex(#"^\s*\.(\w+)\s*="#)
    static let moduleMacro = regex(#"^\s*(MODULE_[A-Z_]+)\s*\("#)
    static let config = regex(#"^\s*(?:menu)?config\s+(\w+)"#)
    static let type = regex(#"^\s*(bool|tristate|def_bool|def_tristate)\b"#)
    static let dependency = regex(#"^\s*(depends on|select|imply)\s+(.+?)\s*$"#)

    /// Whether `text` holds `needle` (its UTF-8 bytes in place: no copy, no Foundation bridging).
    static func has(_ text: String, _ needle: StaticString) -> Bool {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        var text = text
        return text.withUTF8 { t in
            guard let first = n.first, t.count >= n.count else { return n.isEmpty }
            for i in 0...(t.count - n.count) where t[i] == first {
                var j = 1
                while j < n.count && t[i + j] == n[j] { j += 1 }
                if j == n.count { return true }
            }
            return false
        }
    }

    /// The first byte of `text` that is no ASCII white space (0 for a blank line); a byte of a
    /// non-ASCII character (which `\s` may match) is ≥ 0x80.
    static func firstNonBlank(_ text: String) -> UInt8 {
        text.utf8.first { $0 != UInt8(ascii: " ") && !(0x09...0x0d).contains($0) } ?? 0
    }

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
