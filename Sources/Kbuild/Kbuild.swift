import Foundation

/// One `obj-... += ...` style assignment of a kbuild Makefile.
public struct KbuildAssignment: Hashable, Sendable {
    /// The variable's stem: `obj`, `lib`, or a composite's name (`arm-smmu-mod` of `arm-smmu-mod-objs`).
    public var list: String
    /// `CONFIG_X` for `obj-$(CONFIG_X)`, "y", "m", "n", or nil for `foo-objs`.
    public var selector: String?
    public var objects: [String]
    public var line: Int
    /// Enclosing `ifdef CONFIG_X` / `ifeq ($(CONFIG_X),y)` blocks, as configs that must be set
    /// (`=y` when the block requires built-in).
    public var guards: [KbuildGuard]
}

public struct KbuildGuard: Hashable, Sendable {
    public var config: String
    public var requiresBuiltin: Bool
    public var negated: Bool
}

public struct KbuildDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

public struct KbuildMakefile: Sendable {
    public var path: String
    public var assignments: [KbuildAssignment]
    public var diagnostics: [KbuildDiagnostic]
}

/// A unit of linking: a module (`foo.ko` when its config is m) and its objects.
public struct KbuildUnit: Hashable, Sendable {
    /// `drivers/iommu/arm-smmu.ko`.
    public var name: String
    /// Symbols gating it, outermost directory first; the last is its own `obj-$(CONFIG_X)`.
    public var configs: [String]
    /// `obj-y`, `lib-y`, or gated by a block that requires `=y`: never a module.
    public var builtinOnly: Bool
    /// `.o` paths of the objects linked into it.
    public var objects: [String]
}

public struct KbuildMap: Sendable {
    public var units: [KbuildUnit]
    public var diagnostics: [KbuildDiagnostic]

    public func units(forSource source: String) -> [KbuildUnit] {
        guard source.hasSuffix(".c") || source.hasSuffix(".S") else { return [] }
        let object = String(source.dropLast(2)) + ".o"
        return units.filter { $0.objects.contains(object) }
    }
}

/// Reads kbuild Makefiles (Documentation/kbuild/makefiles.rst): `obj-$(CONFIG_X) += a.o b/`,
/// `obj-y`, `obj-m`, `lib-y`, composite objects (`foo-objs`, `foo-y`, `foo-$(CONFIG_Y)`),
/// `ifdef`/`ifeq` blocks, continuations, and `$(var)` expansion of variables set in the same file.
public enum KbuildReader {
    public static func parse(path: String, text: String) -> KbuildMakefile {
        var assignments: [KbuildAssignment] = []
        var diagnostics: [KbuildDiagnostic] = []
        var variables: [String: String] = [:]
        var guards: [KbuildGuard?] = []
        var logical = ""
        var startLine = 0
        var lineNumber = 0
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for raw in lines {
            lineNumber += 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if logical.isEmpty { startLine = lineNumber }
            if line.hasSuffix("\\") {
                logical += line.dropLast() + " "
                continue
            }
            logical += line
            defer { logical = "" }
            // Comments (kbuild has no string literals worth protecting here).
            if let hash = logical.firstIndex(of: "#") { logical = String(logical[..<hash]) }
            let trimmed = logical.trimmed(" \t")
            if trimmed.isEmpty || logical.hasPrefix("\t") && !trimmed.contains("=") { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch words[0] {
            case "ifdef", "ifndef":
                let name = words.count > 1 ? words[1] : ""
                guards.append(
                    name.hasPrefix("CONFIG_")
                        ? KbuildGuard(
                            config: String(name.dropFirst(7)), requiresBuiltin: false,
                            negated: words[0] == "ifndef") : nil)
                continue
            case "ifeq", "ifneq":
                guards.append(parseIfeq(trimmed, negated: words[0] == "ifneq"))
                continue
            case "else":
                if let last = guards.popLast() {
                    guards.append(
                        last.map {
                            KbuildGuard(
                                config: $0.config, requiresBuiltin: $0.requiresBuiltin, negated: !$0.negated)
                        })
                }
                continue
            case "endif":
                if guards.popLast() == nil {
                    diagnostics.append(
                        KbuildDiagnostic(file: path, line: startLine, message: "endif without if"))
                }
                continue
            default:
                break
            }
            guard let op = assignmentOperator(trimmed) else { continue }
            let lhs = expand(String(trimmed[..<op.range.lowerBound]).trimmed(" \t"), variables)
            let rhsRaw = String(trimmed[op.range.upperBound...]).trimmed(" \t")
            let rhs = expand(rhsRaw, variables)
            // Remember plain variables for $(var) expansion.
            if op.text == "+=" {
                variables[lhs, default: ""] += " " + rhs
            } else {
                variables[lhs] = rhs
            }
            guard let (list, selector) = splitList(lhs) else { continue }
            let objects = rhs.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init).filter {
                $0.hasSuffix(".o") || $0.hasSuffix("/")
            }
            if objects.isEmpty { continue }
            assignments.append(
                KbuildAssignment(
                    list: list, selector: selector, objects: objects, line: startLine,
                    guards: guards.compactMap { $0 }))
        }
        if !guards.isEmpty {
            diagnostics.append(
                KbuildDiagnostic(
                    file: path, line: lineNumber, message: "\(guards.count) unterminated if block(s)"))
        }
        return KbuildMakefile(path: path, assignments: assignments, diagnostics: diagnostics)
    }

