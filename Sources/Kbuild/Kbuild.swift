import Foundation

/// One `obj-... += ...` style assignment of a kbuild Makefile.
public struct KbuildAssignment: Hashable, Sendable {
    /// The variable's stem: `obj`, `lib`, a root list (`core`, `drivers`, ...) or a composite's
    /// name (`arm-smmu-mod` of `arm-smmu-mod-objs`).
    public var list: String
    /// `CONFIG_X` for `obj-$(CONFIG_X)`, "y", "m", "n", or nil for `foo-objs`.
    public var selector: String?
    /// `.o` files and `dir/` entries, after `$(var)` expansion.
    public var objects: [String]
    public var line: Int
    /// Enclosing `ifdef CONFIG_X` / `ifeq ($(CONFIG_X),y)` blocks, outermost first.
    public var guards: [KbuildGuard]
    /// Configs an individual object needs beyond `guards`: `obj-y += $(mmu-y)` after
    /// `mmu-$(CONFIG_MMU) += highmem.o` lands `highmem.o` only with CONFIG_MMU.
    public var objectConfigs: [String: [String]] = [:]
}

/// One requirement on a config symbol: set (y or m), `=y`, or their negations.
public struct KbuildGuard: Hashable, Sendable, CustomStringConvertible {
    public var config: String
    /// `ifeq ($(CONFIG_X),y)`: built-in, not merely set.
    public var requiresBuiltin: Bool
    /// `ifndef`, `ifneq`, or the `else` branch.
    public var negated: Bool
    /// `ifneq ($(filter y,$(CONFIG_A) $(CONFIG_B)),)`: any of `config` and these holds.
    public var alternatives: [String] = []

    public init(config: String, requiresBuiltin: Bool = false, negated: Bool = false, alternatives: [String] = []) {
        self.config = config
        self.requiresBuiltin = requiresBuiltin
        self.negated = negated
        self.alternatives = alternatives
    }

    /// Every symbol of the guard (one, or the alternatives of a `filter`).
    public var anyOf: [String] { [config] + alternatives }

    public var description: String {
        let one = { (c: String) in "CONFIG_" + c + (self.requiresBuiltin ? "=y" : "") }
        let text = alternatives.isEmpty ? one(config) : "(" + anyOf.map(one).joined(separator: " || ") + ")"
        return (negated ? "!" : "") + text
    }
}

/// A conjunction of requirements: everything that must hold for an object to be built.
public struct KbuildCondition: Hashable, Sendable, CustomStringConvertible {
    public var requirements: [KbuildGuard]

    public init(_ requirements: [KbuildGuard] = []) { self.requirements = requirements }

    /// Symbols that must be set, outermost first (a `filter` of several is in `anyOf` instead).
    public var configs: [String] { requirements.filter { !$0.negated && $0.alternatives.isEmpty }.map(\.config) }
    /// Groups of symbols of which one must be set (`ifneq ($(filter y,$(CONFIG_A) $(CONFIG_B)),)`).
    public var anyOf: [[String]] { requirements.filter { !$0.negated && !$0.alternatives.isEmpty }.map(\.anyOf) }
    public var description: String {
        requirements.isEmpty ? "always" : requirements.map(\.description).joined(separator: " && ")
    }
}

public struct KbuildDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
}

/// One parsed kbuild Makefile (or Kbuild file).
public struct KbuildMakefile: Sendable {
    public var path: String
    public var assignments: [KbuildAssignment]
    public var diagnostics: [KbuildDiagnostic]
    /// The files its `include` lines read (a change to one of them re-reads this file).
    public var included: [String] = []
}

/// A unit of linking: a module (`foo.ko` when its config is m) or built-in code, and its objects.
public struct KbuildUnit: Hashable, Sendable {
    /// `drivers/iommu/arm-smmu.ko`.
    public var name: String
    /// Symbols gating it, outermost directory first; the last is its own `obj-$(CONFIG_X)`.
    public var configs: [String]
    /// `obj-y`, `lib-y`, or gated by a block that requires `=y`: never a module.
    public var builtinOnly: Bool
    /// `.o` paths of the objects linked into it (the single object, or a composite's parts).
    public var objects: [String]
    /// Every requirement, negated ones (`ifndef`, `else`) and `=y` ones included.
    public var condition = KbuildCondition()
    /// Extra symbols a composite's part needs beyond the unit's (`foo-$(CONFIG_FOO_DEBUG) += debug.o`).
    public var objectConditions: [String: [String]] = [:]
    /// Groups of symbols of which a part needs one (`foo-y += host.o` inside
    /// `ifneq ($(filter y,$(CONFIG_FOO_HOST) $(CONFIG_FOO_DUAL)),)`).
    public var objectAnyOf: [String: [[String]]] = [:]
    /// The Makefile and line of its `obj-` entry.
    public var makefile = ""
    public var line = 0
}

/// An object file and the unit it is linked into.
public struct KbuildObject: Hashable, Sendable {
    /// Tree-relative `.o` path: `drivers/iommu/arm-smmu-v3.o`.
    public var path: String
    /// The C file it is most likely built from (the caller checks existence; `.S` is possible).
    public var source: String
    public var unit: KbuildUnit
}

