import CLibGit2
import Foundation

/// A commit's metadata.
public struct CommitInfo: Sendable, Hashable {
    public var id: ObjectID
    public var tree: ObjectID
    public var parents: [ObjectID]
    /// The first paragraph of the message, on one line (git's "subject").
    public var summary: String
    public var message: String
    public var authorName: String
    public var authorEmail: String
    /// Author time, seconds since the epoch.
    public var time: Int64
}

/// Who wrote a commit modcheck creates (fixtures, the demo, series commits).
public struct Signature: Sendable, Hashable {
    public var name: String
    public var email: String
    /// Seconds since the epoch.
    public var time: Int64
    public var timeZoneOffsetMinutes: Int

    public init(name: String, email: String, time: Int64, timeZoneOffsetMinutes: Int = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.timeZoneOffsetMinutes = timeZoneOffsetMinutes
    }
}

/// Owns one `git_repository` (and its object database).
///
/// A Repository is not Sendable: one thread uses a handle at a time. Parallel readers open one
/// Repository per worker — libgit2 shares the mapped pack files between handles underneath, so a
/// second handle costs little.
///
/// With `inMemoryWrites` (the default for `open` and `discover`) every object modcheck writes —
/// blobs, trees, commits, index trees — lands in a `git_mempack` store attached with the highest
/// priority, and the on-disk object stores are made read-only: their write and "freshen"
/// entry points are removed. Freshening matters because libgit2 writes an object that already
/// exists by touching the mtime of its loose file or pack, which would modify the checked
/// repository. Reads still see every on-disk object.
public final class Repository {
    let handle: OpaquePointer
    let odb: OpaquePointer
    /// The in-memory store (owned by `odb`), when writes go to memory.
    private let mempack: UnsafeMutablePointer<git_odb_backend>?
    public let gitDirectory: String
    public let workingDirectory: String?
    public let inMemoryWrites: Bool

    private init(handle: OpaquePointer, inMemoryWrites: Bool) throws {
        var odbOut: OpaquePointer?
        let code = git_repository_odb(&odbOut, handle)
        guard code >= 0, let odbOut else {
            let error = GitError.last("open the object database", code)
            git_repository_free(handle)
            throw error
        }
        self.handle = handle
        odb = odbOut
        gitDirectory = String(cString: git_repository_path(handle))
        workingDirectory = git_repository_workdir(handle).map { String(cString: $0) }
        self.inMemoryWrites = inMemoryWrites
        guard inMemoryWrites else {
            mempack = nil
            return
        }
        for position in 0..<git_odb_num_backends(odbOut) {
            var backend: UnsafeMutablePointer<git_odb_backend>?
            guard git_odb_get_backend(&backend, odbOut, position) == 0, let backend else { continue }
            // Without `freshen`, libgit2 falls back to `exists` for an object written again.
            backend.pointee.write = nil
            backend.pointee.writestream = nil
            backend.pointee.writepack = nil
            backend.pointee.writemidx = nil
            backend.pointee.freshen = nil
        }
        var store: UnsafeMutablePointer<git_odb_backend>?
        try check("create the in-memory object store", git_mempack_new(&store))
        // Above the packed (2) and loose (1) stores: reads see what modcheck wrote first.
        try check("attach the in-memory object store", git_odb_add_backend(odbOut, store, 999))
        mempack = store
    }

    deinit {
        git_odb_free(odb)
        git_repository_free(handle)
    }

