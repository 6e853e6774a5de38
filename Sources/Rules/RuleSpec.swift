import Foundation
import Yams

/// A malformed rule file: always names the file and the key.
public struct RuleLoadError: Error, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var line: Int?
    public var reason: String

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.map { "\(place): key '\($0)': \(reason)" } ?? "\(place): \(reason)"
    }
}

/// A text substitution: `replace` must occur exactly once in `file`.
public struct TextEdit: Sendable, Hashable {
    public var file: String
    public var replace: String
    public var with: String

    public init(file: String, replace: String, with: String) {
        self.file = file
        self.replace = replace
        self.with = with
    }
}

/// What a triggering example expects of each finding of its rule (unset keys match anything).
public struct ExpectedFinding: Sendable, Hashable {
    public var symbol: String?
    public var module: String?
    public var file: String?
    public var severity: Severity?

    public func matches(_ finding: Finding) -> Bool {
        (symbol == nil || symbol == finding.symbol) && (module == nil || module == finding.module)
            && (file == nil || file == finding.file) && (severity == nil || severity == finding.severity)
    }
}

/// A rule example, run by the test suite and printed by `modcheck explain`: a tree (the shared
/// example base with `edit` and `files` applied) and optionally a patch on top of it.
public struct RuleExample: Sendable {
    public var triggering: Bool
    public var description: String
    public var edits: [TextEdit]
    public var files: [String: String?]
    public var patch: [TextEdit]?
    public var expect: [ExpectedFinding]
}

/// Checker parameters as written in YAML, read with typed accessors that name the key on error.
public struct RuleParameters: @unchecked Sendable {
    let node: Node.Mapping?
    let file: String

    func value(_ key: String) -> Node? { node?[key] }

    public func strings(_ key: String, default fallback: [String] = []) throws -> [String] {
        guard let value = value(key) else { return fallback }
        guard let sequence = value.sequence else {
            throw RuleLoadError(
                file: file, key: "checker.parameters.\(key)", line: value.mark?.line,
                reason: "expected a list of strings")
        }
        return try sequence.map {
            guard let string = $0.string else {
                throw RuleLoadError(
                    file: file, key: "checker.parameters.\(key)", line: $0.mark?.line,
                    reason: "expected a string")
            }
            return string
        }
    }

    public func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let value = value(key) else {
            if let fallback { return fallback }
            throw RuleLoadError(file: file, key: "checker.parameters.\(key)", line: nil, reason: "missing")
        }
        guard let string = value.string else {
            throw RuleLoadError(
                file: file, key: "checker.parameters.\(key)", line: value.mark?.line,
                reason: "expected a string")
        }
        return string
    }

    public func double(_ key: String, default fallback: Double) throws -> Double {
        guard let value = value(key) else { return fallback }
        guard let number = value.float ?? value.int.map(Double.init) else {
            throw RuleLoadError(
                file: file, key: "checker.parameters.\(key)", line: value.mark?.line,
                reason: "expected a number")
        }
        return number
    }

    public func mappings(_ key: String) throws -> [[String: String]] {
        guard let value = value(key) else { return [] }
        guard let sequence = value.sequence else {
            throw RuleLoadError(
                file: file, key: "checker.parameters.\(key)", line: value.mark?.line,
                reason: "expected a list of mappings")
        }
        return try sequence.map { item in
            guard let mapping = item.mapping else {
                throw RuleLoadError(
                    file: file, key: "checker.parameters.\(key)", line: item.mark?.line,
                    reason: "expected a mapping")
            }
            var result: [String: String] = [:]
            for (k, v) in mapping {
                guard let ks = k.string, let vs = v.string else {
                    throw RuleLoadError(
                        file: file, key: "checker.parameters.\(key)", line: k.mark?.line,
                        reason: "expected string keys and values")
                }
                result[ks] = vs
            }
            return result
        }
    }

    public func mapping(_ key: String) throws -> [String: String] {
        guard let value = value(key) else { return [:] }
        guard let mapping = value.mapping else {
            throw RuleLoadError(
                file: file, key: "checker.parameters.\(key)", line: value.mark?.line,
                reason: "expected a mapping")
        }
        var result: [String: String] = [:]
        for (k, v) in mapping {
            if let ks = k.string, let vs = v.string { result[ks] = vs }
        }
        return result
    }

    public func nested(_ key: String) -> RuleParameters {
        RuleParameters(node: value(key)?.mapping, file: file)
    }
}

