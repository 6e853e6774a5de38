extension FileScanner {
    /// Values that look like names but are never symbols.
    static let constants: Set<String> = [
        "true", "false", "NULL", "nullptr", "KBUILD_MODNAME", "KBUILD_BASENAME",
    ]

    // MARK: Function bodies

    mutating func functionBody(
        name: String, storage: StorageClass, line: Int, condition defCondition: PreprocessorCondition,
        params: Set<String>, body: [Token]
    ) {
        let ends = groupEnds(body)
        // Each token's `#if` condition, with what `if (IS_ENABLED(...))`-style code adds.
        let guards = codeGuards(body, ends: ends)
        let conditions = tokenConditions.enumerated().map { k, c in
            k < guards.count && guards[k] != .always ? PreprocessorCondition.all([c, guards[k]]) : c
        }
        if storage != .global, body.count < 200,
            let c = predicateCondition(body, ends: ends, conditions: conditions)
        {
            predicates[name] = c
        }
        var locals = params
        blockLocals(body, ends: ends, into: &locals)
        if tracksLiveness {
            for k in body.indices where body[k].kind == .identifier {
                if k > 0, body[k - 1].isPunct(0x2e) || (body[k - 1].kind == .punct && body[k - 1].punct == Token.arrow) {
                    continue
                }
                let word = lx.text(body[k])
                if !locals.contains(word) { recordUse(word, user: name, condition: k < conditions.count ? conditions[k] : defCondition) }
            }
        }
        var callees: [String] = []
        var calleeSet = Set<String>()
        var calls: [FunctionCall] = []
        var members: [String: String] = [:]
        var i = 0
        while i < body.count {
            if lx.tick() { break }
            let t = body[i]
            let cond = i < conditions.count ? conditions[i] : defCondition
            if t.kind == .identifier {
                let prev = i > 0 ? body[i - 1] : nil
                let viaMember =
                    prev.map { $0.isPunct(0x2e) || ($0.kind == .punct && $0.punct == Token.arrow) } ?? false
                if i + 1 < body.count && body[i + 1].isPunct(0x28) && !viaMember {
                    let callee = lx.text(t)
                    let close = min(body.count - 1, Int(ends[i + 1]))
                    if declaratorAttributeWords.contains(callee) {
                        // `__attribute__((aligned(8)))`, `asm("..." : "=r"(x))`: no calls inside.
                        i = close + 1
                        continue
                    }
                    // `ssize_t (*show)(struct device *)`, `s16 (*chans)[2]`: a declaration's type.
                    let declaresPointer =
                        i + 2 < body.count && body[i + 2].isPunct(0x2a) && close + 1 < body.count
                        && (body[close + 1].isPunct(0x28) || body[close + 1].isPunct(0x5b))
                    if !declaresPointer && !cKeywords.contains(callee) && !callee.hasPrefix("__builtin")
                        && !locals.contains(callee)
                    {
                        if calleeSet.insert(callee).inserted { callees.append(callee) }
                        reference(
                            callee, line: t.line, kind: .call, function: name,
                            condition: PreprocessorCondition.all([defCondition, cond]))
                        if watchedCalls.contains(callee), let close = matching(body, from: i + 1) {
                            let args = arguments(Array(body[(i + 2)..<close]))
                            calls.append(
                                FunctionCall(
                                    callee: callee, arguments: args, line: t.line,
                                    condition: PreprocessorCondition.all([defCondition, cond])))
                        }
                    }
                } else if viaMember && i + 1 < body.count && body[i + 1].isPunct(0x3d) {
                    // `x->member = value;`
                    var j = i + 2
                    var value: [Token] = []
                    while j < body.count && !body[j].isPunct(0x3b) && value.count < 32 {
                        value.append(body[j])
                        j += 1
                    }
                    members[lx.text(t)] = render(value)
                }
            } else if t.isPunct(0x26), i + 1 < body.count, body[i + 1].kind == .identifier {
                // Unary `&name` (not a binary AND after an operand).
                let prev = i > 0 ? body[i - 1] : nil
                let binary =
                    prev.map {
                        $0.kind == .identifier || $0.kind == .number || $0.isPunct(0x29) || $0.isPunct(0x5d)
                    } ?? false
                let target = lx.text(body[i + 1])
                let viaMember = i + 2 < body.count && body[i + 2].isPunct(0x28)
                if !binary && !locals.contains(target) && !cKeywords.contains(target) && !viaMember {
                    reference(
                        target, line: body[i + 1].line, kind: .addressTaken, function: name,
                        condition: PreprocessorCondition.all([defCondition, cond]))
                }
            }
            i += 1
        }
        var endLine = line
        if let last = body.last { endLine = last.line }
        facts.functions.append(
            FunctionFacts(
                name: name, storage: storage, line: line, endLine: endLine, condition: defCondition,
                callees: callees, calls: calls, assignsMembers: members))
    }

    // MARK: Locals

    /// Every name a block-scope declaration of `body` declares, whatever its place: after
    /// statements, in a `for` head, several per statement, in a statement expression, or made by a
    /// declaring macro (`LIST_HEAD(list);`). One set per function (flow-insensitive): `&name` and
    /// `name(` of a local are no link-time references.
    mutating func blockLocals(_ body: [Token], ends: [Int32], into locals: inout Set<String>) {
        // A `({` statement expression resumes its enclosing statement after the `})`.
        struct Enclosing {
            var isStatementExpression: Bool
            var start: Int
            var parens: Int
            var assigns: Bool
        }
        var enclosing: [Enclosing] = []
        var start = 0
        var parens = 0
        // A top-level `=` in the statement: a `{` after it opens an initializer, not a block.
        var assigns = false
        var i = 0
        while i < body.count {
            if lx.tick() { return }
            let t = body[i]
            guard t.kind == .punct else {
                i += 1
                continue
            }
            switch t.punct {
            case 0x28: parens += 1
            case 0x29: parens = max(0, parens - 1)
            case 0x3d where parens == 0: assigns = true
            case 0x3b where parens == 0:
                statementLocals(body, from: start, to: i, ends: ends, into: &locals)
                start = i + 1
                assigns = false
            case 0x7b:
                let previous = i > 0 ? body[i - 1] : nil
                let close = min(body.count - 1, Int(ends[i]))
                if parens > 0 && previous?.isPunct(0x28) == true {
                    enclosing.append(
                        Enclosing(isStatementExpression: true, start: start, parens: parens, assigns: assigns)
                    )
                    start = i + 1
                    parens = 0
                    assigns = false
                } else if parens > 0 || assigns || previous?.isPunct(0x3d) == true {
                    // An initializer (`bf[32] = {0}`) or a compound literal: part of the statement.
                    i = close
                } else if let isEnum = aggregateBefore(body, at: i, from: start) {
                    // `struct foo { ... } data;`: the body belongs to the declaration.
                    if isEnum {
                        for e in enumerators(body, from: i + 1, to: close, ends: ends) {
                            locals.insert(lx.text(body[e]))
                        }
                    }
                    i = close
                } else {
                    statementLocals(body, from: start, to: i, ends: ends, into: &locals)
                    enclosing.append(
                        Enclosing(isStatementExpression: false, start: 0, parens: 0, assigns: false))
                    start = i + 1
                    parens = 0
                    assigns = false
                }
            case 0x7d:
                statementLocals(body, from: start, to: i, ends: ends, into: &locals)
                if let outer = enclosing.popLast(), outer.isStatementExpression {
                    start = outer.start
                    parens = outer.parens
                    assigns = outer.assigns
                } else {
                    start = i + 1
                    parens = 0
                    assigns = false
                }
            default: break
            }
            i += 1
        }
        statementLocals(body, from: start, to: body.count, ends: ends, into: &locals)
    }

    /// For a `{` at `at`: true after `enum [tag]`, false after `struct|union [tag]`, nil otherwise.
    mutating func aggregateBefore(_ body: [Token], at i: Int, from start: Int) -> Bool? {
        var k = i - 1
        if k >= start && body[k].kind == .identifier && !isAggregateKeyword(body[k]) { k -= 1 }
        guard k >= start, body[k].kind == .identifier, isAggregateKeyword(body[k]) else { return nil }
        return lx.equals(body[k], "enum")
    }

    mutating func isAggregateKeyword(_ t: Token) -> Bool {
        lx.equals(t, "struct") || lx.equals(t, "union") || lx.equals(t, "enum")
    }

    /// One statement `body[lo..<hi]` (without its `;`): labels, `case X:`, `else`, `do` and the
    /// heads of `if`/`while`/`switch`/`for` come off the front (a `for` head's first clause may
    /// declare); what remains declares locals only when it reads as a declaration.
    mutating func statementLocals(
        _ body: [Token], from lo: Int, to hi: Int, ends: [Int32], into locals: inout Set<String>
    ) {
        var i = lo
        while i < hi, body[i].kind == .identifier {
            if lx.tick() { return }
            let t = body[i]
            let next = i + 1 < hi ? body[i + 1] : nil
            if lx.equals(t, "else") || lx.equals(t, "do") {
                i += 1
            } else if lx.equals(t, "case") {
                var j = i + 1
                while j < hi && !body[j].isPunct(0x3a) {
                    if body[j].isPunct(0x28) || body[j].isPunct(0x5b) { j = Int(ends[j]) }
                    j += 1
                }
                i = j + 1
            } else if next?.isPunct(0x3a) == true {
                // `out:`, `default:`
                i += 2
            } else if next?.isPunct(0x28) == true,
                lx.equals(t, "if") || lx.equals(t, "while") || lx.equals(t, "switch") || lx.equals(t, "for")
            {
                let close = min(hi, Int(ends[i + 1]))
                if lx.equals(t, "for") {
                    var j = i + 2
                    while j < close && !body[j].isPunct(0x3b) {
                        if body[j].isPunct(0x28) || body[j].isPunct(0x5b) || body[j].isPunct(0x7b) {
                            j = Int(ends[j])
                        }
                        j += 1
                    }
                    declarationLocals(body, from: i + 2, to: min(j, close), ends: ends, into: &locals)
                }
                i = close + 1
            } else {
                break
            }
        }
        declarationLocals(body, from: i, to: hi, ends: ends, into: &locals)
    }

    /// Locals of `body[lo..<hi]` when it is a declaration: it starts with a type, storage class,
    /// qualifier or attribute word, or with a (typedef) name followed by a name, by `*`s and a
    /// name, or by `(*name)(`; or it is a declaring macro whose first argument is a plain name
    /// (`DECLARE_COMPLETION_ONSTACK(done)`). `extern` declarations and prototypes declare no local.
    mutating func declarationLocals(
        _ body: [Token], from lo: Int, to hi: Int, ends: [Int32], into locals: inout Set<String>
    ) {
        guard lo < hi, body[lo].kind == .identifier else { return }
        var m = lo
        if lx.equals(body[m], "static") { m += 1 }
        if m + 2 < hi, body[m].kind == .identifier, body[m + 1].isPunct(0x28) {
            let macro = lx.text(body[m])
            if FileScanner.isDefiningMacro(macro) || localDefiningMacros.contains(macro) {
                if body[m + 2].kind == .identifier, m + 3 < hi,
                    body[m + 3].isPunct(0x2c) || body[m + 3].isPunct(0x29)
                {
                    locals.insert(lx.text(body[m + 2]))
                }
                return
            }
        }
        let first = lx.text(body[lo])
        let isDeclaration: Bool
        if typeWords.contains(first) || qualifierWords.contains(first) || typeofWords.contains(first)
            || first == "struct" || first == "union" || first == "enum" || attributeLike.contains(first)
        {
            isDeclaration = true
        } else if cKeywords.contains(first) || lo + 1 >= hi {
            isDeclaration = false
        } else {
            let next = body[lo + 1]
            if next.kind == .identifier {
                isDeclaration = true
            } else if next.isPunct(0x2a) {
                // `foo_t *p`, `foo_t **pp`, `foo_t *const p` (nobody writes `a * b;`).
                var j = lo + 1
                while j < hi && body[j].isPunct(0x2a) { j += 1 }
                isDeclaration = j < hi && body[j].kind == .identifier
            } else if next.isPunct(0x28) {
                // `handler_t (*fn)(int)`, not a call `foo(*p)`; `BKEY_PADDED(key) tmp;`, a type
                // made by a macro, not `list_for_each(pos, head) count++;`.
                let close = Int(ends[lo + 1])
                let pointer =
                    lo + 3 < hi && body[lo + 2].isPunct(0x2a) && body[lo + 3].kind == .identifier
                    && close + 1 < hi
                    && (body[close + 1].isPunct(0x28) || body[close + 1].isPunct(0x5b))
                let madeType =
                    close + 1 < hi && body[close + 1].kind == .identifier
                    && (close + 2 == hi || body[close + 2].isPunct(0x2c) || body[close + 2].isPunct(0x3d)
                        || body[close + 2].isPunct(0x5b))
                isDeclaration = pointer || madeType
            } else {
                isDeclaration = false
            }
        }
        guard isDeclaration else { return }
        let shape = parseDeclaration(body, from: lo, to: hi, ends: ends)
        guard !shape.notDeclaration, !shape.isExtern, !shape.isTypedef else { return }
        for d in shape.declarators {
            if !d.isFunction {
                locals.insert(lx.text(d.name))
            } else if d.index + 3 < hi, body[d.index + 2].kind == .identifier, body[d.index + 3].isPunct(0x29)
            {
                // `u8 uninitialized_var(temp);`: a macro around the declarator (a prototype with
                // one unnamed parameter of a typedef type makes a harmless local of the type name).
                locals.insert(lx.text(body[d.index + 2]))
            }
        }
    }

    /// Index of the `)` matching the `(` at `open`.
    mutating func matching(_ tokens: [Token], from open: Int) -> Int? {
        var level = 0
        var i = open
        while i < tokens.count {
            if lx.tick() { return nil }
            if tokens[i].isPunct(0x28) { level += 1 }
            if tokens[i].isPunct(0x29) {
                level -= 1
                if level == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    // MARK: Initializers

    /// `[static] [const] struct TAG name[] = { .a = x, .b = { .c = y } };`
    mutating func structInitializer(_ head: [Token], body: [Token], line: Int) {
        guard let s = head.firstIndex(where: { $0.kind == .identifier && lx.equals($0, "struct") }),
            s + 1 < head.count,
            head[s + 1].kind == .identifier
        else {
            recordUses(body[...], user: nil, conditions: tokenConditions)
            fieldReferences(body)
            return
        }
        let tag = lx.text(head[s + 1])
        var name: String?
        var isArray = false
        for t in head[(s + 2)...] {
            if t.kind == .identifier && !attributeLike.contains(lx.text(t)) && !lx.equals(t, "const") {
                name = lx.text(t)
            }
            if t.isPunct(0x5b) { isArray = true }
        }
        guard let variable = name else { return }
        recordUses(body[...], user: variable, conditions: tokenConditions)
        currentInitializer = variable
        let fields = designatedFields(body, isArray: isArray)
        currentInitializer = nil
        facts.initializers.append(
            StructInitializer(
                structType: tag, variable: variable, isArray: isArray, isStatic: contains(head, "static"),
                isConst: contains(head, "const"),
                fields: fields, line: line, condition: condition))
    }

    /// Reads designators; for arrays, the fields of the first element. Values that name a symbol
    /// (`.device_group = pci_device_group`, `.bus = &platform_bus_type`, `.f = helper(x)`) are references.
    mutating func designatedFields(_ body: [Token], isArray: Bool) -> [DesignatedField] {
        var fields: [DesignatedField] = []
        var prefix: [String] = []
        var level = isArray ? 0 : 1
        var i = 0
        var elementsDone = false
        // prefixStack[level] is the path prefix in force inside a brace opened at that level.
        var prefixStack: [[String]] = Array(repeating: [], count: 2)
        while i < body.count {
            let t = body[i]
            if t.isPunct(0x7b) {
                level += 1
                // Stray closing braces may have taken the level below zero (found by the fuzzer).
                if level >= prefixStack.count {
                    prefixStack.append(prefix)
                } else if level >= 0 {
                    prefixStack[level] = prefix
                }
                i += 1
                continue
            }
            if t.isPunct(0x7d) {
                level -= 1
                prefix = level >= 0 && level < prefixStack.count ? prefixStack[level] : []
                if isArray && level == 0 { elementsDone = true }
                i += 1
                continue
            }
            let atElementStart = i == 0 || body[i - 1].isPunct(0x7b) || body[i - 1].isPunct(0x2c)
            if t.isPunct(0x2e) && atElementStart && !elementsDone {
                // `.a.b = value` or `.a = value`
                var path: [String] = []
                var j = i
                while j + 1 < body.count && body[j].isPunct(0x2e) && body[j + 1].kind == .identifier {
                    path.append(lx.text(body[j + 1]))
                    j += 2
                }
                guard j < body.count, body[j].isPunct(0x3d) else {
                    i += 1
                    continue
                }
                let full = (level >= 0 && level < prefixStack.count ? prefixStack[level] : []) + path
                if j + 1 < body.count && body[j + 1].isPunct(0x7b) {
                    prefix = full
                    i = j + 1
                    continue
                }
                // Value: tokens to the next top-level `,` or `}`.
                var k = j + 1
                var nesting = 0
                var value: [Token] = []
                while k < body.count {
                    let v = body[k]
                    if v.isPunct(0x28) || v.isPunct(0x5b) || v.isPunct(0x7b) { nesting += 1 }
                    if v.isPunct(0x29) || v.isPunct(0x5d) || v.isPunct(0x7d) {
                        if nesting == 0 { break }
                        nesting -= 1
                    }
                    if v.isPunct(0x2c) && nesting == 0 { break }
                    value.append(v)
                    k += 1
                }
                fields.append(
                    DesignatedField(path: full.joined(separator: "."), value: render(value), line: t.line))
                valueReferences(value, condition: j + 1 < tokenConditions.count ? tokenConditions[j + 1] : nil)
                i = k
                continue
            }
            i += 1
        }
        return fields
    }

    /// `condition`: the value's own (a field inside an `#ifdef` of the initializer); nil: the
    /// scanner's current one.
    mutating func valueReferences(_ value: [Token], condition: PreprocessorCondition? = nil) {
        var j = 0
        if j < value.count && value[j].isPunct(0x26) { j += 1 }
        guard j < value.count, value[j].kind == .identifier else { return }
        let name = lx.text(value[j])
        if cKeywords.contains(name) || FileScanner.constants.contains(name) { return }
        if j + 1 == value.count {
            reference(name, line: value[j].line, kind: .addressTaken, function: currentInitializer, condition: condition)
        } else if value[j + 1].isPunct(0x28) {
            reference(name, line: value[j].line, kind: .call, function: currentInitializer, condition: condition)
        }
    }

    /// Initializers of non-struct objects: only designated values count as references.
    mutating func fieldReferences(_ body: [Token]) {
        _ = designatedFields(body, isArray: false)
    }

    // MARK: Aggregates

    /// Member names of a struct/union body; nested anonymous aggregates are flattened.
    mutating func members(_ body: [Token]) -> [String] {
        var names: [String] = []
        var decl: [Token] = []
        decl.reserveCapacity(32)
        var parens = 0
        for t in body {
            if t.kind == .punct {
                switch t.punct {
                case 0x28: parens += 1
                case 0x29: parens -= 1
                case 0x7b, 0x7d:
                    decl.removeAll(keepingCapacity: true)
                    continue
                case 0x3b where parens == 0:
                    if let n = memberName(decl) { names.append(n) }
                    decl.removeAll(keepingCapacity: true)
                    continue
                case 0x2c where parens == 0:
                    // `int a, *b;`: each declarator is a member; the type stays for the next one.
                    if let n = memberName(decl) { names.append(n) }
                    if let typeEnd = decl.lastIndex(where: { $0.kind == .identifier }) {
                        decl.removeSubrange(typeEnd...)
                    }
                    continue
                default: break
                }
            }
            decl.append(t)
        }
        return names
    }

    /// The declared name of one member declaration; strings are made only for candidates, from
    /// the end: the name is the last identifier outside parentheses that is not an attribute.
    func memberName(_ decl: [Token]) -> String? {
        // `int (*map)(...)`, `int (*const map)(...)`: the last name before the `)`.
        if decl.count > 2 {
            for i in 0..<(decl.count - 2) where decl[i].isPunct(0x28) && decl[i + 1].isPunct(0x2a) {
                var j = i + 2
                var name: Token?
                while j < decl.count && decl[j].kind == .identifier {
                    name = decl[j]
                    j += 1
                }
                if let name, j < decl.count, decl[j].isPunct(0x29) || decl[j].isPunct(0x5b) {
                    return lx.text(name)
                }
            }
        }
        // The declarator ends at `[`, `:` (a bit-field) or `=` outside parentheses.
        var end = decl.count
        var level = 0
        for (i, t) in decl.enumerated() where t.kind == .punct {
            if t.punct == 0x28 { level += 1 }
            if t.punct == 0x29 { level -= 1 }
            if level == 0 && (t.punct == 0x5b || t.punct == 0x3a || t.punct == 0x3d) {
                end = i
                break
            }
        }
        level = 0
        var i = end - 1
        while i >= 0 {
            let t = decl[i]
            if t.isPunct(0x29) {
                level += 1
            } else if t.isPunct(0x28) {
                level -= 1
            } else if level == 0 && t.kind == .identifier {
                // An attribute macro after the name (`__aligned(8)`) is not the name.
                if !(i + 1 < decl.count && decl[i + 1].isPunct(0x28)) {
                    let name = lx.text(t)
                    if !attributeLike.contains(name) && (!cKeywords.contains(name) || name == "bool") {
                        return name
                    }
                }
            }
            i -= 1
        }
        return nil
    }
}
