import Dispatch

/// Extracts module-ability facts from one C file, header or assembly file.
public enum CSourceScanner {
    /// Bump whenever what the scanner extracts changes: cached facts of older versions are ignored.
    public static let version = 22

    /// Calls whose arguments rules need (register/unregister pairs, module reference counting).
    public static let defaultWatchedCalls: Set<String> = [
        "try_module_get", "module_put", "__module_get", "bus_set_iommu", "iommu_device_register",
        "iommu_device_unregister",
        "iommu_device_sysfs_add", "iommu_device_sysfs_remove", "iommu_device_set_ops",
        "iommu_device_set_fwnode",
        "platform_driver_register", "platform_driver_unregister", "device_link_add", "device_link_del",
        "iommu_device_register_bus", "iommu_device_unregister_bus", "iopf_queue_alloc", "iopf_queue_free",
    ]
    /// Words whose presence in a macro body matters (a helper that sets `->owner = THIS_MODULE`).
    public static let watchedMentions: [String] = ["THIS_MODULE", "owner", "try_module_get", "module_put"]

    /// Brace nesting inside one block beyond which a limit diagnostic is given (once per block).
    static let maxNesting = 256
    /// `#if` nesting kept as conditions; deeper `#if`s are matched but their conditions ignored
    /// (each level would otherwise cost every later directive a longer conjunction).
    static let maxConditionalNesting = 64
    /// `#elif` branches of one `#if` whose conditions are kept; later ones are approximated
    /// (each branch's condition negates all earlier ones).
    static let maxElifBranches = 256
    /// Tokens kept of one block (a function body, an initializer, a struct); the rest of the block is
    /// brace-matched but not read, which bounds memory at about 40 bytes a token.
    static let maxBlockTokens = 1 << 20
    /// File-scope statement length at which the statement is dropped.
    static let maxStatementTokens = 4096

    /// `timeLimit` (seconds): the wall-clock guard for pathological input; a scan past it stops,
    /// keeps what it read, and says so in a limit diagnostic (`SourceFacts.timedOut`).
    public static func scan(
        path: String, bytes: UnsafeRawBufferPointer, depth: ScanDepth,
        watchedCalls: Set<String> = defaultWatchedCalls, timeLimit: Double? = nil
    ) -> SourceFacts {
        var scanner = FileScanner(path: path, bytes: bytes, full: depth == .full, watchedCalls: watchedCalls)
        if let timeLimit {
            scanner.lx.deadline =
                DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, min(timeLimit, 1e9)) * 1e9)
        }
        if path.hasSuffix(".S") {
            scanner.runAssembly()
        } else {
            scanner.run()
        }
        if let line = scanner.lx.expiredAtLine, let timeLimit {
            scanner.facts.timedOut = true
            scanner.facts.diagnostics.append(
                CSourceDiagnostic(
                    line: line,
                    message:
                        "scan stopped after \(seconds(timeLimit)) s (the time limit) at line \(line); the rest of the file is not read",
                    isLimit: true))
        }
        return scanner.facts
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? "\(Int(value))" : "\(value)"
    }

    public static func scan(path: String, text: String, depth: ScanDepth) -> SourceFacts {
        var copy = text
        return copy.withUTF8 { scan(path: path, bytes: UnsafeRawBufferPointer($0), depth: depth) }
    }
}

let cKeywords: Set<String> = [
    "if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__", "__typeof", "alignof",
    "_Alignof",
    "__alignof__", "asm", "__asm__", "__asm", "volatile", "__volatile__", "__attribute__", "__attribute",
    "defined", "do",
    "case", "else", "goto", "__extension__", "_Generic", "_Static_assert", "static_assert", "int", "char",
    "void", "long",
    "short", "unsigned", "signed", "struct", "union", "enum", "const", "static", "inline", "extern",
    "register", "auto",
    "break", "continue", "default", "typedef", "float", "double", "bool", "_Bool",
]

/// Names that look like calls in a declaration but are attributes.
let attributeLike: Set<String> = [
    "__attribute__", "__attribute", "__printf", "__scanf", "__aligned", "__section", "__must_hold",
    "__acquires", "__releases",
    "__alloc_size", "__malloc", "__diagnose_as", "__cond_acquires", "__counted_by", "__nonstring", "__packed",
    "__weak",
    "__deprecated", "__alias", "__visible", "__noreturn", "__used", "__maybe_unused", "__cold", "__hot",
    "__pure",
    "__always_unused", "__ro_after_init", "__initdata", "__init", "__exit", "__refdata", "__assume_aligned",
    "____cacheline_aligned_in_smp", "____cacheline_aligned", "__cacheline_aligned",
    "__cacheline_aligned_in_smp",
    "__randomize_layout", "__iomem", "__user", "__rcu", "__percpu", "__force", "__must_check", "notrace",
    "asmlinkage", "__kprobes", "__sched", "noinline", "__noinline", "__always_inline", "__initconst",
    "__exitdata", "__read_mostly", "__devinit", "__meminit", "__ref", "__nocfi",
]

struct FileScanner {
    var lx: Lexer
    var facts: SourceFacts
    let full: Bool
    let isHeader: Bool
    let watchedCalls: Set<String>

    struct Frame {
        /// The raw tests of the earlier branches (not their compound conditions: an #elif chain
        /// would otherwise grow exponentially).
        var previous: [PreprocessorCondition]
        var current: PreprocessorCondition
        var test: PreprocessorCondition
        var depthAtIf: Int
        var depthAfterFirst: Int?

        init(previous: [PreprocessorCondition], current: PreprocessorCondition, depthAtIf: Int) {
            self.previous = previous
            self.current = current
            self.test = current
            self.depthAtIf = depthAtIf
        }
    }

    var frames: [Frame] = []
    var condition: PreprocessorCondition = .always
    var dead = false
    var depth = 0
    var seenReferences = Set<SymbolReference>()
    /// File-local functions that return false unless a config condition holds (`sev_guest()`:
    /// `#ifdef CONFIG_X ... #else return false; #endif`), by name: a call to one is a config test.
    var predicates: [String: PreprocessorCondition] = [:]
    /// Function-like macros of this file whose body says `static`: `ARM_SMMU_MATCH_DATA(name, ...)`
    /// at file scope then defines a static object called `name`.
    var localDefiningMacros = Set<String>()
    /// The name of a leading `#ifndef NAME` that may be an include guard, until the next directive.
    var pendingGuard: String?
    /// `#if`s nested beyond `maxConditionalNesting`: matched with their `#endif`, conditions ignored.
    var ignoredConditionals = 0

