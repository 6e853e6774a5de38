import Foundation

/// How much `source` may read. A file sourced from many places is parsed once per place (its
/// entries take each place's dependencies), so a tree of files that each source several others
/// grows exponentially; these caps keep that bounded. v5.4 with every architecture parses 1,649
/// files, 1,503 distinct; kernel/Kconfig.hz is the most repeated, 17 times.
public struct SourceLimits: Sendable {
    /// Parses of one file; later `source` lines naming it are skipped with a diagnostic.
    public var parsesPerFile: Int
    /// Parses of all files together.
    public var parses: Int

    public init(parsesPerFile: Int = 64, parses: Int = 20_000) {
        self.parsesPerFile = parsesPerFile
        self.parses = parses
    }
}

/// Parses the Kconfig language (Documentation/kbuild/kconfig-language.rst) following `source`
/// lines. Syntax errors are diagnostics with file and line; the rest of the file still parses.
public enum KconfigParser {
    /// Parses `root` and everything it sources.
    ///
    /// `srcarch: nil` sources every architecture's Kconfig for `$(SRCARCH)` (from
    /// `architectures`): modcheck asks whether a driver can be modular on *any* architecture, so
    /// arch symbols from all of them are merged. A `$(SRCARCH)` path missing for some of them is
    /// then skipped silently (`arch/$(SRCARCH)/Kconfig.debug` exists for a few arches only).
    public static func parse(
        root: String = "Kconfig", srcarch: String?, architectures: [String] = [],
        limits: SourceLimits = SourceLimits(), read: @escaping (String) -> String?
    ) -> KconfigTree {
        var state = ParseState(read: read, srcarch: srcarch, architectures: architectures)
        state.limits = limits
        if read(root) == nil {
            state.diagnose(root, 0, "cannot read the root Kconfig file")
        }
        state.parseFile(root, stack: [])
        var tree = KconfigTree(
            symbols: state.symbols, files: state.files, diagnostics: state.diagnostics, selectedBy: [:],
            impliedBy: [:], isArchitectureUnion: srcarch == nil)
        tree.fileContext = state.fileContext
        tree.fileVisibility = state.fileVisibility
        tree.fileArchitecture = state.fileArchitecture
        tree.choiceDefaults = state.choiceDefaults
        tree.sourcedFiles = state.sourcedFiles
        return indexed(tree)
    }

    /// Recomputes who selects and implies whom. `numericFixOnly`: the symbols whose definitions
    /// may still hold a number that names a symbol (nil: all of them).
    static func indexed(_ tree: KconfigTree, numericFixOnly: Set<String>? = nil) -> KconfigTree {
        var tree = resolvingNumericSymbols(tree, only: numericFixOnly)
        var selectedBy: [String: [(selector: String, condition: KconfigExpression?)]] = [:]
        var impliedBy: [String: [(selector: String, condition: KconfigExpression?)]] = [:]
        // Sorted so that evaluation order, and so any capped iteration, is reproducible.
        for name in tree.symbols.keys.sorted() {
            addEdges(of: name, in: tree, &selectedBy, &impliedBy)
        }
        tree.selectedBy = selectedBy
        tree.impliedBy = impliedBy
        tree.definedIn = KconfigTree.definitionFiles(tree.symbols)
        return tree
    }

    /// Adds the selects and implies of `name`'s definitions to their targets' lists; the targets.
    /// menu_finalize(): a select or imply acts with the strength of `selector && dependencies &&
    /// if-condition`, so a bool promoted to y under an `m` dependency selects with m, not y.
    @discardableResult
    static func addEdges(
        of name: String, in tree: KconfigTree,
        _ selectedBy: inout [String: [(selector: String, condition: KconfigExpression?)]],
        _ impliedBy: inout [String: [(selector: String, condition: KconfigExpression?)]]
    ) -> Set<String> {
        var targets = Set<String>()
        for d in tree.symbols[name]?.definitions ?? [] {
            for s in d.selects {
                if case .symbol(let target) = s.value {
                    selectedBy[target, default: []].append((name, strength(d, s)))
                    targets.insert(target)
                }
            }
            for s in d.implies {
                if case .symbol(let target) = s.value {
                    impliedBy[target, default: []].append((name, strength(d, s)))
                    targets.insert(target)
                }
            }
        }
        return targets
    }

    /// The condition a select or imply of `definition` acts under, besides its selector's value.
    static func strength(_ definition: KconfigDefinition, _ v: ConditionalValue) -> KconfigExpression? {
        strength(dependency: definition.dependency, condition: v.condition, and: KconfigExpression.and)
    }

    /// The same over any expression form (a view's compiled ones): the dependency and the
    /// select's or imply's own condition, each when there is one.
    static func strength<E>(dependency: E?, condition: E?, and: (E, E) -> E) -> E? {
        switch (dependency, condition) {
        case (nil, let c): return c
        case (let d?, nil): return d
        case (let d?, let c?): return and(d, c)
        }
    }

