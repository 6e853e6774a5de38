import Facts
import Foundation
import Git
import Mail
import Model
import Report
import Rules

/// `modcheck triage`: which series on a list touch module-ability in scope, and which break it.
///
/// Every posted version of every series is applied in memory to the base and its modularity
/// changes extracted from the changed files alone (cheap); only the relevant versions are checked
/// against the rules in full, all on one shared checked base.
public enum Triage {
    public struct Options: Sendable {
        public var window = MailArchive.Window()
        /// Check at most this many relevant series in full (the rest are listed, unchecked).
        public var limit: Int?
        /// More candidate bases besides the run's base revision (`--base`, repeatable; `A..B`
        /// ranges walked first parent): each posting gets its own (see `BaseChooser`).
        public var extraBases: [String] = []
        /// Called now and then with a one-line status (for a progress line on a terminal).
        public var progress: (@Sendable (String) -> Void)?
        /// Worker threads (each with its own repository handle); the report does not depend on it.
        public var workers = FactStore.defaultWorkers

        public init() {}
    }

    /// One posted version of a series and what triage found in it.
    public struct Posting: Sendable {
        public var series: PatchSeries
        /// The series' messages that carry a diff, as patches.
        var patches: [SeriesPatch]
        public var relevant: Bool
        /// Every patch applied to the base in order.
        public var applied: Bool
        public var changes: [ModularityChange]
        /// The full check (relevant versions only), one section per patch.
        public var report: CheckReport?
        public var problem: String?
        /// Files of the posting that could not be placed in the tree ("path: why"); their changes
        /// come from the diff alone.
        public var unplacedFiles: [String] = []
        /// The base this posting was read against, and why.
        public var base: BaseChoice?
        /// Some changes were read from the diff alone.
        public var partial: Bool { changes.contains(where: \.partial) }

        /// Findings of the rules that need no tree, on files the posting could not place.
        public var diffFindings: [Finding] = []

        public var findings: [Finding] { (report?.findings ?? []) + diffFindings }
        public var isChecked: Bool { report != nil || !diffFindings.isEmpty }
    }

    /// A series across its posted versions (oldest first).
    public struct Entry: Sendable {
        public var versions: [Posting]
        /// The version a maintainer acts on: the newest complete one, else the newest.
        public var primary: Int

        public var latest: Posting { versions[primary] }
        public var relevant: Bool { versions.contains { $0.relevant } }
    }

    public struct Outcome: Sendable {
        public var entries: [Entry]
        public var notes: [String]
        /// Messages in the archive, and those inside the date window.
        public var messagesRead: Int
        public var messagesInWindow: Int
        /// Messages that carry a diff.
        public var patchMessages: Int

        public var relevantCount: Int { entries.filter(\.relevant).count }
        public var checkedFindings: [Finding] { entries.flatMap(\.latest.findings) }
        /// 1 when a checked series leaves an error (one a later patch of it fixes does not count).
        public var exitCode: Int32 { checkedFindings.contains { $0.severity == .error && $0.fixedBy == nil } ? 1 : 0 }
    }

