import CLibGit2
import Foundation

/// A commit's metadata.
public struct CommitInfo: Sendable {
    public var id: ObjectID
    public var tree: ObjectID
    public var parents: [ObjectID]
    public var summary: String
    public var message: String
    public var authorName: String
    public var authorEmail: String
    public var time: Int64
}

/// Who wrote a commit modcheck creates (fixtures, the demo, series commits).
public struct Signature: Sendable {
    public var name: String
    public var email: String
    public var time: Int64

    public init(name: String, email: String, time: Int64) {
        self.name = name
        self.email = email
        self.time = time
    }
}

/// A blob of a tree, with its path from the tree's root.
public struct TreeEntry: Sendable, Hashable {
    public var path: String
    public var blob: ObjectID
    public var mode: UInt32
    public var isSymlink: Bool { mode == 0o120000 }
}

/// A path that differs between two trees.
public struct ChangedPath: Sendable, Hashable {
    public enum Status: Sendable { case added, deleted, modified, renamed, typeChanged }
    public var oldPath: String?
    public var newPath: String?
    public var oldBlob: ObjectID?
    public var newBlob: ObjectID?
    public var status: Status
}

/// Owns one `git_repository`. A handle is used by one thread at a time; parallel readers open one
/// Repository per worker (libgit2 shares pack files between handles underneath).
///
/// Writes (blobs, trees, commits) never touch the checked repository when `inMemoryWrites` is set:
/// a `git_mempack` backend with the highest priority receives them, and an object that already
/// exists is never written again — libgit2 would otherwise "freshen" it, touching the mtime of
/// files in the repository's objects directory.
public final class Repository {
    let handle: OpaquePointer
    let odb: OpaquePointer
    public let gitDirectory: String
    public let workingDirectory: String?
    public let inMemoryWrites: Bool

    private init(handle: OpaquePointer, inMemoryWrites: Bool) throws {
        self.handle = handle
        var odb: OpaquePointer?
        do {
            try check("open the object database", git_repository_odb(&odb, handle))
        } catch {
            git_repository_free(handle)
            throw error
        }
        self.odb = odb!
        gitDirectory = String(cString: git_repository_path(handle))
        workingDirectory = git_repository_workdir(handle).map { String(cString: $0) }
        self.inMemoryWrites = inMemoryWrites
        if inMemoryWrites {
            var backend: UnsafeMutablePointer<git_odb_backend>?
            try check("create the in-memory object store", git_mempack_new(&backend))
            // Priority above the loose (1) and packed (2) backends: every write lands in memory.
            try check("attach the in-memory object store", git_odb_add_backend(self.odb, backend, 1000))
        }
    }

    deinit {
        git_odb_free(odb)
        git_repository_free(handle)
    }

