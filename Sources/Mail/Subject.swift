import Foundation

/// What a subject's bracket prefixes say: `[RFC PATCH v3 01/12] iommu/foo: bar`.
public struct SubjectTag: Sendable, Hashable {
    /// A patch or cover letter posting; false for replies and for non-patch mail (`[GIT PULL]`).
    public var isPatch: Bool
    /// `Re:`, `Fwd:`, `Aw:`... before the tag.
    public var isReply: Bool
    public var isRFC: Bool
    public var isResend: Bool
    /// `vN`; 1 when absent.
    public var version: Int
    /// M of `M/T`; 0 is the cover letter.
    public var index: Int?
    public var total: Int?
    /// Every token of the bracket groups, in order: "PATCH", "RFC", "v2", "net-next", "3/7"...
    public var prefixes: [String]
    /// The subject without reply markers and bracket groups, blanks collapsed.
    public var title: String

    /// `[PATCH 0/T]`.
    public var isCoverLetter: Bool { isPatch && index == 0 }
}

/// Reads `[PATCH vN M/T]`-style subject tags, in every spelling lists use.
public enum SubjectParser {
    static let replyMarkers: Set<[UInt8]> = Set(
        ["re", "aw", "fwd", "fw", "antw", "sv", "vs", "wg", "odp", "r"].map { Array($0.utf8) })

    static let notPatchWords: Set<[UInt8]> = Set(["pull", "git", "announce", "ann"].map { Array($0.utf8) })

    /// Parses reply markers and leading bracket groups, as bytes: archives have tens of thousands
    /// of subjects and this runs for each of them.
    public static func parse(_ rawSubject: String) -> SubjectTag {
        // Folded or tab-separated subjects: one blank between words.
        var s: [UInt8] = []
        s.reserveCapacity(rawSubject.utf8.count)
        var pendingBlank = false
        for c in rawSubject.utf8 {
            if c == Bytes.space || c == Bytes.tab || c == Bytes.lf || c == Bytes.cr {
                pendingBlank = !s.isEmpty
            } else {
                if pendingBlank { s.append(Bytes.space) }
                pendingBlank = false
                s.append(c)
            }
        }
        var isReply = false
        var tokens: [ArraySlice<UInt8>] = []
        var sawBracket = false
        var branchTag = false
        var i = 0
        while i < s.count {
            if let next = replyMarkerEnd(s, at: i) {
                isReply = true
                i = next
                continue
            }
            if s[i] == 0x5b, let close = s[(i + 1)...].firstIndex(of: 0x5d) {
                let group = s[(i + 1)..<close].split(whereSeparator: { $0 == Bytes.space || $0 == 0x2c })
                // "[iommu:x86/vt-d 23/44]" is the build robot naming a branch and a commit on it.
                if let first = group.first, first.contains(Bytes.colon) { branchTag = true }
                tokens += group
                i = close + 1
                while i < s.count && s[i] == Bytes.space { i += 1 }
                sawBracket = true
                continue
            }
            break
        }
        var tag = SubjectTag(
            isPatch: false, isReply: isReply, isRFC: false, isResend: false, version: 1, index: nil,
            total: nil,
            prefixes: tokens.map { String(decoding: $0, as: UTF8.self) },
            title: String(decoding: s[i...], as: UTF8.self))
        var patchWord = false
        var explicitPatch = false
        var notPatch = branchTag
        for t in tokens {
            if let rest = dropPrefix(t, "patch") {
                explicitPatch = true
                patchWord = true
                if let v = versionNumber(rest.drop { $0 == 0x2d || $0 == 0x5f }) { tag.version = v }
            } else if let rest = dropPrefix(t, "rfc") {
                tag.isRFC = true
                patchWord = true
                if let v = versionNumber(rest.drop { $0 == 0x2d || $0 == 0x5f }) { tag.version = v }
            } else if let rest = dropPrefix(t, "resend"), rest.isEmpty {
                tag.isResend = true
            } else if notPatchWords.contains(t.map(Bytes.lowercased)) {
                // "[GIT PULL FOR v5.18]", "[ANNOUNCE v2]": not a patch posting despite the "vN".
                notPatch = true
            } else if let v = versionNumber(t) {
                tag.version = v
                patchWord = true
            } else if !branchTag, let (m, total) = indexOfTotal(t) {
                tag.index = m
                tag.total = total
                patchWord = true
            }
        }
        tag.isPatch = sawBracket && patchWord && !isReply && (explicitPatch || !notPatch)
        return tag
    }

    /// `t` without a case-insensitive ASCII `lowerPrefix`, or nil.
    static func dropPrefix(_ t: ArraySlice<UInt8>, _ lowerPrefix: StaticString) -> ArraySlice<UInt8>? {
        let n = lowerPrefix.utf8CodeUnitCount
        guard t.count >= n else { return nil }
        let p = lowerPrefix.utf8Start
        for k in 0..<n where Bytes.lowercased(t[t.startIndex + k]) != p[k] { return nil }
        return t.dropFirst(n)
    }

    static func digits(_ t: ArraySlice<UInt8>) -> Int? {
        guard !t.isEmpty, t.count <= 6, t.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return t.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// "v3", "V12", "v2.1" → 3, 12, 2; nil for anything else.
    static func versionNumber(_ t: ArraySlice<UInt8>) -> Int? {
        guard let first = t.first, first == 0x76 || first == 0x56 else { return nil }
        let body = t.dropFirst()
        let number = body.prefix { $0 >= 0x30 && $0 <= 0x39 }
        let rest = body.dropFirst(number.count)
        guard rest.isEmpty || rest.first == 0x2e, let v = digits(number), v > 0, v < 1000 else { return nil }
        return v
    }

    /// "3/7", "01/12" → (3, 7), (1, 12); M may be 0 (cover letter), never above T.
    static func indexOfTotal(_ t: ArraySlice<UInt8>) -> (Int, Int)? {
        guard let slash = t.firstIndex(of: 0x2f), let m = digits(t[..<slash]),
            let total = digits(t[(slash + 1)...]),
            total >= 1, m <= total
        else { return nil }
        return (m, total)
    }

    /// After `Re:`, `RE :`, `Aw:`, `Fwd:`, `Re[2]:` at `i` (and the blanks after it), or nil.
    static func replyMarkerEnd(_ s: [UInt8], at i: Int) -> Int? {
        var j = i
        while j < s.count && ((s[j] | 0x20) >= 0x61 && (s[j] | 0x20) <= 0x7a) { j += 1 }
        guard j > i, j - i <= 4, replyMarkers.contains(s[i..<j].map(Bytes.lowercased)) else { return nil }
        if j < s.count && s[j] == 0x5b {
            while j < s.count && s[j] != 0x5d { j += 1 }
            j += 1
        }
        while j < s.count && s[j] == Bytes.space { j += 1 }
        guard j < s.count, s[j] == Bytes.colon else { return nil }
        j += 1
        while j < s.count && s[j] == Bytes.space { j += 1 }
        return j
    }
}