    enum Limit: Hashable { case statement, conditionalNesting, elifChain, expression, braceNesting, blockTokens }
    var reportedLimits = Set<Limit>()

    /// Uses of names by static functions and objects, for `applyLiveness` (`.c` files, full depth).
    let tracksLiveness: Bool
    var staticUses: [StaticUseKey] = []
    var staticUseKeys = Set<StaticUseKey>()
    /// Words of file-scope invocations' arguments (names a macro may paste into others).
    var invocationWords = Set<String>()
    /// The object whose initializer is being read (its designated values' container).
    var currentInitializer: String?

    /// A cap was hit: reported once per file and kind (a file-long run of `{` is one problem, not
    /// millions of diagnostics).
    mutating func limit(_ kind: Limit, line: Int, _ message: String) {
        guard reportedLimits.insert(kind).inserted else { return }
        facts.diagnostics.append(CSourceDiagnostic(line: line, message: message, isLimit: true))
    }

    /// `#if` / `#elif` expression, with its nesting cap reported.
    mutating func directiveCondition(_ rest: UnsafeRawBufferPointer, line: Int) -> PreprocessorCondition {
        let (parsed, tooDeep) = ConditionParser.parseReportingDepth(FileScanner.cleanDirective(rest))
        if tooDeep {
            limit(
                .expression, line: line,
                "#if expression nested deeper than \(ConditionParser.maxDepth); read as unknown")
        }
        return parsed
    }

    init(path: String, bytes: UnsafeRawBufferPointer, full: Bool, watchedCalls: Set<String>) {
        lx = Lexer(bytes)
        facts = SourceFacts(path: path)
        self.full = full
        isHeader = path.hasSuffix(".h")
        self.watchedCalls = watchedCalls
        tracksLiveness = full && path.hasSuffix(".c")
    }

    // MARK: Driving

    mutating func run() {
        var stmt: [Token] = []
        stmt.reserveCapacity(64)
        var parens = 0
        while true {
            let t = lx.next()
            if t.kind == .end { break }
            if t.kind == .directive {
                directive(t)
                continue
            }
            if dead { continue }
            if t.kind == .punct {
                switch t.punct {
                case 0x28:  // (
                    parens += 1
                    stmt.append(t)
                case 0x29:  // )
                    parens = max(0, parens - 1)
                    stmt.append(t)
                case 0x7b where parens == 0:  // {
                    openBrace(stmt)
                    stmt.removeAll(keepingCapacity: true)
                case 0x3b where parens == 0:  // ;
                    if isKnRHead(stmt) {
                        stmt.append(t)
                        continue
                    }
                    declaration(stmt)
                    stmt.removeAll(keepingCapacity: true)
                case 0x7d:  // } with nothing open at file scope
                    if parens == 0 {
                        facts.diagnostics.append(
                            CSourceDiagnostic(line: t.line, message: "unbalanced '}' at file scope"))
                        stmt.removeAll(keepingCapacity: true)
                    } else {
                        stmt.append(t)
                    }
                default:
                    stmt.append(t)
                }
            } else {
                // `subsys_initcall(fn)` is sometimes written without its semicolon.
                if t.newlineBefore && parens == 0 && isBareInvocation(stmt) {
                    declaration(stmt)
                    stmt.removeAll(keepingCapacity: true)
                }
                stmt.append(t)
            }
            // Punctuation counts too: a file-long `((((` or `a, a, a` must not grow one statement
            // without bound.
            if stmt.count > CSourceScanner.maxStatementTokens {
                limit(
                    .statement, line: stmt[0].line,
                    "declaration too long (over \(CSourceScanner.maxStatementTokens) tokens); skipped")
                stmt.removeAll(keepingCapacity: true)
                parens = 0
            }
        }
        // `ACPI_EXPORT_SYMBOL(acpi_walk_resources)` as a file's last line: no semicolon, no next line.
        if isBareInvocation(stmt) { declaration(stmt) }
        if !frames.isEmpty {
            facts.diagnostics.append(
                CSourceDiagnostic(
                    line: lx.line, message: "\(frames.count) unterminated #if block(s) at end of file"))
        }
        facts.diagnostics += lx.diagnostics
        applyLiveness()
        if full && !facts.macros.isEmpty {
            // A macro of this file is expanded by the preprocessor, never resolved by the linker.
            let macroNames = Set(facts.macros.map(\.name))
            facts.references.removeAll { macroNames.contains($0.name) }
        }
        if full && facts.definitions.contains(where: { $0.kind == .enumerator }) {
            // So is an enumerator of this file: the compiler resolves it.
            let constants = Set(facts.definitions.filter { $0.kind == .enumerator }.map(\.name))
            facts.references.removeAll { constants.contains($0.name) }
        }
    }

    mutating func isBareInvocation(_ stmt: [Token]) -> Bool {
        guard stmt.count >= 3, stmt[0].kind == .identifier, stmt[1].isPunct(0x28),
            stmt[stmt.count - 1].isPunct(0x29)
        else { return false }
        let name = lx.text(stmt[0])
        return !name.hasPrefix("__") && !cKeywords.contains(name)
    }

    // MARK: Preprocessor

    mutating func updateCondition() {
        condition = PreprocessorCondition.all(frames.map(\.current))
        dead = condition == .never
    }

    /// Directive words, matched on bytes: most files are mostly `#define` lines.
    enum DirectiveWord {
        case `if`, ifdef, ifndef, elif, elifdef, elifndef, `else`, endif, define, include, other
    }

    static func word(_ w: UnsafeRawBufferPointer) -> DirectiveWord {
        func eq(_ s: StaticString) -> Bool {
            guard w.count == s.utf8CodeUnitCount else { return false }
            for i in 0..<w.count where w[i] != s.utf8Start[i] { return false }
            return true
        }
        switch w.count {
        case 2: return eq("if") ? .if : .other
        case 4: return eq("elif") ? .elif : eq("else") ? .else : .other
        case 5: return eq("ifdef") ? .ifdef : eq("endif") ? .endif : .other
        case 6: return eq("ifndef") ? .ifndef : eq("define") ? .define : .other
        case 7: return eq("include") ? .include : eq("elifdef") ? .elifdef : .other
        case 8: return eq("elifndef") ? .elifndef : .other
        default: return .other
        }
    }

