/// Static functions and static objects the compiler drops: a static function or object that no
/// live code uses is not emitted, and neither are the references inside it
/// (`static struct console foo_console = { .device = uart_console_device }` used only under
/// `if (IS_ENABLED(CONFIG_FOO_CONSOLE))`; an earlycon setup function named only by
/// `OF_EARLYCON_DECLARE`, whose table entry a module never emits). Each reference of a `.c`
/// file's static function or object gets the condition under which that container is used;
/// references of a container nothing uses are dropped.
extension FileScanner {
    /// Linker-table declarations whose entry exists only in built-in code (of.h, serial_core.h:
    /// `#if defined(CONFIG_OF) && !defined(MODULE)`): what they name is used only there.
    static func isBuiltinOnlyTable(_ name: String) -> Bool {
        name.hasSuffix("_OF_DECLARE") || name == "OF_DECLARE_1" || name == "OF_DECLARE_2"
            || name == "IRQCHIP_DECLARE" || name == "EARLYCON_DECLARE" || name == "OF_EARLYCON_DECLARE"
            || name == "CLK_OF_DECLARE_DRIVER"
    }

    /// Records that `user` (a static container's name, nil for file scope) names `name` under
    /// `condition`.
    mutating func recordUse(_ name: String, user: String?, condition: PreprocessorCondition) {
        guard tracksLiveness, name != user else { return }
        let key = StaticUseKey(user: user, name: name, condition: condition)
        if staticUseKeys.insert(key).inserted { staticUses.append(key) }
    }

    /// Every identifier among `tokens` (not a member after `.`/`->`) as a use by `user`.
    mutating func recordUses(_ tokens: ArraySlice<Token>, user: String?, conditions: [PreprocessorCondition]?) {
        guard tracksLiveness else { return }
        for k in tokens.indices where tokens[k].kind == .identifier {
            if k > tokens.startIndex {
                let prev = tokens[k - 1]
                if prev.isPunct(0x2e) || (prev.kind == .punct && prev.punct == Token.arrow) { continue }
            }
            let cond = conditions.flatMap { k < $0.count ? $0[k] : nil } ?? condition
            recordUse(lx.text(tokens[k]), user: user, condition: cond)
        }
    }

    /// The identifiers of a file-scope macro invocation's arguments, as file-scope uses (under
    /// `!defined(MODULE)` for the built-in-only tables).
    mutating func recordInvocationUses(_ name: String, arguments: [String]) {
        guard tracksLiveness else { return }
        var cond = condition
        if FileScanner.isBuiltinOnlyTable(name) {
            cond = .all([condition, .not(.config(ConditionParser.moduleMacro, .defined))])
        }
        for argument in arguments {
            var word = ""
            for c in argument.unicodeScalars {
                if c == "_" || (c.value < 128 && (c.properties.isAlphabetic || ("0"..."9").contains(c))) {
                    word.unicodeScalars.append(c)
                } else {
                    if !word.isEmpty {
                        recordUse(word, user: nil, condition: cond)
                        invocationWords.insert(word)
                    }
                    word = ""
                }
            }
            if !word.isEmpty {
                recordUse(word, user: nil, condition: cond)
                invocationWords.insert(word)
            }
        }
    }

