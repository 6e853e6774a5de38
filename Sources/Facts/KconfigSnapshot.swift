import Foundation
import Git
import Kconfig

/// A parsed Kconfig tree kept in the cache (a snapshot, ModelSnapshots.swift): a whole-tree model
/// of a tree whose Kconfig files are those of a tree parsed before reads the tree back instead of
/// reading and parsing 1,600 files. Keyed by every `Kconfig*` file of the tree (path and blob),
/// the architectures, the top Makefile (the version semantics) and the modcheck binary; the
/// snapshot also names every file the parse read with its blob, and is used only while each is
/// unchanged (a `source` of a file named otherwise).
extension FactCache {
    static let kconfigTreeVersion = 2

    public static func kconfigTreeKey(tree blobs: PathMap, architectures: [String]) -> ObjectID? {
        var text = "kconfig tree v\(kconfigTreeVersion) \(binaryIdentity)\n"
        text += "architectures \(architectures.joined(separator: " "))\n"
        text += "makefile \(blobs["Makefile"]?.hex ?? "-")\n"
        var files: [(String, ObjectID)] = []
        for (path, blob) in blobs where KernelFileKind(path: path) == .kconfig { files.append((path, blob)) }
        for (path, blob) in files.sorted(by: { $0.0 < $1.0 }) { text += "\(blob.hex) \(path)\n" }
        return try? Repository.blobHash(Array(text.utf8))
    }

    func kconfigTreeName(_ key: ObjectID) -> String { "kconfig-\(key.hex).tree" }

    /// The evaluator's symbol graph of the tree kept under `key` (KconfigEvaluator.graphBytes).
    public static func kconfigGraphName(_ key: ObjectID) -> String { "kconfig-\(key.hex).graph" }

    /// Whether a Kconfig tree snapshot is kept under `key` (not whether it still holds).
    public func hasKconfigTree(_ key: ObjectID) -> Bool {
        !FactCache.rebuild && FileManager.default.fileExists(atPath: snapshotPath(kconfigTreeName(key)))
    }

    /// The tree kept under `key` and the files its parse read, when each of those files still
    /// has its blob in `blobs`; nil otherwise (a damaged snapshot is noted and removed).
    public func kconfigTree(_ key: ObjectID, blobs: PathMap) -> (tree: KconfigTree, files: [String: ObjectID])? {
        guard !FactCache.rebuild,
            let decoded = snapshot(
                kconfigTreeName(key), unreadable: "Kconfig tree snapshot",
                { payload in
                    payload.withUnsafeBytes { raw -> (KconfigTree, [String: ObjectID])? in
                        var r = ByteReader(raw)
                        return try? KconfigCoding.decode(&r)
                    }
                })
        else { return nil }
        guard decoded.1.allSatisfy({ blobs[$0.key] == $0.value }) else { return nil }
        return decoded
    }

    public func storeKconfigTree(_ tree: KconfigTree, files: [String: ObjectID], key: ObjectID) {
        var w = ByteWriter()
        KconfigCoding.encode(tree, files: files, &w)
        storeSnapshot(kconfigTreeName(key), w.bytes)
    }
}

enum KconfigCoding {
    static func encode(_ t: KconfigTree, files: [String: ObjectID], _ w: inout ByteWriter) {
        w.map(files) { $1.string($0.hex) }
        // By name (a symbol's key is its name).
        w.map(t.symbols) { symbol, w in w.list(symbol.definitions) { definition($0, &$1) } }
        w.strings(t.files)
        w.list(t.diagnostics) { d, w in
            w.string(d.file)
            w.int(d.line)
            w.string(d.message)
        }
        edges(t.selectedBy, &w)
        edges(t.impliedBy, &w)
        w.bool(t.isArchitectureUnion)
        w.map(t.fileContext) { v, w in w.list(v) { expression($0, &$1) } }
        w.map(t.fileVisibility) { v, w in w.list(v) { expression($0, &$1) } }
        w.map(t.fileArchitecture) { $1.string($0) }
        w.map(t.choiceDefaults) { v, w in w.list(v) { conditional($0, &$1) } }
        w.bool(t.semantics.implyBeforeV57)
        w.map(t.sourcedFiles) { $1.strings($0) }
    }

    static func decode(_ r: inout ByteReader) throws -> (KconfigTree, [String: ObjectID]) {
        let files = try r.map { r in
            guard let id = ObjectID(hex: try r.string()) else { throw ByteDecodingError() }
            return id
        }
        var symbols: [String: KconfigSymbol] = [:]
        for (name, definitions) in try r.map({ r in try r.list { try definition(&$0) } }) {
            symbols[name] = KconfigSymbol(restoring: name, definitions: definitions)
        }
        let sourceFiles = try r.strings()
        let diagnostics = try r.list { r in
            KconfigDiagnostic(restoring: try r.string(), line: try r.int(), message: try r.string())
        }
        let selectedBy = try edges(&r)
        let impliedBy = try edges(&r)
        let union = try r.bool()
        let context = try r.map { r in try r.list { try expression(&$0) } }
        let visibility = try r.map { r in try r.list { try expression(&$0) } }
        let architecture = try r.map { try $0.string() }
        let choiceDefaults = try r.map { r in try r.list { try conditional(&$0) } }
        let semantics = KconfigSemantics(implyBeforeV57: try r.bool())
        let sourced = try r.map { try $0.strings() }
        guard r.isAtEnd else { throw ByteDecodingError() }
        let tree = KconfigTree(
            restoring: symbols, files: sourceFiles, diagnostics: diagnostics, selectedBy: selectedBy,
            impliedBy: impliedBy, isArchitectureUnion: union, fileContext: context, fileVisibility: visibility,
            fileArchitecture: architecture, choiceDefaults: choiceDefaults, semantics: semantics, sourcedFiles: sourced)
        return (tree, files)
    }

