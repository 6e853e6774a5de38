import Foundation

/// One posting of a patch series: `[PATCH vN 0/T]` cover (if any), its patches, and the replies
/// they drew.
public struct PatchSeries: Sendable {
    /// The cover letter's title, else the first patch's.
    public var title: String
    public var version: Int
    public var isRFC: Bool
    public var total: Int?
    public var cover: MailMessage?
    /// Ordered by `[PATCH M/T]` index; a second copy of the same index is dropped.
    public var patches: [MailMessage]
    /// Indexes in 1...total that were never seen.
    public var missing: [Int]
    /// Discussion: every non-patch message whose thread leads to the cover or a patch.
    public var replies: [MailMessage]
    /// The cover's Message-Id, else the first patch's.
    public var messageID: String?
    /// The cover's (else first patch's) `From:`.
    public var author: String?
    public var date: Date?
    /// Trailers (`Reviewed-by:`, `Acked-by:`...) given in replies, robots excluded.
    public var trailers: [Trailer]
    /// Replies from the kernel test robot reporting a build error.
    public var buildFailureReports: [MailMessage]

    /// The kernel test robot answered with a build error.
    public var hasBuildFailureReport: Bool { !buildFailureReports.isEmpty }
    /// Every patch 1...T was seen.
    public var isComplete: Bool { missing.isEmpty }
}

/// Threads list mail into series, orders a series' patches, and links versions of a series.
public enum SeriesGrouper {
    /// Cap on `T` of `M/T` so a hostile subject cannot ask for a billion missing indexes.
    static let maxTotal = 999

    /// Per-message facts computed once (subject parsing and sender normalisation are not free).
    struct Entry {
        var message: MailMessage
        var tag: SubjectTag
        var sender: String?
        /// In-Reply-To first, then References newest to oldest: the nearest ancestor first.
        var ancestors: [String]
    }

    static func entries(_ messages: [MailMessage]) -> [Entry] {
        var seen = Set<String>()
        var out: [Entry] = []
        out.reserveCapacity(messages.count)
        for m in messages {
            if let id = m.messageID, !seen.insert(id).inserted { continue }
            var ancestors: [String] = []
            if let r = m.inReplyTo { ancestors.append(r) }
            for r in m.references.reversed() where r != m.inReplyTo && r != m.messageID {
                ancestors.append(r)
            }
            out.append(
                Entry(
                    message: m, tag: SubjectParser.parse(m.subject ?? ""), sender: m.senderAddress,
                    ancestors: Array(ancestors.prefix(64))))
        }
        return out
    }

    /// For `modcheck series FILE...`: cover letters and replies dropped, duplicates (same
    /// Message-Id) once, and — when every patch carries `[PATCH M/T]` — sorted by M, so files
    /// given in any order apply in series order. Otherwise the input order is kept.
    public static func ordered(_ messages: [MailMessage]) -> [MailMessage] {
        let kept = entries(messages).filter { !$0.tag.isReply && !($0.tag.isPatch && $0.tag.index == 0) }
        guard kept.allSatisfy({ $0.tag.index != nil }) else { return kept.map(\.message) }
        return kept.enumerated().sorted { a, b in
            let ia = a.element.tag.index ?? 0
            let ib = b.element.tag.index ?? 0
            return ia != ib ? ia < ib : a.offset < b.offset
        }.map(\.element.message)
    }

