import Dispatch

/// Byte classes for the C lexer.
enum ByteClass {
    @inline(__always) static func isIdentStart(_ b: UInt8) -> Bool {
        let l = b | 0x20
        return (l >= 0x61 && l <= 0x7a) || b == 0x5f || b == 0x24
    }
    @inline(__always) static func isIdentBody(_ b: UInt8) -> Bool {
        isIdentStart(b) || (b >= 0x30 && b <= 0x39)
    }
}

/// One C token: its kind and byte range in the file.
struct Token {
    enum Kind: UInt8 { case identifier, number, string, character, punct, directive, end }
    var kind: Kind
    var start: Int
    var end: Int
    var line: Int
    /// For punctuators: the byte, or a two-byte code for `->` (0x2d3e) `&&` `==` `!=` `<=` `>=`
    /// `||` `++` `--` `+=` `-=` `*=` `/=` `|=` `&=` `^=` `<<` `>>` `::`.
    var punct: UInt16
    /// Whether a newline separated this token from the previous one.
    var newlineBefore: Bool
}

/// Byte tables shared by every lexer: built once, read through a pointer in the hot loops so that
/// no global-initialisation check or array bounds check runs per byte. They are never written
/// after their initializer, hence `nonisolated(unsafe)`.
enum ByteTables {
    /// Bytes that matter while skipping a block for braces: newline, `#`, `/`, quotes, backslash,
    /// braces. Everything else (the bulk of a function body) is skipped in a tight loop.
    nonisolated(unsafe) static let braceStops: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        t.initialize(repeating: 0, count: 256)
        for b: UInt8 in [0x0a, 0x23, 0x2f, 0x22, 0x27, 0x5c, 0x7b, 0x7d] { t[Int(b)] = 1 }
        return UnsafePointer(t)
    }()

    /// 1 for identifier bytes (letters, digits, `_`, `$`).
    nonisolated(unsafe) static let identBody: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        t.initialize(repeating: 0, count: 256)
        for b in 0..<256 where ByteClass.isIdentBody(UInt8(b)) { t[b] = 1 }
        return UnsafePointer(t)
    }()

    /// Stops inside a preprocessor line: newline, comment start, quotes.
    nonisolated(unsafe) static let directiveStops: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        t.initialize(repeating: 0, count: 256)
        for b: UInt8 in [0x0a, 0x2f, 0x22, 0x27] { t[Int(b)] = 1 }
        return UnsafePointer(t)
    }()

    /// A readable empty buffer for files of zero bytes (their base address may be nil).
    nonisolated(unsafe) static let empty: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        t.initialize(to: 0)
        return UnsafePointer(t)
    }()
}

/// A lexer for kernel C: comments, string and char literals with escapes, backslash-newline
/// continuations, preprocessor lines (returned whole as `.directive` tokens), punctuators.
/// It never traps on bad input: an unterminated comment or literal ends at EOF with a diagnostic.
/// The hot loops read through `p` (a plain pointer): blob bytes are never copied.
struct Lexer {
    let bytes: UnsafeRawBufferPointer
    let p: UnsafePointer<UInt8>
    let count: Int
    let braceStops = ByteTables.braceStops
    let identBody = ByteTables.identBody
    let directiveStops = ByteTables.directiveStops
    var pos = 0
    var line = 1
    var atLineStart = true
    var sawNewline = false
    var diagnostics: [CSourceDiagnostic] = []
    /// The wall-clock guard (DispatchTime uptime nanoseconds; `.max`: none). Reading the clock
    /// costs more than a token, so it is read once every `clockStride` ticks.
    var deadline: UInt64 = .max
    var ticksUntilClock = Lexer.clockStride
    /// Set when the deadline passed: the lexer then sits at the end of the file, so every loop
    /// of the scanner finishes as it would at a real end of file.
    private(set) var expiredAtLine: Int?
    static let clockStride = 4096

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        count = bytes.count
        if let base = bytes.baseAddress, bytes.count > 0 {
            p = base.assumingMemoryBound(to: UInt8.self)
        } else {
            p = ByteTables.empty
        }
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { i < count ? p[i] : 0 }