    public static func run(session: Session, source: String, baseRevision: String, options: Options) throws
        -> Outcome
    {
        let progress = options.progress
        Timing.mark("triage")
        let chooser = try BaseChooser(repository: session.repository, revisions: [baseRevision] + options.extraBases)
        // The checked bases, each built once and shared. The first relevant posting on a base
        // starts its build on a thread of its own, while the relevance pass goes on (the full
        // checks all wait for it otherwise, with a core idle). With --limit the checked series
        // are known only after the pass: nothing is built early then.
        let checkedBases = OnceMap<ObjectID, SeriesCheck.BaseState>()
        let early = DispatchGroup()
        // A base built early is never left running, whatever this returns or throws.
        defer { early.wait() }
        let started = OnceMap<ObjectID, Bool>()
        let buildEarly: @Sendable (BaseChoice) -> Void = { choice in
            guard options.limit == nil else { return }
            _ = try? started.value(choice.commit) {
                guard let builder = try? Session(workerOf: session) else { return false }
                DispatchQueue.global().async(group: early) {
                    builder.store.using(builder.repository) {
                        _ = try? checkedBases.value(choice.commit) {
                            try SeriesCheck.baseState(
                                session: builder, baseRevision: choice.commit.hex, keptChecks: false, sharedSteps: true)
                        }
                    }
                }
                return true
            }
        }
        // A list archive read against one candidate base: some posting is checked in full on it
        // (nearly always), and its build starts now, on a core the reading of the list leaves
        // idle. (An mbox of a few postings may need no base built at all.)
        if chooser.candidates.count == 1 && MailArchive.isPublicInbox(source) {
            buildEarly(BaseChoice(revision: chooser.fallback.name, commit: chooser.fallback.commit, reason: .fallback))
        }
        let contents = try MailArchive.read(
            source, window: options.window, progress: progress.map { p in { p("\($0) messages read") } })
        Timing.mark("read \(contents.total) messages")
        let groups = SeriesGrouper.linkVersions(SeriesGrouper.group(contents.messages))
        Timing.mark("group \(groups.count) series")
        progress?("\(contents.messages.count) messages, \(groups.count) series")

        // Per worker thread: its chooser and relevance checks (they read through its handle).
        let workerStates = OnceMap<ObjectIdentifier, WorkerState>()
        @Sendable func state(_ worker: Session) throws -> WorkerState {
            try workerStates.value(ObjectIdentifier(worker)) {
                WorkerState(session: worker, chooser: BaseChooser(chooser, repository: worker.repository))
            }
        }
        // Every posted version read against its base (both cores, a series at a time).
        let read = try Workers.map(groups.count, session: session, workers: options.workers) { worker, g in
            let postings = try state(worker).postings(of: groups[g])
            for posting in postings where posting.relevant { posting.base.map(buildEarly) }
            return postings
        }
        Timing.mark("relevance")
        var entries: [Entry] = []
        var checkList: [Int] = []
        for postings in read where !postings.isEmpty {
            let primary = postings.lastIndex { $0.series.isComplete } ?? postings.count - 1
            var entry = Entry(versions: postings, primary: primary)
            if entry.relevant {
                if let limit = options.limit, checkList.count >= limit {
                    for i in entry.versions.indices where entry.versions[i].relevant {
                        entry.versions[i].problem = "not checked: --limit \(limit) reached"
                    }
                } else {
                    checkList.append(entries.count)
                }
            }
            entries.append(entry)
        }
        // The relevant versions checked in full, each on its base's model.
        let done = LockedCounter()
        let snapshot = entries
        let toCheck = checkList
        let fallback = chooser.fallback.commit
        let checked = try Workers.map(toCheck.count, session: session, workers: options.workers) { worker, k in
            var entry = snapshot[toCheck[k]]
            for i in entry.versions.indices where entry.versions[i].relevant {
                let base = entry.versions[i].base?.commit.hex ?? baseRevision
                let key = entry.versions[i].base?.commit ?? fallback
                let state = try checkedBases.value(key) {
                    try SeriesCheck.baseState(session: worker, baseRevision: base, keptChecks: false, sharedSteps: true)
                }
                check(&entry.versions[i], session: worker, baseRevision: base, base: state)
            }
            let n = (done.take(below: Int.max) ?? 0) + 1
            progress?("\(contents.messages.count) messages, \(groups.count) series, \(n) checked")
            return entry
        }
        for (k, index) in toCheck.enumerated() { entries[index] = checked[k] }
        early.wait()
        Timing.mark("relevance and checks")
        session.finish()
        return Outcome(
            entries: entries, notes: contents.notes, messagesRead: contents.total,
            messagesInWindow: contents.messages.count,
            patchMessages: contents.messages.filter(\.hasDiff).count)
    }

    /// One worker thread's base chooser and relevance checks (one per base it met).
    final class WorkerState: @unchecked Sendable {
        let session: Session
        let chooser: BaseChooser
        var relevanceByBase: [ObjectID: RelevanceCheck] = [:]

        init(session: Session, chooser: BaseChooser) {
            self.session = session
            self.chooser = chooser
        }

        func relevance(_ base: BaseChoice) throws -> RelevanceCheck {
            if let known = relevanceByBase[base.commit] { return known }
            let check = RelevanceCheck(
                session: session, base: try session.tree(at: base.commit.hex), baseRevision: base.revision)
            relevanceByBase[base.commit] = check
            return check
        }