    /// Symbols may be all digits (powerpc's `config 8272`); the parser cannot tell `8272` from a
    /// number, so once the tree is known, numbers naming a defined symbol become that symbol.
    static func numericSymbols(_ tree: KconfigTree) -> Set<String> {
        Set(tree.symbols.keys.filter { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } })
    }

    /// `only`: rewrite just these symbols' definitions (the others are already rewritten).
    static func resolvingNumericSymbols(_ tree: KconfigTree, only: Set<String>? = nil) -> KconfigTree {
        let numeric = numericSymbols(tree)
        if numeric.isEmpty { return tree }
        func fix(_ e: KconfigExpression) -> KconfigExpression {
            switch e {
            case .constant(let c): return numeric.contains(c) ? .symbol(c) : e
            case .symbol: return e
            case .not(let a): return .not(fix(a))
            case .and(let a, let b): return .and(fix(a), fix(b))
            case .or(let a, let b): return .or(fix(a), fix(b))
            case .compare(let op, let a, let b): return .compare(op, fix(a), fix(b))
            }
        }
        func fix(_ v: ConditionalValue) -> ConditionalValue {
            ConditionalValue(value: fix(v.value), condition: v.condition.map(fix))
        }
        var tree = tree
        for name in only.map(Array.init) ?? Array(tree.symbols.keys) {
            guard var symbol = tree.symbols[name] else { continue }
            for k in symbol.definitions.indices {
                var d = symbol.definitions[k]
                d.dependency = d.dependency.map(fix)
                d.ownDependency = d.ownDependency.map(fix)
                d.promptCondition = d.promptCondition.map(fix)
                d.defaults = d.defaults.map(fix)
                d.selects = d.selects.map(fix)
                d.implies = d.implies.map(fix)
                symbol.definitions[k] = d
            }
            tree.symbols[name] = symbol
        }
        return tree
    }

    /// Re-reads only the changed files of a parsed tree, each in the context (enclosing `if` and
    /// `menu` dependencies) it was sourced in. Returns nil when that is not enough — a file is new,
    /// or its `source` lines changed — and the caller parses the whole tree again.
    public static func reparse(_ tree: KconfigTree, changed: [String], read: @escaping (String) -> String?)
        -> KconfigTree?
    {
        var result = tree
        var touched = Set<String>()
        // Every symbol with a definition in a changed file, before or after.
        var redefined = Set<String>()
        for path in changed {
            guard let context = tree.fileContext[path], read(path) != nil else { return nil }
            var state = ParseState(read: read, srcarch: nil, architectures: [], followSource: false)
            state.blocks = [.menu(context, tree.fileVisibility[path] ?? [])]
            state.architecture = tree.fileArchitecture[path]
            state.parseFile(path, stack: [])
            guard (state.sourcedFiles[path] ?? []) == (tree.sourcedFiles[path] ?? []) else { return nil }
            for name in result.symbols(definedIn: [path]) {
                guard var symbol = result.symbols[name] else { continue }
                symbol.definitions.removeAll { $0.location.file == path }
                result.symbols[name] = symbol.definitions.isEmpty ? nil : symbol
                redefined.insert(name)
            }
            if result.definedIn != nil {
                result.definedIn![path] = state.symbols.isEmpty ? nil : Set(state.symbols.keys)
            }
            for (name, symbol) in state.symbols {
                result.symbols[name, default: KconfigSymbol(name: name, definitions: [])].definitions +=
                    symbol.definitions
                touched.insert(name)
            }
            result.diagnostics.removeAll { $0.file == path }
            result.diagnostics += state.diagnostics
        }
        // The unchanged definitions already had numbers naming symbols rewritten; again only
        // when the set of such symbols changed.
        let sameNumeric = numericSymbols(result) == numericSymbols(tree)
        guard sameNumeric else { return indexed(result, numericFixOnly: nil) }
        return reindexed(resolvingNumericSymbols(result, only: touched), from: tree, redefined: redefined.union(touched))
    }

    /// `indexed` for a tree whose symbols `redefined` changed since `old` (already indexed):
    /// their selects and implies are taken out of old's indexes and put back from their new
    /// definitions, in the order a full `indexed` gives (by selector name, then definition).
    static func reindexed(_ tree: KconfigTree, from old: KconfigTree, redefined: Set<String>) -> KconfigTree {
        var tree = tree
        var selectedBy = old.selectedBy
        var impliedBy = old.impliedBy
        var targets = Set<String>()
        for name in redefined {
            for d in old.symbols[name]?.definitions ?? [] {
                for s in d.selects { if case .symbol(let target) = s.value { targets.insert(target) } }
                for s in d.implies { if case .symbol(let target) = s.value { targets.insert(target) } }
            }
        }
        for target in targets {
            selectedBy[target]?.removeAll { redefined.contains($0.selector) }
            if selectedBy[target]?.isEmpty == true { selectedBy[target] = nil }
            impliedBy[target]?.removeAll { redefined.contains($0.selector) }
            if impliedBy[target]?.isEmpty == true { impliedBy[target] = nil }
        }
        var added = Set<String>()
        for name in redefined.sorted() { added.formUnion(addEdges(of: name, in: tree, &selectedBy, &impliedBy)) }
        // By selector name; one selector's entries keep their order.
        func ordered(_ list: [(selector: String, condition: KconfigExpression?)]) -> [(selector: String, condition: KconfigExpression?)] {
            list.enumerated().sorted { ($0.element.selector, $0.offset) < ($1.element.selector, $1.offset) }.map(\.element)
        }
        for target in added {
            if let list = selectedBy[target] { selectedBy[target] = ordered(list) }
            if let list = impliedBy[target] { impliedBy[target] = ordered(list) }
        }
        tree.selectedBy = selectedBy
        tree.impliedBy = impliedBy
        return tree
    }

    /// Entries of one file in file order, without following `source` (for per-file change
    /// extraction). Each entry's `dependsOn` is its own `depends on` text.
    public static func parseFile(path: String, text: String) -> (
        entries: [KconfigEntry], diagnostics: [KconfigDiagnostic]
    ) {
        var state = ParseState(
            read: { $0 == path ? text : nil }, srcarch: nil, architectures: [], followSource: false)
        state.parseFile(path, stack: [])
        var entries: [KconfigEntry] = []
        for (name, symbol) in state.symbols {
            for d in symbol.definitions {
                entries.append(
                    KconfigEntry(
                        name: name, type: d.type, dependsOn: d.ownDependency?.description,
                        line: d.location.line, definition: d))
            }
        }
        entries.sort { $0.line < $1.line }
        return (entries, state.diagnostics)
    }
}

