import Foundation

/// Parses the Kconfig language (Documentation/kbuild/kconfig-language.rst) following `source`
/// lines. Syntax errors are diagnostics with file and line; the rest of the file still parses.
public enum KconfigParser {
    /// `srcarch: nil` sources every architecture's Kconfig for `$(SRCARCH)`: modcheck asks whether a
    /// driver can be modular on *any* architecture, so arch symbols from all of them are merged.
    public static func parse(
        root: String = "Kconfig", srcarch: String?, architectures: [String] = [],
        read: @escaping (String) -> String?
    ) -> KconfigTree {
        var state = ParseState(read: read, srcarch: srcarch, architectures: architectures)
        state.parseFile(root, stack: [])
        var tree = KconfigTree(
            symbols: state.symbols, files: state.files, diagnostics: state.diagnostics, selectedBy: [:], impliedBy: [:],
            isArchitectureUnion: srcarch == nil)
        tree.fileContext = state.fileContext
        tree.sourcedFiles = state.sourcedFiles
        return indexed(tree)
    }

    /// Recomputes who selects and implies whom.
    static func indexed(_ tree: KconfigTree) -> KconfigTree {
        var tree = tree
        var selectedBy: [String: [(selector: String, condition: KconfigExpression?)]] = [:]
        var impliedBy: [String: [(selector: String, condition: KconfigExpression?)]] = [:]
        for (name, symbol) in tree.symbols {
            for d in symbol.definitions {
                for s in d.selects {
                    if case .symbol(let target) = s.value { selectedBy[target, default: []].append((name, s.condition)) }
                }
                for s in d.implies {
                    if case .symbol(let target) = s.value { impliedBy[target, default: []].append((name, s.condition)) }
                }
            }
        }
        tree.selectedBy = selectedBy
        tree.impliedBy = impliedBy
        return tree
    }

    /// Re-reads only the changed files of a parsed tree, each in the context (enclosing `if` and
    /// `menu` dependencies) it was sourced in. Returns nil when that is not enough — a file is new,
    /// or its `source` lines changed — and the caller parses the whole tree again.
    public static func reparse(_ tree: KconfigTree, changed: [String], read: @escaping (String) -> String?) -> KconfigTree? {
        var result = tree
        for path in changed {
            guard let context = tree.fileContext[path], read(path) != nil else { return nil }
            var state = ParseState(read: read, srcarch: nil, architectures: [], followSource: false)
            if let dependency = KconfigExpression.all(context) { state.blocks = [.ifBlock(dependency)] }
            state.parseFile(path, stack: [])
            guard (state.sourcedFiles[path] ?? []) == (tree.sourcedFiles[path] ?? []) else { return nil }
            for (name, var symbol) in result.symbols where symbol.definitions.contains(where: { $0.location.file == path }) {
                symbol.definitions.removeAll { $0.location.file == path }
                result.symbols[name] = symbol.definitions.isEmpty ? nil : symbol
            }
            for (name, symbol) in state.symbols {
                result.symbols[name, default: KconfigSymbol(name: name, definitions: [])].definitions += symbol.definitions
            }
            result.diagnostics.removeAll { $0.file == path }
            result.diagnostics += state.diagnostics
        }
        return indexed(result)
    }

    /// Entries of one file, without following `source` (for per-file change extraction).
    public static func parseFile(path: String, text: String) -> (
        entries: [KconfigEntry], diagnostics: [KconfigDiagnostic]
    ) {
        var state = ParseState(
            read: { $0 == path ? text : nil }, srcarch: nil, architectures: [], followSource: false)
        state.parseFile(path, stack: [])
        var entries: [KconfigEntry] = []
        for (name, symbol) in state.symbols {
            for d in symbol.definitions {
                entries.append(
                    KconfigEntry(
                        name: name, type: d.type, dependsOn: d.ownDependency?.description,
                        line: d.location.line))
            }
        }
        entries.sort { $0.line < $1.line }
        return (entries, state.diagnostics)
    }
}

struct ParseState {
    let read: (String) -> String?
    let srcarch: String?
    let architectures: [String]
    var followSource = true
    var symbols: [String: KconfigSymbol] = [:]
    var files: [String] = []
    var diagnostics: [KconfigDiagnostic] = []
    var fileContext: [String: [KconfigExpression]] = [:]
    var sourcedFiles: [String: [String]] = [:]