        /// Each posted version of a series, read against its own base.
        func postings(of versions: [PatchSeries]) throws -> [Posting] {
            var postings: [Posting] = []
            for series in versions where !series.patches.isEmpty {
                let patches = series.patches.filter { $0.patchText != nil }.map(SeriesPatch.init)
                // Each diff parsed once, for the base choice and the relevance check.
                let parsed = patches.map(SeriesCheck.parse)
                let base = chooser.choose(series, files: parsed.flatMap { (try? $0.get()) ?? [] })
                let read = try relevance(base).changes(of: patches, parsed: parsed)
                var posting = Posting(
                    series: series, patches: patches, relevant: !read.changes.isEmpty, applied: read.applied,
                    changes: read.changes, report: nil, problem: read.problem, unplacedFiles: read.unplaced, base: base)
                posting.diffFindings = session.engine.diffOnly(read.diffFindings)
                postings.append(posting)
            }
            return postings
        }
    }

    static func check(
        _ posting: inout Posting, session: Session, baseRevision: String, base: SeriesCheck.BaseState
    ) {
        do {
            posting.report = try SeriesCheck.run(
                session: session, baseRevision: baseRevision, patches: posting.patches, base: base)
        } catch {
            posting.problem = [posting.problem, "\(error)"].compactMap { $0 }.joined(separator: "; ")
        }
    }

    /// Applies a series' patches to the base in memory and extracts the modularity changes of the
    /// changed files only; the base's tree-wide facts (scoped references) are computed once.
    final class RelevanceCheck {
        let session: Session
        let base: KernelTree
        let baseRevision: String
        let extractor: ChangeExtractor
        lazy var baseReferences: [String: Set<String>] = extractor.scopedReferencesByPath(base)

        init(session: Session, base: KernelTree, baseRevision: String) {
            self.session = session
            self.base = base
            self.baseRevision = baseRevision
            extractor = ChangeExtractor(store: session.store, scope: session.options.scope)
        }

        /// The series' changes; whether every patch applied in order; the first failure; the
        /// files that could not be placed. A patch that does not apply as a whole is applied file
        /// by file (a new file always applies): the files that apply are read as applied, the
        /// others from their hunks alone (`DiffFacts`, marked partial). Relevance never depends on
        /// the posting applying.
        func changes(of patches: [SeriesPatch], parsed: [Result<[FilePatch], ApplyFailure>]) -> (
            changes: [ModularityChange], applied: Bool, problem: String?, unplaced: [String],
            diffFindings: [(rule: String, finding: Finding)]
        ) {
            // The series' files so far over the base's (no tree is made: see `Git.applyFiles`).
            var overlay: [String: ObjectID?] = [:]
            func lookup(_ path: String) -> (blob: ObjectID, mode: UInt32)? {
                guard let blob = overlay[path] ?? base.blobs[path] else { return nil }
                return (blob, 0o100644)
            }
            var changes: [ModularityChange] = []
            var problem: String?
            var unplaced: [String] = []
            // The patch of each change, and the patch that created each new file (to say which
            // patch a diff-only finding is of).
            var patchOfChange: [Int] = []
            var patchOf: [String: SeriesPatch] = [:]
            for (n, patch) in patches.enumerated() {
                defer { patchOfChange += Array(repeating: n, count: changes.count - patchOfChange.count) }
                let source = patch.message.sourceName
                let files: [FilePatch]
                switch parsed[n] {
                case .success(let parsed): files = parsed
                case .failure(let failure):
                    if problem == nil { problem = "does not apply to \(baseRevision): \(failure.description)" }
                    continue
                }
                func take(_ changed: [String: ObjectID?]) {
                    for (path, blob) in changed where blob != nil && base.blobs[path] == nil && patchOf[path] == nil {
                        patchOf[path] = patch
                    }
                    let before = overlay
                    // (updateValue: a deletion is kept as nil; `overlay[path] = nil` would drop it.)
                    for (path, blob) in changed { overlay.updateValue(blob, forKey: path) }
                    changes += extract(Array(changed.keys), before: before, after: overlay)
                }
                switch SeriesCheck.apply(files, over: lookup, session: session, source: source) {
                case .success(let changed):
                    take(changed)
                case .failure(let failure):
                    if problem == nil { problem = "does not apply to \(baseRevision): \(failure.description)" }
                    for file in files {
                        switch SeriesCheck.apply([file], over: lookup, session: session, source: source) {
                        case .success(let changed):
                            take(changed)
                        case .failure(let fileFailure):
                            // The pre-image the diff was made against, when the repository holds
                            // it (any commit): the file is read as that version, patched (as
                            // `git am -3` starts from), so its change is seen exactly.
                            if let (pre, post) = threeWay(file) {
                                overlay[file.path] = .some(pre)
                                take([file.path: .some(post)])
                                continue
                            }
                            unplaced.append("\(file.path): \(fileFailure.reason)")
                            changes += DiffFacts.changes(
                                of: file, inScope: extractor.inScope,
                                exportMatters: { self.baseReferenceNames.contains($0) })
                        }
                    }
                }
            }
            // Only postings with files they could not place need the rules that read no tree.
            var diffFindings: [(rule: String, finding: Finding)] = []
            if changes.contains(where: \.partial) {
                let found = DiffFacts.findings(changes) { path in
                    guard self.base.blobs[path] == nil, let blob = overlay[path] ?? nil else { return nil }
                    return self.extractor.facts(blob, path)
                }
                for (rule, finding, change) in found {
                    // A field's finding is its change's patch's; a new driver's, the patch that
                    // created the file.
                    var f = finding
                    if let patch = change.map({ patches[patchOfChange[$0]] }) ?? f.file.flatMap({ patchOf[$0] }) {
                        f.patch = patch.label
                        f.messageId = patch.messageId
                    }
                    diffFindings.append((rule, f))
                }
            }
            return (changes, problem == nil, problem, unplaced, diffFindings)
        }