    /// Whether the newline at `i` is escaped by a backslash (`\\\n` or `\\\r\n`).
    @inline(__always) func continued(_ i: Int) -> Bool {
        var back = i - 1
        if back >= 0 && p[back] == 0x0d { back -= 1 }
        return back >= 0 && p[back] == 0x5c
    }

    /// Skips blanks, newlines, continuations and comments.
    @inline(__always) mutating func skipTrivia() {
        while pos < count {
            let b = p[pos]
            if b == 0x0a {
                line += 1
                pos += 1
                atLineStart = true
                sawNewline = true
            } else if b == 0x20 || b == 0x09 || b == 0x0d || b == 0x0c || b == 0x0b || b == 0 {
                pos += 1
            } else if b == 0x5c && (byte(pos + 1) == 0x0a || (byte(pos + 1) == 0x0d && byte(pos + 2) == 0x0a))
            {
                pos += byte(pos + 1) == 0x0a ? 2 : 3
                line += 1
            } else if b == 0x2f && byte(pos + 1) == 0x2f {
                skipLineComment()
            } else if b == 0x2f && byte(pos + 1) == 0x2a {
                skipBlockComment()
            } else {
                return
            }
        }
    }

    mutating func skipLineComment() {
        pos += 2
        while pos < count {
            if p[pos] == 0x0a {
                // A comment continued with a backslash goes on to the next line.
                if continued(pos) {
                    line += 1
                    pos += 1
                    continue
                }
                return
            }
            pos += 1
        }
    }

    mutating func skipBlockComment() {
        let startLine = line
        pos += 2
        var i = pos
        var lines = 0
        let last = count - 1
        while i < last {
            let b = p[i]
            if b == 0x2a && p[i + 1] == 0x2f {
                pos = i + 2
                line += lines
                return
            }
            if b == 0x0a { lines += 1 }
            i += 1
        }
        if i == last && p[i] == 0x0a { lines += 1 }
        line += lines
        pos = count
        diagnostics.append(CSourceDiagnostic(line: startLine, message: "unterminated comment"))
    }

    mutating func skipQuoted(_ quote: UInt8) {
        let startLine = line
        pos += 1
        while pos < count {
            let b = p[pos]
            if b == 0x5c {
                // An escape, or a continuation (`\\\n`, `\\\r\n`) that keeps the literal going.
                skipLiteralEscape()
                continue
            }
            if b == quote {
                pos += 1
                return
            }
            if b == 0x0a {
                diagnostics.append(
                    CSourceDiagnostic(
                        line: startLine,
                        message: "unterminated \(quote == 0x22 ? "string" : "character") literal"))
                return
            }
            pos += 1
        }
        diagnostics.append(CSourceDiagnostic(line: startLine, message: "unterminated literal at end of file"))
        pos = count
    }

    /// Steps over a backslash escape or continuation (`\\\n`, `\\\r\n`) inside a literal. A
    /// backslash as the file's last byte must not step past the end (found by the fuzzer: the
    /// token then ended beyond the buffer).
    mutating func skipLiteralEscape() {
        let n = byte(pos + 1)
        if n == 0x0a {
            line += 1
        } else if n == 0x0d && byte(pos + 2) == 0x0a {
            line += 1
            pos += 1
        }
        pos = min(pos + 2, count)
    }

    /// The end of a preprocessor line: the first newline not escaped by a backslash (comments
    /// inside the directive may span lines).
    mutating func skipDirective() {
        let stops = directiveStops
        while pos < count {
            let b = p[pos]
            if stops[Int(b)] == 0 {
                pos += 1
                continue
            }
            if b == 0x0a {
                if continued(pos) {
                    line += 1
                    pos += 1
                    continue
                }
                return
            }
            if b == 0x2f {
                let n = byte(pos + 1)
                if n == 0x2a {
                    skipBlockComment()
                    continue
                }
                if n == 0x2f {
                    skipLineComment()
                    continue
                }
                pos += 1
                continue
            }
            // A literal; a lone apostrophe in `#error don't` is not one, so it ends at the line end
            // quietly.
            pos += 1
            while pos < count {
                let c = p[pos]
                if c == 0x5c {
                    skipLiteralEscape()
                    continue
                }
                if c == b {
                    pos += 1
                    break
                }
                if c == 0x0a { break }
                pos += 1
            }
        }
    }

