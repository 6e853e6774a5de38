import CSource
import Git

/// Binary encoding of SourceFacts for the fact cache (see ByteCoding.swift).
public enum FactCodec {
    public static func encode(_ f: SourceFacts) -> [UInt8] {
        var w = ByteWriter()
        w.int(f.definitions.count)
        for d in f.definitions {
            w.string(d.name)
            w.int(kindCode(d.kind))
            w.int(storageCode(d.storage))
            w.int(d.line)
            condition(d.condition, &w)
        }
        w.int(f.declarations.count)
        for d in f.declarations {
            w.string(d.name)
            w.int(kindCode(d.kind))
            w.int(d.line)
        }
        w.int(f.exports.count)
        for e in f.exports {
            w.string(e.name)
            flavour(e.flavour, &w)
            w.int(e.line)
            condition(e.condition, &w)
        }
        w.int(f.references.count)
        for r in f.references {
            w.string(r.name)
            w.int(r.line)
            w.int(r.kind == .call ? 0 : 1)
            condition(r.condition, &w)
            w.optionalString(r.function)
        }
        w.int(f.invocations.count)
        for i in f.invocations {
            w.string(i.name)
            w.strings(i.arguments)
            w.int(i.line)
            condition(i.condition, &w)
            w.optionalString(i.function)
        }
        w.int(f.initializers.count)
        for s in f.initializers {
            w.string(s.structType)
            w.string(s.variable)
            w.bool(s.isArray)
            w.bool(s.isStatic)
            w.bool(s.isConst)
            w.int(s.fields.count)
            for field in s.fields {
                w.string(field.path)
                w.string(field.value)
                w.int(field.line)
            }
            w.int(s.line)
            condition(s.condition, &w)
        }
        w.int(f.functions.count)
        for fn in f.functions {
            w.string(fn.name)
            w.int(storageCode(fn.storage))
            w.int(fn.line)
            w.int(fn.endLine)
            condition(fn.condition, &w)
            w.strings(fn.callees)
            w.int(fn.calls.count)
            for c in fn.calls {
                w.string(c.callee)
                w.strings(c.arguments)
                w.int(c.line)
                condition(c.condition, &w)
            }
            let members = fn.assignsMembers.sorted { $0.key < $1.key }
            w.int(members.count)
            for (k, v) in members {
                w.string(k)
                w.string(v)
            }
        }
        w.int(f.macros.count)
        for m in f.macros {
            w.string(m.name)
            w.bool(m.isFunctionLike)
            w.int(m.line)
            condition(m.condition, &w)
            w.strings(m.bodyMentions.sorted())
            w.optionalString(m.stringValue)
            w.list(m.uses) { macroUse($0, &$1) }
        }
        w.int(f.structs.count)
        for s in f.structs {
            w.string(s.tag)
            w.strings(s.members)
            w.int(s.line)
            condition(s.condition, &w)
        }
        w.strings(f.includes)
        let conditional = f.includeConditions.sorted { $0.key < $1.key }
        w.int(conditional.count)
        for (name, c) in conditional {
            w.string(name)
            condition(c, &w)
        }
        w.int(f.diagnostics.count)
        for d in f.diagnostics {
            w.int(d.line)
            w.string(d.message)
            w.int(d.isLimit ? 1 : 0)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> SourceFacts {
        try bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            var f = SourceFacts.empty(path: path)
            f.definitions = try r.list(definition)
            f.declarations = try r.list(declaration)
            f.exports = try r.list(export)
            f.references = try r.list(reference)
            f.invocations = try r.list {
                MacroInvocation(
                    name: try $0.string(), arguments: try $0.strings(), line: try $0.int(),
                    condition: try condition(&$0),
                    function: try $0.optionalString())
            }
            f.initializers = try r.list { r in
                let type = try r.string()
                let variable = try r.string()
                let isArray = try r.bool()
                let isStatic = try r.bool()
                let isConst = try r.bool()
                let fields = try r.list {
                    DesignatedField(path: try $0.string(), value: try $0.string(), line: try $0.int())
                }
                return StructInitializer(
                    structType: type, variable: variable, isArray: isArray, isStatic: isStatic,
                    isConst: isConst, fields: fields,
                    line: try r.int(), condition: try condition(&r))
            }
            f.functions = try r.list { r in
                let name = try r.string()
                let storage = try storage(&r)
                let line = try r.int()
                let endLine = try r.int()
                let cond = try condition(&r)
                let callees = try r.strings()
                let calls = try r.list {
                    FunctionCall(
                        callee: try $0.string(), arguments: try $0.strings(), line: try $0.int(),
                        condition: try condition(&$0))
                }
                var members: [String: String] = [:]
                for _ in 0..<(try count(&r)) { members[try r.string()] = try r.string() }
                return FunctionFacts(
                    name: name, storage: storage, line: line, endLine: endLine, condition: cond,
                    callees: callees, calls: calls,
                    assignsMembers: members)
            }
            f.macros = try r.list {
                MacroDefinition(
                    name: try $0.string(), isFunctionLike: try $0.bool(), line: try $0.int(),
                    condition: try condition(&$0),
                    bodyMentions: Set(try $0.strings()),
                    stringValue: try $0.optionalString(),
                    uses: try $0.list { try macroUse(&$0) })
            }
            f.structs = try r.list {
                StructDefinition(
                    tag: try $0.string(), members: try $0.strings(), line: try $0.int(),
                    condition: try condition(&$0))
            }
            f.includes = try r.strings()
            for _ in 0..<(try count(&r)) { f.includeConditions[try r.string()] = try condition(&r) }
            f.diagnostics = try r.list {
                CSourceDiagnostic(line: try $0.int(), message: try $0.string(), isLimit: try $0.int() != 0)
            }
            guard r.isAtEnd else { throw ByteDecodingError() }
            return f
        }
    }

    /// The names a full record's references name, read without the rest of the record (what a
    /// reverse search asks of thousands of files outside the scope: their functions, calls and
    /// macros are never decoded, and nothing of them is kept).
    public static func referenceNames(_ bytes: [UInt8]) throws -> Set<String> {
        try bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            // What precedes the references is read, not kept (later strings may refer back to
            // it through the reader's string table).
            _ = try r.list(definition)
            _ = try r.list(declaration)
            _ = try r.list(export)
            return Set(try r.list(reference).map(\.name))
        }
    }

