/// Kconfig's three-valued logic: n < m < y.
public enum Tristate: Int, Comparable, Sendable, CustomStringConvertible {
    case n = 0
    case m = 1
    case y = 2

    public static func < (l: Tristate, r: Tristate) -> Bool { l.rawValue < r.rawValue }
    public var description: String { ["n", "m", "y"][rawValue] }
    public var negated: Tristate { Tristate(rawValue: 2 - rawValue)! }

    public init?(text: String) {
        switch text {
        case "y": self = .y
        case "m": self = .m
        case "n": self = .n
        default: return nil
        }
    }
}

public enum KconfigComparison: String, Sendable, Hashable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessEqual = "<="
    case greater = ">"
    case greaterEqual = ">="
}

/// A Kconfig expression: `A && (B || !C)`, `ARM_SMMU=y`, constants y/m/n and quoted strings.
public indirect enum KconfigExpression: Hashable, Sendable, CustomStringConvertible {
    case symbol(String)
    case constant(String)
    case not(KconfigExpression)
    case and(KconfigExpression, KconfigExpression)
    case or(KconfigExpression, KconfigExpression)
    case compare(KconfigComparison, KconfigExpression, KconfigExpression)

    public var description: String {
        switch self {
        case .symbol(let s): return s
        case .constant(let c): return ["y", "m", "n"].contains(c) ? c : "\"\(c)\""
        case .not(let e): return "!" + e.parenthesized
        case .and(let a, let b): return "\(a.parenthesized(in: .and)) && \(b.parenthesized(in: .and))"
        case .or(let a, let b): return "\(a) || \(b)"
        case .compare(let op, let a, let b): return "\(a)\(op.rawValue)\(b)"
        }
    }

    enum Context { case and }

    var parenthesized: String {
        switch self {
        case .symbol, .constant, .compare, .not: return description
        default: return "(\(description))"
        }
    }

    func parenthesized(in context: Context) -> String {
        if case .or = self { return "(\(description))" }
        return description
    }

    /// Whether the expression mentions one of `names` (no set made on the way).
    public func mentions(anyOf names: Set<String>) -> Bool {
        switch self {
        case .symbol(let s): return names.contains(s)
        case .constant: return false
        case .not(let e): return e.mentions(anyOf: names)
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b):
            return a.mentions(anyOf: names) || b.mentions(anyOf: names)
        }
    }

    /// Calls `body` with every symbol name the expression mentions (repeats included).
    public func forEachSymbol(_ body: (String) -> Void) {
        switch self {
        case .symbol(let s): body(s)
        case .constant: break
        case .not(let e): e.forEachSymbol(body)
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b):
            a.forEachSymbol(body)
            b.forEachSymbol(body)
        }
    }

    /// Symbols the expression mentions.
    public var symbols: Set<String> {
        switch self {
        case .symbol(let s): return [s]
        case .constant: return []
        case .not(let e): return e.symbols
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b):
            return a.symbols.union(b.symbols)
        }
    }

    public static func all(_ parts: [KconfigExpression]) -> KconfigExpression? {
        guard var result = parts.first else { return nil }
        for p in parts.dropFirst() { result = .and(result, p) }
        return result
    }
}

public enum KconfigType: String, Sendable, Hashable, CustomStringConvertible {
    case bool, tristate, string, int, hex, unknown
    public var description: String { rawValue }
}

public struct SourceLocation: Hashable, Sendable {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}

/// `default V if C`, `select S if C`, `imply S if C`.
public struct ConditionalValue: Hashable, Sendable {
    public var value: KconfigExpression
    public var condition: KconfigExpression?

    public init(value: KconfigExpression, condition: KconfigExpression? = nil) {
        self.value = value
        self.condition = condition
    }
}

/// One `config`/`menuconfig` block. A symbol defined in several places has several definitions.
public struct KconfigDefinition: Hashable, Sendable {
    public var location: SourceLocation
    public var type: KconfigType
    public var prompt: String?
    /// The prompt's `if` condition AND'ed with enclosing menus' `visible if`.
    public var promptCondition: KconfigExpression?
    /// Its own `depends on` lines only.
    public var ownDependency: KconfigExpression?
    /// Its own `depends on` lines with the enclosing `if`/`menu`/`choice` ones.
    public var dependency: KconfigExpression?
    public var defaults: [ConditionalValue]
    public var selects: [ConditionalValue]
    public var implies: [ConditionalValue]
    public var help: String?
    /// `range low high [if cond]` of int/hex symbols.
    public var ranges: [KconfigRange] = []
    /// `option modules`, `option defconfig_list`, `option env="X"`, `option allnoconfig_y`.
    public var options: [String] = []
    /// Declared between `choice` and `endchoice`.
    public var inChoice = false
    /// The choice it is a member of (`file:line` of its `choice`): one member of a choice is y.
    public var choice: String?
    /// The architecture whose Kconfig (read through `$(SRCARCH)`) declared it; nil in the common
    /// tree. In a tree of every architecture, only one architecture's definitions exist at once.
    public var architecture: String?
    /// `menuconfig` rather than `config`.
    public var isMenuconfig = false
}