    mutating func directive(_ t: Token) {
        let raw = UnsafeRawBufferPointer(rebasing: lx.bytes[t.start..<t.end])
        var i = 1
        while i < raw.count && (raw[i] == 0x20 || raw[i] == 0x09) { i += 1 }
        let wordStart = i
        while i < raw.count && ByteClass.isIdentBody(raw[i]) { i += 1 }
        let word = FileScanner.word(UnsafeRawBufferPointer(rebasing: raw[wordStart..<i]))
        let rest = UnsafeRawBufferPointer(rebasing: raw[i...])
        let guardName = pendingGuard
        pendingGuard = nil
        if word == .if || word == .ifdef || word == .ifndef,
            frames.count >= CSourceScanner.maxConditionalNesting || ignoredConditionals > 0
        {
            ignoredConditionals += 1
            limit(
                .conditionalNesting, line: t.line,
                "#if nested deeper than \(CSourceScanner.maxConditionalNesting); the conditions inside are ignored")
            return
        }
        if ignoredConditionals > 0 {
            if word == .endif { ignoredConditionals -= 1 }
            if word == .endif || word == .elif || word == .elifdef || word == .elifndef || word == .else {
                return
            }
        }
        switch word {
        case .if:
            frames.append(Frame(previous: [], current: directiveCondition(rest, line: t.line), depthAtIf: depth))
            updateCondition()
        case .ifdef:
            frames.append(
                Frame(
                    previous: [], current: ConditionParser.config(firstWord(rest), .defined), depthAtIf: depth
                ))
            updateCondition()
        case .ifndef:
            let name = firstWord(rest)
            let c = ConditionParser.config(name, .defined)
            if frames.isEmpty && facts.macros.isEmpty && facts.definitions.isEmpty && facts.includes.isEmpty
                && facts.structs.isEmpty
            {
                pendingGuard = name
            }
            frames.append(Frame(previous: [], current: PreprocessorCondition.negation(c), depthAtIf: depth))
            updateCondition()
        case .elif, .elifdef, .elifndef, .else:
            guard var frame = frames.popLast() else {
                facts.diagnostics.append(
                    CSourceDiagnostic(line: t.line, message: "#else or #elif without #if"))
                return
            }
            if frame.depthAfterFirst == nil { frame.depthAfterFirst = depth }
            // Each branch starts from the brace depth at #if (ctags' rule): branches that open a
            // function each (`#ifdef A int f(a) { #else int f(b) { #endif`) count once.
            depth = frame.depthAtIf
            var others: PreprocessorCondition
            if frame.previous.count < CSourceScanner.maxElifBranches {
                frame.previous.append(frame.test)
                others = PreprocessorCondition.all(frame.previous.map(PreprocessorCondition.negation))
            } else {
                // Negating every earlier branch makes a chain quadratic; past the cap, "none of
                // the earlier branches held" is unknown.
                limit(
                    .elifChain, line: t.line,
                    "#elif chain longer than \(CSourceScanner.maxElifBranches) branches; later branches' conditions approximated"
                )
                others = .opaque("#elif branch beyond \(CSourceScanner.maxElifBranches)")
            }
            var branch = PreprocessorCondition.always
            if word == .elif { branch = directiveCondition(rest, line: t.line) }
            if word == .elifdef { branch = ConditionParser.config(firstWord(rest), .defined) }
            if word == .elifndef { branch = .negation(ConditionParser.config(firstWord(rest), .defined)) }
            frame.test = branch
            frame.current = PreprocessorCondition.all([others, branch])
            frames.append(frame)
            updateCondition()
        case .endif:
            guard let frame = frames.popLast() else {
                facts.diagnostics.append(CSourceDiagnostic(line: t.line, message: "#endif without #if"))
                return
            }
            if let first = frame.depthAfterFirst, !FileScanner.lastBranchIsTaken(frame, macros: facts.macros) {
                depth = first
            }
            updateCondition()
        case .define where !dead:
            if let guardName, frames.count == 1, firstWord(rest) == guardName {
                // `#ifndef FOO_H` + `#define FOO_H` first in a header: an include guard, which
                // holds on the first inclusion, the only one that matters for facts.
                frames[0].current = .always
                updateCondition()
            }
            defineDirective(rest, line: t.line)
        case .include where !dead:
            if let name = includeName(rest) {
                facts.includes.append(name)
                if condition != .always {
                    facts.includeConditions[name] = facts.includeConditions[name].map { .or([$0, condition]) } ?? condition
                }
            }
        default:
            break
        }
    }

    /// Branches of one `#if` that leave different brace depths cannot both be read: the first is
    /// (ctags' rule), except after `#ifdef X` for a macro X that is neither a config symbol nor
    /// defined in this file, which the preprocessor takes as undefined: then the `#else` holds
    /// (horizon.c opens a loop under `#ifndef TAILRECURSIONWORKS` and closes it in the `#else`
    /// of an `#ifdef TAILRECURSIONWORKS`).
    static func lastBranchIsTaken(_ frame: Frame, macros: [MacroDefinition]) -> Bool {
        guard frame.previous.count == 1, case .opaque(let text) = frame.previous[0], text.hasPrefix("defined ") else {
            return false
        }
        let name = text.dropFirst(8)
        return !macros.contains { $0.name == name }
    }

