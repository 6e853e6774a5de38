/// Declaration specifiers and declarators, read the same way at file scope, in a function head, in
/// a parameter list and in a block: the kernel's declarations carry attribute macros with
/// arguments (`__printf(2, 3)`, `__alloc_size(1)`) in front of the type and after the name, and a
/// name taken from the wrong place makes a definition of `__alloc_size` or a reference to a local.

/// Words that make a declaration's type.
let typeWords: Set<String> = [
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "__signed__", "_Bool",
    "bool", "__int128", "_Complex", "__auto_type",
]
/// Storage classes and qualifiers: part of the specifiers, never a name.
let qualifierWords: Set<String> = [
    "const", "volatile", "restrict", "__restrict", "__restrict__", "__const", "__volatile__", "register",
    "auto",
    "inline", "__inline", "__inline__", "_Thread_local", "__thread", "__extension__", "_Noreturn", "static",
    "extern", "typedef", "__label__",
]
/// `typeof(x)`-like specifiers whose argument is a type or an expression, not a name being declared.
let typeofWords: Set<String> = ["typeof", "__typeof__", "__typeof", "_Atomic", "_Alignas", "alignas"]
/// Attribute-like words that take a parenthesised argument after a declarator (`asm("name")`).
let declaratorAttributeWords: Set<String> = ["__attribute__", "__attribute", "asm", "__asm__", "__asm"]

/// One declarator: the declared name and whether it declares a function.
struct Declarator {
    var name: Token
    var index: Int
    var isFunction: Bool
}

/// What one declaration statement declares.
struct DeclarationShape {
    var declarators: [Declarator] = []
    var isExtern = false
    var isStatic = false
    var isTypedef = false
    /// The statement starts with a statement keyword (`return`, `sizeof`, `_Static_assert`): no declaration.
    var notDeclaration = false
    /// Token indexes just after each declarator's `=`.
    var initializers: [Int] = []
}

/// For each `(`, `[` or `{` of `tokens`, the index of the token that closes it (`tokens.count`
/// when nothing does); built in one pass so that every later skip over a group is a jump.
func groupEnds(_ tokens: [Token]) -> [Int32] {
    var ends = [Int32](repeating: 0, count: tokens.count)
    var open: [Int] = []
    for (i, t) in tokens.enumerated() where t.kind == .punct {
        switch t.punct {
        case 0x28, 0x5b, 0x7b: open.append(i)
        case 0x29, 0x5d, 0x7d:
            if let o = open.popLast() { ends[o] = Int32(i) }
        default: break
        }
    }
    for o in open { ends[o] = Int32(tokens.count) }
    return ends
}