    /// Opens a repository at `path` (its work tree or its git directory; bare or not).
    public static func open(_ path: String, inMemoryWrites: Bool = true) throws -> Repository {
        LibGit2.ensure()
        var repo: OpaquePointer?
        try check(
            "open repository \(path)",
            git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil))
        return try Repository(handle: repo!, inMemoryWrites: inMemoryWrites)
    }

    /// Opens the repository containing `directory` (searching upwards, as git does).
    public static func discover(from directory: String, inMemoryWrites: Bool = true) throws -> Repository {
        LibGit2.ensure()
        var repo: OpaquePointer?
        try check(
            "find a repository containing \(directory)", git_repository_open_ext(&repo, directory, 0, nil))
        return try Repository(handle: repo!, inMemoryWrites: inMemoryWrites)
    }

    /// Creates a new repository on disk (fixtures, the demo); its writes go to disk.
    public static func create(at path: String, bare: Bool) throws -> Repository {
        LibGit2.ensure()
        var repo: OpaquePointer?
        try check("create repository \(path)", git_repository_init(&repo, path, bare ? 1 : 0))
        return try Repository(handle: repo!, inMemoryWrites: false)
    }

    public var isShallow: Bool { git_repository_is_shallow(handle) == 1 }

    // MARK: Revisions

    /// Resolves any revision expression (`HEAD~2`, `v5.4`, an id) to a commit.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        var object: OpaquePointer?
        try check("resolve '\(revision)'", git_revparse_single(&object, handle, revision))
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check("'\(revision)' is not a commit", git_object_peel(&commit, object, GIT_OBJECT_COMMIT))
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    public func commit(_ id: ObjectID) throws -> CommitInfo {
        var oid = id.oid
        var commit: OpaquePointer?
        try check("read commit \(id)", git_commit_lookup(&commit, handle, &oid))
        defer { git_commit_free(commit) }
        var parents: [ObjectID] = []
        for i in 0..<git_commit_parentcount(commit) {
            if let p = git_commit_parent_id(commit, i) { parents.append(ObjectID(p.pointee)) }
        }
        let author = git_commit_author(commit)
        return CommitInfo(
            id: id, tree: ObjectID(git_commit_tree_id(commit).pointee), parents: parents,
            summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            message: git_commit_message(commit).map { String(cString: $0) } ?? "",
            authorName: author?.pointee.name.map { String(cString: $0) } ?? "",
            authorEmail: author?.pointee.email.map { String(cString: $0) } ?? "",
            time: Int64(git_commit_time(commit)))
    }

    public func tree(ofCommit id: ObjectID) throws -> ObjectID { try commit(id).tree }

    /// The commits of a range, oldest first: `A..B`, `A...B` (symmetric difference) or a single
    /// revision (its whole history). With `paths`, only commits whose tree differs from their
    /// first parent's under one of the prefixes (compared by subtree id: no diff needed).
    public func commits(range: String, paths: [String] = [], firstParentOnly: Bool = false) throws
        -> [ObjectID]
    {
        var walk: OpaquePointer?
        try check("start a revision walk", git_revwalk_new(&walk, handle))
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        if firstParentOnly { git_revwalk_simplify_first_parent(walk) }
        if range.contains("...") {
            let parts = range.components(separatedBy: "...")
            let a = try resolveCommit(parts[0].isEmpty ? "HEAD" : parts[0])
            let b = try resolveCommit(parts[1].isEmpty ? "HEAD" : parts[1])
            var oa = a.oid
            var ob = b.oid
            var base = git_oid()
            try check("merge base of '\(range)'", git_merge_base(&base, handle, &oa, &ob))
            try check("walk '\(range)'", git_revwalk_push(walk, &oa))
            try check("walk '\(range)'", git_revwalk_push(walk, &ob))
            try check("walk '\(range)'", git_revwalk_hide(walk, &base))
        } else if range.contains("..") {
            let parts = range.components(separatedBy: "..")
            var from = try resolveCommit(parts[0].isEmpty ? "HEAD" : parts[0]).oid
            var to = try resolveCommit(parts[1].isEmpty ? "HEAD" : parts[1]).oid
            try check("walk '\(range)'", git_revwalk_push(walk, &to))
            try check("walk '\(range)'", git_revwalk_hide(walk, &from))
        } else {
            var tip = try resolveCommit(range).oid
            try check("walk '\(range)'", git_revwalk_push(walk, &tip))
        }
        var out: [ObjectID] = []
        var oid = git_oid()
        while git_revwalk_next(&oid, walk) == 0 {
            let id = ObjectID(oid)
            if !paths.isEmpty {
                let info = try commit(id)
                let parentTree = try info.parents.first.map { try tree(ofCommit: $0) }
                var touched = false
                for prefix in paths {
                    if try entryID(tree: info.tree, path: prefix)
                        != parentTree.flatMap({ try? entryID(tree: $0, path: prefix) })
                    {
                        touched = true
                        break
                    }
                }
                if !touched { continue }
            }
            out.append(id)
        }
        return out
    }

    // MARK: Trees and blobs

    func withTree<T>(_ id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var oid = id.oid
        var tree: OpaquePointer?
        try check("read tree \(id)", git_tree_lookup(&tree, handle, &oid))
        defer { git_tree_free(tree) }
        return try body(tree!)
    }

    /// The id of the entry (blob or tree) at `path`, or nil.
    public func entryID(tree: ObjectID, path: String) throws -> ObjectID? {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        if trimmed.isEmpty { return tree }
        return try withTree(tree) { t in
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, t, trimmed) == 0 else { return nil }
            defer { git_tree_entry_free(entry) }
            return ObjectID(git_tree_entry_id(entry).pointee)
        }
    }

    public func blobID(tree: ObjectID, path: String) throws -> ObjectID? {
        try entryID(tree: tree, path: path)
    }

    /// Every blob under the prefixes (all of them when empty), recursively; submodules skipped.
    public func entries(tree: ObjectID, under prefixes: [String] = []) throws -> [TreeEntry] {
        let normalized = prefixes.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        var out: [TreeEntry] = []
        out.reserveCapacity(prefixes.isEmpty ? 70_000 : 256)
        try collect(tree: tree, base: "", prefixes: normalized, into: &out)
        return out
    }

    private func collect(tree: ObjectID, base: String, prefixes: [String], into out: inout [TreeEntry]) throws
    {
        try withTree(tree) { t in
            let count = git_tree_entrycount(t)
            for i in 0..<count {
                guard let entry = git_tree_entry_byindex(t, i) else { continue }
                let name = String(cString: git_tree_entry_name(entry))
                let path = base.isEmpty ? name : base + "/" + name
                let id = ObjectID(git_tree_entry_id(entry).pointee)
                let mode = git_tree_entry_filemode(entry).rawValue
                switch git_tree_entry_type(entry) {
                case GIT_OBJECT_TREE:
                    // Descend into a subtree only on the way to, or inside, a wanted prefix.
                    let wanted =
                        prefixes.isEmpty
                        || prefixes.contains {
                            path == $0 || path.hasPrefix($0 + "/") || $0.hasPrefix(path + "/")
                        }
                    if wanted {
                        let inside =
                            prefixes.isEmpty || prefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
                        try collect(tree: id, base: path, prefixes: inside ? [] : prefixes, into: &out)
                    }
                case GIT_OBJECT_BLOB:
                    if prefixes.isEmpty
                        || prefixes.contains(where: { path == $0 || path.hasPrefix($0 + "/") })
                    {
                        out.append(TreeEntry(path: path, blob: id, mode: UInt32(mode)))
                    }
                default:
                    continue
                }
            }
        }
    }

    /// Lends the blob's bytes without copying them. Throws (naming the id) when it is missing.
    public func withBlob<T>(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        var oid = id.oid
        var blob: OpaquePointer?
        try check("read blob \(id)", git_blob_lookup(&blob, handle, &oid))
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: raw, count: size))
    }

    public func blobBytes(_ id: ObjectID) throws -> [UInt8] { try withBlob(id) { Array($0) } }

    public func contains(_ id: ObjectID) -> Bool {
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }

    /// Paths that differ between two trees (under the prefixes, when given).
    public func diff(from old: ObjectID?, to new: ObjectID, under prefixes: [String] = []) throws
        -> [ChangedPath]
    {
        var oldTree: OpaquePointer?
        var newTree: OpaquePointer?
        if let old {
            var oid = old.oid
            try check("read tree \(old)", git_tree_lookup(&oldTree, handle, &oid))
        }
        defer { if oldTree != nil { git_tree_free(oldTree) } }
        var newOID = new.oid
        try check("read tree \(new)", git_tree_lookup(&newTree, handle, &newOID))
        defer { git_tree_free(newTree) }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        var diff: OpaquePointer?
        let cStrings = prefixes.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafeMutablePointer<CChar>?] = cStrings
        try pointers.withUnsafeMutableBufferPointer { buffer in
            options.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            try check("diff trees", git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options))
        }
        defer { git_diff_free(diff) }
        var out: [ChangedPath] = []
        for i in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, i)?.pointee else { continue }
            let oldID = ObjectID(delta.old_file.id)
            let newID = ObjectID(delta.new_file.id)
            let status: ChangedPath.Status
            switch delta.status {
            case GIT_DELTA_ADDED: status = .added
            case GIT_DELTA_DELETED: status = .deleted
            case GIT_DELTA_RENAMED: status = .renamed
            case GIT_DELTA_TYPECHANGE: status = .typeChanged
            default: status = .modified
            }
            out.append(
                ChangedPath(
                    oldPath: status == .added ? nil : delta.old_file.path.map { String(cString: $0) },
                    newPath: status == .deleted ? nil : delta.new_file.path.map { String(cString: $0) },
                    oldBlob: status == .added ? nil : oldID, newBlob: status == .deleted ? nil : newID,
                    status: status))
        }
        return out
    }
}
