import Foundation

/// What a subject's bracket prefixes say: `[RFC PATCH v3 01/12] iommu/foo: bar`.
public struct SubjectTag: Sendable, Hashable {
    public var isPatch: Bool
    public var isReply: Bool
    public var isRFC: Bool
    public var isResend: Bool
    public var version: Int
    public var index: Int?
    public var total: Int?
    public var prefixes: [String]
    public var title: String
}

public enum SubjectParser {
    public static func parse(_ rawSubject: String) -> SubjectTag {
        var s = Substring(
            rawSubject.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " "))
        var isReply = false
        // Reply markers: Re:, RE:, Aw:, Fwd:, Fw:, Antw:, possibly repeated.
        while true {
            let trimmed = s.drop { $0 == " " }
            let lower = trimmed.lowercased()
            if let marker = ["re:", "aw:", "fwd:", "fw:", "antw:", "sv:"].first(where: { lower.hasPrefix($0) }
            ) {
                isReply = true
                s = trimmed.dropFirst(marker.count)
            } else {
                s = trimmed
                break
            }
        }
        var prefixes: [String] = []
        while s.first == "[", let close = s.firstIndex(of: "]") {
            let inner = s[s.index(after: s.startIndex)..<close]
            prefixes += inner.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            s = s[s.index(after: close)...].drop { $0 == " " }
        }
        var isPatch = false
        var isRFC = false
        var isResend = false
        var version = 1
        var index: Int?
        var total: Int?
        for p in prefixes {
            let u = p.uppercased()
            if u.hasPrefix("PATCH") {
                isPatch = true
                let rest = u.dropFirst(5)
                if rest.hasPrefix("V"), let v = Int(rest.dropFirst()) { version = v }
            } else if u == "RFC" {
                isRFC = true
                isPatch = true
            } else if u == "RESEND" {
                isResend = true
            } else if u.hasPrefix("V"), let v = Int(u.dropFirst()) {
                version = v
                isPatch = true
            } else if p.contains("/") {
                let parts = p.split(separator: "/")
                if parts.count == 2, let m = Int(parts[0]), let t = Int(parts[1]) {
                    index = m
                    total = t
                    isPatch = true
                }
            }
        }
        return SubjectTag(
            isPatch: isPatch && !isReply, isReply: isReply, isRFC: isRFC, isResend: isResend,
            version: version, index: index, total: total,
            prefixes: prefixes, title: String(s).trimmingCharacters(in: .whitespaces))
    }
}

public struct PatchSeries: Sendable {
    public var title: String
    public var version: Int
    public var isRFC: Bool
    public var total: Int?
    public var cover: MailMessage?
    public var patches: [MailMessage]
    public var missing: [Int]
    public var replies: [MailMessage]
    public var messageID: String?
    public var author: String?
    public var date: Date?
}

public enum SeriesGrouper {
    /// For `modcheck series FILE...`: patches in `[PATCH M/T]` order when the tags say so (files
    /// given in any order), cover letters and replies dropped, duplicates (same Message-Id) once.
    public static func ordered(_ messages: [MailMessage]) -> [MailMessage] {
        var seen = Set<String>()
        var kept: [(offset: Int, message: MailMessage, index: Int?)] = []
        for (offset, m) in messages.enumerated() {
            if let id = m.messageID, !seen.insert(id).inserted { continue }
            let tag = SubjectParser.parse(m.subject ?? "")
            if tag.isReply { continue }
            if tag.index == 0 { continue }
            kept.append((offset, m, tag.index))
        }
        return kept.sorted { a, b in
            if let ia = a.index, let ib = b.index, ia != ib { return ia < ib }
            return a.offset < b.offset
        }.map(\.message)
    }

    /// Series of a mailing list's messages: threads of `[PATCH M/T]` patches (and their cover),
    /// standalone patches, replies attached as discussion.
    public static func group(_ messages: [MailMessage]) -> [PatchSeries] {
        var byID: [String: MailMessage] = [:]
        var unique: [MailMessage] = []
        for m in messages {
            if let id = m.messageID {
                if byID[id] != nil { continue }
                byID[id] = m
            }
            unique.append(m)
        }
        struct Key: Hashable {
            var root: String
            var version: Int
        }
        var series: [Key: PatchSeries] = [:]
        var order: [Key] = []
        var replies: [MailMessage] = []
        for m in unique {
            let tag = SubjectParser.parse(m.subject ?? "")
            guard tag.isPatch else {
                replies.append(m)
                continue
            }
            // The thread root: the cover (0/T) or the first patch a patch replies to.
            let root: String
            if tag.index == 0 || (tag.total ?? 1) == 1 && m.inReplyTo == nil {
                root = m.messageID ?? UUID().uuidString
            } else {
                root = m.references.first ?? m.inReplyTo ?? m.messageID ?? UUID().uuidString
            }
            let key = Key(root: root, version: tag.version)
            if series[key] == nil {
                order.append(key)
                series[key] = PatchSeries(
                    title: tag.title, version: tag.version, isRFC: tag.isRFC, total: tag.total, cover: nil,
                    patches: [], missing: [], replies: [],
                    messageID: root, author: m.from, date: m.date)
            }
            if tag.index == 0 {
                series[key]!.cover = m
                series[key]!.title = tag.title
            } else {
                series[key]!.patches.append(m)
            }
        }
        var out: [PatchSeries] = []
        for key in order {
            var s = series[key]!
            s.patches.sort {
                (SubjectParser.parse($0.subject ?? "").index ?? 0)
                    < (SubjectParser.parse($1.subject ?? "").index ?? 0)
            }
            if let total = s.total, total > 1 {
                let have = Set(s.patches.compactMap { SubjectParser.parse($0.subject ?? "").index })
                s.missing = (1...total).filter { !have.contains($0) }
            }
            let ids = Set(([s.cover?.messageID] + s.patches.map(\.messageID)).compactMap { $0 })
            s.replies = replies.filter { r in
                (r.inReplyTo.map(ids.contains) ?? false) || r.references.contains(where: ids.contains)
            }
            out.append(s)
        }
        return out
    }

    /// Versions of one series (same title and author, rising vN), newest last.
    public static func linkVersions(_ series: [PatchSeries]) -> [[PatchSeries]] {
        var groups: [String: [PatchSeries]] = [:]
        var order: [String] = []
        for s in series {
            let key = s.title.lowercased() + "\u{0}" + (s.author ?? "")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(s)
        }
        return order.map { groups[$0]!.sorted { $0.version < $1.version } }
    }
}