    /// Opens the repository at `path`: a work tree, its `.git` directory, or a bare repository.
    public static func open(_ path: String, inMemoryWrites: Bool = true) throws -> Repository {
        LibGit2.ensure()
        let handle = try construct("open repository \(path)") {
            git_repository_open_ext(&$0, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        }
        return try Repository(handle: handle, inMemoryWrites: inMemoryWrites)
    }

    /// Opens the repository containing `directory`, searching upwards as git does.
    public static func discover(from directory: String, inMemoryWrites: Bool = true) throws -> Repository {
        LibGit2.ensure()
        let handle = try construct("find a repository containing \(directory)") {
            git_repository_open_ext(&$0, directory, 0, nil)
        }
        return try Repository(handle: handle, inMemoryWrites: inMemoryWrites)
    }

    /// Creates a repository on disk (fixtures, tests, the demo); its writes go to disk.
    public static func create(at path: String, bare: Bool) throws -> Repository {
        LibGit2.ensure()
        let handle = try construct("create repository \(path)") {
            git_repository_init(&$0, path, bare ? 1 : 0)
        }
        return try Repository(handle: handle, inMemoryWrites: false)
    }

    /// True for a shallow clone: history ends at grafted commits, so "introduced by" may be wrong.
    /// The libgit2 this process runs with ("1.5.1").
    public static var libgit2Version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }

    public var isShallow: Bool { git_repository_is_shallow(handle) == 1 }

    /// Drops every object written to memory so far (a long triage run between series).
    /// Ids returned by earlier writes become unreadable unless they also exist on disk.
    public func discardInMemoryObjects() throws {
        guard let mempack else { return }
        try check("reset the in-memory object store", git_mempack_reset(mempack))
    }

    // MARK: Revisions

