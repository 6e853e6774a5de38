import Facts
import Model

/// Findings and a rule's per-unit results in the cache's binary form (ByteWriter), for the
/// checks of a whole tree kept in the cache (Workflows/KeptChecks.swift).
extension Finding {
    public func encode(_ w: inout ByteWriter) {
        w.string(rule)
        w.string(severity.rawValue)
        w.optionalString(file)
        w.bool(line != nil)
        if let line { w.int(line) }
        w.optionalString(symbol)
        w.optionalString(module)
        w.optionalString(config)
        w.string(message)
        w.optionalString(commit)
        w.optionalString(patch)
        w.optionalString(messageId)
        w.optionalString(fixedBy)
        w.optionalString(fixedByMessageId)
        w.bool(partial)
        w.bool(eventFlag)
        w.bool(supersedes != nil)
        if let s = supersedes {
            w.string(s.rule)
            w.string(s.severity.rawValue)
            w.optionalString(s.module)
            w.optionalString(s.symbol)
            w.optionalString(s.file)
        }
    }

    public static func decode(_ r: inout ByteReader) throws -> Finding {
        let rule = try r.string()
        guard let severity = Severity(rawValue: try r.string()) else { throw ByteDecodingError() }
        let file = try r.optionalString()
        let line = try r.bool() ? try r.int() : nil
        var f = Finding(
            rule: rule, severity: severity, file: file, line: line, symbol: try r.optionalString(),
            module: try r.optionalString(), config: try r.optionalString(), message: try r.string())
        f.commit = try r.optionalString()
        f.patch = try r.optionalString()
        f.messageId = try r.optionalString()
        f.fixedBy = try r.optionalString()
        f.fixedByMessageId = try r.optionalString()
        f.partial = try r.bool()
        f.eventFlag = try r.bool()
        if try r.bool() {
            let rule = try r.string()
            guard let severity = Severity(rawValue: try r.string()) else { throw ByteDecodingError() }
            f.supersedes = FindingIdentity(
                rule: rule, severity: severity, module: try r.optionalString(), symbol: try r.optionalString(),
                file: try r.optionalString())
        }
        return f
    }
}

extension RuleEngine {
    /// Writes the per-unit results the rules kept on `model` (see `KernelModel.keep`) and the
    /// model's reverse search answers; false,
    /// with nothing useful written, when there are more than `limit` names in them (a scope of
    /// thousands of units: reading them back would cost more than it saves).
    public func encodeKeptResults(of model: KernelModel, _ w: inout ByteWriter, limit: Int) -> Bool {
        let kept = model.keptEntries().compactMapValues { $0 as? BuiltinUsesModularChecker.Kept }
        guard kept.values.reduce(0, { $0 + $1.names.count + ($1.only?.count ?? 0) }) <= limit else { return false }
        w.map(kept) { kept, w in
            w.list(kept.findings) { $0.encode(&$1) }
            w.strings(Array(kept.names))
            w.bool(kept.only != nil)
            if let only = kept.only { w.strings(Array(only)) }
        }
        w.list(model.reverseAnswers()) { answer, w in
            w.strings(answer.names.sorted())
            w.strings(answer.sources)
        }
        return true
    }

    /// Reads per-unit results written by `encodeKeptResults` and puts them on `model`.
    public func restoreKeptResults(_ r: inout ByteReader, into model: KernelModel) throws {
        let kept = try r.map { r in
            BuiltinUsesModularChecker.Kept(
                findings: try r.list { try Finding.decode(&$0) }, names: Set(try r.strings()),
                only: try r.bool() ? Set(try r.strings()) : nil)
        }
        let reverse = try r.list { r in (names: Set(try r.strings()), sources: try r.strings()) }
        guard r.isAtEnd else { throw ByteDecodingError() }
        model.restoreKeptEntries(kept.map { ($0.key, $0.value as Any) })
        model.restoreReverseAnswers(reverse)
    }

    /// How many per-unit results the rules kept on `model`.
    public func keptResultCount(of model: KernelModel) -> Int {
        model.keptEntries().values.filter { $0 is BuiltinUsesModularChecker.Kept }.count
    }
}
