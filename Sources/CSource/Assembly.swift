/// Assembly files carry exports and global entry points too (arch/*/lib/*.S): they go through the
/// C preprocessor, so `#if`/`#define` and C comments apply, but the rest is not C.
extension FileScanner {
    /// Entry-point macros that make their argument a global function symbol.
    static let assemblyEntries: Set<String> = [
        "ENTRY", "SYM_FUNC_START", "SYM_CODE_START", "GLOBAL", "SYM_FUNC_START_PI", "SYM_FUNC_START_WEAK",
        "SYM_FUNC_START_WEAK_PI", "SYM_FUNC_START_ALIAS", "SYM_DATA_START", "SYM_ENTRY", "WEAK",
        "SYM_INNER_LABEL",
    ]

    mutating func runAssembly() {
        let p = lx.p
        let count = lx.count
        while lx.pos < count {
            if lx.tick() { break }
            // At a line start: blanks, then a directive, a comment or a macro use.
            while lx.pos < count && (p[lx.pos] == 0x20 || p[lx.pos] == 0x09) { lx.pos += 1 }
            guard lx.pos < count else { break }
            let b = p[lx.pos]
            if b == 0x23 {
                let start = lx.pos
                let line = lx.line
                lx.skipDirective()
                directive(
                    Token(
                        kind: .directive, start: start, end: lx.pos, line: line, punct: 0, newlineBefore: true
                    ))
            } else if ByteClass.isIdentStart(b) && !dead {
                assemblyMacro()
            }
            restOfAssemblyLine()
        }
        if !frames.isEmpty {
            facts.diagnostics.append(
                CSourceDiagnostic(
                    line: lx.line, message: "\(frames.count) unterminated #if block(s) at end of file"))
        }
        facts.diagnostics += lx.diagnostics
    }

    /// `NAME(arg, ...)`: exports and entry points; anything else is an instruction or a label.
    mutating func assemblyMacro() {
        let p = lx.p
        let count = lx.count
        let start = lx.pos
        while lx.pos < count && lx.identBody[Int(p[lx.pos])] != 0 { lx.pos += 1 }
        let nameEnd = lx.pos
        while lx.pos < count && (p[lx.pos] == 0x20 || p[lx.pos] == 0x09) { lx.pos += 1 }
        guard lx.pos < count, p[lx.pos] == 0x28, nameEnd - start >= 4 else { return }
        let first = p[start]
        // Only EXPORT_*, SYM_*, ENTRY, GLOBAL, WEAK are interesting: check before making a String.
        guard first == 0x45 || first == 0x53 || first == 0x47 || first == 0x57 else { return }
        let name = String(
            decoding: UnsafeRawBufferPointer(start: p + start, count: nameEnd - start), as: UTF8.self)
        lx.pos += 1
        var args: [String] = []
        var argStart = lx.pos
        while lx.pos < count && p[lx.pos] != 0x0a {
            let c = p[lx.pos]
            if c == 0x2c || c == 0x29 {
                args.append(
                    String(
                        decoding: UnsafeRawBufferPointer(start: p + argStart, count: lx.pos - argStart),
                        as: UTF8.self
                    )
                    .trimmingCharacters(in: " \t"))
                argStart = lx.pos + 1
                if c == 0x29 { break }
            }
            lx.pos += 1
        }
        guard let symbol = args.first, FileScanner.isIdentifier(symbol) else { return }
        if let (flavour, exported) = exportFlavour(name, args) {
            facts.exports.append(
                ExportedSymbol(name: exported, flavour: flavour, line: lx.line, condition: condition))
        } else if FileScanner.assemblyEntries.contains(name) {
            facts.definitions.append(
                SymbolDefinition(
                    name: symbol, kind: .function, storage: .global, line: lx.line, condition: condition))
        }
    }

    /// Skips to the next line start; a block comment that starts here may end lines later.
    mutating func restOfAssemblyLine() {
        let p = lx.p
        let count = lx.count
        while lx.pos < count {
            let c = p[lx.pos]
            if c == 0x0a {
                lx.pos += 1
                lx.line += 1
                return
            }
            if c == 0x2f && lx.byte(lx.pos + 1) == 0x2a {
                lx.skipBlockComment()
                continue
            }
            lx.pos += 1
        }
    }
}
