import Foundation

/// Content-Transfer-Encoding `quoted-printable` (RFC 2045 §6.7).
enum QuotedPrintable {
    @inline(__always)
    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x37
        case 0x61...0x66: return b - 0x57
        default: return nil
        }
    }

    /// `=XX` escapes and `=` soft line breaks (also `=` followed by trailing blanks, which some
    /// MTAs leave); a malformed `=` is kept literally, as mail clients do.
    /// `underscoreIsSpace` is the RFC 2047 "Q" encoding.
    static func decode<C: Collection<UInt8>>(_ input: C, underscoreIsSpace: Bool = false) -> [UInt8]
    where C.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = input.startIndex
        let end = input.endIndex
        while i < end {
            let b = input[i]
            if b == 0x3d {
                var j = i + 1
                while j < end && (input[j] == Bytes.space || input[j] == Bytes.tab) { j += 1 }
                if j < end && input[j] == Bytes.lf {
                    i = j + 1
                    continue
                }
                if j + 1 < end && input[j] == Bytes.cr && input[j + 1] == Bytes.lf {
                    i = j + 2
                    continue
                }
                if j == end {
                    i = end
                    continue
                }
                if i + 2 < end, let h = hex(input[i + 1]), let l = hex(input[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
            } else if b == 0x5f && underscoreIsSpace {
                out.append(Bytes.space)
                i += 1
                continue
            }
            out.append(b)
            i += 1
        }
        return out
    }
}

/// Content-Transfer-Encoding `base64`; whitespace and stray characters are skipped, decoding
/// stops at the first `=` pad.
enum Base64 {
    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = UInt8(i)
        }
        // base64url, which some webmail writes.
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    /// The decoded bytes and whether anything other than base64, whitespace and padding was seen.
    static func decode<C: Collection<UInt8>>(_ input: C) -> (bytes: [UInt8], clean: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var acc: UInt32 = 0
        var bits = 0
        var clean = true
        table.withUnsafeBufferPointer { t in
            for c in input {
                let v = t[Int(c)]
                if v == 0xff {
                    if c == 0x3d { break }
                    if c != Bytes.lf && c != Bytes.cr && c != Bytes.space && c != Bytes.tab { clean = false }
                    continue
                }
                acc = (acc << 6) | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                }
            }
        }
        return (out, clean)
    }
}

/// Character sets of text parts and encoded words: UTF-8 is kept, the Latin ones are converted,
/// anything else stays as bytes (diff lines are mostly ASCII either way).
enum Charset {
    enum Kind { case utf8, latin1, windows1252, latin9, unknown }

    static func kind(_ name: String?) -> Kind {
        guard let name else { return .utf8 }
        switch name.lowercased() {
        case "utf-8", "utf8", "us-ascii", "ascii", "": return .utf8
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "cp819": return .latin1
        case "windows-1252", "cp1252", "x-cp1252": return .windows1252
        case "iso-8859-15", "iso8859-15", "latin9", "latin-9": return .latin9
        default: return .unknown
        }
    }

    /// 0x80...0x9F in Windows-1252; 0 marks the five unassigned positions (kept as U+0080+n).
    static let windows1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
        0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0, 0x017E, 0x0178,
    ]

    /// Converts `bytes` to UTF-8. "us-ascii"/"utf-8" parts that are not valid UTF-8 are treated as
    /// Windows-1252, the usual truth behind a mislabelled 8-bit body.
    static func toUTF8(_ bytes: [UInt8], charset: String?) -> [UInt8] {
        var k = kind(charset)
        guard bytes.contains(where: { $0 >= 0x80 }) else { return bytes }
        if k == .utf8 {
            if String(validating: bytes, as: UTF8.self) != nil { return bytes }
            k = .windows1252
        }
        if k == .unknown { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for b in bytes {
            if b < 0x80 {
                out.append(b)
                continue
            }
            var scalar = UInt32(b)
            if k == .windows1252 && b < 0xa0 {
                let w = windows1252High[Int(b - 0x80)]
                if w != 0 { scalar = UInt32(w) }
            } else if k == .latin9 {
                switch b {
                case 0xa4: scalar = 0x20AC
                case 0xa6: scalar = 0x0160
                case 0xa8: scalar = 0x0161
                case 0xb4: scalar = 0x017D
                case 0xb8: scalar = 0x017E
                case 0xbc: scalar = 0x0152
                case 0xbd: scalar = 0x0153
                case 0xbe: scalar = 0x0178
                default: break
                }
            }
            appendUTF8(scalar, to: &out)
        }
        return out
    }

    @inline(__always)
    static func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        if s < 0x80 {
            out.append(UInt8(s))
        } else if s < 0x800 {
            out.append(UInt8(0xc0 | (s >> 6)))
            out.append(UInt8(0x80 | (s & 0x3f)))
        } else {
            out.append(UInt8(0xe0 | (s >> 12)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3f)))
            out.append(UInt8(0x80 | (s & 0x3f)))
        }
    }
}

/// RFC 2047 encoded words in header values: `=?utf-8?q?J=C3=B6rg?=`, `=?iso-8859-1?b?...?=`.
enum EncodedWords {
    /// Decodes every encoded word; blanks between two adjacent encoded words are dropped
    /// (RFC 2047 §6.2), so a subject folded between words joins up again.
    static func decode(_ b: [UInt8]) -> [UInt8] {
        let n = b.count
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var afterLastWord: Int?
        var i = 0
        while i < n {
            if b[i] == 0x3d && i + 1 < n && b[i + 1] == 0x3f, let word = parseWord(b, at: i) {
                if let mark = afterLastWord, out[mark...].allSatisfy({ $0 == Bytes.space || $0 == Bytes.tab })
                {
                    out.removeSubrange(mark...)
                }
                out += word.text
                i = word.end
                afterLastWord = out.count
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// `=?charset[*lang]?Q|B?text?=` starting at `i`: the decoded UTF-8 text and the index after `?=`.
    static func parseWord(_ b: [UInt8], at i: Int) -> (text: [UInt8], end: Int)? {
        let n = b.count
        var q1 = i + 2
        while q1 < n && b[q1] != 0x3f && b[q1] != Bytes.space { q1 += 1 }
        guard q1 + 2 < n, b[q1] == 0x3f, b[q1 + 2] == 0x3f else { return nil }
        let encoding = Bytes.lowercased(b[q1 + 1])
        guard encoding == 0x71 || encoding == 0x62 else { return nil }
        var j = q1 + 3
        while j + 1 < n && !(b[j] == 0x3f && b[j + 1] == 0x3d) {
            if b[j] == Bytes.space { return nil }  // encoded words contain no blanks
            j += 1
        }
        guard j + 1 < n else { return nil }
        var charset = String(decoding: b[(i + 2)..<q1], as: UTF8.self)
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }
        let text = b[(q1 + 3)..<j]
        let raw =
            encoding == 0x62
            ? Base64.decode(text).bytes : QuotedPrintable.decode(text, underscoreIsSpace: true)
        return (Charset.toUTF8(raw, charset: charset), j + 2)
    }
}