        /// The file's pre-image blob (by the `index` line's id) patched: (pre-image, post-image).
        /// Nil when the repository lacks the blob or the hunks do not apply to it either.
        func threeWay(_ file: FilePatch) -> (ObjectID, ObjectID)? {
            guard file.status == .modified, let prefix = file.oldBlobPrefix, !file.isBinary,
                let pre = session.repository.blob(prefix: prefix), pre != base.blobs[file.path],
                let bytes = try? session.repository.blobBytes(pre),
                let patched = try? applyHunks(file.hunks, to: bytes, path: file.path),
                let post = try? session.repository.writeBlob(patched.contents)
            else { return nil }
            return (pre, post)
        }

        lazy var baseReferenceNames: Set<String> = baseReferences.values.reduce(into: Set<String>()) {
            $0.formUnion($1)
        }
        /// How many of the base's scoped files reference each name.
        lazy var baseReferenceCounts: [String: Int] = baseReferences.values.reduce(into: [:]) { counts, refs in
            for name in refs { counts[name, default: 0] += 1 }
        }

        func extract(_ paths: [String], before: [String: ObjectID?], after: [String: ObjectID?])
            -> [ModularityChange]
        {
            func lookup(_ overlay: [String: ObjectID?]) -> (String) -> ObjectID? {
                { path in
                    if let changed = overlay[path] { return changed }
                    return self.base.blobs[path]
                }
            }
            return extractor.changes(
                paths: paths, old: lookup(before), new: lookup(after),
                scopedReferences: {
                    // The base's scoped references, with the files the series touched read in
                    // both their states (a name only touched files referenced in the base is
                    // dropped: counted, not the union of every file's set made again per patch).
                    let touched = Set(before.keys).union(after.keys)
                    var names = self.baseReferenceNames
                    var dropped: [String: Int] = [:]
                    for path in touched { for name in self.baseReferences[path] ?? [] { dropped[name, default: 0] += 1 } }
                    for (name, count) in dropped where self.baseReferenceCounts[name] == count { names.remove(name) }
                    for path in touched where self.extractor.inScope(path) && path.hasSuffix(".c") {
                        for blob in [lookup(before)(path), lookup(after)(path)].compactMap({ $0 }) {
                            for r in self.extractor.facts(blob, path)?.references ?? [] { names.insert(r.name) }
                        }
                    }
                    return names
                })
        }
    }
}
