/// Conditions that C code itself puts on other code through the config macros of
/// <linux/kconfig.h>: `if (IS_REACHABLE(CONFIG_HWMON)) hwmon_register(...)`,
/// `IS_ENABLED(CONFIG_X) && f()`, `!IS_ENABLED(CONFIG_X) || f()`, `IS_ENABLED(CONFIG_X) ? f() : 0`.
/// The compiler folds the test to a constant and drops the guarded call, so the call is a link
/// reference only where the test holds — the same as if it sat under `#if`.
extension FileScanner {
    static let configTests: [String: ConfigTest] = [
        "IS_ENABLED": .enabled, "IS_BUILTIN": .builtin, "IS_MODULE": .module, "IS_REACHABLE": .reachable,
    ]

    /// For each token of a function body, the conjunction of the config tests that guard it.
    mutating func codeGuards(_ body: [Token], ends: [Int32]) -> [PreprocessorCondition] {
        var guards = [PreprocessorCondition](repeating: .always, count: body.count)
        func guardRange(_ range: Range<Int>, _ g: PreprocessorCondition) {
            for k in range where k < guards.count { guards[k] = .all([guards[k], g]) }
        }
        func close(_ i: Int) -> Int { min(body.count, Int(ends[i])) }
        /// `IS_X(CONFIG_Y)` or `!IS_X(CONFIG_Y)` at `i`: its condition and the index after it.
        func term(at i: Int) -> (PreprocessorCondition, Int)? {
            var k = i
            var negated = false
            while k < body.count, body[k].isPunct(0x21) {  // !
                negated.toggle()
                k += 1
            }
            // A call of a file-local predicate (`!sev_guest(kvm)`) tests its condition.
            // A file-local predicate macro (`#define sev_enabled false` under `#else`) too.
            if k < body.count, body[k].kind == .identifier, !predicates.isEmpty,
                let c = predicates[lx.text(body[k])]
            {
                let after = k + 1 < body.count && body[k + 1].isPunct(0x28) ? close(k + 1) + 1 : k + 1
                return (negated ? .not(c) : c, after)
            }
            guard let c = configTest(body, at: k) else { return nil }
            return (negated ? .not(c) : c, k + 4)
        }
        /// The end of the expression an operand at `i` belongs to: the closing bracket of its group,
        /// or the `;` / `,` / `?` / `:` at its own level.
        func expressionEnd(from i: Int) -> Int {
            var k = i
            while k < body.count {
                let t = body[k]
                if t.isPunct(0x28) || t.isPunct(0x5b) || t.isPunct(0x7b) {
                    k = close(k) + 1
                    continue
                }
                if t.isPunct(0x29) || t.isPunct(0x5d) || t.isPunct(0x7d) || t.isPunct(0x3b) || t.isPunct(0x2c)
                    || t.isPunct(0x3f) || t.isPunct(0x3a)
                {
                    return k
                }
                k += 1
            }
            return body.count
        }
        /// The statement after an `if (...)`: a block, or up to its `;` (nested `if`s included).
        func statementEnd(from i: Int) -> Int {
            guard i < body.count else { return body.count }
            if body[i].isPunct(0x7b) { return close(i) + 1 }
            var k = i
            while k < body.count {
                if body[k].isPunct(0x28) || body[k].isPunct(0x5b) || body[k].isPunct(0x7b) {
                    k = close(k) + 1
                    continue
                }
                if body[k].isPunct(0x3b) { return k + 1 }
                k += 1
            }
            return body.count
        }
        // The end of the innermost block around each `{`-opened block: where an early return's
        // effect stops.
        var blockEnd = [Int](repeating: body.count, count: body.count)
        var openBlocks: [Int] = []
        for (k, t) in body.enumerated() {
            if t.isPunct(0x7b) { openBlocks.append(close(k)) }
            blockEnd[k] = openBlocks.last ?? body.count
            if t.isPunct(0x7d), !openBlocks.isEmpty { openBlocks.removeLast() }
        }
        /// Whether the statement at `i` is `return ...;` (alone, or as a block's only statement).
        func isReturn(_ i: Int) -> Bool {
            var k = i
            if k < body.count, body[k].isPunct(0x7b) { k += 1 }
            return k < body.count && body[k].kind == .identifier && lx.equals(body[k], "return")
        }
        var i = 0
        while i < body.count {
            // `TERM && rest`, `!TERM || rest` (negated: rest runs only when TERM fails),
            // `TERM ? a : b`.
            if let (c, after) = term(at: i), after < body.count {
                let op = body[after]
                if op.kind == .punct, op.punct == Token.logicalAnd {
                    guardRange((after + 1)..<expressionEnd(from: after + 1), c)
                } else if op.kind == .punct, op.punct == Token.logicalOr {
                    guardRange((after + 1)..<expressionEnd(from: after + 1), PreprocessorCondition.negation(c))
                } else if op.isPunct(0x3f) {
                    let colon = expressionEnd(from: after + 1)
                    guardRange((after + 1)..<colon, c)
                    if colon < body.count, body[colon].isPunct(0x3a) {
                        guardRange((colon + 1)..<expressionEnd(from: colon + 1), PreprocessorCondition.negation(c))
                    }
                }
                // Past the whole term: `!IS_ENABLED(X)` is one test, not also `IS_ENABLED(X)`.
                i = after
                continue
            }
            // `if (TERM && ...)`: the statement runs only where every top-level TERM holds.
            if body[i].kind == .identifier, lx.equals(body[i], "if"), i + 1 < body.count, body[i + 1].isPunct(0x28) {
                let end = close(i + 1)
                var conjuncts: [PreprocessorCondition] = []
                var k = i + 2
                var onlyAnd = true
                while k < end {
                    if let (c, after) = term(at: k), after <= end,
                        after == end || (body[after].kind == .punct && body[after].punct == Token.logicalAnd)
                    {
                        conjuncts.append(c)
                        k = after + 1
                        continue
                    }
                    if body[k].kind == .punct && body[k].punct == Token.logicalOr { onlyAnd = false }
                    if body[k].isPunct(0x28) || body[k].isPunct(0x5b) {
                        k = close(k) + 1
                        continue
                    }
                    k += 1
                }
                if onlyAnd && !conjuncts.isEmpty {
                    guardRange((end + 1)..<statementEnd(from: end + 1), .all(conjuncts))
                }
                // `if (!IS_ENABLED(CONFIG_X) || ...) return ...;`: the rest of the block runs only
                // where the test holds.
                if isReturn(end + 1), let (c, after) = term(at: i + 2), case .not(let test) = c,
                    after == end || (body[after].kind == .punct && body[after].punct == Token.logicalOr)
                {
                    let rest = statementEnd(from: end + 1)
                    guardRange(rest..<max(rest, blockEnd[i]), test)
                }
            }
            i += 1
        }
        return guards
    }