    // The record's first sections, one element each (shared by `decode` and `referenceNames`).

    static func definition(_ r: inout ByteReader) throws -> SymbolDefinition {
        SymbolDefinition(
            name: try r.string(), kind: try kind(&r), storage: try storage(&r), line: try r.int(),
            condition: try condition(&r))
    }

    static func declaration(_ r: inout ByteReader) throws -> SymbolDeclaration {
        SymbolDeclaration(name: try r.string(), kind: try kind(&r), line: try r.int())
    }

    static func export(_ r: inout ByteReader) throws -> ExportedSymbol {
        ExportedSymbol(name: try r.string(), flavour: try flavour(&r), line: try r.int(), condition: try condition(&r))
    }

    static func reference(_ r: inout ByteReader) throws -> SymbolReference {
        SymbolReference(
            name: try r.string(), line: try r.int(), kind: try r.int() == 0 ? .call : .addressTaken,
            condition: try condition(&r), function: try r.optionalString())
    }

    static func count(_ r: inout ByteReader) throws -> Int {
        let n = try r.int()
        guard n >= 0, n < 10_000_000 else { throw ByteDecodingError() }
        return n
    }


    static func kindCode(_ k: SymbolKind) -> Int {
        switch k {
        case .function: 0
        case .variable: 1
        case .enumerator: 2
        }
    }