    mutating func firstWord(_ rest: UnsafeRawBufferPointer) -> String {
        var i = 0
        while i < rest.count && (rest[i] == 0x20 || rest[i] == 0x09) { i += 1 }
        let start = i
        while i < rest.count && ByteClass.isIdentBody(rest[i]) { i += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: rest[start..<i]), as: UTF8.self)
    }

    mutating func includeName(_ rest: UnsafeRawBufferPointer) -> String? {
        var i = 0
        while i < rest.count && (rest[i] == 0x20 || rest[i] == 0x09) { i += 1 }
        guard i < rest.count, rest[i] == 0x3c || rest[i] == 0x22 else { return nil }
        let close: UInt8 = rest[i] == 0x3c ? 0x3e : 0x22
        i += 1
        let start = i
        while i < rest.count && rest[i] != close && rest[i] != 0x0a { i += 1 }
        guard i > start else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: rest[start..<i]), as: UTF8.self)
    }

    static let mentionBytes: [[UInt8]] = CSourceScanner.watchedMentions.map { Array($0.utf8) }
    /// Bit n set when some watched mention is n bytes long: most identifiers are rejected by length.
    static let mentionLengths: UInt64 = mentionBytes.reduce(0) {
        $0 | ($1.count < 64 ? 1 << UInt64($1.count) : 0)
    }

    mutating func defineDirective(_ rest: UnsafeRawBufferPointer, line: Int) {
        var i = 0
        while i < rest.count && (rest[i] == 0x20 || rest[i] == 0x09) { i += 1 }
        let start = i
        while i < rest.count && ByteClass.isIdentBody(rest[i]) { i += 1 }
        guard i > start else { return }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: rest[start..<i]), as: UTF8.self)
        let functionLike = i < rest.count && rest[i] == 0x28
        let nameEnd = i
        var mentions = Set<String>()
        // Whole identifiers of the body (continuation lines included): `set_owner` is no `owner`.
        let ident = lx.identBody
        let lengths = FileScanner.mentionLengths
        let n = rest.count
        while i < n {
            if ident[Int(rest[i])] == 0 {
                i += 1
                continue
            }
            let wordStart = i
            while i < n && ident[Int(rest[i])] != 0 { i += 1 }
            let length = i - wordStart
            // A name in a macro body is used wherever the macro is: as if at file scope.
            if tracksLiveness {
                recordUse(
                    String(decoding: UnsafeRawBufferPointer(rebasing: rest[wordStart..<i]), as: UTF8.self),
                    user: nil, condition: condition)
            }
            if length == 6 && functionLike && rest[wordStart] == 0x73 && rest[wordStart + 1] == 0x74
                && rest[wordStart + 2] == 0x61 && rest[wordStart + 3] == 0x74 && rest[wordStart + 4] == 0x69
                && rest[wordStart + 5] == 0x63
            {
                localDefiningMacros.insert(name)
            }
            guard length < 64, lengths & (1 << UInt64(length)) != 0 else { continue }
            for (index, word) in FileScanner.mentionBytes.enumerated() where word.count == length {
                var same = true
                for k in 0..<length where rest[wordStart + k] != word[k] {
                    same = false
                    break
                }
                if same { mentions.insert(CSourceScanner.watchedMentions[index]) }
            }
        }
        var uses: [MacroUse] = []
        if functionLike && FileScanner.contains(rest, "EXPORT") {
            uses = FileScanner.macroUses(FileScanner.cleanDirective(rest))
        }
        var definition = MacroDefinition(
            name: name, isFunctionLike: functionLike, line: line, condition: condition,
            bodyMentions: mentions, uses: uses)
        if !functionLike { definition.stringValue = FileScanner.stringLiteral(rest, after: start) }
        // `#else` / `#define sev_enabled false`: without the `#if`'s condition the name is a
        // constant false, so `if (!sev_enabled) return;` tests that condition.
        if !functionLike, condition != .always, FileScanner.isFalseLiteral(rest, after: nameEnd) {
            predicates[name] = PreprocessorCondition.negation(condition)
        }
        facts.macros.append(definition)
    }

    /// Whether a macro body (from `start`) is only `0`, `false` or one of them in parentheses.
    static func isFalseLiteral(_ rest: UnsafeRawBufferPointer, after start: Int) -> Bool {
        var text: [UInt8] = []
        var i = start
        while i < rest.count {
            let b = rest[i]
            if b != 0x20 && b != 0x09 && b != 0x0a && b != 0x0d && b != 0x5c && b != 0x28 && b != 0x29 {
                text.append(b)
                if text.count > 5 { return false }
            }
            i += 1
        }
        return text == Array("0".utf8) || text == Array("false".utf8)
    }

    /// `NAME "text"` (adjacent literals joined): the text, when the body is only string literals.
    static func stringLiteral(_ rest: UnsafeRawBufferPointer, after nameStart: Int) -> String? {
        var i = nameStart
        while i < rest.count && ByteClass.isIdentBody(rest[i]) { i += 1 }
        var out: [UInt8] = []
        var sawLiteral = false
        while i < rest.count {
            let b = rest[i]
            if b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d || b == 0x5c {
                i += 1
                continue
            }
            guard b == 0x22, out.count < 256 else { return nil }
            i += 1
            while i < rest.count && rest[i] != 0x22 && rest[i] != 0x0a {
                if rest[i] == 0x5c && i + 1 < rest.count { i += 1 }
                out.append(rest[i])
                i += 1
            }
            guard i < rest.count, rest[i] == 0x22 else { return nil }
            i += 1
            sawLiteral = true
        }
        return sawLiteral ? String(decoding: out, as: UTF8.self) : nil
    }

    static func contains(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        var i = 0
        while i + n <= bytes.count {
            var same = true
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] {
                same = false
                break
            }
            if same { return true }
            i += 1
        }
        return false
    }

    /// `NAME(p1, p2) BODY` (after `#define`): the invocations in BODY, each argument as text and
    /// parameters (`##` pasting joins them). Bounded: at most 16 uses of 8 arguments.
    static func macroUses(_ text: String) -> [MacroUse] {
        let chars = Array(text.utf8)
        var i = 0
        while i < chars.count && (chars[i] == 0x20 || chars[i] == 0x09) { i += 1 }
        while i < chars.count && ByteClass.isIdentBody(chars[i]) { i += 1 }
        guard i < chars.count, chars[i] == 0x28 else { return [] }
        // Parameters.
        var parameters: [String] = []
        var current = ""
        i += 1
        while i < chars.count && chars[i] != 0x29 {
            let c = chars[i]
            if c == 0x2c {
                parameters.append(current)
                current = ""
            } else if c != 0x20 && c != 0x09 {
                current.append(Character(UnicodeScalar(c)))
            }
            i += 1
        }
        if !current.isEmpty { parameters.append(current) }
        i += 1
        var uses: [MacroUse] = []
        // Body: `IDENT (` ... `)` with its arguments split at top-level commas.
        while i < chars.count, uses.count < 16 {
            guard ByteClass.isIdentStart(chars[i]) else {
                i += 1
                continue
            }
            let start = i
            while i < chars.count && ByteClass.isIdentBody(chars[i]) { i += 1 }
            let name = String(decoding: chars[start..<i], as: UTF8.self)
            var j = i
            while j < chars.count && (chars[j] == 0x20 || chars[j] == 0x09) { j += 1 }
            guard j < chars.count, chars[j] == 0x28 else { continue }
            var level = 0
            var arguments: [[MacroArgumentPiece]] = []
            var argument: [MacroArgumentPiece] = []
            var k = j
            var word = ""
            func flushWord() {
                guard !word.isEmpty else { return }
                if let p = parameters.firstIndex(of: word) {
                    argument.append(.parameter(p))
                } else if case .text(let t)? = argument.last {
                    argument[argument.count - 1] = .text(t + word)
                } else {
                    argument.append(.text(word))
                }
                word = ""
            }
            while k < chars.count {
                let c = chars[k]
                if c == 0x28 {
                    level += 1
                    if level == 1 {
                        k += 1
                        continue
                    }
                }
                if c == 0x29 {
                    level -= 1
                    if level == 0 {
                        flushWord()
                        arguments.append(argument)
                        break
                    }
                }
                if level == 1 && c == 0x2c {
                    flushWord()
                    arguments.append(argument)
                    argument = []
                } else if ByteClass.isIdentBody(c) {
                    word.append(Character(UnicodeScalar(c)))
                } else if c == 0x23 || c == 0x20 || c == 0x09 {
                    // `##` pastes, spaces separate: both only end a word.
                    flushWord()
                } else {
                    flushWord()
                    word.append(Character(UnicodeScalar(c)))
                    flushWord()
                }
                k += 1
            }
            if arguments.count <= 8,
                arguments.contains(where: { $0.contains { if case .parameter = $0 { return true } else { return false } } })
            {
                uses.append(MacroUse(macro: name, arguments: arguments))
            }
            i = j + 1
        }
        return uses
    }

    /// The directive text with comments removed and continuation lines joined.
    static func cleanDirective(_ raw: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        let n = raw.count
        while i < n {
            let b = raw[i]
            if b == 0x5c && i + 1 < n && (raw[i + 1] == 0x0a || raw[i + 1] == 0x0d) {
                i += raw[i + 1] == 0x0d && i + 2 < n && raw[i + 2] == 0x0a ? 3 : 2
                out.append(0x20)
                continue
            }
            if b == 0x2f && i + 1 < n && raw[i + 1] == 0x2a {
                i += 2
                while i + 1 < n && !(raw[i] == 0x2a && raw[i + 1] == 0x2f) { i += 1 }
                i += 2
                out.append(0x20)
                continue
            }
            if b == 0x2f && i + 1 < n && raw[i + 1] == 0x2f { break }
            if b == 0x22 || b == 0x27 {
                // Keep literals verbatim (an include name, a string in a macro body).
                let q = b
                out.append(b)
                i += 1
                while i < n && raw[i] != q && raw[i] != 0x0a {
                    if raw[i] == 0x5c && i + 1 < n {
                        out.append(raw[i])
                        i += 1
                    }
                    out.append(raw[i])
                    i += 1
                }
                if i < n && raw[i] == q { out.append(q) }
                i += 1
                continue
            }
            out.append(b == 0x0d || b == 0x0a || b == 0x09 ? 0x20 : b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: File-scope declarations

    mutating func storage(_ stmt: [Token]) -> StorageClass {
        var isStatic = false
        var isInline = false
        for t in stmt where t.kind == .identifier {
            if lx.equals(t, "static") { isStatic = true }
            if lx.equals(t, "inline") || lx.equals(t, "__inline") || lx.equals(t, "__inline__")
                || lx.equals(t, "__always_inline")
            {
                isInline = true
            }
        }
        if isStatic { return isInline ? .staticInline : .staticLinkage }
        return isInline ? .externInline : .global
    }

    mutating func contains(_ stmt: [Token], _ word: StaticString) -> Bool {
        stmt.contains { $0.kind == .identifier && lx.equals($0, word) }
    }

    /// `IDENT ( ... )` possibly after `static`: a statement-like macro use.
    mutating func invocation(_ stmt: [Token]) -> (name: String, arguments: [String], line: Int)? {
        var i = 0
        if i < stmt.count && stmt[i].kind == .identifier && lx.equals(stmt[i], "static") { i += 1 }
        guard i + 2 < stmt.count || (i + 1 < stmt.count && stmt.count - i >= 3), stmt[i].kind == .identifier,
            stmt[i + 1].isPunct(0x28), stmt[stmt.count - 1].isPunct(0x29)
        else { return nil }
        // The closing paren of the argument list must be the last token.
        var level = 0
        for j in (i + 1)..<stmt.count {
            if stmt[j].isPunct(0x28) { level += 1 }
            if stmt[j].isPunct(0x29) {
                level -= 1
                if level == 0 && j != stmt.count - 1 { return nil }
            }
        }
        let name = lx.text(stmt[i])
        if cKeywords.contains(name) { return nil }
        return (name, arguments(Array(stmt[(i + 2)..<(stmt.count - 1)])), stmt[i].line)
    }

    /// Splits tokens at top-level commas and renders each argument compactly (`ops->owner`).
    mutating func arguments(_ tokens: [Token]) -> [String] {
        var out: [String] = []
        var current: [Token] = []
        var level = 0
        for t in tokens {
            if t.kind == .punct {
                if t.punct == 0x28 || t.punct == 0x5b || t.punct == 0x7b { level += 1 }
                if t.punct == 0x29 || t.punct == 0x5d || t.punct == 0x7d { level -= 1 }
                if t.punct == 0x2c && level == 0 {
                    out.append(render(current))
                    current.removeAll()
                    continue
                }
            }
            current.append(t)
        }
        if !current.isEmpty || !out.isEmpty { out.append(render(current)) }
        return out
    }

    mutating func render(_ tokens: [Token]) -> String {
        var s = ""
        var previousWord = false
        for t in tokens {
            let word = t.kind == .identifier || t.kind == .number
            if word && previousWord { s += " " }
            s += lx.text(t)
            previousWord = word
        }
        return s
    }

    static func isDefiningMacro(_ name: String) -> Bool {
        // `*_HEAD(name)`: LIST_HEAD, HLIST_HEAD, LLIST_HEAD, BLOCKING_NOTIFIER_HEAD... (not
        // INIT_LIST_HEAD(&x), which initialises).
        name.hasPrefix("DEFINE_") || name.hasPrefix("DECLARE_") && !name.hasPrefix("DECLARE_EVENT")
            || name.hasSuffix("_HEAD") && !name.hasPrefix("INIT_")
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, ByteClass.isIdentStart(first) else { return false }
        return s.utf8.allSatisfy(ByteClass.isIdentBody)
    }

    static func mayExport(_ name: String) -> Bool { name.utf8.count >= 6 && name.contains("EXPORT") }

    mutating func exportFlavour(_ name: String, _ args: [String]) -> (ExportFlavour, String)? {
        CSourceScanner.exportFlavour(name, args)
    }

    mutating func declaration(_ stmt: [Token]) {
        guard let first = stmt.first, !dead else { return }
        if first.kind == .identifier && lx.equals(first, "typedef") { return }
        if let inv = invocation(stmt) {
            // `static DEFINE_MUTEX(lock);`, `LIST_HEAD(list);`: a macro that defines its first argument.
            // `static MACRO(name, ...);` can only define a static object, and the kernel's
            // macros of that shape (SIMPLE_DEV_PM_OPS, a file's own LED_DEVICE) take its name first.
            let isStatic = stmt[0].kind == .identifier && lx.equals(stmt[0], "static")
            let local = localDefiningMacros.contains(inv.name)
            if FileScanner.isDefiningMacro(inv.name) || local || isStatic, let first = inv.arguments.first,
                FileScanner.isIdentifier(first), !cKeywords.contains(first)
            {
                let store: StorageClass = isStatic || local ? .staticLinkage : .global
                facts.definitions.append(
                    SymbolDefinition(
                        name: first, kind: .variable, storage: store, line: inv.line, condition: condition))
            }
            if inv.arguments.count == 1 { wrappedPrototypes(stmt) }
            if let (flavour, symbol) = exportFlavour(inv.name, inv.arguments) {
                facts.exports.append(
                    ExportedSymbol(name: symbol, flavour: flavour, line: inv.line, condition: condition))
            }
            // Any invocation naming EXPORT may be an export wrapper (`ACPI_EXPORT_SYMBOL(x)`),
            // which the model resolves through the macro's definition.
            recordInvocationUses(inv.name, arguments: inv.arguments)
            if full || FileScanner.mayExport(inv.name) || inv.name == "MODULE_LICENSE" {
                facts.invocations.append(
                    MacroInvocation(
                        name: inv.name, arguments: inv.arguments, line: inv.line, condition: condition,
                        function: nil))
            }
            return
        }
        let shape = parseDeclaration(stmt, from: 0, to: stmt.count, ends: groupEnds(stmt))
        if shape.notDeclaration || shape.isTypedef { return }
        let store = storage(stmt)
        if full && !shape.isExtern {
            for start in shape.initializers where start < stmt.count {
                initializerValue(Array(stmt[start...]))
                recordUses(stmt[start...], user: nil, conditions: nil)
            }
        }
        var seen = Set<String>()
        for d in shape.declarators {
            let name = lx.text(d.name)
            guard !cKeywords.contains(name), !attributeLike.contains(name), seen.insert(name).inserted else {
                continue
            }
            if d.isFunction {
                // A prototype declares a name other objects may define; a static one does not.
                if !shape.isStatic && d.index > 0 {
                    facts.declarations.append(
                        SymbolDeclaration(name: name, kind: .function, line: d.name.line))
                }
            } else if shape.isExtern {
                facts.declarations.append(SymbolDeclaration(name: name, kind: .variable, line: d.name.line))
            } else {
                facts.definitions.append(
                    SymbolDefinition(
                        name: name, kind: .variable, storage: store, line: d.name.line, condition: condition))
            }
        }
    }

    /// `ACPI_EXTERNAL_RETURN_STATUS(acpi_status acpi_evaluate_object(...))`: a prototype handed
    /// to a macro (which declares it, or defines a stub) still declares the name.
    mutating func wrappedPrototypes(_ stmt: [Token]) {
        guard let open = stmt.firstIndex(where: { $0.isPunct(0x28) }), stmt.count > open + 3 else { return }
        let ends = groupEnds(stmt)
        let close = min(stmt.count, Int(ends[open]))
        let shape = parseDeclaration(stmt, from: open + 1, to: close, ends: ends)
        guard !shape.notDeclaration, !shape.isStatic, !shape.isTypedef else { return }
        for d in shape.declarators where d.isFunction && d.index > open + 1 {
            facts.declarations.append(
                SymbolDeclaration(name: lx.text(d.name), kind: .function, line: d.name.line))
        }
    }

    /// `= foo` or `= &foo` at file scope: the name is used as a value.
    mutating func initializerValue(_ tokens: [Token]) {
        var j = 0
        if j < tokens.count && tokens[j].isPunct(0x26) { j += 1 }
        guard j < tokens.count, tokens[j].kind == .identifier else { return }
        if j + 1 == tokens.count || tokens[j + 1].isPunct(0x2c) {
            reference(lx.text(tokens[j]), line: tokens[j].line, kind: .addressTaken, function: nil)
        }
    }

    mutating func reference(
        _ name: String, line: Int, kind: ReferenceKind, function: String?,
        condition override: PreprocessorCondition? = nil
    ) {
        // kbuild defines KBUILD_MODNAME on the command line and every CONFIG_ in autoconf.h:
        // the preprocessor replaces them.
        if FileScanner.constants.contains(name) || name.hasPrefix("CONFIG_") { return }
        let r = SymbolReference(
            name: name, line: 0, kind: kind, condition: override ?? condition, function: function)
        if seenReferences.insert(r).inserted {
            var withLine = r
            withLine.line = line
            facts.references.append(withLine)
        }
    }

    // MARK: Braces at file scope

    mutating func openBrace(_ stmt: [Token]) {
        let line = stmt.first?.line ?? lx.line
        // `... = {`: an initializer.
        var level = 0
        var equalsAt: Int?
        for (i, t) in stmt.enumerated() where t.kind == .punct {
            if t.punct == 0x28 { level += 1 }
            if t.punct == 0x29 { level -= 1 }
            if t.punct == 0x3d && level == 0 {
                equalsAt = i
                break
            }
        }
        if let eq = equalsAt {
            let head = Array(stmt[..<eq])
            declaration(head)
            if full {
                // With each token's condition: a field under `#ifdef` inside the initializer
                // (`.bios_limit = acpi_..._limit` under CONFIG_X86_POWERNOW_K7_ACPI) is a
                // reference only where that holds.
                let body = collectBlock(withConditions: true)
                if !dead { structInitializer(head, body: body, line: line) }
            } else {
                skipBlock()
            }
            skipToSemicolon()
            return
        }
        // struct/union/enum definitions.
        if let aggregate = stmt.firstIndex(where: {
            $0.kind == .identifier
                && (lx.equals($0, "struct") || lx.equals($0, "union") || lx.equals($0, "enum"))
        }),
            !stmt.contains(where: { $0.isPunct(0x28) })
        {
            let isEnum = lx.equals(stmt[aggregate], "enum")
            let tag =
                aggregate + 1 < stmt.count && stmt[aggregate + 1].kind == .identifier
                ? lx.text(stmt[aggregate + 1]) : nil
            if isEnum {
                // Enumerators are constants: `.type = FOO_TYPE` names no symbol.
                let body = collectBlock(withConditions: true)
                let conditions = tokenConditions
                for i in enumerators(body, from: 0, to: body.count, ends: groupEnds(body)) {
                    facts.definitions.append(
                        SymbolDefinition(
                            name: lx.text(body[i]), kind: .enumerator, storage: .staticLinkage,
                            line: body[i].line,
                            condition: i < conditions.count ? conditions[i] : condition))
                }
            } else if isHeader || full {
                let body = collectBlock()
                if !dead {
                    if let tag {
                        facts.structs.append(
                            StructDefinition(
                                tag: tag, members: members(body), line: line, condition: condition))
                    }
                    for i in nestedEnumerators(body) {
                        facts.definitions.append(
                            SymbolDefinition(
                                name: lx.text(body[i]), kind: .enumerator, storage: .staticLinkage,
                                line: body[i].line, condition: condition))
                    }
                }
            } else {
                skipBlock()
            }
            aggregateDeclarators(stmt, line: line)
            return
        }
        // A function definition: `... name ( params ) attrs {`.
        if let (nameIndex, name) = functionName(stmt) {
            let store = storage(stmt)
            let defCondition = condition
            facts.definitions.append(
                SymbolDefinition(
                    name: name, kind: .function, storage: store, line: stmt[nameIndex].line,
                    condition: defCondition))
            if full {
                let params = parameters(stmt, after: nameIndex)
                let body = collectBlock(withConditions: true)
                functionBody(
                    name: name, storage: store, line: stmt[nameIndex].line, condition: defCondition,
                    params: params, body: body)
            } else {
                skipBlock()
            }
            return
        }
        if let inv = invocation(stmt), full, !dead {
            recordInvocationUses(inv.name, arguments: inv.arguments)
            facts.invocations.append(
                MacroInvocation(
                    name: inv.name, arguments: inv.arguments, line: inv.line, condition: condition,
                    function: nil))
        }
        skipBlock()
    }

    /// The defined function of a head `... name ( params ) attrs`: the first declarator when it
    /// is a function (see `parseDeclaration`); nil for a macro that makes the function
    /// (`SYSCALL_DEFINE1(...) {`, no type before it).
    mutating func functionName(_ stmt: [Token]) -> (Int, String)? {
        let shape = parseDeclaration(stmt, from: 0, to: stmt.count, ends: groupEnds(stmt), firstOnly: true)
        if let d = shape.declarators.first, d.isFunction {
            if d.index == 0 { return nil }
            let name = lx.text(d.name)
            if !attributeLike.contains(name) && !cKeywords.contains(name) { return (d.index, name) }
        }
        return firstCallLikeName(stmt)
    }

    /// The older reading of a head, for shapes the declaration reader does not take: the first
    /// `name (` outside parentheses that is no keyword or known attribute.
    mutating func firstCallLikeName(_ stmt: [Token]) -> (Int, String)? {
        var level = 0
        for (i, t) in stmt.enumerated() {
            if t.kind == .punct {
                if t.punct == 0x28 { level += 1 }
                if t.punct == 0x29 { level -= 1 }
                continue
            }
            guard level == 0, t.kind == .identifier, i + 1 < stmt.count, stmt[i + 1].isPunct(0x28) else {
                continue
            }
            let name = lx.text(t)
            if attributeLike.contains(name) || cKeywords.contains(name) { continue }
            // A macro that generates the function (`SYSCALL_DEFINE1(...) {`) has no return type before it.
            if i == 0 { return nil }
            return (i, name)
        }
        // A function returning a pointer to function: `void (*handler(int irq))(int) {`.
        if stmt.count > 3 {
            for i in 0..<(stmt.count - 3)
            where stmt[i].isPunct(0x28) && stmt[i + 1].isPunct(0x2a) && stmt[i + 2].kind == .identifier
                && stmt[i + 3].isPunct(0x28) && i > 0
            {
                return (i + 2, lx.text(stmt[i + 2]))
            }
        }
        return nil
    }

    /// `int f(a, b) int a; char *b; {`: a K&R definition, whose parameter declarations end in `;`
    /// before the body. True when `stmt` is `type name ( ident, ... ) decl...`.
    func isKnRHead(_ stmt: [Token]) -> Bool {
        guard stmt.count >= 6 else { return false }
        var i = 1
        while i + 1 < stmt.count && !(stmt[i].kind == .identifier && stmt[i + 1].isPunct(0x28)) { i += 1 }
        guard i + 2 < stmt.count, stmt[i - 1].kind == .identifier || stmt[i - 1].isPunct(0x2a) else {
            return false
        }
        // Names and commas alternate (`(a, b)`); `(size_t size, gfp_t flags)` is a prototype's
        // parameter list, whose unknown trailing attribute must not swallow the next statements.
        var j = i + 2
        var sawName = false
        var expectName = true
        while j < stmt.count && !stmt[j].isPunct(0x29) {
            let t = stmt[j]
            if t.kind == .identifier && expectName {
                sawName = true
            } else if !(t.isPunct(0x2c) && !expectName) {
                return false
            }
            expectName.toggle()
            j += 1
        }
        guard sawName, j + 1 < stmt.count, stmt[j + 1].kind == .identifier else { return false }
        return !attributeLike.contains(lx.text(stmt[j + 1]))
    }

    /// Parameter names: the declarator of each parameter (`int (*cb)(int)`, `u8 buf[N]`,
    /// `unsigned long flags __maybe_unused`), and the words of a K&R identifier list.
    mutating func parameters(_ stmt: [Token], after nameIndex: Int) -> Set<String> {
        guard let open = stmt[(nameIndex + 1)...].firstIndex(where: { $0.isPunct(0x28) }) else { return [] }
        let ends = groupEnds(stmt)
        let close = min(stmt.count, Int(ends[open]))
        let shape = parseDeclaration(stmt, from: open + 1, to: close, ends: ends, parameterList: true)
        return Set(shape.declarators.map { lx.text($0.name) })
    }

    /// Tokens up to the brace matching the one just read (depth accounting survives #if/#else).
    /// With `withConditions`, each token's condition is recorded in `tokenConditions`.
    var tokenConditions: [PreprocessorCondition] = []

    mutating func collectBlock(withConditions: Bool = false) -> [Token] {
        var out: [Token] = []
        if withConditions { tokenConditions.removeAll(keepingCapacity: true) }
        let base = depth
        depth += 1
        while true {
            let t = lx.next()
            if t.kind == .end {
                facts.diagnostics.append(
                    CSourceDiagnostic(line: lx.line, message: "unbalanced '{' at end of file"))
                depth = base
                return out
            }
            if t.kind == .directive {
                directive(t)
                if depth <= base { return out }
                continue
            }
            if dead { continue }
            if t.isPunct(0x7b) {
                depth += 1
                if depth - base > CSourceScanner.maxNesting {
                    limit(
                        .braceNesting, line: t.line,
                        "braces nested deeper than \(CSourceScanner.maxNesting) in one block")
                }
            } else if t.isPunct(0x7d) {
                depth -= 1
                if depth <= base {
                    depth = base
                    return out
                }
            }
            if out.count >= CSourceScanner.maxBlockTokens {
                limit(
                    .blockTokens, line: t.line,
                    "block longer than \(CSourceScanner.maxBlockTokens) tokens; the rest of it is not read")
                // The rest only needs its braces matched, at byte speed.
                skipBraces(downTo: base)
                return out
            }
            out.append(t)
            if withConditions { tokenConditions.append(condition) }
        }
    }

    /// Skips a block without keeping tokens: the fast path for function bodies in `.symbols` depth.
    mutating func skipBlock() {
        let base = depth
        depth += 1
        skipBraces(downTo: base)
    }

    /// Reads on to the `}` that brings the depth back to `base`.
    mutating func skipBraces(downTo base: Int) {
        while true {
            let t = lx.nextBrace()
            if t.kind == .end {
                facts.diagnostics.append(
                    CSourceDiagnostic(line: lx.line, message: "unbalanced '{' at end of file"))
                depth = base
                return
            }
            if t.kind == .directive {
                directive(t)
                if depth <= base { return }
                continue
            }
            if dead { continue }
            if t.punct == 0x7b {
                depth += 1
            } else if t.punct == 0x7d {
                depth -= 1
                if depth <= base {
                    depth = base
                    return
                }
            }
        }
    }

    /// After the `}` of `struct [tag] { ... }` at file scope: the objects declared with it
    /// (`static struct { ... } apbs[4];`, `} smcreg = { ... };`), read as one declaration whose
    /// type is the aggregate (its body stands in as an empty `{}`).
    mutating func aggregateDeclarators(_ head: [Token], line: Int) {
        let open = Token(kind: .punct, start: 0, end: 0, line: line, punct: 0x7b, newlineBefore: false)
        var close = open
        close.punct = 0x7d
        var tail: [Token] = []
        while true {
            let save = lx
            let t = lx.next()
            if t.kind == .end { break }
            if t.kind == .directive {
                directive(t)
                continue
            }
            if dead { continue }
            if t.isPunct(0x3b) { break }
            if t.isPunct(0x7b) {
                if tail.contains(where: { $0.isPunct(0x3d) }) {
                    openBrace(head + [open, close] + tail)
                    return
                }
                lx = save
                break
            }
            // A missing `;`: the next statement starts on a new line.
            if tail.isEmpty && t.newlineBefore && t.kind == .identifier && isStatementStart(t) {
                lx = save
                break
            }
            tail.append(t)
            if tail.count > CSourceScanner.maxStatementTokens { break }
        }
        if !tail.isEmpty { declaration(head + [open, close] + tail) }
    }

    mutating func skipToSemicolon() {
        // After `}` of an initializer or aggregate: `} name;` or `};`.
        while true {
            let save = lx
            let t = lx.next()
            if t.kind == .end { return }
            if t.kind == .directive {
                directive(t)
                continue
            }
            if t.isPunct(0x3b) { return }
            if t.isPunct(0x7b) || t.newlineBefore && t.kind == .identifier && isStatementStart(t) {
                lx = save
                return
            }
        }
    }

    mutating func isStatementStart(_ t: Token) -> Bool {
        lx.equals(t, "static") || lx.equals(t, "struct") || lx.equals(t, "int") || lx.equals(t, "void")
            || lx.equals(t, "MODULE_LICENSE")
    }
}

extension Substring {
    func trimmingCharactersSpaces() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension CSourceScanner {
    /// `EXPORT_SYMBOL*(name, ...)` spelled out: the flavour and the exported name.
    public static func exportFlavour(_ name: String, _ args: [String]) -> (ExportFlavour, String)? {
        guard name.hasPrefix("EXPORT_"), let symbol = args.first, !symbol.isEmpty else { return nil }
        let ns = args.count > 1 ? args[1].trimmingCharacters(in: "\" ") : ""
        switch name {
        case "EXPORT_SYMBOL", "EXPORT_UNUSED_SYMBOL", "EXPORT_SYMBOL_FOR_MODULES", "EXPORT_SYMBOL_NOKASAN":
            return (.plain, symbol)
        case "EXPORT_SYMBOL_GPL", "EXPORT_SYMBOL_GPL_FUTURE", "EXPORT_UNUSED_SYMBOL_GPL":
            return (.gpl, symbol)
        case "EXPORT_SYMBOL_NS": return (.ns(ns), symbol)
        case "EXPORT_SYMBOL_NS_GPL": return (.nsGpl(ns), symbol)
        // drm's selftest exports (v5.4 include/drm/drm_util.h) live in the TESTS_ONLY namespace.
        case "EXPORT_SYMBOL_FOR_TESTS_ONLY": return (.nsGpl("TESTS_ONLY"), symbol)
        default: return nil
        }
    }
}