    /// The leftmost assignment operator (`+=`, `:=`, `?=`, `!=` or `=`) of a line.
    static func assignmentOperator(_ s: String) -> (range: Range<String.Index>, text: String)? {
        guard let eq = s.firstIndex(of: "=") else { return nil }
        if eq > s.startIndex {
            let before = s.index(before: eq)
            if "+:?!".contains(s[before]) { return (before..<s.index(after: eq), String(s[before...eq])) }
        }
        return (eq..<s.index(after: eq), "=")
    }

    /// `ifeq ($(CONFIG_X),y)` → X must be built in; `ifneq ($(CONFIG_X),)` → X set.
    static func parseIfeq(_ line: String, negated: Bool) -> KbuildGuard? {
        guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close else {
            return nil
        }
        let inner = line[line.index(after: open)..<close]
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmed(" \t")
        }
        guard parts.count == 2 else { return nil }
        var config: String?
        var other = ""
        for (i, p) in parts.enumerated() where p.hasPrefix("$(CONFIG_") && p.hasSuffix(")") {
            config = String(p.dropFirst(9).dropLast())
            other = parts[1 - i]
        }
        guard let config else { return nil }
        switch other {
        case "y": return KbuildGuard(config: config, requiresBuiltin: true, negated: negated)
        case "": return KbuildGuard(config: config, requiresBuiltin: false, negated: !negated)
        case "m": return nil
        default: return nil
        }
    }

    /// `obj-$(CONFIG_X)` → ("obj", "CONFIG_X"); `foo-objs` → ("foo", nil); `foo-y` → ("foo", "y").
    static func splitList(_ lhs: String) -> (String, String?)? {
        if lhs.hasSuffix("-objs") { return (String(lhs.dropLast(5)), nil) }
        if let r = lhs.range(of: "-$(", options: .backwards), lhs.hasSuffix(")") {
            let stem = String(lhs[..<r.lowerBound])
            let sel = String(lhs[r.upperBound..<lhs.index(before: lhs.endIndex)])
            return (stem, sel)
        }
        for suffix in ["-y", "-m", "-n", "-"] where lhs.hasSuffix(suffix) {
            return (String(lhs.dropLast(suffix.count)), suffix == "-" ? "n" : String(suffix.dropFirst()))
        }
        return nil
    }

    /// Expands `$(name)` of variables set earlier in the file; `$(CONFIG_X)` stays as is.
    static func expand(_ s: String, _ variables: [String: String]) -> String {
        guard s.contains("$(") else { return s }
        var out = ""
        var rest = Substring(s)
        var guardCount = 0
        while let r = rest.range(of: "$("), guardCount < 64 {
            guardCount += 1
            out += rest[..<r.lowerBound]
            guard let close = rest[r.upperBound...].firstIndex(of: ")") else {
                out += rest[r.lowerBound...]
                return out
            }
            let name = String(rest[r.upperBound..<close])
            if let value = variables[name], !name.hasPrefix("CONFIG_") {
                out += value.trimmed(" \t")
            } else {
                out += "$(" + name + ")"
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    /// Resolves every directory's Makefile into units. A directory inherits the condition of the
    /// parent entry that names it (`obj-$(CONFIG_X) += dir/`); a directory no parent names (the
    /// top-level ones, which Linux's top Makefile lists through core-y/drivers-y, and arch
    /// directories listed by arch Makefiles) is a root with no condition.
    public static func resolve(directories: [String: String]) -> KbuildMap {
        var parsed: [String: KbuildMakefile] = [:]
        var diagnostics: [KbuildDiagnostic] = []
        for (dir, text) in directories {
            let file = parse(path: dir.isEmpty ? "Makefile" : dir + "/Makefile", text: text)
            parsed[dir] = file
            diagnostics += file.diagnostics
        }
        // Directory gating: child dir -> (parent's configs + entry selector).
        var dirConfigs: [String: (configs: [String], builtinOnly: Bool)] = [:]
        func join(_ dir: String, _ name: String) -> String {
            let n = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
            return dir.isEmpty ? n : dir + "/" + n
        }
        var childEntries: [String: (parent: String, selector: String?, guards: [KbuildGuard])] = [:]
        for (dir, file) in parsed {
            for a in file.assignments
            where a.list == "obj" || a.list == "lib" || a.list == "core" || a.list == "drivers"
                || a.list == "libs"
            {
                for o in a.objects where o.hasSuffix("/") {
                    let child = join(dir, String(o.dropLast()))
                    if childEntries[child] == nil { childEntries[child] = (dir, a.selector, a.guards) }
                }
            }
        }
        func configs(of dir: String, depth: Int = 0) -> (configs: [String], builtinOnly: Bool) {
            if let known = dirConfigs[dir] { return known }
            guard depth < 64, let entry = childEntries[dir] else { return ([], false) }
            var result = configs(of: entry.parent, depth: depth + 1)
            for g in entry.guards where !g.negated { result.configs.append(g.config) }
            if entry.guards.contains(where: { $0.requiresBuiltin && !$0.negated }) {
                result.builtinOnly = true
            }
            if let sel = entry.selector {
                if sel.hasPrefix("CONFIG_") { result.configs.append(String(sel.dropFirst(7))) }
                if sel == "y" { result.builtinOnly = result.builtinOnly || false }
            }
            dirConfigs[dir] = result
            return result
        }
        var units: [KbuildUnit] = []
        for (dir, file) in parsed.sorted(by: { $0.key < $1.key }) {
            let gate = configs(of: dir)
            // Composite definitions of this file: stem -> [(object, extra config)].
            var composites: [String: [String]] = [:]
            for a in file.assignments where a.list != "obj" && a.list != "lib" {
                if a.selector == nil || a.selector == "y" || a.selector?.hasPrefix("CONFIG_") == true
                    || a.selector == "m"
                {
                    composites[a.list, default: []] += a.objects.filter { $0.hasSuffix(".o") }
                }
            }
            for a in file.assignments where a.list == "obj" || a.list == "lib" {
                if a.selector == "n" { continue }
                var unitConfigs = gate.configs
                for g in a.guards where !g.negated { unitConfigs.append(g.config) }
                var builtinOnly =
                    gate.builtinOnly || a.list == "lib" || a.selector == "y"
                    || a.guards.contains { $0.requiresBuiltin && !$0.negated }
                if let sel = a.selector, sel.hasPrefix("CONFIG_") {
                    unitConfigs.append(String(sel.dropFirst(7)))
                } else if a.selector == "m" {
                    builtinOnly = false
                }
                for o in a.objects where o.hasSuffix(".o") {
                    let stem = String(o.dropLast(2))
                    let objects = (composites[stem] ?? [o]).map { join(dir, $0) }
                    units.append(
                        KbuildUnit(
                            name: join(dir, stem + ".ko"), configs: unitConfigs, builtinOnly: builtinOnly,
                            objects: objects))
                }
            }
        }
        return KbuildMap(units: units, diagnostics: diagnostics)
    }
}

extension String {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