/// One rule as loaded from `rules/<id>.yaml`.
public struct RuleSpec: Sendable {
    public var id: String
    public var severity: Severity
    public var title: String
    public var summary: String
    public var why: String
    public var fix: String
    public var checkerKind: String
    public var parameters: RuleParameters
    public var examples: [RuleExample]
    public var file: String
}

/// The rule catalog: every `*.yaml` of a rules directory, plus the shared example base.
public struct RuleCatalog: Sendable {
    public var rules: [RuleSpec]
    public var exampleBase: [String: String]
    public var directory: String

    public func rule(_ id: String) -> RuleSpec? { rules.first { $0.id == id } }

    /// The tree every rule example starts from, beside the rules (not a rule itself).
    public static let exampleBaseFile = "examples/base.yaml"

    static func topMapping(_ text: String, file: String) throws -> Node.Mapping {
        let node = try YAMLInput.compose(text, file: file)
        guard let mapping = node?.mapping else {
            throw RuleLoadError(file: file, key: nil, line: nil, reason: "expected a mapping at the top level")
        }
        return mapping
    }

    /// One rule file's text read into a spec (what `load` does per file; the fuzzer's entry).
    public static func rule(yaml text: String, file: String) throws -> RuleSpec {
        try RuleFileReader(file: file).rule(try topMapping(text, file: file))
    }

    public static func load(directory: String) throws -> RuleCatalog {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw RuleLoadError(
                file: directory, key: nil, line: nil, reason: "cannot read the rules directory")
        }
        var rules: [RuleSpec] = []
        var base: [String: String] = [:]
        func mapping(_ path: String) throws -> Node.Mapping {
            guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw RuleLoadError(file: path, key: nil, line: nil, reason: "cannot read the file as UTF-8")
            }
            return try topMapping(text, file: path)
        }
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = (directory as NSString).appendingPathComponent(name)
            rules.append(try RuleFileReader(file: path).rule(try mapping(path)))
        }
        let basePath = (directory as NSString).appendingPathComponent(exampleBaseFile)
        if fm.fileExists(atPath: basePath) {
            base = try RuleFileReader(file: basePath).files(try mapping(basePath)["files"], key: "files").compactMapValues { $0 }
        }
        var seen = Set<String>()
        for rule in rules where !seen.insert(rule.id).inserted {
            throw RuleLoadError(
                file: rule.file, key: "id", line: nil, reason: "duplicate rule id '\(rule.id)'")
        }
        return RuleCatalog(rules: rules, exampleBase: base, directory: directory)
    }
}

/// Reads one rule file's nodes, turning every shape error into a RuleLoadError with its key.
struct RuleFileReader {
    var file: String

    func fail(_ key: String, _ node: Node?, _ reason: String) -> RuleLoadError {
        RuleLoadError(file: file, key: key, line: node?.mark?.line, reason: reason)
    }

    func requiredString(_ mapping: Node.Mapping, _ key: String, prefix: String = "") throws -> String {
        guard let node = mapping[key] else { throw fail(prefix + key, nil, "missing") }
        guard let value = node.string, !value.isEmpty else {
            throw fail(prefix + key, node, "expected a non-empty string")
        }
        return value
    }

    func optionalString(_ mapping: Node.Mapping, _ key: String, prefix: String = "") throws -> String? {
        guard let node = mapping[key] else { return nil }
        if node.null != nil { return nil }
        guard let value = node.string else { throw fail(prefix + key, node, "expected a string") }
        return value
    }