    /// `->` `&&` `==` `!=` `<=` `>=` `||` `++` `--` `+=` `-=` `*=` `/=` `|=` `&=` `^=` `<<` `>>` `##` `::`.
    @inline(__always) static func isTwoByte(_ a: UInt8, _ b: UInt8) -> Bool {
        switch b {
        case 0x3d:
            return a == 0x3d || a == 0x21 || a == 0x3c || a == 0x3e || a == 0x2b || a == 0x2d || a == 0x2a
                || a == 0x2f || a == 0x7c || a == 0x26 || a == 0x5e
        case 0x3e: return a == 0x2d || a == 0x3e
        default:
            return a == b
                && (a == 0x26 || a == 0x7c || a == 0x2b || a == 0x2d || a == 0x3c || a == 0x23 || a == 0x3a)
        }
    }

    /// Counts one unit of work; past the deadline, jumps to the end of the file and returns true.
    @inline(__always) mutating func tick() -> Bool {
        if deadline == .max { return false }
        ticksUntilClock -= 1
        if ticksUntilClock > 0 { return expiredAtLine != nil }
        ticksUntilClock = Lexer.clockStride
        if expiredAtLine == nil && DispatchTime.now().uptimeNanoseconds > deadline {
            expiredAtLine = line
            pos = count
        }
        return expiredAtLine != nil
    }

    mutating func next() -> Token {
        _ = tick()
        sawNewline = false
        skipTrivia()
        let newline = sawNewline || pos == 0
        guard pos < count else {
            return Token(kind: .end, start: count, end: count, line: line, punct: 0, newlineBefore: true)
        }
        let start = pos
        let startLine = line
        let b = p[pos]
        if b == 0x23 && atLineStart {
            atLineStart = false
            skipDirective()
            return Token(
                kind: .directive, start: start, end: pos, line: startLine, punct: 0, newlineBefore: true)
        }
        atLineStart = false
        if ByteClass.isIdentStart(b) {
            pos += 1
            let ident = identBody
            while true {
                while pos < count && ident[Int(p[pos])] != 0 { pos += 1 }
                // A continuation inside an identifier (`spl\\\nit`) splices it; text() drops it.
                guard pos + 1 < count, p[pos] == 0x5c else { break }
                let skip = p[pos + 1] == 0x0a ? 2 : (p[pos + 1] == 0x0d && byte(pos + 2) == 0x0a ? 3 : 0)
                guard skip > 0, ident[Int(byte(pos + skip))] != 0 else { break }
                pos += skip
                line += 1
            }
            // L"wide" and u8"..." prefixes are strings, not identifiers.
            if pos < count && (p[pos] == 0x22 || p[pos] == 0x27) && pos - start <= 2 {
                skipQuoted(p[pos])
                return Token(
                    kind: .string, start: start, end: pos, line: startLine, punct: 0, newlineBefore: newline)
            }
            return Token(
                kind: .identifier, start: start, end: pos, line: startLine, punct: 0, newlineBefore: newline)
        }
        if (b >= 0x30 && b <= 0x39) || (b == 0x2e && byte(pos + 1) >= 0x30 && byte(pos + 1) <= 0x39) {
            pos += 1
            while pos < count {
                let c = p[pos]
                if ByteClass.isIdentBody(c) || c == 0x2e {
                    pos += 1
                } else if (c == 0x2b || c == 0x2d)
                    && (p[pos - 1] | 0x20 == 0x65 || p[pos - 1] | 0x20 == 0x70)
                {
                    pos += 1
                } else {
                    break
                }
            }
            return Token(
                kind: .number, start: start, end: pos, line: startLine, punct: 0, newlineBefore: newline)
        }
        if b == 0x22 || b == 0x27 {
            skipQuoted(b)
            return Token(
                kind: b == 0x22 ? .string : .character, start: start, end: pos, line: startLine, punct: 0,
                newlineBefore: newline)
        }
        let b2 = byte(pos + 1)
        let pair = UInt16(b) << 8 | UInt16(b2)
        if Lexer.isTwoByte(b, b2) {
            pos += 2
            return Token(
                kind: .punct, start: start, end: pos, line: startLine, punct: pair, newlineBefore: newline)
        }
        pos += 1
        return Token(
            kind: .punct, start: start, end: pos, line: startLine, punct: UInt16(b), newlineBefore: newline)
    }