/// Text split into lines over UTF-8 bytes: Kconfig is ASCII syntax, and grapheme-aware `String`
/// splitting would dominate the parse time of a whole tree.
struct KconfigSourceLines {
    let bytes: [UInt8]
    /// Byte ranges of each line without its `\n` (and without a `\r` before it).
    let lines: [Range<Int>]

    init(_ text: String) {
        bytes = Array(text.utf8)
        var lines: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            let end = i > start && bytes[i - 1] == UInt8(ascii: "\r") ? i - 1 : i
            lines.append(start..<end)
            start = i + 1
        }
        if start < bytes.count {
            var end = bytes.count
            if bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            lines.append(start..<end)
        }
        self.lines = lines
    }

    func isBlank(_ i: Int) -> Bool {
        bytes[lines[i]].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0C }
    }

    /// Indentation in columns, a tab advancing to the next multiple of 8 (as zconf.l counts it).
    func indentWidth(_ i: Int) -> Int {
        var w = 0
        for b in bytes[lines[i]] {
            if b == 0x20 {
                w += 1
            } else if b == 0x09 {
                w = (w / 8 + 1) * 8
            } else {
                break
            }
        }
        return w
    }

    /// The line with `columns` columns of indentation removed.
    func dedented(_ i: Int, columns: Int) -> String {
        var w = 0
        var index = lines[i].lowerBound
        while index < lines[i].upperBound, w < columns {
            let b = bytes[index]
            if b == 0x20 {
                w += 1
            } else if b == 0x09 {
                let next = (w / 8 + 1) * 8
                if next > columns { break }
                w = next
            } else {
                break
            }
            index += 1
        }
        var end = lines[i].upperBound
        while end > index, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }
}

struct ParseState {
    let read: (String) -> String?
    let srcarch: String?
    let architectures: [String]
    var followSource = true
    var symbols: [String: KconfigSymbol] = [:]
    var files: [String] = []
    var diagnostics: [KconfigDiagnostic] = []
    var fileContext: [String: [KconfigExpression]] = [:]
    var fileVisibility: [String: [KconfigExpression]] = [:]
    var sourcedFiles: [String: [String]] = [:]
    var limits = SourceLimits()
    /// How often each file was parsed (or refused by the caps).
    var parseCounts: [String: Int] = [:]
    var reportedParseCap = false

    init(
        read: @escaping (String) -> String?, srcarch: String?, architectures: [String],
        followSource: Bool = true
    ) {
        self.read = read
        self.srcarch = srcarch
        self.architectures = architectures
        self.followSource = followSource
    }

    enum Block {
        case ifBlock(KconfigExpression)
        /// A menu's `depends on` lines and its `visible if` lines.
        case menu([KconfigExpression], [KconfigExpression])
        /// A choice's `depends on` lines, and where it starts (its identity: members of one
        /// choice exclude each other).
        case choice([KconfigExpression], id: String)
    }

    /// Enclosing blocks; they span `source`d files, as kconfig's menu tree does.
    var blocks: [Block] = []
    enum BlockKind { case ifBlock, menu, choice }
    /// Blocks opened past `maxBlockDepth`, innermost last.
    var ignoredBlocks: [BlockKind] = []

    var enclosingDependency: [KconfigExpression] {
        blocks.flatMap { b -> [KconfigExpression] in
            switch b {
            case .ifBlock(let e): return [e]
            case .menu(let deps, _), .choice(let deps, _): return deps
            }
        }
    }

    /// `visible if` of enclosing menus: menu_add_prompt() AND's them into every prompt below.
    var enclosingVisibility: [KconfigExpression] {
        blocks.flatMap { b -> [KconfigExpression] in
            if case .menu(_, let visible) = b { return visible }
            return []
        }
    }

    var inChoice: Bool { currentChoice != nil }

    /// The innermost enclosing choice.
    var currentChoice: String? {
        for b in blocks.reversed() { if case .choice(_, let id) = b { return id } }
        return nil
    }

    /// The architecture whose `arch/<arch>/Kconfig` (through `$(SRCARCH)`) led to the file being
    /// parsed; nil for the common tree.
    var architecture: String?
    var fileArchitecture: [String: String] = [:]
    var choiceDefaults: [String: [ConditionalValue]] = [:]

