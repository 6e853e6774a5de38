import Foundation
import Rules

/// `modcheck rules` and `modcheck explain`: the documentation is the rule file itself.
public enum RuleDocs {
    public static func load(_ directory: String?) throws -> RuleCatalog {
        do {
            return try RuleCatalog.load(directory: directory ?? Session.bundledRulesDirectory())
        } catch let error as RuleLoadError {
            throw InputError(error.description)
        }
    }

    static func indent(_ text: String, _ prefix: String = "    ") -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(
            separator: "\n")
    }

    static func wrap(_ text: String, width: Int = 96) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            if line.count + word.count + 1 > width, !line.isEmpty {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    public static func explain(_ rule: RuleSpec) -> String {
        var out: [String] = []
        out.append("\(rule.id) (\(rule.severity.rawValue)): \(rule.title)")
        out.append("")
        out.append("What it does")
        out.append(indent(wrap(rule.summary)))
        out.append("")
        out.append("Why (the incident)")
        out.append(indent(wrap(rule.why)))
        out.append("")
        out.append("Fix")
        out.append(indent(wrap(rule.fix)))
        for triggering in [true, false] {
            out.append("")
            out.append(triggering ? "Triggering examples" : "Non-triggering examples")
            for example in rule.examples where example.triggering == triggering {
                out.append("  - \(example.description)")
                for edit in example.edits + (example.patch ?? []) {
                    let isPatch = example.patch?.contains(edit) ?? false
                    out.append("    \(isPatch ? "patch" : "tree"): \(edit.file)")
                    for l in edit.replace.split(separator: "\n") { out.append("      - \(l)") }
                    for l in edit.with.split(separator: "\n") { out.append("      + \(l)") }
                }
                for (path, content) in example.files.sorted(by: { $0.key < $1.key }) {
                    out.append("    file: \(path)\(content == nil ? " (removed)" : "")")
                    if let content {
                        out.append(indent(content.trimmingCharacters(in: .newlines), "      | "))
                    }
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