/// Every unit of a tree, indexed by object.
public struct KbuildMap: Sendable {
    public var units: [KbuildUnit]
    public var diagnostics: [KbuildDiagnostic]
    /// `.o` path to the unit(s) it lands in; an object can be in several.
    public var objectToUnits: [String: [KbuildUnit]]
    /// The parsed Makefile of each directory, so that a patch touching one Makefile re-reads
    /// only that one (`KbuildReader.resolve(updating:directories:)`).
    public var makefiles: [String: KbuildMakefile] = [:]
    /// The top and arch Makefiles read only for their root lists (`drivers-y := drivers/`) because
    /// their directory has a Kbuild file, by directory.
    public var rootMakefiles: [String: KbuildMakefile] = [:]
    /// Objects named by Makefiles of directories the descent does not reach: not built as far as
    /// modcheck can tell, but a kbuild Makefile says they are objects (their exports still count).
    public var unreachedObjects: [String] = []
    /// Directories the top-level descent reaches: only their objects are ever compiled (`tools/`,
    /// `samples/` without CONFIG_SAMPLES, `scripts/`, `Documentation/` are not kbuild objects).
    /// Nil when the tree names no top-level descent at all (a partial tree): then every
    /// directory counts as reached.
    public var reachableDirectories: Set<String>?
    /// Each directory's gate and the units its file made (`KbuildLayout`), for redoing one
    /// directory: worked out by the resolve that made the map, else when first needed.
    var layout = KbuildLayoutBox()
    /// The units a `resolve(updating:)` made again in place, relative to the map it updated
    /// (what they replaced, what replaced them); nil after a full resolve.
    public var replaced: (removed: [KbuildUnit], added: [KbuildUnit])?

    public init(units: [KbuildUnit], diagnostics: [KbuildDiagnostic]) {
        self.units = units
        self.diagnostics = diagnostics
        var index: [String: [KbuildUnit]] = [:]
        for unit in units {
            for object in unit.objects { index[object, default: []].append(unit) }
        }
        objectToUnits = index
    }

    /// Every object with its unit.
    public var objects: [KbuildObject] {
        units.flatMap { unit in
            unit.objects.map { KbuildObject(path: $0, source: String($0.dropLast(2)) + ".c", unit: unit) }
        }
    }

    /// The units a `.c` or `.S` file's object lands in.
    public func units(forSource source: String) -> [KbuildUnit] {
        guard source.hasSuffix(".c") || source.hasSuffix(".S") else { return [] }
        return objectToUnits[String(source.dropLast(2)) + ".o"] ?? []
    }
}

/// What resolving a tree's Makefiles works out besides its units: the gate of each directory
/// (the conditions of the entries that descend into it) and which units each directory's own
/// file made (a range of `KbuildMap.units`; the top-level `head-y` objects come after them).
struct KbuildLayout {
    var gates: [String: KbuildReader.DirectoryGate]
    var spans: [String: Range<Int>]
    /// Directories holding an object named with a variable (`tree_$(BITS).o`): which files exist
    /// there decides which sources it stands for. (A superset after in-place updates.)
    var variableObjectDirectories: Set<String> = []
}

extension KbuildMap {
    /// Directories holding an object named with a variable, when the map knows its layout.
    public var variableObjectDirectories: Set<String>? { layout.get()?.variableObjectDirectories }
}

/// A map's layout, set once (maps are values; the box is shared by copies of one map).
final class KbuildLayoutBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: KbuildLayout?

    func get() -> KbuildLayout? { lock.withLock { value } }
    func set(_ layout: KbuildLayout) { lock.withLock { value = layout } }
}

/// Reads kbuild Makefiles (Documentation/kbuild/makefiles.rst): `obj-$(CONFIG_X) += a.o b/`,
/// `obj-y`, `obj-m`, `lib-y`, composite objects (`foo-objs`, `foo-y`, `foo-$(CONFIG_Y)`),
/// `ifdef`/`ifeq` blocks, continuations, and `$(var)` expansion of variables set in the same file.
public enum KbuildReader {
    /// Lists of the top Makefile and arch Makefiles whose entries are tree-relative directories
    /// (`core-y += arch/x86/`, `drivers-$(CONFIG_PCI) += arch/x86/pci/`).
    static let rootLists: Set<String> = ["init", "core", "drivers", "net", "libs", "virt", "head"]
    /// Lists that are neither objects nor composites.
    static let otherLists: Set<String> = [
        "subdir", "extra", "always", "targets", "hostprogs", "ccflags", "asflags", "ldflags",
        "subdir-ccflags", "subdir-asflags", "clean-files", "header-test", "no-header-test",
    ]