    /// Resolves any revision expression (`HEAD~2`, `v5.4`, an id, `main@{1}`) to a commit.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        let object = try construct("resolve '\(revision)'") { git_revparse_single(&$0, handle, revision) }
        return try ObjectHandle(self, owning: object).peeledToCommit(revision)
    }

    /// The metadata of commit `id`.
    public func commit(_ id: ObjectID) throws -> CommitInfo {
        let commit = try CommitHandle(self, id)
        let c = commit.pointer
        var parents: [ObjectID] = []
        for i in 0..<git_commit_parentcount(c) {
            if let parent = git_commit_parent_id(c, i) { parents.append(ObjectID(parent)) }
        }
        let author = git_commit_author(c)
        return CommitInfo(
            id: id, tree: ObjectID(git_commit_tree_id(c)), parents: parents,
            summary: git_commit_summary(c).map { String(cString: $0) } ?? "",
            message: git_commit_message(c).map { String(cString: $0) } ?? "",
            authorName: author?.pointee.name.map { String(cString: $0) } ?? "",
            authorEmail: author?.pointee.email.map { String(cString: $0) } ?? "",
            time: Int64(author?.pointee.when.time ?? git_commit_time(c)))
    }

    /// Commit `id`'s root tree and author time, without reading its message or names (a walk of
    /// a mail archive reads tens of thousands).
    public func treeAndTime(ofCommit id: ObjectID) throws -> (tree: ObjectID, time: Int64) {
        let commit = try CommitHandle(self, id)
        let c = commit.pointer
        let author = git_commit_author(c)
        return (ObjectID(git_commit_tree_id(c)), Int64(author?.pointee.when.time ?? git_commit_time(c)))
    }

    /// The root tree of commit `id`.
    public func tree(ofCommit id: ObjectID) throws -> ObjectID {
        ObjectID(git_commit_tree_id(try CommitHandle(self, id).pointer))
    }

    /// The commits of a range, oldest first (topological, then commit time, reversed):
    /// `A..B`, `A...B` (symmetric difference) or a single revision (its whole history).
    /// With `paths`, only commits whose tree differs from their first parent's under one of the
    /// path prefixes — compared by the prefix's subtree id, so no diff is computed.
    public func commits(range: String, paths: [String] = [], firstParentOnly: Bool = false) throws
        -> [ObjectID]
    {
        let walk = try RevisionWalk(self)
        git_revwalk_sorting(
            walk.pointer, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue | GIT_SORT_REVERSE.rawValue)
        if firstParentOnly {
            try check("walk first parents", git_revwalk_simplify_first_parent(walk.pointer))
        }

        var spec = git_revspec()
        try check("resolve '\(range)'", git_revparse(&spec, handle, range))
        let from = spec.from.map { ObjectHandle(self, owning: $0) }
        let to = spec.to.map { ObjectHandle(self, owning: $0) }
        let flags = spec.flags
        if flags & GIT_REVSPEC_SINGLE.rawValue != 0 {
            guard let from else { throw GitError(operation: "resolve '\(range)'", message: "no revision") }
            var tip = try from.peeledToCommit(range).oid
            try check("walk '\(range)'", git_revwalk_push(walk.pointer, &tip))
        } else {
            guard let from, let to else {
                throw GitError(operation: "resolve '\(range)'", message: "incomplete range")
            }
            var a = try from.peeledToCommit(range).oid
            var b = try to.peeledToCommit(range).oid
            try check("walk '\(range)'", git_revwalk_push(walk.pointer, &b))
            if flags & GIT_REVSPEC_MERGE_BASE.rawValue != 0 {
                // A...B: both sides, minus everything reachable from any of their merge bases.
                try check("walk '\(range)'", git_revwalk_push(walk.pointer, &a))
                var bases = git_oidarray()
                let code = git_merge_bases(&bases, handle, &a, &b)
                if code != GIT_ENOTFOUND.rawValue { try check("merge bases of '\(range)'", code) }
                defer { git_oidarray_dispose(&bases) }
                for i in 0..<bases.count {
                    try check("walk '\(range)'", git_revwalk_hide(walk.pointer, bases.ids.advanced(by: i)))
                }
            } else {
                try check("walk '\(range)'", git_revwalk_hide(walk.pointer, &a))
            }
        }

        let prefixes = paths.map(normalizedPath)
        var out: [ObjectID] = []
        var oid = git_oid()
        while true {
            let code = git_revwalk_next(&oid, walk.pointer)
            if code == GIT_ITEROVER.rawValue { break }
            try check("walk '\(range)'", code)
            let id = ObjectID(oid)
            if try prefixes.isEmpty || touches(commit: id, prefixes: prefixes) { out.append(id) }
        }
        return out
    }

    /// Whether `commit` changes anything under one of `prefixes` relative to its first parent.
    private func touches(commit id: ObjectID, prefixes: [String]) throws -> Bool {
        let commit = try CommitHandle(self, id)
        let tree = try TreeHandle(self, ObjectID(git_commit_tree_id(commit.pointer)))
        var parentTree: TreeHandle?
        if git_commit_parentcount(commit.pointer) > 0 {
            // A shallow clone's boundary commit names a parent it does not have: like git log, treat
            // the commit as adding everything.
            parentTree = try? TreeHandle(
                self, try self.tree(ofCommit: ObjectID(git_commit_parent_id(commit.pointer, 0))))
        }
        for prefix in prefixes {
            let now = try entryID(in: tree, path: prefix)
            let before = try parentTree.flatMap { try entryID(in: $0, path: prefix) }
            if now != before { return true }
        }
        return false
    }

    /// The commits reachable from `tip` that no remote-tracking branch has (a branch being pushed).
    public func commitsNotOnRemotes(_ tip: ObjectID) throws -> [ObjectID] {
        let walk = try RevisionWalk(self)
        git_revwalk_sorting(walk.pointer, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        var oid = tip.oid
        try check("walk \(tip)", git_revwalk_push(walk.pointer, &oid))
        // No remote-tracking branches is not an error: everything is new.
        _ = git_revwalk_hide_glob(walk.pointer, "refs/remotes/*")
        var out: [ObjectID] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk.pointer) == 0 { out.append(ObjectID(next)) }
        return out
    }

    /// A string value of the repository's configuration (`core.hooksPath`), or nil.
    public func configString(_ key: String) -> String? {
        guard let config = try? ConfigHandle(snapshotOf: self) else { return nil }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config.pointer, key) == 0, let value else { return nil }
        return String(cString: value)
    }
}

/// A path as libgit2 looks it up: no leading "./" or "/", no trailing "/".
func normalizedPath(_ path: String) -> String {
    var p = Substring(path)
    while p.hasPrefix("./") { p = p.dropFirst(2) }
    while p.hasPrefix("/") { p = p.dropFirst() }
    while p.hasSuffix("/") { p = p.dropLast() }
    return p == "." ? "" : String(p)
}
