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

/// A lexer for kernel C: comments, string and char literals with escapes, backslash-newline
/// continuations, preprocessor lines (returned whole as `.directive` tokens), punctuators.
/// It never traps on bad input: an unterminated comment or literal ends at EOF with a diagnostic.
struct Lexer {
    let bytes: UnsafeRawBufferPointer
    let count: Int
    var pos = 0
    var line = 1
    var atLineStart = true
    var sawNewline = false
    var diagnostics: [CSourceDiagnostic] = []

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        count = bytes.count
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { i < count ? bytes[i] : 0 }

    /// Skips blanks, newlines, continuations and comments.
    @inline(__always) mutating func skipTrivia() {
        while pos < count {
            let b = bytes[pos]
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
            let b = bytes[pos]
            if b == 0x0a {
                // A comment continued with a backslash goes on to the next line.
                var back = pos - 1
                if back >= 0 && bytes[back] == 0x0d { back -= 1 }
                if back >= 0 && bytes[back] == 0x5c {
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
        while pos < count {
            let b = bytes[pos]
            if b == 0x2a && byte(pos + 1) == 0x2f {
                pos += 2
                return
            }
            if b == 0x0a { line += 1 }
            pos += 1
        }
        diagnostics.append(CSourceDiagnostic(line: startLine, message: "unterminated comment"))
    }

    mutating func skipQuoted(_ quote: UInt8) {
        let startLine = line
        pos += 1
        while pos < count {
            let b = bytes[pos]
            if b == 0x5c {
                if byte(pos + 1) == 0x0a { line += 1 }
                pos += 2
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

    /// The end of a preprocessor line: the first newline not escaped by a backslash (comments
    /// inside the directive may span lines).
    mutating func skipDirective() {
        while pos < count {
            let b = bytes[pos]
            if b == 0x0a {
                var back = pos - 1
                if back >= 0 && bytes[back] == 0x0d { back -= 1 }
                if back >= 0 && bytes[back] == 0x5c {
                    line += 1
                    pos += 1
                    continue
                }
                return
            }
            if b == 0x2f && byte(pos + 1) == 0x2a {
                skipBlockComment()
                continue
            }
            if b == 0x2f && byte(pos + 1) == 0x2f {
                skipLineComment()
                continue
            }
            if b == 0x22 || b == 0x27 {
                skipQuoted(b)
                continue
            }
            pos += 1
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

    mutating func next() -> Token {
        sawNewline = false
        skipTrivia()
        let newline = sawNewline || pos == 0
        guard pos < count else {
            return Token(kind: .end, start: count, end: count, line: line, punct: 0, newlineBefore: true)
        }
        let start = pos
        let startLine = line
        let b = bytes[pos]
        if b == 0x23 && atLineStart {
            atLineStart = false
            skipDirective()
            return Token(
                kind: .directive, start: start, end: pos, line: startLine, punct: 0, newlineBefore: true)
        }
        atLineStart = false
        if ByteClass.isIdentStart(b) {
            pos += 1
            while pos < count && ByteClass.isIdentBody(bytes[pos]) { pos += 1 }
            // L"wide" and u8"..." prefixes are strings, not identifiers.
            if pos < count && (bytes[pos] == 0x22 || bytes[pos] == 0x27) && pos - start <= 2 {
                skipQuoted(bytes[pos])
                return Token(
                    kind: .string, start: start, end: pos, line: startLine, punct: 0, newlineBefore: newline)
            }
            return Token(
                kind: .identifier, start: start, end: pos, line: startLine, punct: 0, newlineBefore: newline)
        }
        if (b >= 0x30 && b <= 0x39) || (b == 0x2e && byte(pos + 1) >= 0x30 && byte(pos + 1) <= 0x39) {
            pos += 1
            while pos < count {
                let c = bytes[pos]
                if ByteClass.isIdentBody(c) || c == 0x2e {
                    pos += 1
                } else if (c == 0x2b || c == 0x2d)
                    && (bytes[pos - 1] | 0x20 == 0x65 || bytes[pos - 1] | 0x20 == 0x70)
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
        while pos < count {
            let b = bytes[pos]
            switch b {
            case 0x0a:
                line += 1
                atLineStart = true
                pos += 1
            case 0x20, 0x09, 0x0d, 0x0c:
                pos += 1
            case 0x23 where atLineStart:
                let start = pos
                let startLine = line
                atLineStart = false
                skipDirective()
                return Token(
                    kind: .directive, start: start, end: pos, line: startLine, punct: 0, newlineBefore: true)
            case 0x2f:
                let n = byte(pos + 1)
                if n == 0x2f {
                    skipLineComment()
                } else if n == 0x2a {
                    skipBlockComment()
                } else {
                    pos += 1
                    atLineStart = false
                }
            case 0x22, 0x27:
                atLineStart = false
                skipQuoted(b)
            case 0x5c:
                // A continuation keeps the logical line going.
                if byte(pos + 1) == 0x0a {
                    pos += 2
                    line += 1
                } else {
                    pos += 1
                    atLineStart = false
                }
            case 0x7b, 0x7d:
                atLineStart = false
                pos += 1
                return Token(
                    kind: .punct, start: pos - 1, end: pos, line: line, punct: UInt16(b), newlineBefore: false
                )
            default:
                atLineStart = false
                pos += 1
            }
        }
        return Token(kind: .end, start: count, end: count, line: line, punct: 0, newlineBefore: true)
    }

    func text(_ t: Token) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[t.start..<t.end]), as: UTF8.self)
    }

    @inline(__always) func equals(_ t: Token, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard t.end - t.start == n else { return false }
        let p = word.utf8Start
        for i in 0..<n where bytes[t.start + i] != p[i] { return false }
        return true
    }
}

extension Token {
    @inline(__always) func isPunct(_ c: UInt16) -> Bool { kind == .punct && punct == c }
    static let arrow: UInt16 = 0x2d3e
}
