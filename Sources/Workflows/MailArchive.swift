import Facts
import Foundation
import Git
import Mail

/// A mailing-list archive as `modcheck triage` reads it: an mbox file (mboxo or mboxrd), a
/// maildir, or a public-inbox v2 git repository (one epoch, or an inbox directory holding
/// `git/0.git`, `git/1.git`, …) read with libgit2.
public enum MailArchive {
    public struct Contents: Sendable {
        public var messages: [MailMessage]
        /// Problems with single messages (the others are kept), named by file or epoch@commit.
        public var notes: [String]
        /// Messages in the archive before any date window was applied.
        public var total: Int
    }

    /// Which messages to keep: by the message's `Date:` (the commit's author date when the
    /// message has none).
    public struct Window: Sendable {
        public var since: Date?
        public var until: Date?

        public init(since: Date? = nil, until: Date? = nil) {
            self.since = since
            self.until = until
        }

        var isOpen: Bool { since == nil && until == nil }

        func contains(_ date: Date?) -> Bool {
            guard !isOpen else { return true }
            guard let date else { return false }
            return (since.map { date >= $0 } ?? true) && (until.map { date <= $0 } ?? true)
        }

        /// public-inbox stamps each commit with the message's date; a mail client's clock can be
        /// days off, so the cheap pre-filter on commit time keeps a margin and `contains` decides.
        func mayContain(commitTime: Int64) -> Bool {
            guard !isOpen else { return true }
            let margin: TimeInterval = 14 * 86_400
            let date = Date(timeIntervalSince1970: TimeInterval(commitTime))
            return (since.map { date >= $0.addingTimeInterval(-margin) } ?? true)
                && (until.map { date <= $0.addingTimeInterval(margin) } ?? true)
        }
    }