    /// The lines of a Makefile with `include $(src)/common/Makefile`-style lines replaced by the
    /// included file's lines (kbuild Makefiles include fragments of their own directory:
    /// habanalabs lists its objects in common/Makefile). `read` gives a tree path's text.
    static func lines(
        path: String, text: String, read: ((String) -> String?)?, depth: Int = 0, included: inout [String]
    ) -> [(line: Int, text: Substring)] {
        var out: [(line: Int, text: Substring)] = []
        let dir = path.split(separator: "/").dropLast().joined(separator: "/")
        var number = 0
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(String(decoding: raw, as: UTF8.self))
            if line.hasSuffix("\r") { line = line.dropLast() }
            if let read, depth < 4, let target = includeTarget(line, directory: dir),
                let includedText = read(target)
            {
                included.append(target)
                out += lines(path: target, text: includedText, read: read, depth: depth + 1, included: &included)
                continue
            }
            out.append((number, line))
        }
        return out
    }

    /// `include $(src)/x.mk`, `-include $(srctree)/$(src)/x.mk`: the tree path, when it is one.
    static func includeTarget(_ line: Substring, directory: String) -> String? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2, ["include", "-include", "sinclude"].contains(words[0]) else { return nil }
        var target = String(words[1])
        for prefix in ["$(srctree)/$(src)/", "$(src)/", "$(obj)/", "$(srctree)/"] where target.hasPrefix(prefix) {
            target = String(target.dropFirst(prefix.count))
            if prefix != "$(srctree)/" { target = directory.isEmpty ? target : directory + "/" + target }
            return target.contains("$") ? nil : normalized(target)
        }
        return nil
    }

    public static func parse(path: String, text: String, read: ((String) -> String?)? = nil) -> KbuildMakefile {
        var included: [String] = []
        let source = lines(path: path, text: text, read: read, included: &included)
        var assignments: [KbuildAssignment] = []
        var diagnostics: [KbuildDiagnostic] = []
        var variables: [String: String] = [:]
        // nil: a condition modcheck cannot express (`ifeq ($(ARCH),x86)`), taken as "maybe".
        var guards: [KbuildGuard?] = []
        var inDefine = false
        var logical = ""
        var startLine = 0
        var lineNumber = 0
        // Split on bytes: "\r\n" is one Character, so a Character split would miss CRLF lines.
        for (number, line) in source {
            lineNumber = number
            if logical.isEmpty { startLine = lineNumber }
            if line.hasSuffix("\\") {
                logical += line.dropLast() + " "
                continue
            }
            logical += line
            defer { logical = "" }
            // `${CONFIG_X}` is make's other spelling of `$(CONFIG_X)`.
            if logical.hasBytes("${") { logical = bracesToParentheses(logical) }
            // Comments (a continued comment line stays a comment, as in make).
            if let hash = logical.firstIndex(of: "#") { logical = String(logical[..<hash]) }
            let trimmed = logical.trimmed(" \t")
            if trimmed.isEmpty { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if inDefine {
                if words[0] == "endef" { inDefine = false }
                continue
            }
            // Recipe lines of rules.
            if logical.hasPrefix("\t") && !trimmed.utf8.contains(UInt8(ascii: "="))
                && !["ifdef", "ifndef", "ifeq", "ifneq", "else", "endif"].contains(words[0])
            {
                continue
            }
            switch words[0] {
            case "define":
                inDefine = true
                continue
            case "ifdef", "ifndef":
                let name = words.count > 1 ? words[1] : ""
                guards.append(
                    name.hasPrefix("CONFIG_")
                        ? KbuildGuard(config: String(name.dropFirst(7)), negated: words[0] == "ifndef") : nil)
                continue
            case "ifeq", "ifneq":
                guards.append(parseIfeq(trimmed, negated: words[0] == "ifneq"))
                continue
            case "else":
                guard let last = guards.popLast() else {
                    diagnostics.append(
                        KbuildDiagnostic(file: path, line: startLine, message: "else without if"))
                    continue
                }
                if words.count > 1, ["ifeq", "ifneq", "ifdef", "ifndef"].contains(words[1]) {
                    // `else ifeq (...)`: the previous branch failed and this one holds; only
                    // the latter is kept (one guard per block, so `endif` pops one).
                    let rest = words.dropFirst(2).joined(separator: " ")
                    switch words[1] {
                    case "ifeq", "ifneq":
                        guards.append(parseIfeq(words[1] + " " + rest, negated: words[1] == "ifneq"))
                    default:
                        let name = words.count > 2 ? words[2] : ""
                        guards.append(
                            name.hasPrefix("CONFIG_")
                                ? KbuildGuard(
                                    config: String(name.dropFirst(7)), negated: words[1] == "ifndef")
                                : nil)
                    }
                } else {
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
            var lhs = expand(String(trimmed[..<op.range.lowerBound]).trimmed(" \t"), variables)
            for prefix in ["export ", "override "] where lhs.hasPrefix(prefix) {
                lhs = String(lhs.dropFirst(prefix.count)).trimmed(" \t")
            }
            let rhs = expand(String(trimmed[op.range.upperBound...]).trimmed(" \t"), variables)
            switch op.text {
            case "+=": variables[lhs] = (variables[lhs].map { $0 + " " } ?? "") + rhs
            case "?=": if variables[lhs] == nil { variables[lhs] = rhs }
            default: variables[lhs] = rhs
            }
            guard let (list, selector) = splitList(lhs) else { continue }
            let rhsWords = rhs.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            // The `foo-$(CONFIG_X) += a.o` ... `$(foo-y)` idiom: `$(foo-y)` also holds a.o when X=y,
            // so the words are remembered with their config for a later expansion.
            if let selector, selector.hasPrefix("CONFIG_"), list != "obj", list != "lib" {
                let config = String(selector.dropFirst(7))
                let tagged = rhsWords.map { $0 + configTag + config }.joined(separator: " ")
                if !tagged.isEmpty {
                    variables[list + "-y"] = (variables[list + "-y"].map { $0 + " " } ?? "") + tagged
                }
            }
            var objects: [String] = []
            var objectConfigs: [String: [String]] = [:]
            for word in rhsWords {
                var parts = word.split(separator: Character(configTag), omittingEmptySubsequences: false).map(
                    String.init)
                let object = parts.removeFirst()
                guard object.hasSuffix(".o") || object.hasSuffix("/") else { continue }
                objects.append(object)
                if !parts.isEmpty { objectConfigs[object, default: []] += parts }
            }
            if objects.isEmpty { continue }
            var assignment = KbuildAssignment(
                list: list, selector: selector, objects: objects, line: startLine,
                guards: guards.compactMap { $0 })
            assignment.objectConfigs = objectConfigs
            assignments.append(assignment)
        }
        if !guards.isEmpty {
            diagnostics.append(
                KbuildDiagnostic(
                    file: path, line: lineNumber, message: "\(guards.count) unterminated if block(s)"))
        }
        var makefile = KbuildMakefile(path: path, assignments: assignments, diagnostics: diagnostics)
        makefile.included = included
        return makefile
    }

    /// `${name}` → `$(name)` for simple names.
    static func bracesToParentheses(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}"),
                !rest[open.upperBound..<close].contains(where: { $0 == "{" || $0 == "$" })
            else {
                out += rest[open.lowerBound..<open.upperBound]
                rest = rest[open.upperBound...]
                continue
            }
            out += "$(" + rest[open.upperBound..<close] + ")"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// Separates a word from the config it was assigned under inside expanded variable text.
    static let configTag = "\u{1}"

    /// The leftmost assignment operator (`+=`, `:=`, `?=`, `!=` or `=`) of a line.
    static func assignmentOperator(_ s: String) -> (range: Range<String.Index>, text: String)? {
        guard let eq = s.firstIndex(of: "=") else { return nil }
        if eq > s.startIndex {
            let before = s.index(before: eq)
            if "+:?!".contains(s[before]) { return (before..<s.index(after: eq), String(s[before...eq])) }
        }
        return (eq..<s.index(after: eq), "=")
    }

    /// `ifeq ($(CONFIG_X),y)` → X built in; `ifneq ($(CONFIG_X),)` → X set; `ifeq ($(CONFIG_X),)` →
    /// X not set. Also the quoted form `ifeq "$(CONFIG_X)" "y"`.
    /// `ifneq ($(filter y,$(CONFIG_A) $(CONFIG_B)),)` (some of them y) / `ifeq (...,)` (none).
    static func parseFilter(_ parts: [String], negated: Bool) -> KbuildGuard? {
        guard parts.count == 2 else { return nil }
        for (i, p) in parts.enumerated() where p.hasPrefix("$(filter ") && p.hasSuffix(")") && parts[1 - i].isEmpty {
            let args = splitArguments(String(p.dropFirst(9).dropLast()))
            guard args.count == 2 else { return nil }
            let values = Set(args[0].split(separator: " ").map(String.init))
            guard values == ["y"] || values == ["y", "m"] else { return nil }
            let configs = args[1].split(separator: " ").map(String.init).compactMap { w -> String? in
                w.hasPrefix("$(CONFIG_") && w.hasSuffix(")") ? String(w.dropFirst(9).dropLast()) : nil
            }
            guard !configs.isEmpty, configs.count == args[1].split(separator: " ").count else { return nil }
            // ifneq (filter, ""): some matched.
            return KbuildGuard(
                config: configs[0], requiresBuiltin: values == ["y"], negated: negated,
                alternatives: Array(configs.dropFirst()))
        }
        return nil
    }

    static func parseIfeq(_ line: String, negated: Bool) -> KbuildGuard? {
        var parts: [String]
        let afterKeyword = line.drop { $0 != " " && $0 != "\t" && $0 != "(" }.drop { $0 == " " || $0 == "\t" }
        if afterKeyword.first == "(", let open = line.firstIndex(of: "("),
            let close = line.lastIndex(of: ")"),
            open < close
        {
            let inner = String(line[line.index(after: open)..<close])
            parts = splitArguments(inner)
        } else {
            parts = line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter {
                $0.offset % 2 == 1
            }
            .map { String($0.element) }
        }
        parts = parts.map { $0.trimmed(" \t") }
        guard parts.count == 2 else { return nil }
        if parts.contains(where: { $0.hasPrefix("$(filter ") }) { return parseFilter(parts, negated: !negated) }
        var config: String?
        var other = ""
        for (i, p) in parts.enumerated() where p.hasPrefix("$(CONFIG_") && p.hasSuffix(")") {
            config = String(p.dropFirst(9).dropLast())
            other = parts[1 - i]
        }
        guard let config, !config.hasBytes("$"), !config.hasBytes(":") else { return nil }
        switch other {
        case "y": return KbuildGuard(config: config, requiresBuiltin: true, negated: negated)
        case "": return KbuildGuard(config: config, negated: !negated)
        default: return nil  // `=m` and other values: not expressible, taken as "maybe"
        }
    }

    /// Splits `a,b` at top-level commas (not inside `$(...)`).
    static func splitArguments(_ s: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in s {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    /// `obj-$(CONFIG_X)` → ("obj", "CONFIG_X"); `foo-objs` → ("foo", nil); `foo-y` → ("foo", "y").
    static func splitList(_ lhs: String) -> (String, String?)? {
        if lhs.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) { return nil }
        if lhs.hasSuffix("-objs") { return (String(lhs.dropLast(5)), nil) }
        if lhs.hasSuffix(")"), let r = lhs.lastRange(of: "-$(") {
            let stem = String(lhs[..<r.lowerBound])
            let sel = String(lhs[r.upperBound..<lhs.index(before: lhs.endIndex)])
            return (stem, sel)
        }
        for suffix in ["-y", "-m", "-n", "-"] where lhs.hasSuffix(suffix) {
            return (String(lhs.dropLast(suffix.count)), suffix == "-" ? "n" : String(suffix.dropFirst()))
        }
        return nil
    }

    /// Expands `$(name)` of variables set earlier in the file, and `$(addprefix p,list)` /
    /// `$(addsuffix s,list)`; `$(CONFIG_X)` and anything unknown stay as written.
    static let architectureVariables: Set<String> = ["SRCARCH", "ARCH", "SUBARCH"]

    static func expand(_ s: String, _ variables: [String: String], depth: Int = 0) -> String {
        guard s.hasBytes("$("), depth < 16 else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            guard s[i] == "$", s.index(after: i) < s.endIndex, s[s.index(after: i)] == "(" else {
                out.append(s[i])
                i = s.index(after: i)
                continue
            }
            // The balanced `$( ... )`.
            var j = s.index(i, offsetBy: 2)
            var level = 1
            while j < s.endIndex {
                if s[j] == "(" { level += 1 }
                if s[j] == ")" {
                    level -= 1
                    if level == 0 { break }
                }
                j = s.index(after: j)
            }
            guard j < s.endIndex else {
                out += s[i...]
                break
            }
            let inner = String(s[s.index(i, offsetBy: 2)..<j])
            i = s.index(after: j)
            if inner.hasPrefix("CONFIG_") || architectureVariables.contains(inner) {
                // The architecture stays a variable: the top Makefile defines it from the host's
                // `uname -m`, and modcheck reads every architecture (resolve expands it to each).
                out += "$(" + inner + ")"
            } else if let value = variables[inner] {
                out += expand(value, variables, depth: depth + 1).trimmed(" \t")
            } else if let space = inner.firstIndex(of: " "),
                ["addprefix", "addsuffix"].contains(String(inner[..<space]))
            {
                let function = String(inner[..<space])
                let args = splitArguments(String(inner[inner.index(after: space)...]))
                guard args.count == 2 else {
                    out += "$(" + inner + ")"
                    continue
                }
                let affix = expand(args[0], variables, depth: depth + 1).trimmed(" \t")
                let list = expand(args[1], variables, depth: depth + 1).split(whereSeparator: {
                    $0 == " " || $0 == "\t"
                })
                out += list.map { function == "addprefix" ? affix + $0 : $0 + affix }.joined(separator: " ")
            } else {
                out += "$(" + inner + ")"
            }
        }
        return out
    }

    /// Resolves every directory's Makefile text (directory "" is the top) into units.
    /// `rootMakefiles` are the top and arch Makefiles of directories whose Kbuild file is in
    /// `directories` (kbuild reads the Kbuild file for objects; the Makefile still names the
    /// top-level directories in `core-y`/`drivers-y`/...).
    ///
    /// A directory inherits the condition of the parent entry that names it
    /// (`obj-$(CONFIG_X) += dir/`) and, through it, the parent's own. Only directories reached
    /// from the top-level descent are built: the root lists of the top and arch Makefiles
    /// (`drivers-y := drivers/`, `core-y += arch/x86/`) and the top directory's own entries
    /// (v6.1's top Kbuild: `obj-y += drivers/`). A tree that names no descent at all (a partial
    /// tree) has every directory taken as built.
    /// A directory named by several entries takes an unconditional one if any, else the first
    /// (kbuild descends if any holds; a conjunction cannot say "either").
    public static func resolve(
        directories: [String: String], rootMakefiles: [String: String] = [:], read: ((String) -> String?)? = nil
    ) -> KbuildMap {
        var parsed: [String: KbuildMakefile] = [:]
        for (dir, text) in directories {
            parsed[dir] = parse(path: makefilePath(of: dir), text: text, read: read)
        }
        var roots: [String: KbuildMakefile] = [:]
        for (dir, text) in rootMakefiles {
            roots[dir] = parse(path: makefilePath(of: dir), text: text)
        }
        return resolve(parsedDirectories: parsed, parsedRootMakefiles: roots)
    }

    /// The path `resolve(directories:)` gives a directory's Makefile in its messages.
    public static func makefilePath(of directory: String) -> String {
        directory.isEmpty ? "Makefile" : directory + "/Makefile"
    }

    /// `resolve(directories:rootMakefiles:read:)` of Makefiles already parsed (each with
    /// `parse(path: makefilePath(of: dir), ...)`, the root lists without `read`): a caller may
    /// parse them in parallel.
    public static func resolve(
        parsedDirectories parsed: [String: KbuildMakefile], parsedRootMakefiles roots: [String: KbuildMakefile]
    ) -> KbuildMap {
        var map = resolve(parsed: parsed, rootMakefiles: roots.keys.sorted().compactMap { roots[$0] })
        map.makefiles = parsed
        map.rootMakefiles = roots
        return map
    }

    /// `base` with some directories' Makefile text replaced (nil: the directory has none any
    /// more); the other directories are not parsed again. nil when `base` kept no parsed files.
    /// `rootMakefiles` replaces root-list-only Makefiles the same way.
    public static func resolve(
        updating base: KbuildMap, directories: [String: String?], rootMakefiles: [String: String?] = [:],
        read: ((String) -> String?)? = nil
    ) -> KbuildMap? {
        guard !base.makefiles.isEmpty else { return nil }
        var parsed = base.makefiles
        for (dir, text) in directories {
            parsed[dir] = text.map { parse(path: makefilePath(of: dir), text: $0, read: read) }
        }
        var roots = base.rootMakefiles
        for (dir, text) in rootMakefiles {
            roots[dir] = text.map { parse(path: makefilePath(of: dir), text: $0) }
        }
        // (Root-list Makefiles changed by none of the directories: none had one, none has one.)
        if rootMakefiles.allSatisfy({ $0.value == nil && base.rootMakefiles[$0.key] == nil }),
            var map = redone(base, directories: directories.keys.sorted(), parsed: parsed)
        {
            map.makefiles = parsed
            map.rootMakefiles = roots
            return map
        }
        var map = resolve(parsed: parsed, rootMakefiles: roots.keys.sorted().compactMap { roots[$0] })
        map.makefiles = parsed
        map.rootMakefiles = roots
        return map
    }

    /// The entries of a file that name subdirectories (what the descent, the gates and which
    /// directories are reached read of it).
    static func descent(_ file: KbuildMakefile) -> [KbuildAssignment] {
        file.assignments.compactMap { a in
            guard a.list == "obj" || a.list == "lib" || rootLists.contains(a.list), a.selector != "n" else { return nil }
            let dirs = a.objects.filter { $0.hasSuffix("/") }
            if dirs.isEmpty { return nil }
            var entry = a
            entry.objects = dirs
            entry.line = 0
            entry.objectConfigs = a.objectConfigs.filter { $0.key.hasSuffix("/") }
            return entry
        }
    }

    /// `base` with the units of `changed` directories made again from their new files, when the
    /// change cannot reach anything else: each file existed before and still does, is no root
    /// file (top, arch), names the same subdirectories under the same conditions, reports the
    /// same diagnostics and made units before, in a reached directory; no object of its units is
    /// named by another directory's (a unit is dropped as a duplicate only of an identical one,
    /// which holds its Makefile's path: units of two files never merge). The result equals
    /// `resolve(parsed:rootMakefiles:)` of the new files. Nil otherwise.
    static func redone(_ base: KbuildMap, directories changed: [String], parsed: [String: KbuildMakefile]) -> KbuildMap? {
        guard !changed.isEmpty else { return nil }
        for dir in changed {
            guard let old = base.makefiles[dir], let new = parsed[dir], !isRootDirectory(dir),
                base.reachableDirectories?.contains(dir) ?? true,
                old.diagnostics == new.diagnostics, descent(old) == descent(new)
            else { return nil }
        }
        let layout: KbuildLayout
        if let known = base.layout.get() {
            layout = known
        } else {
            // A map read back from a snapshot: its layout is worked out once, from its own files.
            let again = resolve(
                parsed: base.makefiles, rootMakefiles: base.rootMakefiles.keys.sorted().compactMap { base.rootMakefiles[$0] })
            guard again.units.count == base.units.count, let made = again.layout.get() else { return nil }
            base.layout.set(made)
            layout = made
        }
        var units = base.units
        var spans = layout.spans
        var objectToUnits = base.objectToUnits
        var removed: [KbuildUnit] = []
        var added: [KbuildUnit] = []
        var variableDirectories = layout.variableObjectDirectories
        // Later directories first: an earlier span's indexes stay valid.
        let order = changed.compactMap { dir in spans[dir].map { (dir, $0) } }.sorted { $0.1.lowerBound > $1.1.lowerBound }
        guard order.count == changed.count else { return nil }
        for (dir, span) in order {
            guard !span.isEmpty, let gate = layout.gates[dir], let file = parsed[dir], let oldFile = base.makefiles[dir]
            else { return nil }
            var made: [KbuildUnit] = []
            directoryUnits(dir, file, gate) { unit in
                if !made.contains(where: { sameUnit($0, unit) }) { made.append(unit) }
            }
            guard !made.isEmpty else { return nil }
            let old = units[span]
            // Objects of the old and new units: their index entries made again, when no unit of
            // another directory shares the object.
            var objects = Set<String>()
            for unit in old { objects.formUnion(unit.objects) }
            for unit in made { objects.formUnion(unit.objects) }
            for object in objects {
                if let known = objectToUnits[object], known.contains(where: { $0.makefile != oldFile.path }) { return nil }
                let now = made.filter { $0.objects.contains(object) }
                objectToUnits[object] = now.isEmpty ? nil : now
            }
            removed += old
            added += made
            for unit in made {
                for object in unit.objects where object.utf8.contains(UInt8(ascii: "$")) {
                    variableDirectories.insert(treeDirectoryOf(object))
                }
            }
            units.replaceSubrange(span, with: made)
            let delta = made.count - span.count
            if delta != 0 {
                for (other, range) in spans where range.lowerBound >= span.upperBound && other != dir {
                    spans[other] = (range.lowerBound + delta)..<(range.upperBound + delta)
                }
            }
            spans[dir] = span.lowerBound..<(span.lowerBound + made.count)
        }
        var map = base
        map.units = units
        map.objectToUnits = objectToUnits
        map.layout = KbuildLayoutBox()
        map.layout.set(
            KbuildLayout(gates: layout.gates, spans: spans, variableObjectDirectories: variableDirectories))
        map.replaced = (removed, added)
        return map
    }

    /// Whether a directory's Makefile may name top-level directories in root lists: the top
    /// Makefile and `arch/<arch>/Makefile` (elsewhere `core-y` is a composite called core).
    public static func isRootDirectory(_ dir: String) -> Bool {
        if dir.isEmpty { return true }
        let parts = dir.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0] == "arch"
    }

    /// Resolves a tree given as file path → text (`drivers/iommu/Makefile`, `arch/x86/Kbuild`).
    /// A directory's Kbuild file takes precedence over its Makefile, as kbuild's does; the top
    /// and arch Makefiles are still read for their `core-y`/`drivers-y` root lists.
    public static func resolve(files: [String: String]) -> KbuildMap {
        var byDirectory: [String: (path: String, text: String)] = [:]
        var rootMakefiles: [KbuildMakefile] = []
        for (path, text) in files {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard name == "Makefile" || name == "Kbuild" else { continue }
            let dir = path.count > name.count ? String(path.dropLast(name.count + 1)) : ""
            let kbuildPath = dir.isEmpty ? "Kbuild" : dir + "/Kbuild"
            if name == "Makefile" && files[kbuildPath] != nil {
                if dir.isEmpty || (dir.hasPrefix("arch/") && dir.split(separator: "/").count == 2) {
                    rootMakefiles.append(parse(path: path, text: text))
                }
                continue
            }
            byDirectory[dir] = (path, text)
        }
        var parsed: [String: KbuildMakefile] = [:]
        for (dir, file) in byDirectory { parsed[dir] = parse(path: file.path, text: file.text) }
        return resolve(parsed: parsed, rootMakefiles: rootMakefiles.sorted { $0.path < $1.path })
    }

    struct DirectoryGate {
        var requirements: [KbuildGuard] = []
        var builtinOnly = false
    }

    static func resolve(parsed: [String: KbuildMakefile], rootMakefiles: [KbuildMakefile]) -> KbuildMap {
        var diagnostics: [KbuildDiagnostic] = []
        let directories = parsed.keys.sorted()
        for dir in directories { diagnostics += parsed[dir]?.diagnostics ?? [] }
        for file in rootMakefiles { diagnostics += file.diagnostics }
        // `arch/$(SRCARCH)/` names every architecture's directory (modcheck reasons across all).
        let architectures = Set(
            (directories + rootMakefiles.map { treeDirectoryOf($0.path) }).compactMap { dir -> String? in
                let parts = dir.split(separator: "/")
                return parts.count >= 2 && parts[0] == "arch" ? String(parts[1]) : nil
            }
        ).sorted()
        func expandArch(_ entry: String) -> [String] {
            for variable in ["$(SRCARCH)", "$(ARCH)", "$(SUBARCH)"] where entry.hasBytes(variable) {
                return architectures.map { entry.replacingOccurrences(of: variable, with: $0) }
            }
            return [entry]
        }

        // Which entry names each directory: (parent directory, or nil for a root list; the gate).
        var childEntries: [String: (parent: String?, selector: String?, guards: [KbuildGuard])] = [:]
        func record(_ child: String, _ entry: (parent: String?, selector: String?, guards: [KbuildGuard])) {
            let unconditional = (entry.selector == "y" || entry.selector == nil) && entry.guards.isEmpty
            if let known = childEntries[child] {
                let knownUnconditional =
                    (known.selector == "y" || known.selector == nil) && known.guards.isEmpty
                if knownUnconditional || !unconditional { return }
            }
            childEntries[child] = entry
        }
        let rootFiles = rootMakefiles + directories.filter(isRootDirectory).compactMap { parsed[$0] }
        // The top-level descent: root lists name tree-relative directories; the top directory's
        // own `obj-y += dir/` entries (a top Kbuild file) name them too.
        var rootDirectories: [String] = []
        for file in rootFiles {
            for a in file.assignments where rootLists.contains(a.list) && a.selector != "n" {
                for o in a.objects where o.hasSuffix("/") {
                    for entry in expandArch(o) {
                        let child = normalized(String(entry.dropLast()))
                        record(child, (nil, a.selector, a.guards))
                        rootDirectories.append(child)
                    }
                }
            }
        }
        var children: [String: [String]] = [:]
        for dir in directories {
            guard let file = parsed[dir] else { continue }
            for a in file.assignments where (a.list == "obj" || a.list == "lib") && a.selector != "n" {
                for o in a.objects where o.hasSuffix("/") {
                    for entry in expandArch(o) {
                        let child = join(dir, String(entry.dropLast()))
                        let extra = (a.objectConfigs[o] ?? []).map { KbuildGuard(config: $0) }
                        if child != dir {
                            record(child, (dir, a.selector, a.guards + extra))
                            children[dir, default: []].append(child)
                        }
                    }
                }
            }
        }
        var reachable: Set<String>?
        if !rootDirectories.isEmpty || !(children[""] ?? []).isEmpty {
            var seen: Set<String> = [""]
            var queue = [""] + rootDirectories
            while let dir = queue.popLast() {
                seen.insert(dir)
                for child in children[dir] ?? [] where !seen.contains(child) { queue.append(child) }
            }
            reachable = seen
        }
        var gates: [String: DirectoryGate] = [:]
        func gate(of dir: String, depth: Int = 0) -> DirectoryGate {
            if let known = gates[dir] { return known }
            guard depth < 64, let entry = childEntries[dir] else { return DirectoryGate() }
            var result = entry.parent.map { gate(of: $0, depth: depth + 1) } ?? DirectoryGate()
            result.requirements += entry.guards
            if entry.guards.contains(where: { $0.requiresBuiltin && !$0.negated }) {
                result.builtinOnly = true
            }
            if let sel = entry.selector, sel.hasPrefix("CONFIG_") {
                result.requirements.append(KbuildGuard(config: String(sel.dropFirst(7))))
            }
            gates[dir] = result
            return result
        }

        var units: [KbuildUnit] = []
        // Units seen so far by name: the same line twice gives the same unit, kept once (a
        // unit's name holds its directory, so only a few ever share one).
        var named: [String: [Int]] = [:]
        func add(_ unit: KbuildUnit) {
            if let known = named[unit.name], known.contains(where: { sameUnit(units[$0], unit) }) { return }
            named[unit.name, default: []].append(units.count)
            units.append(unit)
        }
        var spans: [String: Range<Int>] = [:]
        var dirGates: [String: DirectoryGate] = [:]
        for dir in directories where reachable?.contains(dir) ?? true {
            guard let file = parsed[dir] else { continue }
            let dirGate = gate(of: dir)
            dirGates[dir] = dirGate
            let start = units.count
            directoryUnits(dir, file, dirGate, add)
            spans[dir] = start..<units.count
        }
        // `head-y := arch/x86/kernel/head_64.o`: always built in.
        for file in rootFiles {
            for a in file.assignments where rootLists.contains(a.list) && a.selector != "n" {
                for o in a.objects where o.hasSuffix(".o") && o.utf8.contains(UInt8(ascii: "/")) {
                    let path = normalized(o)
                    var unit = KbuildUnit(
                        name: String(path.dropLast(2)) + ".ko", configs: [], builtinOnly: true,
                        objects: [path])
                    unit.makefile = file.path
                    unit.line = a.line
                    add(unit)
                }
            }
        }
        var map = KbuildMap(units: units, diagnostics: diagnostics)
        var variableDirectories = Set<String>()
        for unit in units {
            for object in unit.objects where object.utf8.contains(UInt8(ascii: "$")) {
                variableDirectories.insert(treeDirectoryOf(object))
            }
        }
        map.layout.set(
            KbuildLayout(gates: dirGates, spans: spans, variableObjectDirectories: variableDirectories))
        map.reachableDirectories = reachable
        if let reachable {
            // Objects of kbuild Makefiles the descent modcheck reads never names (arch/mips
            // reaches its platforms through `include $(patsubst ...)` of each one's Platform file).
            var unreached: [String] = []
            // tools/ and scripts/ build with their own Makefiles (out-of-tree test modules,
            // host programs): nothing there is a kernel object.
            let foreign = ["tools/", "scripts/", "Documentation/"]
            for dir in directories where !reachable.contains(dir) {
                guard !foreign.contains(where: { (dir + "/").hasPrefix($0) }),
                    let file = parsed[dir]
                else { continue }
                for a in file.assignments where a.list == "obj" || a.list == "lib" || !rootLists.contains(a.list) {
                    for o in a.objects where o.hasSuffix(".o") { unreached.append(join(dir, o)) }
                }
            }
            map.unreachedObjects = unreached
        }
        return map
    }

    /// Whether two units are the same but for their line (the same line twice in a file).
    static func sameUnit(_ a: KbuildUnit, _ b: KbuildUnit) -> Bool {
        guard a.name == b.name else { return false }
        var (x, y) = (a, b)
        x.line = 0
        y.line = 0
        return x == y
    }

    /// The units one directory's file makes, in order (before duplicates are dropped).
    static func directoryUnits(
        _ dir: String, _ file: KbuildMakefile, _ dirGate: DirectoryGate, _ add: (KbuildUnit) -> Void
    ) {
        // Composite parts of this file: stem -> [(object, extra configs, groups of alternatives)].
        var composites: [String: [(object: String, extra: [String], anyOf: [[String]])]] = [:]
        for a in file.assignments
        where a.list != "obj" && a.list != "lib" && !rootLists.contains(a.list)
            && !otherLists.contains(a.list)
            && a.selector != "n"
        {
            var extra = a.guards.filter { !$0.negated && $0.alternatives.isEmpty }.map(\.config)
            let anyOf = a.guards.filter { !$0.negated && !$0.alternatives.isEmpty }.map(\.anyOf)
            if let sel = a.selector, sel.hasPrefix("CONFIG_") { extra.append(String(sel.dropFirst(7))) }
            for o in a.objects where o.hasSuffix(".o") {
                composites[a.list, default: []].append((o, extra + (a.objectConfigs[o] ?? []), anyOf))
            }
        }
        for a in file.assignments where (a.list == "obj" || a.list == "lib") && a.selector != "n" {
            var requirements = dirGate.requirements + a.guards
            let builtinOnly =
                dirGate.builtinOnly || a.list == "lib" || a.selector == "y"
                || a.guards.contains { $0.requiresBuiltin && !$0.negated }
            if let sel = a.selector, sel.hasPrefix("CONFIG_") {
                requirements.append(KbuildGuard(config: String(sel.dropFirst(7))))
            }
            // `obj-$(CONFIG_X) += x/` in the parent and `obj-$(CONFIG_X) += x.o` here name
            // X twice; keep its innermost place so that `configs.last` is the unit's own.
            var unique: [KbuildGuard] = []
            for r in requirements.reversed() where !unique.contains(r) { unique.insert(r, at: 0) }
            let lineCondition = KbuildCondition(unique)
            for o in a.objects where o.hasSuffix(".o") {
                var condition = lineCondition
                for config in a.objectConfigs[o] ?? [] where !condition.configs.contains(config) {
                    condition.requirements.append(KbuildGuard(config: config))
                }
                let stem = String(o.dropLast(2))
                var objects: [String] = []
                var objectConditions: [String: [String]] = [:]
                var objectAnyOf: [String: [[String]]] = [:]
                for part in composites[stem] ?? [(o, [], [])] {
                    let path = join(dir, part.object)
                    if !objects.contains(path) { objects.append(path) }
                    if !part.extra.isEmpty { objectConditions[path, default: []] += part.extra }
                    if !part.anyOf.isEmpty { objectAnyOf[path, default: []] += part.anyOf }
                }
                var unit = KbuildUnit(
                    name: join(dir, stem + ".ko"), configs: condition.configs, builtinOnly: builtinOnly,
                    objects: objects)
                unit.condition = condition
                unit.objectConditions = objectConditions
                unit.objectAnyOf = objectAnyOf
                unit.makefile = file.path
                unit.line = a.line
                add(unit)
            }
        }
    }

    static func treeDirectoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func join(_ dir: String, _ name: String) -> String {
        normalized(dir.isEmpty ? name : dir + "/" + name)
    }

    /// `a/./b/../c` → `a/c`.
    static func normalized(_ path: String) -> String {
        // Called for every object of every Makefile: a byte scan for "./" or "//".
        var previous: UInt8 = 0
        var plain = true
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") && (previous == UInt8(ascii: ".") || previous == UInt8(ascii: "/")) {
                plain = false
                break
            }
            previous = byte
        }
        if plain { return path }
        var parts: [Substring] = []
        for p in path.split(separator: "/") {
            if p == "." || p.isEmpty { continue }
            if p == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            parts.append(p)
        }
        return parts.joined(separator: "/")
    }
}