    mutating func diagnose(_ file: String, _ line: Int, _ message: String) {
        diagnostics.append(KconfigDiagnostic(file: file, line: line, message: message))
    }

    static let architectureVariables: Set<String> = ["SRCARCH", "ARCH", "HEADER_ARCH", "SUBARCH"]

    /// Expands `$(SRCARCH)`-style variables of a `source` path. Returns the paths and whether they
    /// stand for "each architecture" (then a missing one is not an error).
    mutating func expandPath(_ path: String, file: String, line: Int) -> (
        paths: [String], perArchitecture: Bool
    ) {
        guard path.utf8.contains(UInt8(ascii: "$")) else { return ([path], false) }
        var names: [String] = []
        var rest = Substring(path)
        while let open = rest.range(of: "$(") {
            guard let close = rest[open.upperBound...].firstIndex(of: ")") else { break }
            names.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        if path.replacingOccurrencesSimple("$SRCARCH", "") != path { names.append("SRCARCH") }
        let unknown = names.filter { !ParseState.architectureVariables.contains($0) }
        if !unknown.isEmpty {
            diagnose(file, line, "undefined variable $(\(unknown[0])) in source path \"\(path)\"")
            return ([], false)
        }
        func substitute(_ arch: String) -> String {
            var p = path.replacingOccurrencesSimple("$SRCARCH", arch)
            for name in names { p = p.replacingOccurrencesSimple("$(\(name))", arch) }
            return p
        }
        if let srcarch {
            if architecture == nil { architecture = srcarch }
            return ([substitute(srcarch)], false)
        }
        return (architectures.map(substitute), true)
    }

    enum Current {
        case none
        case config(name: String, index: Int)
        case menu
        case choice
        case comment
    }

    /// `sourceLine`: the line of the `source` in `stack.last` that led here, so that a cycle or
    /// a nesting cap names the line that closes it.
    mutating func parseFile(_ path: String, stack: [String], sourceLine: Int = 0) {
        if stack.contains(path) {
            diagnose(
                stack.last ?? path, sourceLine,
                "source cycle: \(path) sources itself through \(stack.joined(separator: " -> "))")
            return
        }
        if stack.count > 64 {
            diagnose(stack.last ?? path, sourceLine, "source nesting deeper than 64; \(path) not read")
            return
        }
        let parsed = parseCounts[path, default: 0]
        if parsed >= limits.parsesPerFile || files.count >= limits.parses {
            if parsed == limits.parsesPerFile {
                diagnose(
                    stack.last ?? path, sourceLine,
                    "\(path) sourced more than \(limits.parsesPerFile) times; this and later sources of it not read")
            } else if files.count == limits.parses && !reportedParseCap {
                diagnose(
                    stack.last ?? path, sourceLine,
                    "more than \(limits.parses) Kconfig files parsed; \(path) and later sources not read")
                reportedParseCap = true
            }
            parseCounts[path] = parsed + 1
            return
        }
        guard let text = read(path) else { return }
        parseCounts[path] = parsed + 1
        files.append(path)
        if fileContext[path] == nil {
            fileContext[path] = enclosingDependency
            fileVisibility[path] = enclosingVisibility
            if let architecture { fileArchitecture[path] = architecture }
        }
        let blockDepthAtStart = blocks.count
        let ignoredAtStart = ignoredBlocks.count
        var current = Current.none
        let source = KconfigSourceLines(text)
        let lines = source.lines
        let bytes = source.bytes
        var i = 0
        while i < lines.count {
            let lineNumber = i + 1
            var line = Array(bytes[lines[i]])
            i += 1
            while line.last == UInt8(ascii: "\\"), i < lines.count {
                line.removeLast()
                line.append(0x20)
                line += bytes[lines[i]]
                i += 1
            }
            guard
                let first = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0C && $0 != 0x0D }),
                line[first] != UInt8(ascii: "#")
            else { continue }
            if KconfigLexer.isMacroAssignment(line[first...]) { continue }
            var tokens: [KconfigToken]
            do {
                tokens = try KconfigLexer.tokenize(line[first...])
            } catch {
                diagnose(path, lineNumber, "\(error)")
                continue
            }
            if case .word(let w) = tokens.first, w.hasPrefix("$(") {
                // A bare macro call line such as `$(warning-if,...)`.
                continue
            }
            guard case .word(let keyword) = tokens.first else {
                let text = String(decoding: line[first...].prefix(40), as: UTF8.self)
                diagnose(path, lineNumber, "unexpected '\(text)'")
                continue
            }
            tokens.removeFirst()
            switch keyword {
            case "config", "menuconfig":
                guard case .word(let name) = tokens.first, tokens.count == 1, KconfigLexer.isSymbolName(name)
                else {
                    diagnose(path, lineNumber, "\(keyword) needs exactly one symbol name")
                    current = .comment  // swallow its attributes rather than report each
                    continue
                }
                var definition = KconfigDefinition(
                    location: SourceLocation(file: path, line: lineNumber), type: .unknown, prompt: nil,
                    promptCondition: nil, ownDependency: nil,
                    dependency: KconfigExpression.all(enclosingDependency),
                    defaults: [], selects: [], implies: [], help: nil)
                definition.inChoice = inChoice
                definition.choice = currentChoice
                definition.architecture = architecture
                definition.isMenuconfig = keyword == "menuconfig"
                symbols[name, default: KconfigSymbol(name: name, definitions: [])].definitions.append(
                    definition)
                current = .config(name: name, index: (symbols[name]?.definitions.count ?? 1) - 1)
            case "choice":
                push(.choice([], id: "\(path):\(lineNumber)"), path: path, line: lineNumber)
                current = .choice
            case "endchoice":
                if endsIgnoredBlock(.choice) {
                } else if case .choice = blocks.last, blocks.count > blockDepthAtStart {
                    blocks.removeLast()
                } else {
                    diagnose(path, lineNumber, "endchoice without choice")
                }
                current = .none
            case "menu":
                if case .string = tokens.first {
                } else {
                    diagnose(path, lineNumber, "menu without a quoted title")
                }
                push(.menu([], []), path: path, line: lineNumber)
                current = .menu
            case "endmenu":
                if endsIgnoredBlock(.menu) {
                } else if case .menu = blocks.last, blocks.count > blockDepthAtStart {
                    blocks.removeLast()
                } else {
                    diagnose(path, lineNumber, "endmenu without menu")
                }
                current = .none
            case "if":
                do {
                    push(.ifBlock(try KconfigExpressionParser.parse(tokens)), path: path, line: lineNumber)
                } catch {
                    diagnose(path, lineNumber, "if: \(error)")
                    push(.ifBlock(.constant("y")), path: path, line: lineNumber)
                }
                current = .none
            case "endif":
                if endsIgnoredBlock(.ifBlock) {
                } else if case .ifBlock = blocks.last, blocks.count > blockDepthAtStart {
                    blocks.removeLast()
                } else {
                    diagnose(path, lineNumber, "endif without if")
                }
                current = .none
            case "comment", "mainmenu":
                if case .string = tokens.first {
                } else {
                    diagnose(path, lineNumber, "\(keyword) without a quoted text")
                }
                current = .comment
            case "source", "rsource", "osource", "orsource":
                current = .none
                guard case .string(var target) = tokens.first, tokens.count == 1 else {
                    diagnose(path, lineNumber, "\(keyword) needs one quoted path")
                    continue
                }
                if keyword == "rsource" || keyword == "orsource" {
                    let dir = path.split(separator: "/").dropLast().joined(separator: "/")
                    target = dir.isEmpty ? target : dir + "/" + target
                }
                let optional = keyword.hasPrefix("o")
                guard followSource else {
                    sourcedFiles[path, default: []].append(target)
                    continue
                }
                let (expanded, perArchitecture) = expandPath(target, file: path, line: lineNumber)
                sourcedFiles[path, default: []] += expanded
                for (k, p) in expanded.enumerated() {
                    if read(p) == nil {
                        if !optional && !perArchitecture {
                            diagnose(path, lineNumber, "\(keyword): cannot read \"\(p)\"")
                        }
                        continue
                    }
                    // Everything read through one architecture's `$(SRCARCH)` belongs to it.
                    let enclosing = architecture
                    // (arch/um's `arch/$(HEADER_ARCH)/um/Kconfig` stays um's.)
                    if perArchitecture, enclosing == nil, k < architectures.count {
                        architecture = architectures[k]
                    }
                    parseFile(p, stack: stack + [path], sourceLine: lineNumber)
                    architecture = enclosing
                }
            case "help", "---help---":
                // Help text: every following line indented at least as deep as its first line,
                // blank lines included; keywords inside it are text.
                var helpLines: [String] = []
                var indent: Int?
                while i < lines.count {
                    if source.isBlank(i) {
                        helpLines.append("")
                        i += 1
                        continue
                    }
                    let width = source.indentWidth(i)
                    if indent == nil { indent = width }
                    if let indent, width < indent || width == 0 { break }
                    helpLines.append(source.dedented(i, columns: indent ?? 0))
                    i += 1
                }
                while helpLines.last == "" { helpLines.removeLast() }
                if case .config(let name, let index) = current {
                    symbols[name]?.definitions[index].help = helpLines.joined(separator: "\n")
                } else if case .none = current {
                    diagnose(path, lineNumber, "help outside of a config entry")
                }
            default:
                attribute(keyword, tokens, current: current, path: path, line: lineNumber)
            }
        }
        let unterminated = blocks.count - blockDepthAtStart + ignoredBlocks.count - ignoredAtStart
        if unterminated > 0 {
            diagnose(path, lines.count, "\(unterminated) unterminated if/menu/choice block(s)")
            blocks.removeLast(blocks.count - blockDepthAtStart)
            ignoredBlocks.removeLast(ignoredBlocks.count - ignoredAtStart)
        }
    }

    /// Opens an if/menu/choice block. Past `maxBlockDepth` (real trees nest a few levels) the
    /// block is only counted, so its end still matches, and its condition is ignored: each
    /// entry carries every enclosing condition, so unbounded nesting would cost quadratic time.
    mutating func push(_ block: Block, path: String, line: Int) {
        guard blocks.count >= ParseState.maxBlockDepth else {
            blocks.append(block)
            return
        }
        if ignoredBlocks.isEmpty {
            diagnose(
                path, line,
                "if/menu/choice nested deeper than \(ParseState.maxBlockDepth); deeper blocks' conditions are ignored")
        }
        switch block {
        case .ifBlock: ignoredBlocks.append(.ifBlock)
        case .menu: ignoredBlocks.append(.menu)
        case .choice: ignoredBlocks.append(.choice)
        }
    }

    /// Closes the innermost ignored block if it is a `kind` block.
    mutating func endsIgnoredBlock(_ kind: BlockKind) -> Bool {
        guard ignoredBlocks.last == kind else { return false }
        ignoredBlocks.removeLast()
        return true
    }

    static let maxBlockDepth = 64

    static let types: [String: KconfigType] = [
        "bool": .bool, "boolean": .bool, "tristate": .tristate, "string": .string, "int": .int, "hex": .hex,
    ]

    static let configAttributes: Set<String> = [
        "bool", "boolean", "tristate", "string", "int", "hex", "def_bool", "def_tristate", "prompt",
        "depends",
        "select", "imply", "default", "range", "option", "modules", "visible", "optional", "transitional",
    ]

    mutating func attribute(
        _ keyword: String, _ tokens: [KconfigToken], current: Current, path: String, line: Int
    ) {
        /// `value [if cond]`.
        func expression(_ t: ArraySlice<KconfigToken>) -> (KconfigExpression?, KconfigExpression?) {
            if let ifIndex = t.firstIndex(of: .word("if")) {
                let value = try? KconfigExpressionParser.parse(Array(t[..<ifIndex]))
                let cond = try? KconfigExpressionParser.parse(Array(t[(ifIndex + 1)...]))
                if value == nil || cond == nil {
                    diagnose(path, line, "malformed expression after \(keyword)")
                }
                return (value, cond)
            }
            do {
                return (try KconfigExpressionParser.parse(Array(t)), nil)
            } catch {
                diagnose(path, line, "\(keyword): \(error)")
                return (nil, nil)
            }
        }
        func dependsOn() -> KconfigExpression? {
            guard tokens.first == .word("on") else {
                diagnose(path, line, "expected 'depends on'")
                return nil
            }
            return expression(tokens.dropFirst()).0
        }
        /// `"text" [if cond]`, with enclosing `visible if` AND'ed in.
        func prompt(_ t: ArraySlice<KconfigToken>) -> (String, KconfigExpression?)? {
            guard case .string(let text) = t.first else { return nil }
            var conditions = enclosingVisibility
            let rest = t.dropFirst()
            if rest.first == .word("if") {
                if let c = expression(rest.dropFirst()).0 { conditions.append(c) }
            } else if !rest.isEmpty {
                diagnose(path, line, "unexpected text after the prompt of \(keyword)")
            }
            return (text, KconfigExpression.all(conditions))
        }
        switch current {
        case .comment:
            if keyword == "depends" {
                _ = dependsOn()
            } else {
                diagnose(path, line, "unknown attribute '\(keyword)' of a comment")
            }
        case .menu:
            switch keyword {
            case "depends":
                if let e = dependsOn(), ignoredBlocks.isEmpty, case .menu(var deps, let visible) = blocks.last {
                    deps.append(e)
                    blocks[blocks.count - 1] = .menu(deps, visible)
                }
            case "visible":
                guard tokens.first == .word("if") else {
                    diagnose(path, line, "expected 'visible if'")
                    return
                }
                if let e = expression(tokens.dropFirst()).0, ignoredBlocks.isEmpty,
                    case .menu(let deps, var visible) = blocks.last
                {
                    visible.append(e)
                    blocks[blocks.count - 1] = .menu(deps, visible)
                }
            default:
                diagnose(path, line, "unknown attribute '\(keyword)' of a menu")
            }
        case .choice:
            switch keyword {
            case "depends":
                if let e = dependsOn(), ignoredBlocks.isEmpty, case .choice(var deps, let id) = blocks.last {
                    deps.append(e)
                    blocks[blocks.count - 1] = .choice(deps, id: id)
                }
            case "default":
                // sym_choice_default(): the first visible default names the member chosen.
                if case .choice(_, let id) = blocks.last, ignoredBlocks.isEmpty {
                    let (v, c) = expression(tokens[...])
                    if let v { choiceDefaults[id, default: []].append(ConditionalValue(value: v, condition: c)) }
                }
            case "bool", "boolean", "tristate", "prompt", "optional", "option", "transitional":
                break
            default:
                diagnose(path, line, "unknown attribute '\(keyword)' of a choice")
            }
        case .none:
            if ParseState.configAttributes.contains(keyword) {
                diagnose(path, line, "'\(keyword)' outside of a config entry")
            } else {
                diagnose(path, line, "unknown keyword '\(keyword)'")
            }
        case .config(let name, let index):
            guard var d = symbols[name]?.definitions[index] else { return }
            defer { symbols[name]?.definitions[index] = d }
            if let type = ParseState.types[keyword] {
                d.type = type
                if !tokens.isEmpty {
                    if let (text, condition) = prompt(tokens[...]) {
                        d.prompt = text
                        d.promptCondition = condition
                    } else {
                        diagnose(path, line, "expected a quoted prompt after \(keyword)")
                    }
                }
                return
            }
            switch keyword {
            case "def_bool", "def_tristate":
                d.type = keyword == "def_bool" ? .bool : .tristate
                let (v, c) = expression(tokens[...])
                if let v { d.defaults.append(ConditionalValue(value: v, condition: c)) }
            case "prompt":
                if let (text, condition) = prompt(tokens[...]) {
                    d.prompt = text
                    d.promptCondition = condition
                } else {
                    diagnose(path, line, "expected a quoted prompt")
                }
            case "depends":
                if let e = dependsOn() {
                    d.ownDependency = d.ownDependency.map { .and($0, e) } ?? e
                    d.dependency = d.dependency.map { .and($0, e) } ?? e
                }
            case "select", "imply":
                let (v, c) = expression(tokens[...])
                guard var v else { return }
                if case .constant(let c) = v, KconfigLexer.isSymbolName(c), Tristate(text: c) == nil {
                    v = .symbol(c)  // `select 8272`: an all-digit symbol name
                }
                guard case .symbol = v else {
                    diagnose(path, line, "\(keyword) needs a symbol")
                    return
                }
                if keyword == "select" {
                    d.selects.append(ConditionalValue(value: v, condition: c))
                } else {
                    d.implies.append(ConditionalValue(value: v, condition: c))
                }
            case "default":
                let (v, c) = expression(tokens[...])
                if let v { d.defaults.append(ConditionalValue(value: v, condition: c)) }
            case "range":
                let ifIndex = tokens.firstIndex(of: .word("if")) ?? tokens.endIndex
                let bounds = tokens[..<ifIndex].compactMap { t -> KconfigExpression? in
                    switch t {
                    case .word(let w): return KconfigExpressionParser.atom(w)
                    case .string(let s): return .constant(s)
                    case .op: return nil
                    }
                }
                guard bounds.count == 2, ifIndex - tokens.startIndex == 2 else {
                    diagnose(path, line, "range needs two bounds")
                    return
                }
                let condition = ifIndex < tokens.endIndex ? expression(tokens[(ifIndex + 1)...]).0 : nil
                d.ranges.append(KconfigRange(low: bounds[0], high: bounds[1], condition: condition))
            case "option":
                d.options.append(
                    tokens.map { t -> String in
                        switch t {
                        case .word(let w), .op(let w): return w
                        case .string(let s): return "\"\(s)\""
                        }
                    }.joined())
            case "modules":
                d.options.append("modules")
            case "visible", "optional", "transitional":
                break
            default:
                diagnose(path, line, "unknown attribute '\(keyword)' in config \(name)")
            }
        }
    }
}