/// `range low high [if cond]`.
public struct KconfigRange: Hashable, Sendable {
    public var low: KconfigExpression
    public var high: KconfigExpression
    public var condition: KconfigExpression?

    public init(low: KconfigExpression, high: KconfigExpression, condition: KconfigExpression? = nil) {
        self.low = low
        self.high = high
        self.condition = condition
    }
}

/// A symbol with every `config`/`menuconfig` block that defines it. Definitions are kept apart
/// because kconfig applies each block's enclosing dependencies to that block's own prompt and
/// defaults only; the merged views below are what a reader of the whole tree usually wants.
public struct KconfigSymbol: Sendable, Hashable {
    public var name: String
    public var definitions: [KconfigDefinition]

    /// The first declared type (later definitions often omit it).
    public var type: KconfigType {
        // By index: `first(where:)` would copy a whole definition to read its type.
        for i in definitions.indices where definitions[i].type != .unknown { return definitions[i].type }
        return .unknown
    }
    public var hasPrompt: Bool { definitions.contains { $0.prompt != nil } }

    /// Every prompt with its condition (including enclosing `visible if`).
    public var prompts: [(text: String, condition: KconfigExpression?)] {
        definitions.compactMap { d in d.prompt.map { ($0, d.promptCondition) } }
    }

    /// The effective dependency: each definition's `depends on` with its enclosing `if`, `menu`
    /// and `choice` dependencies, OR'ed across definitions (kconfig's `dir_dep`). Nil when some
    /// definition has no dependency at all.
    public var dependsOn: KconfigExpression? {
        var result: KconfigExpression?
        for d in definitions {
            guard let dep = d.dependency else { return nil }
            result = result.map { .or($0, dep) } ?? dep
        }
        return result
    }

    /// `select` lines of every definition (a select acts only while its selector is set, so the
    /// selector's dependency is implied and not repeated in the condition).
    public var selects: [ConditionalValue] { definitions.flatMap(\.selects) }
    public var implies: [ConditionalValue] { definitions.flatMap(\.implies) }
    /// Defaults in kconfig's order: the first whose condition holds wins.
    public var defaults: [ConditionalValue] { definitions.flatMap(\.defaults) }
    public var locations: [SourceLocation] { definitions.map(\.location) }
    /// Help texts of all definitions, in definition order.
    public var help: String? {
        let texts = definitions.compactMap(\.help)
        return texts.isEmpty ? nil : texts.joined(separator: "\n\n")
    }
}

public struct KconfigDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

public struct KconfigTree: Sendable {
    public var symbols: [String: KconfigSymbol]
    public var files: [String]
    public var diagnostics: [KconfigDiagnostic]
    /// target -> who selects it, with the condition it selects under besides its own value (the
    /// select's `if` and the selecting definition's dependencies, as menu_finalize() builds rev_dep).
    public var selectedBy: [String: [(selector: String, condition: KconfigExpression?)]]
    public var impliedBy: [String: [(selector: String, condition: KconfigExpression?)]]
    /// Parsed with every architecture's Kconfig at once (modcheck's default): arch symbols are
    /// then "y on some architecture", never forced.
    public var isArchitectureUnion: Bool = false
    /// The dependencies enclosing each file where it was sourced (for incremental reparsing).
    public var fileContext: [String: [KconfigExpression]] = [:]
    /// The `visible if` conditions of the menus enclosing each file where it was sourced.
    public var fileVisibility: [String: [KconfigExpression]] = [:]
    /// The architecture each file was first read under (for incremental reparsing).
    public var fileArchitecture: [String: String] = [:]
    /// Each choice's `default` lines, by choice (`file:line` of its `choice`).
    public var choiceDefaults: [String: [ConditionalValue]] = [:]
    /// How this tree's own kconfig computes values, where kconfig changed over time.
    public var semantics = KconfigSemantics()
    /// The files each file sources, after `$(SRCARCH)` expansion.
    public var sourcedFiles: [String: [String]] = [:]
    /// The symbols each file defines (kept by the parser's indexing and `reparse`, worked out for
    /// a tree read from a snapshot): what a change to a few files can reach is looked up, not
    /// found by walking every symbol. Nil: not known (every symbol is walked).
    public internal(set) var definedIn: [String: Set<String>]?

