/// The condition a piece of code lives under, from `#if`/`#ifdef`/`#else`/`#elif` lines.
/// `#ifdef CONFIG_X` holds only for `X=y` (autoconf.h defines CONFIG_X_MODULE for `=m`);
/// `IS_ENABLED(CONFIG_X)` holds for `y` or `m`.
public indirect enum PreprocessorCondition: Hashable, Sendable {
    case always
    case never
    /// `CONFIG_X` with a test; also `MODULE` with `.defined` (`#ifdef MODULE`: the object is built
    /// into a module).
    case config(String, ConfigTest)
    case not(PreprocessorCondition)
    case and([PreprocessorCondition])
    case or([PreprocessorCondition])
    /// A condition modcheck does not model (include guards, version checks): it may hold or not.
    case opaque(String)
}

public enum ConfigTest: Hashable, Sendable {
    /// `#ifdef CONFIG_X`, `defined(CONFIG_X)`: X=y (or, for CONFIG_X_MODULE, X=m).
    case defined
    /// `IS_ENABLED(CONFIG_X)`: y or m.
    case enabled
    /// `IS_BUILTIN(CONFIG_X)`: y.
    case builtin
    /// `IS_MODULE(CONFIG_X)`: m.
    case module
    /// `IS_REACHABLE(CONFIG_X)`: y, or m when the user is a module too.
    case reachable
}

public enum StorageClass: Hashable, Sendable {
    case global, staticLinkage, staticInline, externInline
}

/// `enumerator`: a constant of an `enum`, which the compiler resolves; it is recorded with
/// `.staticLinkage` so that it is a name a header provides and never a link-time definition.
public enum SymbolKind: Hashable, Sendable { case function, variable, enumerator }

/// A file-scope definition of a function or variable.
public struct SymbolDefinition: Hashable, Sendable {
    public var name: String
    public var kind: SymbolKind
    public var storage: StorageClass
    public var line: Int
    public var condition: PreprocessorCondition

    public init(
        name: String, kind: SymbolKind, storage: StorageClass, line: Int, condition: PreprocessorCondition
    ) {
        self.name = name
        self.kind = kind
        self.storage = storage
        self.line = line
        self.condition = condition
    }
}

/// A file-scope declaration of a name with external linkage that the file does not define: a
/// prototype (`int foo(struct device *dev);`) or an `extern` object. The kernel builds with
/// -Werror=implicit-function-declaration, so a call to a name no included header or own file
/// declares cannot be a call to another object.
public struct SymbolDeclaration: Hashable, Sendable {
    public var name: String
    public var kind: SymbolKind
    public var line: Int

    public init(name: String, kind: SymbolKind, line: Int) {
        self.name = name
        self.kind = kind
        self.line = line
    }
}

public enum ExportFlavour: Hashable, Sendable {
    case plain, gpl
    case ns(String)
    case nsGpl(String)
}

/// An `EXPORT_SYMBOL*(name)` line.
public struct ExportedSymbol: Hashable, Sendable {
    public var name: String
    public var flavour: ExportFlavour
    public var line: Int
    public var condition: PreprocessorCondition

    public init(name: String, flavour: ExportFlavour, line: Int, condition: PreprocessorCondition) {
        self.name = name
        self.flavour = flavour
        self.line = line
        self.condition = condition
    }
}

public enum ReferenceKind: Hashable, Sendable { case call, addressTaken }

/// A use of a name that the linker must resolve: a call not through `.`/`->`, `&name`, or a name
/// used as a value in a designated initializer. One per (name, kind, condition, function).
public struct SymbolReference: Hashable, Sendable {
    public var name: String
    public var line: Int
    public var kind: ReferenceKind
    public var condition: PreprocessorCondition
    public var function: String?

    public init(
        name: String, line: Int, kind: ReferenceKind, condition: PreprocessorCondition, function: String?
    ) {
        self.name = name
        self.line = line
        self.kind = kind
        self.condition = condition
        self.function = function
    }
}

/// A statement-like macro use at file scope: `module_platform_driver(drv);`, `MODULE_LICENSE("GPL");`.
public struct MacroInvocation: Hashable, Sendable {
    public var name: String
    public var arguments: [String]
    public var line: Int
    public var condition: PreprocessorCondition
    public var function: String?

