/// Parses `#if` expressions into PreprocessorCondition: `defined(X)`, `defined X`, `IS_ENABLED(X)`,
/// `IS_BUILTIN`, `IS_MODULE`, `IS_REACHABLE`, `!`, `&&`, `||`, parentheses, `0` and `1`.
/// Anything else becomes `.opaque` (may hold or not). Nesting is capped, never recursive without bound.
struct ConditionParser {
    var tokens: [String]
    var index = 0
    var depth = 0
    static let maxDepth = 64

    init(_ text: String) {
        tokens = ConditionParser.tokenize(text)
    }

    static func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        let chars = Array(text.utf8)
        var i = 0
        func flush() {
            if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        while i < chars.count {
            let c = chars[i]
            if ByteClass.isIdentBody(c) {
                current.append(Character(UnicodeScalar(c)))
            } else {
                flush()
                if (c == 0x26 || c == 0x7c || c == 0x3d) && i + 1 < chars.count && chars[i + 1] == c {
                    out.append(String(decoding: [c, c], as: UTF8.self))
                    i += 1
                } else if c == 0x21 && i + 1 < chars.count && chars[i + 1] == 0x3d {
                    out.append("!=")
                    i += 1
                } else if c != 0x20 && c != 0x09 && c != 0x0d && c != 0x0a {
                    out.append(String(decoding: [c], as: UTF8.self))
                }
            }
            i += 1
        }
        flush()
        return out
    }

    /// Set when the nesting cap cut the expression short (it then reads as unknown there).
    var tooDeep = false

    static func parse(_ text: String) -> PreprocessorCondition { parseReportingDepth(text).condition }

    static func parseReportingDepth(_ text: String) -> (condition: PreprocessorCondition, tooDeep: Bool) {
        var p = ConditionParser(text)
        let result = p.parseOr()
        if p.index != p.tokens.count { return (.opaque(text), p.tooDeep) }
        return (result, p.tooDeep)
    }

    mutating func peek() -> String? { index < tokens.count ? tokens[index] : nil }

    mutating func parseOr() -> PreprocessorCondition {
        var parts = [parseAnd()]
        while peek() == "||" {
            index += 1
            parts.append(parseAnd())
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    mutating func parseAnd() -> PreprocessorCondition {
        var parts = [parseUnary()]
        while peek() == "&&" {
            index += 1
            parts.append(parseUnary())
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    mutating func parseUnary() -> PreprocessorCondition {
        depth += 1
        defer { depth -= 1 }
        guard depth < ConditionParser.maxDepth, let t = peek() else {
            if depth >= ConditionParser.maxDepth { tooDeep = true }
            index = tokens.count
            return .opaque("")
        }
        if t == "!" {
            index += 1
            return .not(parseUnary())
        }
        if t == "(" {
            index += 1
            let inner = parseOr()
            if peek() == ")" { index += 1 }
            return inner
        }
        index += 1
        switch t {
        case "defined":
            var paren = false
            if peek() == "(" {
                paren = true
                index += 1
            }
            let name = peek() ?? ""
            index += 1
            if paren && peek() == ")" { index += 1 }
            return ConditionParser.config(name, .defined)
        case "IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE", "config_enabled":
            guard peek() == "(" else { return .opaque(t) }
            index += 1
            let name = peek() ?? ""
            index += 1
            if peek() == ")" { index += 1 }
            let test: ConfigTest =
                t == "IS_BUILTIN"
                ? .builtin : t == "IS_MODULE" ? .module : t == "IS_REACHABLE" ? .reachable : .enabled
            return ConditionParser.config(name, test)
        case "0":
            return .never
        case "1":
            return .always
        default:
            // A comparison or arithmetic we do not model: swallow the rest of this operand.
            var text = t
            while let next = peek(), next != "&&", next != "||", next != ")" {
                text += " " + next
                index += 1
                if next == "(" {
                    var level = 1
                    while level > 0, let n = peek() {
                        index += 1
                        text += n
                        if n == "(" { level += 1 }
                        if n == ")" { level -= 1 }
                    }
                }
            }
            if t.hasPrefix("CONFIG_") && !text.contains(" ") { return .config(t, .defined) }
            return .opaque(text)
        }
    }

    /// `MODULE` is no Kconfig symbol: kbuild defines it (`-DMODULE`) for objects linked into a
    /// module, so `#ifdef MODULE` holds exactly in module context (the model knows which).
    static let moduleMacro = "MODULE"

    static func config(_ name: String, _ test: ConfigTest) -> PreprocessorCondition {
        if name == moduleMacro && test == .defined { return .config(name, .defined) }
        return name.hasPrefix("CONFIG_") ? .config(name, test) : .opaque("\(test) \(name)")
    }
}

extension PreprocessorCondition {
    /// A flattened conjunction, dropping `always`.
    static func all(_ parts: [PreprocessorCondition]) -> PreprocessorCondition {
        if parts.count == 1 {
            if case .and = parts[0] {} else { return parts[0] }
        }
        var flat: [PreprocessorCondition] = []
        var seen = Set<PreprocessorCondition>()
        for p in parts {
            switch p {
            case .always: continue
            case .never: return .never
            case .and(let inner):
                for q in inner where seen.insert(q).inserted { flat.append(q) }
            default:
                // A function under `#ifdef X` whose body is under X too: say X once.
                if seen.insert(p).inserted { flat.append(p) }
            }
        }
        if flat.isEmpty { return .always }
        return flat.count == 1 ? flat[0] : .and(flat)
    }

    static func negation(_ c: PreprocessorCondition) -> PreprocessorCondition {
        switch c {
        case .always: return .never
        case .never: return .always
        case .not(let inner): return inner
        default: return .not(c)
        }
    }
}