    static func expression(_ e: KconfigExpression, _ w: inout ByteWriter) {
        switch e {
        case .symbol(let s):
            w.int(0)
            w.string(s)
        case .constant(let c):
            w.int(1)
            w.string(c)
        case .not(let a):
            w.int(2)
            expression(a, &w)
        case .and(let a, let b):
            w.int(3)
            expression(a, &w)
            expression(b, &w)
        case .or(let a, let b):
            w.int(4)
            expression(a, &w)
            expression(b, &w)
        case .compare(let op, let a, let b):
            w.int(5)
            w.string(op.rawValue)
            expression(a, &w)
            expression(b, &w)
        }
    }

    static func expression(_ r: inout ByteReader) throws -> KconfigExpression {
        switch try r.int() {
        case 0: return .symbol(try r.string())
        case 1: return .constant(try r.string())
        case 2: return .not(try expression(&r))
        case 3: return .and(try expression(&r), try expression(&r))
        case 4: return .or(try expression(&r), try expression(&r))
        case 5:
            guard let op = KconfigComparison(rawValue: try r.string()) else { throw ByteDecodingError() }
            return .compare(op, try expression(&r), try expression(&r))
        default: throw ByteDecodingError()
        }
    }

    static func optionalExpression(_ e: KconfigExpression?, _ w: inout ByteWriter) {
        w.bool(e != nil)
        if let e { expression(e, &w) }
    }

    static func optionalExpression(_ r: inout ByteReader) throws -> KconfigExpression? {
        try r.bool() ? try expression(&r) : nil
    }

    static func conditional(_ c: ConditionalValue, _ w: inout ByteWriter) {
        expression(c.value, &w)
        optionalExpression(c.condition, &w)
    }

    static func conditional(_ r: inout ByteReader) throws -> ConditionalValue {
        ConditionalValue(value: try expression(&r), condition: try optionalExpression(&r))
    }

    static func edges(_ map: [String: [(selector: String, condition: KconfigExpression?)]], _ w: inout ByteWriter) {
        w.map(map) { list, w in
            w.list(list) { edge, w in
                w.string(edge.selector)
                optionalExpression(edge.condition, &w)
            }
        }
    }

    static func edges(_ r: inout ByteReader) throws -> [String: [(selector: String, condition: KconfigExpression?)]] {
        try r.map { r in try r.list { r in (selector: try r.string(), condition: try optionalExpression(&r)) } }
    }

    static func definition(_ d: KconfigDefinition, _ w: inout ByteWriter) {
        w.string(d.location.file)
        w.int(d.location.line)
        w.string(d.type.rawValue)
        w.optionalString(d.prompt)
        optionalExpression(d.promptCondition, &w)
        optionalExpression(d.ownDependency, &w)
        optionalExpression(d.dependency, &w)
        w.list(d.defaults) { conditional($0, &$1) }
        w.list(d.selects) { conditional($0, &$1) }
        w.list(d.implies) { conditional($0, &$1) }
        w.optionalString(d.help)
        w.list(d.ranges) { range, w in
            expression(range.low, &w)
            expression(range.high, &w)
            optionalExpression(range.condition, &w)
        }
        w.strings(d.options)
        w.bool(d.inChoice)
        w.optionalString(d.choice)
        w.optionalString(d.architecture)
        w.bool(d.isMenuconfig)
    }

    static func definition(_ r: inout ByteReader) throws -> KconfigDefinition {
        let location = SourceLocation(file: try r.string(), line: try r.int())
        guard let type = KconfigType(rawValue: try r.string()) else { throw ByteDecodingError() }
        return KconfigDefinition(
            restoring: location, type: type, prompt: try r.optionalString(), promptCondition: try optionalExpression(&r),
            ownDependency: try optionalExpression(&r), dependency: try optionalExpression(&r),
            defaults: try r.list { try conditional(&$0) }, selects: try r.list { try conditional(&$0) },
            implies: try r.list { try conditional(&$0) }, help: try r.optionalString(),
            ranges: try r.list { r in
                KconfigRange(low: try expression(&r), high: try expression(&r), condition: try optionalExpression(&r))
            },
            options: try r.strings(), inChoice: try r.bool(), choice: try r.optionalString(),
            architecture: try r.optionalString(), isMenuconfig: try r.bool())
    }
}