    public static func read(
        _ source: String, window: Window = Window(), progress: ((Int) -> Void)? = nil
    ) throws -> Contents {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
            throw InputError("\(source): no such file or directory")
        }
        var contents: Contents
        if !isDir.boolValue {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw InputError("\(source): cannot read")
            }
            let bytes = [UInt8](data)
            guard !bytes.isEmpty else { throw InputError("\(source): empty file, no messages") }
            let read = PatchInput.read(path: source, bytes: bytes)
            if read.messages.isEmpty {
                throw InputError(
                    "\(source): no mail message found"
                        + (read.diagnostics.first.map { " (\($0.message))" } ?? ""))
            }
            contents = Contents(
                messages: read.messages.map { $0.compactedForArchive() }, notes: read.diagnostics.map(\.description),
                total: read.messages.count)
        } else if isMaildir(source) {
            let read = PatchInput.readMaildir(path: source)
            contents = Contents(
                messages: read.messages.map { $0.compactedForArchive() }, notes: read.diagnostics.map(\.description),
                total: read.messages.count)
        } else {
            contents = try readPublicInbox(source, window: window, progress: progress)
        }
        if !window.isOpen { contents.messages.removeAll { !window.contains($0.date) } }
        return contents
    }

    /// Whether `source` is a public-inbox archive (a directory, not a maildir): a list's history,
    /// in which some posting is nearly always checked in full.
    static func isPublicInbox(_ source: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: source, isDirectory: &isDir) && isDir.boolValue
            && !isMaildir(source)
    }

    static func isMaildir(_ path: String) -> Bool {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        return ["cur", "new"].allSatisfy {
            fm.fileExists(atPath: path + "/" + $0, isDirectory: &isDir) && isDir.boolValue
        }
    }

    /// The epochs of an inbox (`git/N.git`, in N order) or the directory itself.
    static func epochs(_ source: String) -> [String] {
        let gitDir = source + "/git"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: gitDir) else { return [source] }
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasSuffix(".git"), let n = Int(name.dropLast(4)) else { return nil }
            return (n, gitDir + "/" + name)
        }
        return numbered.isEmpty ? [source] : numbered.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// One message-carrying commit of an epoch.
    struct Posting: Sendable {
        var epoch: Int
        var commit: ObjectID
        var blob: ObjectID
        var isDeletion: Bool
    }

    /// Commits per slice of an epoch's walk (the cores take slices in turn).
    public static let walkSlice = 256

    static func readPublicInbox(_ source: String, window: Window, progress: ((Int) -> Void)?) throws
        -> Contents
    {
        let paths = epochs(source)
        var found: [Posting] = []
        var total = 0
        for (n, epoch) in paths.enumerated() {
            let repo: Repository
            do {
                repo = try Repository.open(epoch)
            } catch {
                throw InputError("\(epoch): not a git repository, so not a public-inbox archive (\(error))")
            }
            let commits: [ObjectID]
            do {
                commits = try repo.commits(range: "HEAD")
            } catch {
                throw InputError("\(epoch): not a public-inbox archive: HEAD has no commits (\(error))")
            }
            // Each commit's tree is looked up for its `m` (a message) or `d` (a deletion): the
            // cores take slices of the history, each with its own handle; order is kept.
            let sliceCount = max(1, commits.count / walkSlice + 1)
            let sliceSize = (commits.count + sliceCount - 1) / sliceCount
            let slices = ParallelSlots<(postings: [Posting], messages: Int)>(count: sliceCount)
            defer { slices.free() }
            let nextSlice = BatchCounter()
            let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, sliceCount))
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                guard let own = try? Repository.open(epoch) else { return }
                while true {
                    let k = nextSlice.take(1)
                    guard k < sliceCount else { break }
                    var out: [Posting] = []
                    var messages = 0
                    for id in commits[min(commits.count, k * sliceSize)..<min(commits.count, (k + 1) * sliceSize)] {
                        guard let (tree, time) = try? own.treeAndTime(ofCommit: id) else { continue }
                        if let blob = try? own.blobID(tree: tree, path: "m") {
                            messages += 1
                            if window.mayContain(commitTime: time) {
                                out.append(Posting(epoch: n, commit: id, blob: blob, isDeletion: false))
                            }
                        } else if let blob = try? own.blobID(tree: tree, path: "d") {
                            out.append(Posting(epoch: n, commit: id, blob: blob, isDeletion: true))
                        }
                    }
                    slices.set(k, (out, messages))
                }
            }
            var sawMessage = false
            for k in 0..<sliceCount {
                guard let slice = slices.get(k) else { continue }
                found += slice.postings
                total += slice.messages
                if slice.messages > 0 { sawMessage = true }
            }
            if !sawMessage && !commits.isEmpty {
                throw InputError(
                    "\(epoch): not a public-inbox archive: no commit adds a message file 'm'")
            }
        }

        let postings = found
        Timing.mark("walk \(paths.count) epoch(s): \(postings.count) messages")
        // Parsing is the expensive part and every message is independent: the cores take batches
        // in turn (message sizes vary a lot), each with its own repository handle (libgit2
        // objects are per thread); results land in per-message slots, so order is kept.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let batch = 256
        let slots = ParallelSlots<MailMessage>(count: postings.count)
        let failures = ParallelSlots<String>(count: postings.count)
        defer {
            slots.free()
            failures.free()
        }
        let next = BatchCounter()
        let done = ProgressCounter(report: progress)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var repos: [Int: Repository] = [:]
            while true {
                let start = next.take(batch)
                guard start < postings.count else { break }
                for i in start..<min(postings.count, start + batch) {
                    let posting = postings[i]
                    let name = "\(paths[posting.epoch])@\(posting.commit.hex.prefix(12))"
                    do {
                        if repos[posting.epoch] == nil {
                            repos[posting.epoch] = try Repository.open(paths[posting.epoch])
                        }
                        let bytes = try repos[posting.epoch]!.blobBytes(posting.blob)
                        slots.set(i, try MailParser.parse(bytes, sourceName: name).compactedForArchive())
                    } catch {
                        failures.set(i, "\(name): \(error)")
                    }
                }
                done.add(min(batch, postings.count - start))
            }
        }
        Timing.mark("parse \(postings.count) messages")
        var messages: [MailMessage] = []
        var notes: [String] = []
        var deleted = Set<String>()
        for (i, posting) in postings.enumerated() {
            if let failure = failures.get(i) { notes.append(failure) }
            guard let message = slots.get(i) else { continue }
            if posting.isDeletion {
                if let id = message.messageID { deleted.insert(id) }
            } else {
                messages.append(message)
            }
        }
        if !deleted.isEmpty { messages.removeAll { $0.messageID.map(deleted.contains) ?? false } }
        return Contents(messages: messages, notes: notes, total: total)
    }
}

/// Hands out batch start indexes to parallel workers.
final class BatchCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    func take(_ n: Int) -> Int {
        lock.withLock {
            defer { next += n }
            return next
        }
    }
}

/// Counts work done across threads and reports it now and then (for a progress line).
final class ProgressCounter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLock()
    private let report: ((Int) -> Void)?

    init(report: ((Int) -> Void)?) { self.report = report }

    func add(_ n: Int) {
        guard let report else { return }
        let now = lock.withLock {
            count += n
            return count
        }
        if now / 1000 != (now - n) / 1000 { report(now) }
    }
}