    /// The symbols defined in `files` (looked up; found by walking every symbol when not known).
    public func symbols(definedIn files: Set<String>) -> Set<String> {
        var out = Set<String>()
        if let definedIn {
            for file in files { out.formUnion(definedIn[file] ?? []) }
        } else {
            for (name, symbol) in symbols where symbol.definitions.contains(where: { files.contains($0.location.file) }) {
                out.insert(name)
            }
        }
        return out
    }

    /// Which file defines which symbols, from the symbols' definitions.
    static func definitionFiles(_ symbols: [String: KconfigSymbol]) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for (name, symbol) in symbols {
            for d in symbol.definitions { out[d.location.file, default: []].insert(name) }
        }
        return out
    }
}

/// One entry as written in one file (for change extraction).
public struct KconfigEntry: Hashable, Sendable {
    public var name: String
    public var type: KconfigType
    /// The entry's own `depends on` lines, without enclosing blocks, as text.
    public var dependsOn: String?
    public var line: Int
    /// The whole entry; its `dependency` includes the `if`/`menu`/`choice` blocks of this file.
    public var definition: KconfigDefinition
}

/// The parts of scripts/kconfig's value computation that changed between kernel versions.
public struct KconfigSemantics: Sendable, Hashable {
    /// Before v5.7, an `imply` from a y symbol promoted m to y, and `imply` ignored the implied
    /// symbol's own dependencies ("kconfig: allow symbols implied by y to become m",
    /// "kconfig: make 'imply' obey the direct dependency", both Masahiro Yamada, v5.7).
    public var implyBeforeV57 = false

    public init(implyBeforeV57: Bool = false) { self.implyBeforeV57 = implyBeforeV57 }

    /// The semantics of a kernel `major.minor`.
    public init(version: (major: Int, minor: Int)?) {
        guard let version else {
            self.init()
            return
        }
        self.init(implyBeforeV57: (version.major, version.minor) < (5, 7))
    }
}

// Initializers for a tree read back from a snapshot (Facts/KconfigSnapshot.swift), labelled so
// they stand beside the memberwise ones.
extension KconfigTree {
    public init(
        restoring symbols: [String: KconfigSymbol], files: [String], diagnostics: [KconfigDiagnostic],
        selectedBy: [String: [(selector: String, condition: KconfigExpression?)]],
        impliedBy: [String: [(selector: String, condition: KconfigExpression?)]], isArchitectureUnion: Bool,
        fileContext: [String: [KconfigExpression]], fileVisibility: [String: [KconfigExpression]],
        fileArchitecture: [String: String], choiceDefaults: [String: [ConditionalValue]], semantics: KconfigSemantics,
        sourcedFiles: [String: [String]]
    ) {
        self.symbols = symbols
        self.definedIn = KconfigTree.definitionFiles(symbols)
        self.files = files
        self.diagnostics = diagnostics
        self.selectedBy = selectedBy
        self.impliedBy = impliedBy
        self.isArchitectureUnion = isArchitectureUnion
        self.fileContext = fileContext
        self.fileVisibility = fileVisibility
        self.fileArchitecture = fileArchitecture
        self.choiceDefaults = choiceDefaults
        self.semantics = semantics
        self.sourcedFiles = sourcedFiles
    }
}

extension KconfigSymbol {
    public init(restoring name: String, definitions: [KconfigDefinition]) {
        self.name = name
        self.definitions = definitions
    }
}

extension KconfigDiagnostic {
    public init(restoring file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
}

extension KconfigDefinition {
    public init(
        restoring location: SourceLocation, type: KconfigType, prompt: String?, promptCondition: KconfigExpression?,
        ownDependency: KconfigExpression?, dependency: KconfigExpression?, defaults: [ConditionalValue],
        selects: [ConditionalValue], implies: [ConditionalValue], help: String?, ranges: [KconfigRange],
        options: [String], inChoice: Bool, choice: String?, architecture: String?, isMenuconfig: Bool
    ) {
        self.location = location
        self.type = type
        self.prompt = prompt
        self.promptCondition = promptCondition
        self.ownDependency = ownDependency
        self.dependency = dependency
        self.defaults = defaults
        self.selects = selects
        self.implies = implies
        self.help = help
        self.ranges = ranges
        self.options = options
        self.inChoice = inChoice
        self.choice = choice
        self.architecture = architecture
        self.isMenuconfig = isMenuconfig
    }
}
