import Foundation

/// One posting of a patch series: `[PATCH vN 0/T]` cover (if any), its patches, and the replies
/// they drew.
public struct PatchSeries: Sendable {
    /// The cover letter's title, else the first patch's.
    public var title: String
    public var version: Int
    public var isRFC: Bool
    /// `[RESEND PATCH]`: the same version sent again.
    public var isResend: Bool = false
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
    /// Message-Id) once, and the patches of one series (same sender, version and total) sorted by
    /// their `[PATCH M/T]` index, so files given in any order apply in series order. Different
    /// series, and patches without `M/T`, keep the order they were given in (`git am` order): a
    /// v1 series and then a later single patch mean "the patch after the series". A series sits
    /// where its first message was given.
    public static func ordered(_ messages: [MailMessage]) -> [MailMessage] {
        let kept = entries(messages).filter { !$0.tag.isReply && !($0.tag.isPatch && $0.tag.index == 0) }
        var order: [String] = []
        var members: [String: [(offset: Int, entry: Entry)]] = [:]
        for (offset, e) in kept.enumerated() {
            let key =
                e.tag.index != nil
                ? "series|\(e.sender ?? "")|v\(e.tag.version)|\(e.tag.total ?? 0)|\(e.tag.isRFC)"
                : "single|\(offset)"
            if members[key] == nil { order.append(key) }
            members[key, default: []].append((offset, e))
        }
        return order.flatMap { key in
            (members[key] ?? []).sorted { a, b in
                let ia = a.entry.tag.index ?? 0
                let ib = b.entry.tag.index ?? 0
                return ia != ib ? ia < ib : a.offset < b.offset
            }.map(\.entry.message)
        }
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
            var made = s
            made.isResend = head.tag.isResend
            series.append(made)
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

    /// Versions of one series, each group ordered by rising vN (then date), newest last; groups
    /// come out in order of their first member. Two postings are versions of one series when
    /// - they carry the same b4 `change-id:` (cover letter, else first patch), whoever sent them;
    /// - the later one's cover (else first patch) answers a message of the earlier one and has a
    ///   higher version, or is a `RESEND` (a v2 sent in reply to v1, a resend in its thread);
    /// - they have the same normalised title and sender (v2 often fixes only trivia, and a resend
    ///   of the same version is one series with two postings);
    /// - the later one has a higher version (or is a `RESEND`) and a title close to the earlier's
    ///   (same subsystem prefix, at most a word or two changed), even from another sender: a
    ///   maintainer's resend, a co-author's v2. The nearest earlier such posting is taken.
    public static func linkVersions(_ series: [PatchSeries]) -> [[PatchSeries]] {
        var parent = Array(series.indices)
        func find(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        func union(_ a: Int, _ b: Int) {
            let (ra, rb) = (find(a), find(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        let heads = series.map { $0.cover ?? $0.patches.first }
        let titles = series.map { normalizedTitle($0.title) }
        let words = titles.map(titleWords)
        let identifiers = words.map(titleIdentifiers)
        // Posting order for "earlier": date, else input order.
        func earlier(_ a: Int, _ b: Int) -> Bool {
            if let da = series[a].date, let db = series[b].date, da != db { return da < db }
            return a < b
        }
        func later(_ s: Int, than t: Int) -> Bool {
            series[s].version > series[t].version || (series[s].isResend && series[s].version == series[t].version)
        }

        var byTitleSender: [String: Int] = [:]
        var byChangeID: [String: Int] = [:]
        var seriesOfMessage: [String: Int] = [:]
        for (n, s) in series.enumerated() {
            let sender = heads[n]?.senderAddress ?? s.author ?? ""
            let key = titles[n] + "\u{0}" + sender
            if let other = byTitleSender[key] { union(other, n) } else { byTitleSender[key] = n }
            if let id = heads[n]?.changeID {
                if let other = byChangeID[id] { union(other, n) } else { byChangeID[id] = n }
            }
            for m in [s.cover].compactMap({ $0 }) + s.patches {
                if let id = m.messageID, seriesOfMessage[id] == nil { seriesOfMessage[id] = n }
            }
        }
        // A new version answering the old one.
        for (n, head) in heads.enumerated() {
            guard let head else { continue }
            for id in [head.inReplyTo].compactMap({ $0 }) + head.references.reversed() {
                if let t = seriesOfMessage[id], t != n, later(n, than: t) {
                    union(t, n)
                    break
                }
            }
        }
        // Close titles with a rising version, candidates by subsystem prefix.
        var byPrefix: [String: [Int]] = [:]
        for n in series.indices { byPrefix[titlePrefix(titles[n]), default: []].append(n) }
        for (n, s) in series.enumerated() where s.version > 1 || s.isResend {
            var best: Int?
            for t in byPrefix[titlePrefix(titles[n])] ?? [] where t != n && later(n, than: t) && earlier(t, n) {
                // Versions follow within months, not years.
                if let dn = s.date, let dt = series[t].date, dn.timeIntervalSince(dt) > 365 * 86400 { continue }
                guard titlesClose(words[n], words[t], identifiers[n], identifiers[t]) else { continue }
                if let b = best, earlier(t, b) { continue }
                best = t
            }
            if let best { union(best, n) }
        }

        var groups: [Int: [Int]] = [:]
        var order: [Int] = []
        for n in series.indices {
            let r = find(n)
            if groups[r] == nil { order.append(r) }
            groups[r, default: []].append(n)
        }
        return order.map { r in
            (groups[r] ?? []).sorted { a, b in
                if series[a].version != series[b].version { return series[a].version < series[b].version }
                if let da = series[a].date, let db = series[b].date, da != db { return da < db }
                return a < b
            }.map { series[$0] }
        }
    }

    /// `iommu/arm-smmu:` of `iommu/arm-smmu: allow building as a module` (the title when it has
    /// no prefix).
    static func titlePrefix(_ title: String) -> String {
        guard let colon = title.firstIndex(of: ":") else { return "" }
        return String(title[..<colon])
    }

    /// Words that name something (`intel_svm_bind_mm`, `smmuv3`): two titles close enough must
    /// share them all.
    static func titleIdentifiers(_ words: [String]) -> Set<String> {
        Set(words.filter { $0.contains("_") || $0.contains(where: \.isNumber) })
    }

    static func titleWords(_ title: String) -> [String] {
        let body = title.firstIndex(of: ":").map { String(title[title.index(after: $0)...]) } ?? title
        return body.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).map(String.init)
    }

    /// At least three words, the shared ones at least three quarters of the longer title, and
    /// the same identifiers (`intel_svm_bind_mm`, `smmuv3`): "allow building as a module" and
    /// "support building as a module" are close; "fix a typo" and "fix a leak" are not, nor
    /// "fix a leak in dmar_parse" and "fix a leak in intel_svm_bind".
    static func titlesClose(_ a: [String], _ b: [String]) -> Bool {
        titlesClose(a, b, titleIdentifiers(a), titleIdentifiers(b))
    }

    /// The same, with each title's identifiers worked out once (a list compares each title with
    /// every earlier one of its prefix).
    static func titlesClose(_ a: [String], _ b: [String], _ idsA: Set<String>, _ idsB: Set<String>) -> Bool {
        guard a.count >= 3, b.count >= 3 else { return a == b && !a.isEmpty }
        // Three quarters of the longer title shared: the shorter one has at least that many words.
        guard min(a.count, b.count) * 4 >= max(a.count, b.count) * 3, idsA == idsB else { return false }
        var pool: [String: Int] = [:]
        for w in a { pool[w, default: 0] += 1 }
        var shared = 0
        for w in b where (pool[w] ?? 0) > 0 {
            pool[w]! -= 1
            shared += 1
        }
        return shared * 4 >= max(a.count, b.count) * 3
    }

    /// Lowercased, blanks collapsed, trailing period dropped: v2 often fixes only such trivia.
    static func normalizedTitle(_ title: String) -> String {
        var t = title.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        while t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