    static func kind(_ r: inout ByteReader) throws -> SymbolKind {
        switch try r.int() {
        case 0: .function
        case 1: .variable
        case 2: .enumerator
        default: throw ByteDecodingError()
        }
    }

    static func storageCode(_ s: StorageClass) -> Int {
        switch s {
        case .global: 0
        case .staticLinkage: 1
        case .staticInline: 2
        case .externInline: 3
        }
    }

    static func storage(_ r: inout ByteReader) throws -> StorageClass {
        switch try r.int() {
        case 0: .global
        case 1: .staticLinkage
        case 2: .staticInline
        case 3: .externInline
        default: throw ByteDecodingError()
        }
    }

    public static func flavour(_ f: ExportFlavour, _ w: inout ByteWriter) {
        switch f {
        case .plain: w.int(0)
        case .gpl: w.int(1)
        case .ns(let ns):
            w.int(2)
            w.string(ns)
        case .nsGpl(let ns):
            w.int(3)
            w.string(ns)
        }
    }

    public static func flavour(_ r: inout ByteReader) throws -> ExportFlavour {
        switch try r.int() {
        case 0: return .plain
        case 1: return .gpl
        case 2: return .ns(try r.string())
        case 3: return .nsGpl(try r.string())
        default: throw ByteDecodingError()
        }
    }

    /// An invocation a macro's body makes: the macro, then each argument's pieces.
    public static func macroUse(_ u: MacroUse, _ w: inout ByteWriter) {
        w.string(u.macro)
        w.list(u.arguments) { a, w in
            w.list(a) { piece, w in
                switch piece {
                case .text(let t):
                    w.int(0)
                    w.string(t)
                case .parameter(let p):
                    w.int(1)
                    w.int(p)
                }
            }
        }
    }

    public static func macroUse(_ r: inout ByteReader) throws -> MacroUse {
        MacroUse(
            macro: try r.string(),
            arguments: try r.list { r in
                try r.list { r -> MacroArgumentPiece in
                    switch try r.int() {
                    case 0: return .text(try r.string())
                    case 1: return .parameter(try r.int())
                    default: throw ByteDecodingError()
                    }
                }
            })
    }

    public static func condition(_ c: PreprocessorCondition, _ w: inout ByteWriter) {
        switch c {
        case .always: w.int(0)
        case .never: w.int(1)
        case .config(let name, let test):
            w.int(2)
            w.string(name)
            w.int(testCode(test))
        case .not(let inner):
            w.int(3)
            condition(inner, &w)
        case .and(let parts):
            w.int(4)
            w.int(parts.count)
            for p in parts { condition(p, &w) }
        case .or(let parts):
            w.int(5)
            w.int(parts.count)
            for p in parts { condition(p, &w) }
        case .opaque(let text):
            w.int(6)
            w.string(text)
        }
    }

    public static func condition(_ r: inout ByteReader) throws -> PreprocessorCondition {
        switch try r.int() {
        case 0: return .always
        case 1: return .never
        case 2: return .config(try r.string(), try test(try r.int()))
        case 3: return .not(try condition(&r))
        case 4: return .and(try r.list { try condition(&$0) })
        case 5: return .or(try r.list { try condition(&$0) })
        case 6: return .opaque(try r.string())
        default: throw ByteDecodingError()
        }
    }

    static func testCode(_ t: ConfigTest) -> Int {
        switch t {
        case .defined: 0
        case .enabled: 1
        case .builtin: 2
        case .module: 3
        case .reachable: 4
        }
    }

    static func test(_ code: Int) throws -> ConfigTest {
        switch code {
        case 0: return .defined
        case 1: return .enabled
        case 2: return .builtin
        case 3: return .module
        case 4: return .reachable
        default: throw ByteDecodingError()
        }
    }
}

extension SourceFacts {
    /// The same facts seen at another path (the same blob can sit at several paths).
    func relocated(to newPath: String) -> SourceFacts {
        if path == newPath { return self }
        var copy = self
        copy.path = newPath
        return copy
    }
}