    init(
        read: @escaping (String) -> String?, srcarch: String?, architectures: [String],
        followSource: Bool = true
    ) {
        self.read = read
        self.srcarch = srcarch
        self.architectures = architectures
        self.followSource = followSource
    }

    enum Block {
        case ifBlock(KconfigExpression)
        case menu([KconfigExpression])
        case choice([KconfigExpression])
    }

    /// Dependencies contributed by enclosing blocks (shared across `source`d files).
    var blocks: [Block] = []

    var enclosingDependency: [KconfigExpression] {
        blocks.flatMap { b -> [KconfigExpression] in
            switch b {
            case .ifBlock(let e): return [e]
            case .menu(let deps), .choice(let deps): return deps
            }
        }
    }

    mutating func diagnose(_ file: String, _ line: Int, _ message: String) {
        diagnostics.append(KconfigDiagnostic(file: file, line: line, message: message))
    }

    func expandPath(_ path: String) -> [String] {
        guard path.contains("$(") || path.contains("$SRCARCH") else { return [path] }
        let arches = srcarch.map { [$0] } ?? architectures
        return arches.map { arch in
            path.replacingOccurrencesSimple("$(SRCARCH)", arch).replacingOccurrencesSimple("$(ARCH)", arch)
                .replacingOccurrencesSimple("$SRCARCH", arch)
        }
    }

    enum Current {
        case none
        case config(name: String, index: Int)
        case menu
        case choice
        case comment
    }

    mutating func parseFile(_ path: String, stack: [String]) {
        if stack.contains(path) {
            diagnose(
                stack.last ?? path, 0,
                "source cycle: \(path) sources itself through \(stack.joined(separator: " -> "))")
            return
        }
        if stack.count > 64 {
            diagnose(path, 0, "source nesting deeper than 64")
            return
        }
        guard let text = read(path) else { return }
        files.append(path)
        if fileContext[path] == nil { fileContext[path] = enclosingDependency }
        let blockDepthAtStart = blocks.count
        var current = Current.none
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map {
            line -> String in
            var l = String(line)
            if l.hasSuffix("\r") { l.removeLast() }
            return l
        }
        var i = 0
        while i < lines.count {
            let lineNumber = i + 1
            var line = lines[i]
            i += 1
            while line.hasSuffix("\\") && i < lines.count {
                line = String(line.dropLast()) + " " + lines[i]
                i += 1
            }
            let trimmed = line.trimmed
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if ParseState.isMacroAssignment(trimmed) { continue }
            var tokens: [KconfigToken]
            do {
                tokens = try KconfigLexer.tokenize(trimmed)
            } catch {
                diagnose(path, lineNumber, "\(error)")
                continue
            }
            // Kconfig macro language: `cc-option = $(success,...)`, `SRCARCH := arm64` define variables.
            if tokens.count >= 2, case .word = tokens[0],
                tokens[1] == .op("=") || tokens[1] == .word(":=") || tokens[1] == .word("+=")
            {
                continue
            }
            if case .word(let w) = tokens.first, w.hasSuffix(":") || w.hasSuffix("+"), tokens.count >= 2,
                tokens[1] == .op("=")
            {
                continue
            }
            if case .word(let w) = tokens.first, w.hasPrefix("$(") {
                // A bare macro call line such as `$(warning-if,...)`.
                continue
            }
            guard case .word(let keyword) = tokens.first else {
                diagnose(path, lineNumber, "unexpected '\(trimmed.prefix(40))'")
                continue
            }
            tokens.removeFirst()
            switch keyword {
            case "config", "menuconfig":
                guard case .word(let name) = tokens.first else {
                    diagnose(path, lineNumber, "\(keyword) without a symbol name")
                    continue
                }
                let definition = KconfigDefinition(
                    location: SourceLocation(file: path, line: lineNumber), type: .unknown, prompt: nil,
                    promptCondition: nil,
                    ownDependency: nil, dependency: KconfigExpression.all(enclosingDependency), defaults: [],
                    selects: [], implies: [],
                    help: nil)
                symbols[name, default: KconfigSymbol(name: name, definitions: [])].definitions.append(
                    definition)
                current = .config(name: name, index: symbols[name]!.definitions.count - 1)
            case "choice":
                blocks.append(.choice([]))
                current = .choice
            case "endchoice":
                if case .choice = blocks.last {
                    blocks.removeLast()
                } else {
                    diagnose(path, lineNumber, "endchoice without choice")
                }
                current = .none
            case "menu":
                blocks.append(.menu([]))
                current = .menu
            case "endmenu":
                if case .menu = blocks.last {
                    blocks.removeLast()
                } else {
                    diagnose(path, lineNumber, "endmenu without menu")
                }
                current = .none
            case "if":
                do {
                    blocks.append(.ifBlock(try KconfigExpressionParser.parse(tokens)))
                } catch {
                    diagnose(path, lineNumber, "if: \(error)")
                    blocks.append(.ifBlock(.constant("y")))
                }
                current = .none
            case "endif":
                if case .ifBlock = blocks.last {
                    blocks.removeLast()
                } else {
                    diagnose(path, lineNumber, "endif without if")
                }
                current = .none
            case "comment", "mainmenu":
                current = .comment
            case "source", "rsource", "osource", "orsource":
                guard case .string(var target) = tokens.first else {
                    diagnose(path, lineNumber, "\(keyword) without a quoted path")
                    continue
                }
                if keyword.hasPrefix("r") || keyword == "orsource" {
                    let dir = path.split(separator: "/").dropLast().joined(separator: "/")
                    target = dir.isEmpty ? target : dir + "/" + target
                }
                current = .none
                let expandedPaths = followSource ? expandPath(target) : [target]
                sourcedFiles[path, default: []] += expandedPaths
                guard followSource else { continue }
                for expanded in expandedPaths { parseFile(expanded, stack: stack + [path]) }
            case "help", "---help---":
                // Help text: every following line indented deeper than the first help line.
                var helpLines: [String] = []
                var indent: Int?
                while i < lines.count {
                    let l = lines[i]
                    if l.trimmed.isEmpty {
                        helpLines.append("")
                        i += 1
                        continue
                    }
                    let width = l.indentWidth
                    if indent == nil { indent = width }
                    if let indent, width < indent || width == 0 { break }
                    helpLines.append(l.trimmed)
                    i += 1
                }
                if case .config(let name, let index) = current {
                    symbols[name]!.definitions[index].help = helpLines.joined(separator: "\n").trimmed
                }
            default:
                attribute(keyword, tokens, current: current, path: path, line: lineNumber)
            }
        }
        if blocks.count > blockDepthAtStart {
            diagnose(
                path, lines.count, "\(blocks.count - blockDepthAtStart) unterminated if/menu/choice block(s)")
            blocks.removeLast(blocks.count - blockDepthAtStart)
        }
    }