    public init(
        name: String, arguments: [String], line: Int, condition: PreprocessorCondition, function: String?
    ) {
        self.name = name
        self.arguments = arguments
        self.line = line
        self.condition = condition
        self.function = function
    }
}

/// `.path = value` in a designated initializer; nested designators join with ".".
public struct DesignatedField: Hashable, Sendable {
    public var path: String
    public var value: String
    public var line: Int

    public init(path: String, value: String, line: Int) {
        self.path = path
        self.value = value
        self.line = line
    }
}

/// A file-scope `[static] [const] struct TAG name[] = { ... };`.
public struct StructInitializer: Hashable, Sendable {
    public var structType: String
    public var variable: String
    public var isArray: Bool
    public var isStatic: Bool
    public var isConst: Bool
    public var fields: [DesignatedField]
    public var line: Int
    public var condition: PreprocessorCondition

    public init(
        structType: String, variable: String, isArray: Bool, isStatic: Bool, isConst: Bool,
        fields: [DesignatedField], line: Int,
        condition: PreprocessorCondition
    ) {
        self.structType = structType
        self.variable = variable
        self.isArray = isArray
        self.isStatic = isStatic
        self.isConst = isConst
        self.fields = fields
        self.line = line
        self.condition = condition
    }
}

/// A call whose arguments matter (register/unregister pairs, module reference counting).
public struct FunctionCall: Hashable, Sendable {
    public var callee: String
    public var arguments: [String]
    public var line: Int
    public var condition: PreprocessorCondition

    public init(callee: String, arguments: [String], line: Int, condition: PreprocessorCondition) {
        self.callee = callee
        self.arguments = arguments
        self.line = line
        self.condition = condition
    }
}

/// A function definition and what its body does that rules care about.
public struct FunctionFacts: Hashable, Sendable {
    public var name: String
    public var storage: StorageClass
    public var line: Int
    public var endLine: Int
    public var condition: PreprocessorCondition
    /// Distinct plain calls, in order of first appearance.
    public var callees: [String]
    public var calls: [FunctionCall]
    /// `x->member = value;` / `x.member = value;` in the body.
    public var assignsMembers: [String: String]

    public init(
        name: String, storage: StorageClass, line: Int, endLine: Int, condition: PreprocessorCondition,
        callees: [String],
        calls: [FunctionCall], assignsMembers: [String: String]
    ) {
        self.name = name
        self.storage = storage
        self.line = line
        self.endLine = endLine
        self.condition = condition
        self.callees = callees
        self.calls = calls
        self.assignsMembers = assignsMembers
    }
}

/// A piece of a macro argument as its body writes it: text, or one of the macro's parameters
/// (`__tracepoint_##name` is `.text("__tracepoint_")`, `.parameter(0)`).
public enum MacroArgumentPiece: Hashable, Sendable {
    case text(String)
    case parameter(Int)
}

/// An invocation in a macro's body whose arguments are built from the macro's parameters:
/// `EXPORT_SYMBOL_GPL(__tracepoint_##name)` in `EXPORT_TRACEPOINT_SYMBOL_GPL(name)`.
public struct MacroUse: Hashable, Sendable {
    public var macro: String
    public var arguments: [[MacroArgumentPiece]]

    public init(macro: String, arguments: [[MacroArgumentPiece]]) {
        self.macro = macro
        self.arguments = arguments
    }

    /// The arguments with the parameters replaced by `actual` (missing ones by nothing).
    public func arguments(with actual: [String]) -> [String] {
        arguments.map { pieces in
            pieces.map { piece -> String in
                switch piece {
                case .text(let t): return t
                case .parameter(let i): return i < actual.count ? actual[i] : ""
                }
            }.joined()
        }
    }
}

/// A `#define`; `bodyMentions` says which watched words its body contains (e.g. THIS_MODULE).
/// For function-like macros whose body exports (mentions `EXPORT`), `uses` are the invocations
/// in the body: `ACPI_EXPORT_SYMBOL(symbol)` → `EXPORT_SYMBOL(symbol)` makes it an export wrapper.
public struct MacroDefinition: Hashable, Sendable {
    public var name: String
    public var isFunctionLike: Bool
    public var line: Int
    public var condition: PreprocessorCondition
    public var bodyMentions: Set<String>
    public var uses: [MacroUse] = []
    /// The text of an object-like macro whose body is a string literal (`#define DRV_LICENSE
    /// "GPL"`), without its quotes.
    public var stringValue: String?