    func rule(_ mapping: Node.Mapping) throws -> RuleSpec {
        let known: Set<String> = ["id", "severity", "title", "summary", "why", "fix", "checker", "examples"]
        for key in mapping.keys {
            guard let name = key.string, known.contains(name) else {
                throw fail(
                    key.string ?? "?", key,
                    "unknown key (expected one of \(known.sorted().joined(separator: ", ")))")
            }
        }
        let id = try requiredString(mapping, "id")
        let severityText = try requiredString(mapping, "severity")
        guard let severity = Severity(rawValue: severityText) else {
            throw fail(
                "severity", mapping["severity"], "expected error, warning or info, got '\(severityText)'")
        }
        guard let checker = mapping["checker"]?.mapping else {
            throw fail("checker", mapping["checker"], "missing or not a mapping")
        }
        let kind = try requiredString(checker, "kind", prefix: "checker.")
        let parameters = RuleParameters(node: checker["parameters"]?.mapping, file: file)
        guard let examplesNode = mapping["examples"]?.mapping else {
            throw fail(
                "examples", mapping["examples"],
                "missing: a rule without triggering and non-triggering examples is not done")
        }
        var examples: [RuleExample] = []
        for (key, triggering) in [("triggering", true), ("nonTriggering", false)] {
            guard let list = examplesNode[key]?.sequence, !list.isEmpty else {
                throw fail("examples.\(key)", examplesNode[key], "expected a non-empty list")
            }
            for (index, item) in list.enumerated() {
                examples.append(try example(item, triggering: triggering, key: "examples.\(key)[\(index)]"))
            }
        }
        return RuleSpec(
            id: id, severity: severity, title: try requiredString(mapping, "title"),
            summary: try requiredString(mapping, "summary"), why: try requiredString(mapping, "why"),
            fix: try requiredString(mapping, "fix"), checkerKind: kind, parameters: parameters,
            examples: examples, file: file)
    }

    func example(_ node: Node, triggering: Bool, key: String) throws -> RuleExample {
        guard let mapping = node.mapping else { throw fail(key, node, "expected a mapping") }
        let description = try requiredString(mapping, "description", prefix: key + ".")
        let edits = try self.edits(mapping["edit"], key: key + ".edit") ?? []
        let patch = try self.edits(mapping["patch"], key: key + ".patch")
        let files = try self.files(mapping["files"], key: key + ".files")
        var expect: [ExpectedFinding] = []
        if let list = mapping["expect"] {
            guard let sequence = list.sequence else { throw fail(key + ".expect", list, "expected a list") }
            for (index, item) in sequence.enumerated() {
                let itemKey = "\(key).expect[\(index)]"
                guard let m = item.mapping else { throw fail(itemKey, item, "expected a mapping") }
                var severity: Severity?
                if let text = try optionalString(m, "severity", prefix: itemKey + ".") {
                    guard let s = Severity(rawValue: text) else {
                        throw fail(itemKey + ".severity", m["severity"], "unknown severity")
                    }
                    severity = s
                }
                expect.append(
                    ExpectedFinding(
                        symbol: try optionalString(m, "symbol", prefix: itemKey + "."),
                        module: try optionalString(m, "module", prefix: itemKey + "."),
                        file: try optionalString(m, "file", prefix: itemKey + "."), severity: severity))
            }
        }
        if triggering && expect.isEmpty {
            throw fail(key + ".expect", node, "a triggering example must say which findings it expects")
        }
        if !triggering && !expect.isEmpty {
            throw fail(key + ".expect", node, "a non-triggering example expects no findings")
        }
        return RuleExample(
            triggering: triggering, description: description, edits: edits, files: files, patch: patch,
            expect: expect)
    }

    func edits(_ node: Node?, key: String) throws -> [TextEdit]? {
        guard let node else { return nil }
        guard let sequence = node.sequence else {
            throw fail(key, node, "expected a list of {file, replace, with}")
        }
        return try sequence.enumerated().map { index, item in
            guard let m = item.mapping else { throw fail("\(key)[\(index)]", item, "expected a mapping") }
            let prefix = "\(key)[\(index)]."
            return TextEdit(
                file: try requiredString(m, "file", prefix: prefix),
                replace: try requiredString(m, "replace", prefix: prefix),
                with: try optionalString(m, "with", prefix: prefix) ?? "")
        }
    }

    func files(_ node: Node?, key: String) throws -> [String: String?] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            throw fail(key, node, "expected a mapping of path to contents")
        }
        var result: [String: String?] = [:]
        for (k, v) in mapping {
            guard let path = k.string else { throw fail(key, k, "expected a path") }
            if v.null != nil {
                result[path] = .some(nil)
                continue
            }
            guard let text = v.string else { throw fail("\(key).\(path)", v, "expected file contents") }
            result[path] = .some(text)
        }
        return result
    }
}

extension TextEdit {
    /// Applies the edit to `text`; the text to replace must occur exactly once.
    public func apply(to text: String) -> String? {
        guard let range = text.range(of: replace) else { return nil }
        if text[range.upperBound...].range(of: replace) != nil { return nil }
        return text.replacingCharacters(in: range, with: with)
    }
}