    /// `name := value`, `name = value`, `name += value`: Kconfig's macro language (kconfig-macro-language.rst).
    static func isMacroAssignment(_ line: String) -> Bool {
        var sawName = false
        var rest = Substring(line)
        while let c = rest.first, c.isLetter || c.isNumber || c == "_" || c == "-" {
            sawName = true
            rest = rest.dropFirst()
        }
        guard sawName else { return false }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        return rest.hasPrefix(":=") || rest.hasPrefix("+=") || rest.hasPrefix("=")
    }

    mutating func attribute(
        _ keyword: String, _ tokens: [KconfigToken], current: Current, path: String, line: Int
    ) {
        func expression(_ t: ArraySlice<KconfigToken>) -> (KconfigExpression?, KconfigExpression?) {
            // `value [if cond]`
            if let ifIndex = t.firstIndex(where: { $0 == .word("if") }) {
                let value = try? KconfigExpressionParser.parse(Array(t[..<ifIndex]))
                let cond = try? KconfigExpressionParser.parse(Array(t[(ifIndex + 1)...]))
                if value == nil || cond == nil {
                    diagnose(path, line, "malformed expression after \(keyword)")
                }
                return (value, cond)
            }
            if t.isEmpty { return (nil, nil) }
            do {
                return (try KconfigExpressionParser.parse(Array(t)), nil)
            } catch {
                diagnose(path, line, "\(keyword): \(error)")
                return (nil, nil)
            }
        }
        let types: [String: KconfigType] = [
            "bool": .bool, "boolean": .bool, "tristate": .tristate, "string": .string, "int": .int,
            "hex": .hex,
        ]
        switch current {
        case .comment:
            return
        case .menu, .choice:
            if keyword == "depends", tokens.first == .word("on") {
                let (e, _) = expression(tokens.dropFirst())
                if let e {
                    switch blocks.last {
                    case .menu(var deps):
                        deps.append(e)
                        blocks[blocks.count - 1] = .menu(deps)
                    case .choice(var deps):
                        deps.append(e)
                        blocks[blocks.count - 1] = .choice(deps)
                    default: break
                    }
                }
            }
            return
        case .none:
            if ["depends", "select", "default", "prompt", "bool", "tristate", "help"].contains(keyword) {
                diagnose(path, line, "'\(keyword)' outside of a config entry")
            } else if ![
                "option", "visible", "optional", "modules", "range", "imply", "def_bool", "def_tristate",
                "string", "int", "hex", "transitional",
            ].contains(keyword) {
                diagnose(path, line, "unknown keyword '\(keyword)'")
            }
            return
        case .config(let name, let index):
            var d = symbols[name]!.definitions[index]
            defer { symbols[name]!.definitions[index] = d }
            if let type = types[keyword] {
                d.type = type
                if case .string(let prompt) = tokens.first {
                    d.prompt = prompt
                    d.promptCondition =
                        expression(tokens.dropFirst().drop { $0 != .word("if") }.dropFirst()).0
                }
                return
            }
            switch keyword {
            case "def_bool", "def_tristate":
                d.type = keyword == "def_bool" ? .bool : .tristate
                let (v, c) = expression(tokens[...])
                if let v { d.defaults.append(ConditionalValue(value: v, condition: c)) }
            case "prompt":
                if case .string(let prompt) = tokens.first {
                    d.prompt = prompt
                    d.promptCondition =
                        expression(tokens.dropFirst().drop { $0 != .word("if") }.dropFirst()).0
                }
            case "depends":
                guard tokens.first == .word("on") else {
                    diagnose(path, line, "expected 'depends on'")
                    return
                }
                if let e = expression(tokens.dropFirst()).0 {
                    d.ownDependency = d.ownDependency.map { .and($0, e) } ?? e
                    d.dependency = d.dependency.map { .and($0, e) } ?? e
                }
            case "select", "imply":
                let (v, c) = expression(tokens[...])
                if let v {
                    if keyword == "select" {
                        d.selects.append(ConditionalValue(value: v, condition: c))
                    } else {
                        d.implies.append(ConditionalValue(value: v, condition: c))
                    }
                }
            case "default":
                let (v, c) = expression(tokens[...])
                if let v { d.defaults.append(ConditionalValue(value: v, condition: c)) }
            case "range", "option", "modules", "visible", "optional", "transitional":
                break
            default:
                diagnose(path, line, "unknown attribute '\(keyword)' in config \(name)")
            }
        }
    }
}