extension FileScanner {
    /// Reads `tokens[lo..<hi]` as one declaration: specifiers, then declarators separated by
    /// top-level commas. The name of a declarator is the identifier that is neither a specifier
    /// nor an attribute; `name(...)` followed by nothing but attributes is a function declarator,
    /// while `ident(...)` followed by more of the declaration (a type, `*`, a name) is an
    /// attribute macro (`__printf(2, 3) int f(...)`, `__foo_attr(3) u32 g(void)`). With
    /// `parameterList`, every comma starts new specifiers (`int a, u32 b`); `firstOnly` stops after
    /// the first declarator (a function head, whose K&R parameter declarations follow).
    mutating func parseDeclaration(
        _ t: [Token], from lo: Int, to hi: Int, ends: [Int32], parameterList: Bool = false,
        firstOnly: Bool = false
    ) -> DeclarationShape {
        var shape = DeclarationShape()
        var sawType = false
        var name: Token?
        var nameIndex = 0
        var isFunction = false
        // The declarator's name is settled: what follows are suffixes and attributes.
        var settled = false
        @inline(__always) func end(_ i: Int) -> Int { min(hi, Int(ends[i])) }
        func finish() {
            if let n = name {
                shape.declarators.append(Declarator(name: n, index: nameIndex, isFunction: isFunction))
            }
            name = nil
            isFunction = false
            settled = false
        }
        var i = lo
        while i < hi {
            if lx.tick() { break }
            let tok = t[i]
            if tok.kind == .punct {
                switch tok.punct {
                case 0x2c:  // , : the next declarator (with the same specifiers, except in a parameter list)
                    finish()
                    if firstOnly { return shape }
                    if parameterList { sawType = false }
                case 0x3b:  // ; : K&R parameter declarations follow a function head
                    finish()
                    return shape
                case 0x3d, 0x3a:  // = initializer, : bit-field width: skip to the next declarator
                    if tok.punct == 0x3d && name != nil { shape.initializers.append(i + 1) }
                    settled = true
                    var j = i + 1
                    while j < hi && !t[j].isPunct(0x2c) && !t[j].isPunct(0x3b) {
                        let u = t[j]
                        if u.isPunct(0x28) || u.isPunct(0x5b) || u.isPunct(0x7b) { j = end(j) }
                        j += 1
                    }
                    i = j
                    continue
                case 0x28:  // (
                    let close = end(i)
                    if !settled && name == nil && i + 1 < hi && t[i + 1].isPunct(0x2a) {
                        // `(*name)`, `(*name[4])`, `(*name(int))(int)`: the name is inside.
                        var j = i + 1
                        while j < close {
                            let u = t[j]
                            if u.kind == .identifier {
                                let text = lx.text(u)
                                if !qualifierWords.contains(text) && !attributeLike.contains(text) {
                                    name = u
                                    nameIndex = j
                                    // `(*handler(int irq))(int)`: a function returning a pointer to one.
                                    isFunction = j + 1 < close && t[j + 1].isPunct(0x28)
                                    break
                                }
                            }
                            j += 1
                        }
                        settled = true
                    } else if !settled && name == nil && sawType && i + 2 < hi && t[i + 1].kind == .identifier
                        && t[i + 2].isPunct(0x29)
                    {
                        // `int (name)(int)`: a name in parentheses, which keeps a macro from expanding.
                        name = t[i + 1]
                        nameIndex = i + 1
                    } else if name != nil && !settled {
                        // A parameter list after the name.
                        isFunction = true
                        settled = true
                    }
                    i = close + 1
                    continue
                case 0x5b:  // [ : an array suffix
                    if name != nil { settled = true }
                    i = end(i) + 1
                    continue
                case 0x7b:  // { : an aggregate body or an initializer
                    i = end(i) + 1
                    continue
                default:
                    break
                }
                i += 1
                continue
            }
            guard tok.kind == .identifier else {
                i += 1
                continue
            }
            let text = lx.text(tok)
            let groupFollows = i + 1 < hi && t[i + 1].isPunct(0x28)
            if settled || attributeLike.contains(text) || declaratorAttributeWords.contains(text) {
                // A trailing attribute, or an attribute before the name: skip its arguments.
                i = groupFollows ? end(i + 1) + 1 : i + 1
                continue
            }
            if qualifierWords.contains(text) {
                if text == "extern" { shape.isExtern = true }
                if text == "static" { shape.isStatic = true }
                if text == "typedef" { shape.isTypedef = true }
                i += 1
                continue
            }
            if typeWords.contains(text) {
                sawType = true
                i += 1
                continue
            }
            if text == "struct" || text == "union" || text == "enum" {
                // The tag is no name; a body (`{`) is skipped by the brace case.
                sawType = true
                i += 1
                if i < hi && t[i].kind == .identifier { i += 1 }
                continue
            }
            if typeofWords.contains(text) {
                if text != "_Alignas" && text != "alignas" { sawType = true }
                i = groupFollows ? end(i + 1) + 1 : i + 1
                continue
            }
            if cKeywords.contains(text) {
                shape.notDeclaration = true
                return shape
            }
            if groupFollows {
                let close = end(i + 1)
                if name == nil && !sawType && i + 2 < hi && t[i + 2].isPunct(0x2a) {
                    // `ssize_t (*show)(...)`, `s16 (*chans)[2]`: a typedef name before `(*name)`.
                    sawType = true
                    i += 1
                    continue
                }
                if name == nil && !sawType {
                    // In front of the type: an attribute macro when more of the declaration follows.
                    if close + 1 < hi && continuesDeclaration(t[close + 1]) {
                        i = close + 1
                        continue
                    }
                    name = tok
                    nameIndex = i
                    isFunction = true
                    settled = true
                } else if name == nil {
                    name = tok
                    nameIndex = i
                    isFunction = true
                    settled = true
                } else if looksLikeParameters(t, from: i + 2, to: close) {
                    // `int __cold foo(void)`: the word before was an attribute.
                    name = tok
                    nameIndex = i
                    isFunction = true
                    settled = true
                }
                // Otherwise an attribute macro after the name: `data __aligned_like(8)`.
                i = close + 1
                continue
            }
            if !sawType && name == nil {
                // A typedef name, unless the declarator already ends here (`static x;`, K&R `a, b`).
                let next = i + 1 < hi ? t[i + 1] : nil
                if let next,
                    !(next.isPunct(0x2c) || next.isPunct(0x3d) || next.isPunct(0x5b) || next.isPunct(0x3a))
                {
                    sawType = true
                    i += 1
                    continue
                }
            }
            // A later plain word replaces an earlier one: `u32 __unknown_attr *base` names `base`.
            name = tok
            nameIndex = i
            i += 1
        }
        finish()
        return shape
    }

