import Yams

/// Reads a rule or policy file's YAML. Yams composes nested collections recursively, so text
/// nested thousands deep (`[[[[...`, found by the fuzzer as a stack overflow) is refused first,
/// with the line where it passes the cap. Rule files and `.modcheck.yaml` nest a few levels.
enum YAMLInput {
    static let maxDepth = 256

    static func compose(_ text: String, file: String) throws -> Node? {
        if let line = lineExceedingDepth(text, maxDepth) {
            throw RuleLoadError(
                file: file, key: nil, line: line, reason: "YAML nested deeper than \(maxDepth) levels")
        }
        do {
            return try Yams.compose(yaml: text)
        } catch {
            throw RuleLoadError(file: file, key: nil, line: nil, reason: "YAML syntax: \(error)")
        }
    }

    /// The first line where an upper bound of the nesting depth exceeds `limit`, or nil.
    ///
    /// The bound, at each point: open flow collections (`[`, `{` outside quoted scalars and
    /// comments), plus the line's indentation, plus the block indicators (`- `, `? `, `: `) seen
    /// on the line so far. A nested block collection needs deeper indentation or an indicator on
    /// the same line, and a flow collection needs its bracket, so the bound is never below the
    /// depth Yams recurses to; it can only be above it (a colon in a plain scalar counts).
    static func lineExceedingDepth(_ text: String, _ limit: Int) -> Int? {
        let bytes = Array(text.utf8)
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        func isBlank(_ c: UInt8) -> Bool { c == space || c == tab || c == newline || c == cr }
        var line = 1
        var flow = 0
        var lineBound = 0  // indentation plus indicators so far on this line
        var atLineStart = true
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == newline {
                line += 1
                lineBound = 0
                atLineStart = true
                i += 1
                continue
            }
            if atLineStart {
                if c == space {
                    lineBound += 1
                    i += 1
                    if flow + lineBound > limit { return line }
                    continue
                }
                atLineStart = false
            }
            let previous: UInt8? = i > 0 ? bytes[i - 1] : nil
            let tokenStart = previous.map { isBlank($0) || "[{,:-?".utf8.contains($0) } ?? true
            switch c {
            case UInt8(ascii: "#") where previous.map(isBlank) ?? true:
                while i < bytes.count && bytes[i] != newline { i += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // Inside a plain scalar (`don't`) a quote is text.
                guard tokenStart else { break }
                // A quoted scalar: skip to its end (it may span lines); \ escapes in "...",
                // '' in '...'. Brackets inside still count while it lasts, so that a quote
                // misread here (`a:'x` is a plain scalar to YAML) cannot hide nesting after it.
                var inner = 0
                i += 1
                while i < bytes.count {
                    let q = bytes[i]
                    if q == newline { line += 1 }
                    if q == UInt8(ascii: "[") || q == UInt8(ascii: "{") {
                        inner += 1
                        if flow + lineBound + inner > limit { return line }
                    } else if q == UInt8(ascii: "]") || q == UInt8(ascii: "}") {
                        inner = max(0, inner - 1)
                    }
                    if c == UInt8(ascii: "\"") && q == UInt8(ascii: "\\") {
                        i += 2
                        continue
                    }
                    if q == c {
                        if c == UInt8(ascii: "'") && i + 1 < bytes.count && bytes[i + 1] == c {
                            i += 2
                            continue
                        }
                        break
                    }
                    i += 1
                }
                i += 1
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flow = max(0, flow - 1)
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                if i + 1 >= bytes.count || isBlank(bytes[i + 1]) { lineBound += 1 }
            default:
                break
            }
            if flow + lineBound > limit { return line }
            i += 1
        }
        return nil
    }
}
