extension FileScanner {
    /// Values that look like names but are never symbols.
    static let constants: Set<String> = ["true", "false", "NULL", "nullptr"]

    // MARK: Function bodies

    mutating func functionBody(
        name: String, storage: StorageClass, line: Int, condition defCondition: PreprocessorCondition,
        params: Set<String>, body: [Token]
    ) {
        let conditions = tokenConditions
        // Locals: `type name =|;|,|[|)` and `(*name)(`.
        var locals = params
        for i in 1..<max(1, body.count) where body[i].kind == .identifier && i + 1 < body.count {
            let prev = body[i - 1]
            let next = body[i + 1]
            let declares =
                next.isPunct(0x3d) || next.isPunct(0x3b) || next.isPunct(0x2c) || next.isPunct(0x5b)
            if prev.kind == .identifier && declares {
                let p = lx.text(prev)
                if p != "return" && p != "goto" && p != "case" && p != "else" && p != "sizeof" {
                    locals.insert(lx.text(body[i]))
                }
            } else if prev.isPunct(0x2a) && declares && i >= 2
                && (body[i - 2].kind == .identifier || body[i - 2].isPunct(0x2a))
            {
                locals.insert(lx.text(body[i]))
            } else if prev.isPunct(0x2a) && next.isPunct(0x29) && i >= 2 && body[i - 2].isPunct(0x28) {
                locals.insert(lx.text(body[i]))
            }
        }
        // `int i, ret;` / `struct foo *a, *b = x;`: every declarator of a declaration statement.
        var statementStart = 0
        // What the statement's head holds, read once per token: `int a, b, c, ...` with a
        // hundred thousand declarators stays linear. Locals are only added once the head holds
        // one, so a token read before that cannot have become a local since.
        var headRead = 0
        var headHasLocal = false
        var headHasParen = false
        var j = 0
        while j < body.count {
            if lx.tick() { break }
            let t = body[j]
            if t.isPunct(0x3b) || t.isPunct(0x7b) || t.isPunct(0x7d) {
                statementStart = j + 1
                headRead = j + 1
                headHasLocal = false
                headHasParen = false
            } else if t.kind == .identifier, j > statementStart, j + 1 < body.count,
                body[j + 1].isPunct(0x2c) || body[j + 1].isPunct(0x3b) || body[j + 1].isPunct(0x3d)
                    || body[j + 1].isPunct(0x5b),
                body[j - 1].isPunct(0x2c) || body[j - 1].isPunct(0x2a),
                body[statementStart].kind == .identifier
            {
                // Only when the statement already declared a local (its first declarator).
                while headRead < j {
                    let h = body[headRead]
                    if h.isPunct(0x28) {
                        headHasParen = true
                    } else if !headHasLocal && h.kind == .identifier && locals.contains(lx.text(h)) {
                        headHasLocal = true
                    }
                    headRead += 1
                }
                if headHasLocal && !headHasParen {
                    locals.insert(lx.text(t))
                }
            }
            j += 1
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
                    if !cKeywords.contains(callee) && !callee.hasPrefix("__builtin")
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
        let fields = designatedFields(body, isArray: isArray)
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
                valueReferences(value)
                i = k
                continue
            }
            i += 1
        }
        return fields
    }

    mutating func valueReferences(_ value: [Token]) {
        var j = 0
        if j < value.count && value[j].isPunct(0x26) { j += 1 }
        guard j < value.count, value[j].kind == .identifier else { return }
        let name = lx.text(value[j])
        if cKeywords.contains(name) || FileScanner.constants.contains(name) { return }
        if j + 1 == value.count {
            reference(name, line: value[j].line, kind: .addressTaken, function: nil)
        } else if value[j + 1].isPunct(0x28) {
            reference(name, line: value[j].line, kind: .call, function: nil)
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