    /// After `ident(...)` in front of the type: whether the declaration goes on (a type, `*`, a
    /// name, a parenthesised declarator), which makes the group an attribute macro.
    func continuesDeclaration(_ t: Token) -> Bool {
        t.kind == .identifier || t.isPunct(0x2a) || t.isPunct(0x28)
    }

    /// Whether `tokens[lo..<hi]` reads as a parameter list rather than an attribute's arguments:
    /// empty, `void`, or with a type word, `*`, `...`, an array or two words in a row.
    mutating func looksLikeParameters(_ t: [Token], from lo: Int, to hi: Int) -> Bool {
        if lo >= hi { return true }
        var previousWord = false
        for j in lo..<hi {
            let u = t[j]
            if u.kind == .identifier {
                let text = lx.text(u)
                if previousWord || typeWords.contains(text) || qualifierWords.contains(text)
                    || text == "struct" || text == "union" || text == "enum"
                {
                    return true
                }
                previousWord = true
            } else {
                if u.isPunct(0x2a) || u.isPunct(0x2e) || u.isPunct(0x5b) { return true }
                previousWord = false
            }
        }
        return false
    }

    /// Enumerators of an enum body `tokens[lo..<hi]`: the first word of each top-level element.
    mutating func enumerators(_ t: [Token], from lo: Int, to hi: Int, ends: [Int32]) -> [Int] {
        var out: [Int] = []
        var atElement = true
        var i = lo
        while i < hi {
            let u = t[i]
            if atElement && u.kind == .identifier { out.append(i) }
            atElement = u.isPunct(0x2c)
            if u.isPunct(0x28) || u.isPunct(0x5b) || u.isPunct(0x7b) { i = min(hi, Int(ends[i])) }
            i += 1
        }
        return out
    }

    /// The bodies of `enum [tag] {` inside `tokens` (a struct body): their enumerators, which C
    /// puts at file scope however deep the enum is written.
    mutating func nestedEnumerators(_ t: [Token]) -> [Int] {
        var out: [Int] = []
        var ends: [Int32]?
        for i in 0..<t.count where t[i].kind == .identifier && lx.equals(t[i], "enum") {
            var j = i + 1
            if j < t.count && t[j].kind == .identifier { j += 1 }
            guard j < t.count, t[j].isPunct(0x7b) else { continue }
            if ends == nil { ends = groupEnds(t) }
            out += enumerators(t, from: j + 1, to: min(t.count, Int(ends![j])), ends: ends!)
        }
        return out
    }
}
