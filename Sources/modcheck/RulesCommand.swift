import ArgumentParser
import Rules
import Workflows

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "List the rules.")
    @Option(name: .long, help: "Rules directory (default: the bundled rules/).") var rules: String?
    @Option(name: .long, help: "Fact cache directory (accepted for symmetry; rules need no facts).")
    var cache: String?
    @Flag(name: .long, help: "Do not use the fact cache (accepted for symmetry).") var noCache = false

    func run() throws {
        let catalog = try RuleDocs.load(rules)
        for rule in catalog.rules {
            emit(
                "\(rule.id.padding(toLength: 32, withPad: " ", startingAt: 0)) \(rule.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(rule.title)\n"
            )
        }
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a rule: what, why (the incident), fix and examples.")
    @Option(name: .long, help: "Rules directory (default: the bundled rules/).") var rules: String?
    @Option(name: .long, help: "Fact cache directory (accepted for symmetry; rules need no facts).")
    var cache: String?
    @Flag(name: .long, help: "Do not use the fact cache (accepted for symmetry).") var noCache = false
    @Argument(help: "Rule id, e.g. required-export.") var id: String

    func run() throws {
        let catalog = try RuleDocs.load(rules)
        guard let rule = catalog.rule(id) else {
            throw InputError(
                "unknown rule '\(id)' (known: \(catalog.rules.map(\.id).joined(separator: ", ")))")
        }
        emit(RuleDocs.explain(rule))
    }
}
