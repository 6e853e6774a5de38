import Foundation

/// Byte-level helpers shared by the mbox splitter and the message parser. Mail is scanned as
/// bytes, never as `String`, because archives are hundreds of megabytes and mostly ASCII.
enum Bytes {
    static let lf: UInt8 = 0x0a
    static let cr: UInt8 = 0x0d
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3a

    /// Index of the next `\n` at or after `from` in `p`, or `end`.
    @inline(__always)
    static func lineEnd(_ p: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        guard from < end, let base = p.baseAddress else { return end }
        guard let hit = memchr(base + from, 0x0a, end - from) else { return end }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// First offset of `needle` in `p[from..<end]`; memchr finds candidates for the first byte.
    static func find(_ needle: [UInt8], in p: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int? {
        guard let first = needle.first, let base = p.baseAddress else { return nil }
        var i = from
        while i + needle.count <= end {
            guard let hit = memchr(base + i, Int32(first), end - i - needle.count + 1) else { return nil }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            var k = 1
            while k < needle.count && p[at + k] == needle[k] { k += 1 }
            if k == needle.count { return at }
            i = at + 1
        }
        return nil
    }

    @inline(__always)
    static func hasPrefix(_ p: UnsafeBufferPointer<UInt8>, at: Int, end: Int, _ prefix: StaticString) -> Bool
    {
        let n = prefix.utf8CodeUnitCount
        guard at + n <= end else { return false }
        let s = prefix.utf8Start
        for k in 0..<n where p[at + k] != s[k] { return false }
        return true
    }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b | 0x20 : b }

    /// ASCII case-insensitive comparison of `p[range]` with a lowercase name.
    static func equalsLowercase(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ lower: [UInt8])
        -> Bool
    {
        guard end - start == lower.count else { return false }
        for k in 0..<lower.count where lowercased(p[start + k]) != lower[k] { return false }
        return true
    }

    /// `\n` → line number (1-based) of `offset`, for diagnostics only (never in a hot path).
    static func lineNumber(of offset: Int, in bytes: ArraySlice<UInt8>) -> Int {
        var line = 1
        var i = bytes.startIndex
        let end = min(offset, bytes.endIndex)
        while i < end {
            if bytes[i] == 0x0a { line += 1 }
            i += 1
        }
        return line
    }

    /// CRLF → LF, so decoded diffs compare byte-exactly with the tree.
    static func normalizeNewlines(_ b: [UInt8]) -> [UInt8] {
        let hasCR = b.withUnsafeBufferPointer { p in
            p.baseAddress.map { memchr($0, Int32(cr), p.count) != nil } ?? false
        }
        guard hasCR else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == cr && i + 1 < b.count && b[i + 1] == lf {
                i += 1
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// Whether a decoded body holds a unified diff: a `diff --git ` line, or a `--- ` line directly
    /// followed by a `+++ ` line (plain `diff -u` output, quilt patches).
    static func containsDiff(_ body: [UInt8]) -> Bool {
        body.withUnsafeBufferPointer { p in
            let end = p.count
            if hasPrefix(p, at: 0, end: end, "diff --git ") { return true }
            if find(Array("\ndiff --git ".utf8), in: p, from: 0, end: end) != nil { return true }
            var from = 0
            while let at = find(Array("--- ".utf8), in: p, from: from, end: end) {
                if at == 0 || p[at - 1] == lf {
                    let next = lineEnd(p, from: at, end: end) + 1
                    if hasPrefix(p, at: next, end: end, "+++ ") { return true }
                }
                from = at + 4
            }
            return false
        }
    }
}

extension String {
    /// Without spaces and tabs at either end (see Substring.trimmedSpaces).
    var trimmedSpaces: String { self[...].trimmedSpaces }
}

extension Substring {
    /// Without spaces and tabs at either end: Foundation's `.whitespaces` trimming for ASCII
    /// text, without its bridging (header values are parsed for every message of an archive).
    var trimmedSpaces: String {
        let u = utf8
        guard u.allSatisfy({ $0 < 0x80 }) else { return trimmingCharacters(in: .whitespaces) }
        var start = u.startIndex
        var end = u.endIndex
        while start < end, u[start] == Bytes.space || u[start] == Bytes.tab { start = u.index(after: start) }
        while end > start {
            let before = u.index(before: end)
            guard u[before] == Bytes.space || u[before] == Bytes.tab else { break }
            end = before
        }
        return String(self[start..<end])
    }
}