extension String {
    /// Substring search over UTF-8 bytes (Foundation's `contains` goes through CFString).
    func hasBytes(_ needle: String) -> Bool { lastRange(of: needle) != nil }

    func lastRange(of needle: String) -> Range<String.Index>? {
        let hay = Array(utf8)
        let n = Array(needle.utf8)
        guard !n.isEmpty, hay.count >= n.count else { return nil }
        var i = hay.count - n.count
        while i >= 0 {
            if hay[i] == n[0] && hay[i..<i + n.count].elementsEqual(n) {
                let lower = utf8.index(startIndex, offsetBy: i)
                return lower..<utf8.index(lower, offsetBy: n.count)
            }
            i -= 1
        }
        return nil
    }

    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

// Public initializers (in extensions, so the memberwise ones stay): a kept model structure is
// read back into these outside this module.
extension KbuildAssignment {
    public init(list: String, selector: String?, objects: [String], line: Int, guards: [KbuildGuard]) {
        self.list = list
        self.selector = selector
        self.objects = objects
        self.line = line
        self.guards = guards
    }
}

extension KbuildMakefile {
    public init(path: String, assignments: [KbuildAssignment], diagnostics: [KbuildDiagnostic]) {
        self.path = path
        self.assignments = assignments
        self.diagnostics = diagnostics
    }
}

extension KbuildUnit {
    public init(name: String, configs: [String], builtinOnly: Bool, objects: [String]) {
        self.name = name
        self.configs = configs
        self.builtinOnly = builtinOnly
        self.objects = objects
    }
}