    public init(
        name: String, isFunctionLike: Bool, line: Int, condition: PreprocessorCondition,
        bodyMentions: Set<String>, stringValue: String? = nil, uses: [MacroUse] = []
    ) {
        self.name = name
        self.isFunctionLike = isFunctionLike
        self.line = line
        self.condition = condition
        self.bodyMentions = bodyMentions
        self.stringValue = stringValue
        self.uses = uses
    }
}

/// A `struct TAG { ... }` definition with its member names (nested anonymous members flattened).
public struct StructDefinition: Hashable, Sendable {
    public var tag: String
    public var members: [String]
    public var line: Int
    public var condition: PreprocessorCondition

    public init(tag: String, members: [String], line: Int, condition: PreprocessorCondition) {
        self.tag = tag
        self.members = members
        self.line = line
        self.condition = condition
    }
}

public struct CSourceDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    /// A cap of the scanner cut the file short (nesting, length, time): the facts may be
    /// incomplete, so the fact layer reports these; ordinary syntax oddities it does not.
    public var isLimit: Bool

    public init(line: Int, message: String, isLimit: Bool = false) {
        self.line = line
        self.message = message
        self.isLimit = isLimit
    }

    public var description: String { "\(line): \(message)" }
}

/// Everything modcheck extracts from one C file, header or assembly file.
public struct SourceFacts: Hashable, Sendable {
    public var path: String
    public var definitions: [SymbolDefinition] = []
    public var declarations: [SymbolDeclaration] = []
    public var exports: [ExportedSymbol] = []
    public var references: [SymbolReference] = []
    public var invocations: [MacroInvocation] = []
    public var initializers: [StructInitializer] = []
    public var functions: [FunctionFacts] = []
    public var macros: [MacroDefinition] = []
    public var structs: [StructDefinition] = []
    public var includes: [String] = []
    /// The condition of each `#include` that sits under one (`#ifdef CONFIG_MFD_SM501` /
    /// `#include "ohci-sm501.c"`), by included name.
    public var includeConditions: [String: PreprocessorCondition] = [:]
    public var diagnostics: [CSourceDiagnostic] = []
    /// The scan hit its time limit: what is here is only the start of the file, and depends on
    /// the machine's speed, so it must not be cached.
    public var timedOut = false

    public init(path: String) { self.path = path }

    public static func empty(path: String) -> SourceFacts { SourceFacts(path: path) }
}

/// How much to extract: `.symbols` (definitions, exports, macros, structs: every file of a tree)
/// or `.full` (also references, invocations, initializers, function bodies: the scoped files).
public enum ScanDepth: Hashable, Sendable { case symbols, full }

extension SourceFacts {
    /// The same facts with every line number set to 0: what an edit that only moves code (a
    /// comment, a blank line, a function body that calls nothing new) leaves unchanged. Two
    /// versions of a file equal this way differ only in where things are, never in what a rule
    /// reads (rules compare lines only to order them, which moving code does not change).
    /// A line-bearing field missed here only makes such versions compare unequal.
    public var withoutPositions: SourceFacts {
        var f = self
        for i in f.definitions.indices { f.definitions[i].line = 0 }
        for i in f.declarations.indices { f.declarations[i].line = 0 }
        for i in f.exports.indices { f.exports[i].line = 0 }
        for i in f.references.indices { f.references[i].line = 0 }
        for i in f.invocations.indices { f.invocations[i].line = 0 }
        for i in f.initializers.indices {
            f.initializers[i].line = 0
            for j in f.initializers[i].fields.indices { f.initializers[i].fields[j].line = 0 }
        }
        for i in f.functions.indices {
            f.functions[i].line = 0
            f.functions[i].endLine = 0
            for j in f.functions[i].calls.indices { f.functions[i].calls[j].line = 0 }
        }
        for i in f.macros.indices { f.macros[i].line = 0 }
        for i in f.structs.indices { f.structs[i].line = 0 }
        for i in f.diagnostics.indices { f.diagnostics[i].line = 0 }
        return f
    }
}