    /// At the end of a `.c` file: the condition under which each static function and static
    /// object is used, and the references inside them narrowed to it.
    mutating func applyLiveness() {
        guard tracksLiveness else { return }
        var statics = Set<String>()
        for fn in facts.functions where fn.storage != .global && fn.storage != .externInline { statics.insert(fn.name) }
        for i in facts.initializers where i.isStatic { statics.insert(i.variable) }
        guard !statics.isEmpty else { return }
        var usesByName: [String: [StaticUseKey]] = [:]
        for u in staticUses where statics.contains(u.name) { usesByName[u.name, default: []].append(u) }
        // A static nothing names at all is more likely used in a way modcheck does not read (a
        // macro pasting its name, inline assembly) than dead in a kernel built with
        // -Wunused-function: it stays as it is. Only named ones are narrowed to their uses.
        statics = statics.filter { usesByName[$0] != nil }
        guard !statics.isEmpty else { return }
        var live: [String: PreprocessorCondition] = [:]
        for s in statics { live[s] = .never }
        // A worklist in a fixed order: a static is recomputed when a static that uses it changed.
        // Its condition only grows (a disjunction that turns .always past 8 terms), so this
        // settles; the bound is only a guard. (A fixed number of passes over a Set, in whatever
        // order it iterates, stopped short of long chains of statics and made the result depend
        // on the hash seed.)
        var dependents: [String: [String]] = [:]
        for s in statics.sorted() {
            for u in usesByName[s] ?? [] {
                if let user = u.user, statics.contains(user) { dependents[user, default: []].append(s) }
            }
        }
        var work = statics.sorted(by: >)
        var queued = Set(work)
        var steps = 0
        var changes: [String: Int] = [:]
        let bound = 64 * (statics.count + 8)
        var settled = true
        while let s = work.popLast() {
            queued.remove(s)
            steps += 1
            if steps > bound {
                settled = false
                break
            }
            var terms: [PreprocessorCondition] = []
            for u in usesByName[s] ?? [] {
                let userLive = u.user.flatMap { statics.contains($0) ? live[$0] : nil } ?? .always
                if userLive == .never { continue }
                terms.append(.all([u.condition, userLive]))
            }
            var now = FileScanner.anyOf(terms)
            if now != live[s] {
                // A static that keeps changing sits on a cycle of uses (recursion through
                // statics) whose condition would grow without end, and a large condition costs
                // every later comparison: both are taken as live, the top of the lattice.
                changes[s, default: 0] += 1
                if changes[s]! > 16 || FileScanner.size(now, limit: 256) >= 256 { now = .always }
                if now != live[s] {
                    live[s] = now
                    for d in dependents[s] ?? [] where queued.insert(d).inserted { work.append(d) }
                }
            }
        }
        // A use graph that does not settle is taken as live (keeping references, never dropping).
        if !settled { for s in statics where live[s] != .never { live[s] = .always } }
        // `static DEVICE_ATTR_RO(foo);` uses foo_show by pasting: a name that extends a file-scope
        // invocation's argument may be used that way too.
        for s in statics where live[s] == .never {
            if invocationWords.contains(where: { $0.count >= 3 && $0 != s && (s.hasPrefix($0) || s.hasSuffix($0)) }) {
                live[s] = .always
            }
        }
        facts.references = facts.references.compactMap { r in
            guard let container = r.function, statics.contains(container), let l = live[container] else { return r }
            if l == .never { return nil }
            if l == .always { return r }
            var narrowed = r
            narrowed.condition = .all([r.condition, l])
            return narrowed
        }
    }

    /// The number of nodes of a condition, counted up to `limit`.
    static func size(_ c: PreprocessorCondition, limit: Int) -> Int {
        var count = 0
        var stack = [c]
        while let next = stack.popLast(), count < limit {
            count += 1
            switch next {
            case .not(let a): stack.append(a)
            case .and(let parts), .or(let parts): stack.append(contentsOf: parts)
            default: break
            }
        }
        return count
    }

    /// `a || b || ...`, kept small: anything always true, or a disjunction too large to carry,
    /// is `.always`.
    static func anyOf(_ terms: [PreprocessorCondition]) -> PreprocessorCondition {
        var unique: [PreprocessorCondition] = []
        for t in terms where t != .never {
            if t == .always { return .always }
            if !unique.contains(t) { unique.append(t) }
        }
        if unique.isEmpty { return .never }
        if unique.count == 1 { return unique[0] }
        return unique.count > 8 ? .always : .or(unique)
    }
}

struct StaticUseKey: Hashable {
    var user: String?
    var name: String
    var condition: PreprocessorCondition
}