    /// Series of a mailing list's messages. Patches `M/T` of one sender, version and total that
    /// thread to the same cover letter (or to the same first patch, as `git send-email` without a
    /// cover does) form one series; a `[PATCH] x` without `M/T` is a series of one; replies are
    /// attached through In-Reply-To/References and are never patches. Input order need not be
    /// thread order. Series come out in order of their first message.
    public static func group(_ messages: [MailMessage]) -> [PatchSeries] {
        let all = entries(messages)
        var postingByID: [String: Int] = [:]
        var replyByID: [String: Int] = [:]
        for (i, e) in all.enumerated() {
            guard let id = e.message.messageID else { continue }
            if e.tag.isPatch { postingByID[id] = i } else { replyByID[id] = i }
        }

        // Series key of each posting, resolved through compatible ancestors (memoised; a
        // References loop falls back to the posting itself).
        var keys = [String?](repeating: nil, count: all.count)
        var resolving = Set<Int>()
        func ownKey(_ i: Int) -> String { "id:" + (all[i].message.messageID ?? "#\(i)") }
        func key(_ i: Int) -> String {
            if let k = keys[i] { return k }
            let e = all[i]
            var k = ownKey(i)
            if e.tag.index != 0, e.tag.total != nil, resolving.insert(i).inserted {
                var found = false
                for a in e.ancestors {
                    guard let j = postingByID[a], j != i, compatible(e, all[j]) else { continue }
                    k = key(j)
                    found = true
                    break
                }
                // No cover and no sibling seen (lost, or the list got only part): the thread's
                // root plus the series' identity keeps the siblings together.
                if !found, let root = e.message.references.first ?? e.message.inReplyTo {
                    k = "thread:\(root)|\(e.sender ?? "")|v\(e.tag.version)|\(e.tag.total ?? 0)"
                }
                resolving.remove(i)
            }
            keys[i] = k
            return k
        }

        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (i, e) in all.enumerated() where e.tag.isPatch {
            let k = key(i)
            if members[k] == nil { order.append(k) }
            members[k, default: []].append(i)
        }

        var series: [PatchSeries] = []
        var seriesOfPosting: [String: Int] = [:]
        for k in order {
            let indexes = members[k] ?? []
            let coverIndex = indexes.first { all[$0].tag.index == 0 }
            var seen = Set<Int>()
            let patchIndexes = indexes.filter { all[$0].tag.index != 0 }
                .enumerated().sorted { a, b in
                    let ia = all[a.element].tag.index ?? 0
                    let ib = all[b.element].tag.index ?? 0
                    return ia != ib ? ia < ib : a.offset < b.offset
                }
                .map(\.element)
                .filter { all[$0].tag.index.map { seen.insert($0).inserted } ?? true }
            guard let lead = coverIndex ?? patchIndexes.first else { continue }
            let head = all[lead]
            var missing: [Int] = []
            if let total = head.tag.total, total <= maxTotal {
                missing = (1...total).filter { !seen.contains($0) }
            }
            let s = PatchSeries(
                title: head.tag.title, version: head.tag.version, isRFC: head.tag.isRFC,
                total: head.tag.total,
                cover: coverIndex.map { all[$0].message }, patches: patchIndexes.map { all[$0].message },
                missing: missing, replies: [], messageID: head.message.messageID, author: head.message.from,
                date: head.message.date, trailers: [], buildFailureReports: [])
            for i in indexes { if let id = all[i].message.messageID { seriesOfPosting[id] = series.count } }
            series.append(s)
        }

        // Replies: the nearest ancestor that is a posting, or a reply already placed, decides.
        var replySeries = [Int?](repeating: nil, count: all.count)
        var replyResolved = [Bool](repeating: false, count: all.count)
        var replyResolving = Set<Int>()
        func place(_ i: Int) -> Int? {
            if replyResolved[i] { return replySeries[i] }
            guard replyResolving.insert(i).inserted else { return nil }
            var result: Int?
            for a in all[i].ancestors {
                if let s = seriesOfPosting[a] {
                    result = s
                    break
                }
                if let j = replyByID[a], j != i, let s = place(j) {
                    result = s
                    break
                }
            }
            replyResolving.remove(i)
            replyResolved[i] = true
            replySeries[i] = result
            return result
        }
        for (i, e) in all.enumerated() where !e.tag.isPatch {
            guard let s = place(i) else { continue }
            series[s].replies.append(e.message)
            if KernelTestRobot.isRobot(e.message) {
                if KernelTestRobot.isBuildFailureReport(e.message) {
                    series[s].buildFailureReports.append(e.message)
                }
            } else {
                series[s].trailers += TrailerParser.trailers(in: e.message.body)
            }
        }
        return series
    }

    /// Whether posting `a` can be the thread parent of patch `e` within one series.
    static func compatible(_ e: Entry, _ a: Entry) -> Bool {
        a.tag.isPatch && a.tag.version == e.tag.version && a.tag.total == e.tag.total && a.sender == e.sender
    }

    /// Versions of one series: same normalised title (cover's, else first patch's) and same
    /// sender address; each group ordered by rising vN (then date), newest last. Groups come out
    /// in order of their first member.
    public static func linkVersions(_ series: [PatchSeries]) -> [[PatchSeries]] {
        var groups: [String: [(Int, PatchSeries)]] = [:]
        var order: [String] = []
        for (n, s) in series.enumerated() {
            let sender = (s.cover ?? s.patches.first)?.senderAddress ?? s.author ?? ""
            let key = normalizedTitle(s.title) + "\u{0}" + sender
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((n, s))
        }
        return order.map { key in
            (groups[key] ?? []).sorted { a, b in
                if a.1.version != b.1.version { return a.1.version < b.1.version }
                if let da = a.1.date, let db = b.1.date, da != db { return da < db }
                return a.0 < b.0
            }.map(\.1)
        }
    }

    /// Lowercased, blanks collapsed, trailing period dropped: v2 often fixes only such trivia.
    static func normalizedTitle(_ title: String) -> String {
        var t = title.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        while t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