enum KconfigToken: Equatable {
    case word(String)
    case string(String)
    case op(String)
}

struct KconfigSyntaxError: Error, CustomStringConvertible {
    var description: String
}

enum KconfigLexer {
    /// `$(name,args...)` from the `$` at `i` through its balanced `)`; `i` ends after it.
    static func macroCall(_ chars: [Unicode.Scalar], _ i: inout Int) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var level = 0
        while i < chars.count {
            out.append(chars[i])
            if chars[i] == "(" { level += 1 }
            if chars[i] == ")" {
                level -= 1
                if level == 0 {
                    i += 1
                    break
                }
            }
            i += 1
        }
        return out
    }

    static func tokenize(_ line: String) throws -> [KconfigToken] {
        var out: [KconfigToken] = []
        let chars = Array(line.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" {
                i += 1
                continue
            }
            if c == "#" { break }
            if c == "\"" || c == "'" {
                var s = ""
                i += 1
                var closed = false
                while i < chars.count {
                    if chars[i] == "\\" && i + 1 < chars.count {
                        s.unicodeScalars.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    if chars[i] == "$" && i + 1 < chars.count && chars[i + 1] == "(" {
                        // A macro call inside a string may hold quotes of its own.
                        s.unicodeScalars.append(contentsOf: macroCall(chars, &i))
                        continue
                    }
                    if chars[i] == c {
                        closed = true
                        i += 1
                        break
                    }
                    s.unicodeScalars.append(chars[i])
                    i += 1
                }
                if !closed { throw KconfigSyntaxError(description: "unterminated string") }
                out.append(.string(s))
                continue
            }
            if c == "$" && i + 1 < chars.count && chars[i + 1] == "(" {
                // A Kconfig macro call `$(shell,...)`: one opaque word, parentheses balanced.
                var w = ""
                w.unicodeScalars.append(contentsOf: macroCall(chars, &i))
                // A macro call glued to a word (`foo$(bar)baz`) stays one word.
                while i < chars.count, !" \t\"'!()=<>&|#".unicodeScalars.contains(chars[i]) {
                    w.unicodeScalars.append(chars[i])
                    i += 1
                }
                out.append(.word(w))
                continue
            }
            let two = i + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[i + 1]])) : ""
            if ["&&", "||", "!=", "<=", ">="].contains(two) {
                out.append(.op(two))
                i += 2
                continue
            }
            if "!()=<>".unicodeScalars.contains(c) {
                out.append(.op(String(c)))
                i += 1
                continue
            }
            var w = ""
            while i < chars.count, !" \t\"'!()=<>&|#".unicodeScalars.contains(chars[i]) {
                if chars[i] == "$" && i + 1 < chars.count && chars[i + 1] == "(" {
                    w.unicodeScalars.append(contentsOf: macroCall(chars, &i))
                    continue
                }
                w.unicodeScalars.append(chars[i])
                i += 1
            }
            if w.isEmpty {
                throw KconfigSyntaxError(description: "unexpected character '\(c)'")
            }
            out.append(.word(w))
        }
        return out
    }
}

