import Foundation
import Git
import Mail

/// The commit a posting was written against, and why triage took it.
public struct BaseChoice: Sendable, Hashable {
    public enum Reason: String, Sendable {
        /// `base-commit:` (git format-patch --base, b4), a commit the repository has.
        case trailer
        /// The candidate whose tree holds the diff's pre-image blobs (`index abc..def` lines).
        case preimage
        /// No candidate holds a pre-image: the one where the most files apply (the nearest up
        /// to the posting's date first, then later ones; ties go to the earlier pass).
        case applies
        /// None of the above: the first `--base`.
        case fallback
    }

    /// The commit's id (hex), or the `--base` revision as given for the fallback.
    public var revision: String
    public var commit: ObjectID
    public var reason: Reason
}

/// Picks a base per posting among candidate commits (`--base`, repeatable, ranges walked first
/// parent), as `b4 am --guess-base` does: the trailer when the repository has that commit; else
/// the newest candidate not later than the posting whose tree holds every pre-image blob, or else
/// the most of them; else the nearest candidate where the most files apply; else the first.
/// Its handle is used by one thread: a worker makes its own copy (`init(_:repository:)`).
struct BaseChooser: @unchecked Sendable {
    struct Candidate {
        var name: String
        var commit: ObjectID
        var tree: ObjectID
        var time: Int64
    }

    let repository: Repository
    /// Newest first.
    let candidates: [Candidate]
    let fallback: Candidate

    /// The same candidates, read through another handle (a worker thread's).
    init(_ other: BaseChooser, repository: Repository) {
        self.repository = repository
        candidates = other.candidates
        fallback = other.fallback
    }

    /// `revisions`: each a revision or a range `A..B` (its commits, first parent). The first
    /// revision given is the fallback.
    init(repository: Repository, revisions: [String]) throws {
        self.repository = repository
        var out: [Candidate] = []
        var seen = Set<ObjectID>()
        var first: Candidate?
        for revision in revisions {
            let ids: [ObjectID]
            if revision.contains("..") {
                do {
                    ids = try repository.commits(range: revision, firstParentOnly: true)
                } catch {
                    throw InputError("--base '\(revision)': cannot walk the range (\(error))")
                }
            } else {
                do {
                    ids = [try repository.resolveCommit(revision)]
                } catch {
                    throw InputError("--base '\(revision)': cannot resolve the revision (\(error))")
                }
            }
            for id in ids where seen.insert(id).inserted {
                let info = try repository.commit(id)
                let c = Candidate(
                    name: ids.count == 1 ? revision : id.hex, commit: id, tree: info.tree, time: info.time)
                if first == nil { first = c }
                out.append(c)
            }
        }
        guard let first else { throw InputError("--base: no commit given") }
        candidates = out.sorted { $0.time > $1.time }
        fallback = first
    }

    /// `files`: the series' diffs, parsed (their `index` lines name the pre-images).
    func choose(_ series: PatchSeries, files: [FilePatch]) -> BaseChoice {
        let messages = [series.cover].compactMap { $0 } + series.patches
        for hex in messages.compactMap(\.baseCommit) {
            if let id = try? repository.resolveCommit(hex), repository.contains(id) {
                return BaseChoice(revision: id.hex, commit: id, reason: .trailer)
            }
        }
        let images = files.compactMap { f in f.oldPath.flatMap { path in f.oldBlobPrefix.map { (path, $0) } } }
        guard candidates.count > 1 else {
            return BaseChoice(revision: fallback.name, commit: fallback.commit, reason: .fallback)
        }
        let limit = series.date.map { Int64($0.timeIntervalSince1970) }
        guard !images.isEmpty else { return applying(files, limit: limit) }
        func held(_ c: Candidate) -> Int {
            images.filter { (path, prefix) in
                (try? repository.blobID(tree: c.tree, path: path))?.hex.hasPrefix(prefix) ?? false
            }.count
        }
        var best: (candidate: Candidate, count: Int)?
        // Commits not later than the posting first (newest first); when none holds every
        // pre-image, later ones too (a stable release tagged after the posting may still carry
        // the files it was written against).
        for pass in [true, false] where (best?.count ?? 0) < images.count {
            for c in candidates where (limit.map { c.time <= $0 } ?? true) == pass || (pass && limit == nil) {
                let count = held(c)
                if count == images.count {
                    best = (c, count)
                    break
                }
                if count > (best?.count ?? 0) { best = (c, count) }
            }
            if limit == nil { break }
        }
        guard let best else { return applying(files, limit: limit) }
        return BaseChoice(revision: best.candidate.name, commit: best.candidate.commit, reason: .preimage)
    }

    /// At most this many candidates are tried by applying (the nearest ones up to the posting's
    /// date): a range can hold thousands of commits.
    static let maxApplyCandidates = 8

    /// The candidate on which the most of the posting's files apply (`applies`); the first
    /// `--base` when none takes any (`fallback`).
    func applying(_ all: [FilePatch], limit: Int64?) -> BaseChoice {
        let files = all.filter { $0.status != .added }
        // Up to the posting's date, nearest first; when none of those takes every file, the later
        // ones too, oldest first (a release tagged after the posting); ties go to the earlier.
        let earlier = candidates.filter { c in limit.map { c.time <= $0 } ?? true }
        let later = candidates.filter { c in limit.map { c.time > $0 } ?? false }.reversed()
        var best: (candidate: Candidate, count: Int)?
        for pool in [Array(earlier), Array(later)] where (best?.count ?? 0) < files.count {
            for c in pool.prefix(BaseChooser.maxApplyCandidates) {
                let count = files.filter { (try? Git.apply([$0], to: c.tree, in: repository)) != nil }.count
                if count > (best?.count ?? 0) { best = (c, count) }
                if count == files.count { break }
            }
        }
        guard let best, !files.isEmpty else {
            return BaseChoice(revision: fallback.name, commit: fallback.commit, reason: .fallback)
        }
        return BaseChoice(revision: best.candidate.name, commit: best.candidate.commit, reason: .applies)
    }
}