    /// `IS_X(CONFIG_Y)` at `k` (four tokens): its condition.
    func configTest(_ body: [Token], at k: Int) -> PreprocessorCondition? {
        guard k + 3 < body.count, body[k].kind == .identifier,
            let test = FileScanner.configTests[lx.text(body[k])], body[k + 1].isPunct(0x28),
            body[k + 2].kind == .identifier, body[k + 3].isPunct(0x29)
        else { return nil }
        let name = lx.text(body[k + 2])
        return name.hasPrefix("CONFIG_") ? .config(name, test) : nil
    }

    /// The condition without which a file-local function returns only false (`0`, `false`,
    /// `NULL`): every other `return` sits under it (an `#ifdef` branch, `if (IS_BUILTIN(X) && ...)`)
    /// or is `return IS_ENABLED(X) ? value : 0;`. nil when the function is no such predicate.
    func predicateCondition(_ body: [Token], ends: [Int32], conditions: [PreprocessorCondition])
        -> PreprocessorCondition?
    {
        func isFalse(_ range: Range<Int>) -> Bool {
            guard range.count == 1 else { return false }
            let t = body[range.lowerBound]
            return lx.equals(t, "false") || lx.equals(t, "0") || lx.equals(t, "NULL")
        }
        /// The end of the expression from `i` at its own level: `;`, or `:` when `colon`.
        func end(from i: Int, colon: Bool) -> Int {
            var k = i
            while k < body.count {
                if body[k].isPunct(0x28) || body[k].isPunct(0x5b) || body[k].isPunct(0x7b) {
                    k = min(body.count, Int(ends[k])) + 1
                    continue
                }
                if body[k].isPunct(0x3b) || (colon && body[k].isPunct(0x3a)) { return k }
                k += 1
            }
            return body.count
        }
        var found: PreprocessorCondition?
        var returnsFalse = false
        var k = 0
        while k < body.count {
            guard body[k].kind == .identifier, lx.equals(body[k], "return") else {
                k += 1
                continue
            }
            let stop = end(from: k + 1, colon: false)
            defer { k = stop }
            if isFalse((k + 1)..<stop) {
                returnsFalse = true
                continue
            }
            var c = k < conditions.count ? conditions[k] : .always
            // `return IS_ENABLED(CONFIG_X) ? value : 0;`
            if k + 6 < stop, let test = configTest(body, at: k + 1), body[k + 5].isPunct(0x3f) {
                let colon = end(from: k + 6, colon: true)
                guard colon < stop, isFalse((colon + 1)..<stop) else { return nil }
                returnsFalse = true
                c = .all([c, test])
            }
            guard c != .always else { return nil }
            if let f = found, f != c { return nil }
            found = c
        }
        return returnsFalse ? found : nil
    }
}