/// `expr: symbol | symbol '=' symbol | ... | '(' expr ')' | '!' expr | expr '&&' expr | expr '||' expr`
struct KconfigExpressionParser {
    var tokens: [KconfigToken]
    var index = 0
    var depth = 0

    static func parse(_ tokens: [KconfigToken]) throws -> KconfigExpression {
        var p = KconfigExpressionParser(tokens: tokens)
        let e = try p.parseOr()
        if p.index != tokens.count {
            throw KconfigSyntaxError(description: "unexpected token after expression")
        }
        return e
    }

    mutating func parseOr() throws -> KconfigExpression {
        var e = try parseAnd()
        while index < tokens.count, tokens[index] == .op("||") {
            index += 1
            e = .or(e, try parseAnd())
        }
        return e
    }

    mutating func parseAnd() throws -> KconfigExpression {
        var e = try parseNot()
        while index < tokens.count, tokens[index] == .op("&&") {
            index += 1
            e = .and(e, try parseNot())
        }
        return e
    }

    mutating func parseNot() throws -> KconfigExpression {
        depth += 1
        defer { depth -= 1 }
        if depth > 200 { throw KconfigSyntaxError(description: "expression nested too deeply") }
        guard index < tokens.count else { throw KconfigSyntaxError(description: "expression ends early") }
        if tokens[index] == .op("!") {
            index += 1
            return .not(try parseNot())
        }
        if tokens[index] == .op("(") {
            index += 1
            let e = try parseOr()
            guard index < tokens.count, tokens[index] == .op(")") else {
                throw KconfigSyntaxError(description: "missing ')'")
            }
            index += 1
            return e
        }
        let lhs = try atom()
        if index < tokens.count, case .op(let op) = tokens[index], let cmp = KconfigComparison(rawValue: op) {
            index += 1
            return .compare(cmp, lhs, try atom())
        }
        return lhs
    }

    mutating func atom() throws -> KconfigExpression {
        guard index < tokens.count else { throw KconfigSyntaxError(description: "expression ends early") }
        let t = tokens[index]
        index += 1
        switch t {
        case .word(let w):
            if w == "y" || w == "m" || w == "n" { return .constant(w) }
            if w.contains("$(") { return .constant("$?") }
            // Numbers are constants; symbols may start with a digit (64BIT).
            if Int(w) != nil || (w.hasPrefix("0x") && Int(w.dropFirst(2), radix: 16) != nil)
                || (w.hasPrefix("-") && Int(w) != nil)
            {
                return .constant(w)
            }
            return .symbol(w)
        case .string(let s): return .constant(s)
        case .op(let o): throw KconfigSyntaxError(description: "unexpected '\(o)'")
        }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    var indentWidth: Int {
        var w = 0
        for c in self {
            if c == " " { w += 1 } else if c == "\t" { w = (w / 8 + 1) * 8 } else { break }
        }
        return w
    }

    func replacingOccurrencesSimple(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
