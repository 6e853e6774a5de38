/// A `.config` file: `CONFIG_X=y|m|"str"|123` and `# CONFIG_X is not set`.
public struct DotConfig: Sendable, Hashable {
    /// Symbol name (without `CONFIG_`) to its value as written; `n` for "is not set".
    public var values: [String: String]
    public var diagnostics: [KconfigDiagnostic]
    /// Identifies the contents for the evaluator's memo (two configs with the same names but
    /// different values must not share answers).
    var fingerprint: String

    public init(values: [String: String], diagnostics: [KconfigDiagnostic] = []) {
        self.values = values
        self.diagnostics = diagnostics
        var hasher = Hasher()
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            hasher.combine(name)
            hasher.combine(value)
        }
        fingerprint = "\(values.count):\(hasher.finalize())"
    }

    public static func parse(_ text: String, path: String = ".config") -> DotConfig {
        var values: [String: String] = [:]
        var diagnostics: [KconfigDiagnostic] = []
        var number = 0
        // Split on bytes: "\r\n" is one Character, so a Character split would miss CRLF lines.
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(String(decoding: raw, as: UTF8.self))
            if line.hasSuffix("\r") { line = line.dropLast() }
            while let last = line.last, last == " " || last == "\t" { line = line.dropLast() }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if line.hasPrefix("# CONFIG_") && line.hasSuffix(" is not set") {
                    let name = line.dropFirst(9).dropLast(11)
                    if !name.isEmpty && !name.contains(" ") { values[String(name)] = "n" }
                }
                continue
            }
            guard line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "="),
                line.index(line.startIndex, offsetBy: 7) < eq
            else {
                diagnostics.append(
                    KconfigDiagnostic(file: path, line: number, message: "expected CONFIG_NAME=value"))
                continue
            }
            let name = String(line[line.index(line.startIndex, offsetBy: 7)..<eq])
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("\"") {
                guard value.count >= 2, value.hasSuffix("\"") else {
                    diagnostics.append(
                        KconfigDiagnostic(file: path, line: number, message: "unterminated string value"))
                    continue
                }
                value = unescaped(value.dropFirst().dropLast())
            }
            values[name] = value
        }
        return DotConfig(values: values, diagnostics: diagnostics)
    }

    /// confdata.c writes `\"` and `\\` inside quoted values.
    static func unescaped(_ s: Substring) -> String {
        var out = ""
        var escaping = false
        for c in s {
            if escaping {
                out.append(c)
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