enum KconfigToken: Equatable {
    case word(String)
    case string(String)
    case op(String)
}

struct KconfigSyntaxError: Error, CustomStringConvertible {
    var description: String
}

enum KconfigLexer {
    static func isWordByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x20, 0x09, 0x0D, 0x0C, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "!"),
            UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "="), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"),
            UInt8(ascii: "|"), UInt8(ascii: "#"):
            return false
        default:
            return true
        }
    }

    static func isSymbolName(_ s: String) -> Bool {
        !s.isEmpty
            && s.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
            }
    }

    /// `name := value`, `name = value`, `name += value`: Kconfig's macro language
    /// (kconfig-macro-language.rst) defines variables; modcheck does not need their values.
    static func isMacroAssignment(_ line: ArraySlice<UInt8>) -> Bool {
        var i = line.startIndex
        while i < line.endIndex, isWordByte(line[i]), line[i] != UInt8(ascii: "$") {
            if line[i] == UInt8(ascii: ":") || line[i] == UInt8(ascii: "+") { break }
            i += 1
        }
        guard i > line.startIndex else { return false }
        while i < line.endIndex, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
        guard i < line.endIndex else { return false }
        if line[i] == UInt8(ascii: "=") { return true }
        return (line[i] == UInt8(ascii: ":") || line[i] == UInt8(ascii: "+")) && i + 1 < line.endIndex
            && line[i + 1] == UInt8(ascii: "=")
    }

    /// `$(name,args...)` from the `$` at `i` through its balanced `)`; `i` ends after it.
    static func macroCall(_ chars: ArraySlice<UInt8>, _ i: inout Int) -> ArraySlice<UInt8> {
        let start = i
        var level = 0
        while i < chars.endIndex {
            if chars[i] == UInt8(ascii: "(") { level += 1 }
            if chars[i] == UInt8(ascii: ")") {
                level -= 1
                if level == 0 {
                    i += 1
                    break
                }
            }
            i += 1
        }
        return chars[start..<i]
    }

    static func tokenize(_ chars: ArraySlice<UInt8>) throws -> [KconfigToken] {
        var out: [KconfigToken] = []
        var i = chars.startIndex
        func isMacroStart(_ i: Int) -> Bool {
            chars[i] == UInt8(ascii: "$") && i + 1 < chars.endIndex && chars[i + 1] == UInt8(ascii: "(")
        }
        while i < chars.endIndex {
            let c = chars[i]
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0C {
                i += 1
                continue
            }
            if c == UInt8(ascii: "#") { break }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                var s: [UInt8] = []
                i += 1
                var closed = false
                while i < chars.endIndex {
                    if chars[i] == UInt8(ascii: "\\") && i + 1 < chars.endIndex {
                        s.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    if isMacroStart(i) {
                        // A macro call inside a string may hold quotes of its own.
                        s += macroCall(chars, &i)
                        continue
                    }
                    if chars[i] == c {
                        closed = true
                        i += 1
                        break
                    }
                    s.append(chars[i])
                    i += 1
                }
                if !closed { throw KconfigSyntaxError(description: "unterminated string") }
                out.append(.string(String(decoding: s, as: UTF8.self)))
                continue
            }
            if i + 1 < chars.endIndex {
                let n = chars[i + 1]
                let two: String? =
                    switch (c, n) {
                    case (UInt8(ascii: "&"), UInt8(ascii: "&")): "&&"
                    case (UInt8(ascii: "|"), UInt8(ascii: "|")): "||"
                    case (UInt8(ascii: "!"), UInt8(ascii: "=")): "!="
                    case (UInt8(ascii: "<"), UInt8(ascii: "=")): "<="
                    case (UInt8(ascii: ">"), UInt8(ascii: "=")): ">="
                    default: nil
                    }
                if let two {
                    out.append(.op(two))
                    i += 2
                    continue
                }
            }
            switch c {
            case UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "="),
                UInt8(ascii: "<"),
                UInt8(ascii: ">"):
                out.append(.op(String(UnicodeScalar(c))))
                i += 1
                continue
            default:
                break
            }
            // A word; a macro call (`$(shell,...)`), also glued to a word, stays part of it.
            var w: [UInt8] = []
            while i < chars.endIndex {
                if isMacroStart(i) {
                    w += macroCall(chars, &i)
                    continue
                }
                guard isWordByte(chars[i]) else { break }
                w.append(chars[i])
                i += 1
            }
            if w.isEmpty {
                throw KconfigSyntaxError(description: "unexpected character '\(UnicodeScalar(c))'")
            }
            out.append(.word(String(decoding: w, as: UTF8.self)))
        }
        return out
    }
}