    /// The next `{`, `}` or directive, skipping everything else at byte speed: function bodies
    /// need only brace matching when no facts are wanted from them.
    mutating func nextBrace() -> Token {
        _ = tick()
        let stops = braceStops
        var i = pos
        while true {
            while i < count && stops[Int(p[i])] == 0 { i += 1 }
            guard i < count else { break }
            let b = p[i]
            switch b {
            case 0x0a:
                line += 1
                i += 1
                // A directive: `#` first on a line after blanks.
                while i < count && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
                if i < count && p[i] == 0x23 {
                    let startLine = line
                    pos = i
                    atLineStart = false
                    skipDirective()
                    return Token(
                        kind: .directive, start: i, end: pos, line: startLine, punct: 0, newlineBefore: true)
                }
            case 0x23:
                // `#` or `##` inside a line (a stringified macro argument): not a directive, unless
                // at the very start of the file or after a comment that began the line.
                if atLineStart {
                    let startLine = line
                    pos = i
                    atLineStart = false
                    skipDirective()
                    return Token(
                        kind: .directive, start: i, end: pos, line: startLine, punct: 0, newlineBefore: true)
                }
                i += 1
            case 0x2f:
                let n = byte(i + 1)
                if n == 0x2f {
                    pos = i
                    skipLineComment()
                    i = pos
                } else if n == 0x2a {
                    pos = i
                    skipBlockComment()
                    i = pos
                } else {
                    i += 1
                }
            case 0x22, 0x27:
                pos = i
                skipQuoted(b)
                i = pos
            case 0x5c:
                // A continuation keeps the logical line going.
                if byte(i + 1) == 0x0a {
                    i += 2
                    line += 1
                } else if byte(i + 1) == 0x0d && byte(i + 2) == 0x0a {
                    i += 3
                    line += 1
                } else {
                    i += 1
                }
            default:  // { or }
                pos = i + 1
                atLineStart = false
                return Token(
                    kind: .punct, start: i, end: i + 1, line: line, punct: UInt16(b), newlineBefore: false)
            }
            atLineStart = false
        }
        pos = count
        return Token(kind: .end, start: count, end: count, line: line, punct: 0, newlineBefore: true)
    }

    func text(_ t: Token) -> String {
        var i = t.start
        while i < t.end && p[i] != 0x5c { i += 1 }
        if i == t.end || t.kind != .identifier {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[t.start..<t.end]), as: UTF8.self)
        }
        var spliced: [UInt8] = []
        for k in t.start..<t.end where p[k] != 0x5c && p[k] != 0x0a && p[k] != 0x0d { spliced.append(p[k]) }
        return String(decoding: spliced, as: UTF8.self)
    }

    @inline(__always) func equals(_ t: Token, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard t.end - t.start == n else { return false }
        let w = word.utf8Start
        for i in 0..<n where p[t.start + i] != w[i] { return false }
        return true
    }
}

extension Token {
    @inline(__always) func isPunct(_ c: UInt16) -> Bool { kind == .punct && punct == c }
    static let arrow: UInt16 = 0x2d3e
    static let logicalAnd: UInt16 = 0x2626
    static let logicalOr: UInt16 = 0x7c7c
}