/// `expr: symbol | symbol '=' symbol | ... | '(' expr ')' | '!' expr | expr '&&' expr | expr '||' expr`
struct KconfigExpressionParser {
    var tokens: [KconfigToken]
    var index = 0
    var depth = 0
    /// `&&` and `||` read so far. Chains build a left-nested tree, one level per operator, and
    /// every later pass (evaluation, even freeing it) recurses through it: capping operators as
    /// well as parentheses bounds that depth. Real dependencies have a few dozen.
    var operators = 0
    static let maxOperators = 1024

    mutating func countOperator() throws {
        operators += 1
        if operators > KconfigExpressionParser.maxOperators {
            throw KconfigSyntaxError(
                description: "expression longer than \(KconfigExpressionParser.maxOperators) '&&'/'||' operators")
        }
    }

    static func parse(_ tokens: [KconfigToken]) throws -> KconfigExpression {
        var p = KconfigExpressionParser(tokens: tokens)
        let e = try p.parseOr()
        if p.index != tokens.count {
            throw KconfigSyntaxError(description: "unexpected token after expression")
        }
        return e
    }

    mutating func parseOr() throws -> KconfigExpression {
        var e = try parseAnd()
        while index < tokens.count, tokens[index] == .op("||") {
            index += 1
            try countOperator()
            e = .or(e, try parseAnd())
        }
        return e
    }

    mutating func parseAnd() throws -> KconfigExpression {
        var e = try parseNot()
        while index < tokens.count, tokens[index] == .op("&&") {
            index += 1
            try countOperator()
            e = .and(e, try parseNot())
        }
        return e
    }

    mutating func parseNot() throws -> KconfigExpression {
        depth += 1
        defer { depth -= 1 }
        if depth > 200 { throw KconfigSyntaxError(description: "expression nested too deeply") }
        guard index < tokens.count else { throw KconfigSyntaxError(description: "expression ends early") }
        if tokens[index] == .op("!") {
            index += 1
            return .not(try parseNot())
        }
        if tokens[index] == .op("(") {
            index += 1
            let e = try parseOr()
            guard index < tokens.count, tokens[index] == .op(")") else {
                throw KconfigSyntaxError(description: "missing ')'")
            }
            index += 1
            return e
        }
        let lhs = try atom()
        if index < tokens.count, case .op(let op) = tokens[index], let cmp = KconfigComparison(rawValue: op) {
            index += 1
            return .compare(cmp, lhs, try atom())
        }
        return lhs
    }

    mutating func atom() throws -> KconfigExpression {
        guard index < tokens.count else { throw KconfigSyntaxError(description: "expression ends early") }
        let t = tokens[index]
        index += 1
        switch t {
        case .word(let w):
            if w == "if" { throw KconfigSyntaxError(description: "unexpected 'if'") }
            return KconfigExpressionParser.atom(w)
        case .string(let s): return .constant(s)
        case .op(let o): throw KconfigSyntaxError(description: "unexpected '\(o)'")
        }
    }

    static func atom(_ w: String) -> KconfigExpression {
        if w == "y" || w == "m" || w == "n" { return .constant(w) }
        // A macro call's value depends on the toolchain: kept as written (evaluators treat any
        // constant with a `$` as a toolchain test).
        if w.utf8.contains(UInt8(ascii: "$")) { return .constant(w) }
        // Numbers are constants; symbols may start with a digit (64BIT).
        if Int(w) != nil || (w.hasPrefix("0x") && Int(w.dropFirst(2), radix: 16) != nil) {
            return .constant(w)
        }
        return .symbol(w)
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    func replacingOccurrencesSimple(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
