import CLibGit2
import Foundation

/// A file of a tree (submodules are not files), with its path from the tree's root.
public struct TreeEntry: Sendable, Hashable {
    public var path: String
    public var blob: ObjectID
    /// git's file mode: 0o100644, 0o100755 or 0o120000 (symlink; the blob holds the link target).
    public var mode: UInt32

    public init(path: String, blob: ObjectID, mode: UInt32) {
        self.path = path
        self.blob = blob
        self.mode = mode
    }

    public var isSymlink: Bool { mode == GIT_FILEMODE_LINK.rawValue }
    public var isExecutable: Bool { mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue }
}

/// A path that differs between two trees.
public struct ChangedPath: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case added, deleted, modified, renamed, typeChanged }
    public var oldPath: String?
    public var newPath: String?
    public var oldBlob: ObjectID?
    public var newBlob: ObjectID?
    public var status: Status
}

extension Repository {
    /// The id of the entry at `path` in `tree`: nil when absent; a subtree's id for a directory.
    func entryID(in tree: TreeHandle, path: String) throws -> ObjectID? {
        if path.isEmpty { return ObjectID(git_tree_id(tree.pointer)) }
        return try TreeEntryHandle(tree, path: path)?.id
    }

    /// The id of the entry (blob or subtree) at `path`, or nil when there is none.
    public func entryID(tree: ObjectID, path: String) throws -> ObjectID? {
        try entryID(in: TreeHandle(self, tree), path: normalizedPath(path))
    }

    /// The blob at `path`, or nil when the path is absent, a directory or a submodule.
    public func blobID(tree: ObjectID, path: String) throws -> ObjectID? {
        try blobEntry(tree: TreeHandle(self, tree), path: normalizedPath(path))?.id
    }

    /// The blob at `path` with its mode, or nil when the path is not a file.
    func blobEntry(tree: TreeHandle, path: String) throws -> (id: ObjectID, mode: UInt32)? {
        guard !path.isEmpty, let entry = try TreeEntryHandle(tree, path: path),
            git_tree_entry_type(entry.pointer) == GIT_OBJECT_BLOB
        else { return nil }
        return (entry.id, entry.mode)
    }

    /// Every file under the path prefixes (of the whole tree when empty), recursively, in git's
    /// tree order. Submodules are skipped; symlinks are listed and flagged. Subtrees outside the
    /// prefixes are never read.
    public func entries(tree: ObjectID, under prefixes: [String] = []) throws -> [TreeEntry] {
        var subtrees: [ObjectID]?
        return try entries(tree: tree, under: prefixes, subtrees: &subtrees)
    }

    /// Every file of the tree with the ids of every tree object read (the root's subtrees, at
    /// any depth): what makes its listing, whose presence `missingObject(among:)` checks.
    public func entriesAndSubtrees(tree: ObjectID) throws -> (entries: [TreeEntry], subtrees: [ObjectID]) {
        var subtrees: [ObjectID]? = []
        let entries = try entries(tree: tree, under: [], subtrees: &subtrees)
        return (entries, subtrees ?? [])
    }

    /// The first of `ids` the object store does not hold (a damaged or partial repository).
    public func missingObject(among ids: [ObjectID]) -> ObjectID? {
        for id in ids {
            var oid = id.oid
            if git_odb_exists(odb, &oid) != 1 { return id }
        }
        return nil
    }

    private func entries(tree: ObjectID, under prefixes: [String], subtrees: inout [ObjectID]?) throws -> [TreeEntry] {
        let root = try TreeHandle(self, tree)
        let wanted = outermost(prefixes.map(normalizedPath))
        var out: [TreeEntry] = []
        if wanted.isEmpty || wanted.contains("") {
            out.reserveCapacity(1024)
            try collect(root, base: [], into: &out, subtrees: &subtrees)
            return out
        }
        for prefix in wanted {
            guard let entry = try TreeEntryHandle(root, path: prefix) else { continue }
            switch git_tree_entry_type(entry.pointer) {
            case GIT_OBJECT_TREE:
                subtrees?.append(entry.id)
                try collect(TreeHandle(self, entry.id), base: Array(prefix.utf8), into: &out, subtrees: &subtrees)
            case GIT_OBJECT_BLOB:
                out.append(TreeEntry(path: prefix, blob: entry.id, mode: entry.mode))
            default:
                continue
            }
        }
        return out
    }

    private func collect(
        _ tree: TreeHandle, base: [UInt8], into out: inout [TreeEntry], subtrees: inout [ObjectID]?
    ) throws {
        var path = base
        if !path.isEmpty { path.append(UInt8(ascii: "/")) }
        let stem = path.count
        for i in 0..<tree.count {
            guard let entry = git_tree_entry_byindex(tree.pointer, i), let name = git_tree_entry_name(entry)
            else { continue }
            path.removeSubrange(stem...)
            path.append(contentsOf: UnsafeRawBufferPointer(start: name, count: strlen(name)))
            let mode = git_tree_entry_filemode(entry).rawValue
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                let id = ObjectID(git_tree_entry_id(entry))
                subtrees?.append(id)
                try collect(TreeHandle(self, id), base: path, into: &out, subtrees: &subtrees)
            case GIT_OBJECT_BLOB:
                out.append(
                    TreeEntry(
                        path: String(decoding: path, as: UTF8.self), blob: ObjectID(git_tree_entry_id(entry)),
                        mode: mode))
            default:
                continue  // a submodule's commit
            }
        }
    }

    /// Lends the blob's bytes without copying them. Throws a GitError naming the id when the
    /// object is missing (a shallow or partial clone) or is not a blob.
    public func withBlob<T>(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        let blob = try BlobHandle(self, id)
        return try withExtendedLifetime(blob) { try body(blob.bytes) }
    }

    /// A copy of the blob's bytes.
    public func blobBytes(_ id: ObjectID) throws -> [UInt8] { try withBlob(id) { Array($0) } }

    /// The blob an abbreviated id names (7 hex digits or more), when the object store holds
    /// exactly one object with that prefix and it is a blob.
    public func blob(prefix hex: String) -> ObjectID? {
        guard hex.count >= 7, hex.count <= 40, hex.allSatisfy(\.isHexDigit) else { return nil }
        var short = git_oid()
        guard git_oid_fromstrn(&short, hex, hex.count) == 0 else { return nil }
        var full = git_oid()
        guard git_odb_exists_prefix(&full, odb, &short, hex.count) == 0 else { return nil }
        var type = GIT_OBJECT_INVALID
        var size = 0
        guard git_odb_read_header(&size, &type, odb, &full) == 0, type == GIT_OBJECT_BLOB else { return nil }
        return ObjectID(full)
    }

    /// Whether the object store (on disk or in memory) has object `id`.
    public func contains(_ id: ObjectID) -> Bool {
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }

    /// The regular files (symlinks and submodules left out, as `entries` leaves them) whose blob
    /// differs between two trees (`old` nil: the empty tree): path → the new blob, nil when the
    /// path is gone. Only subtrees whose ids differ are read, so a commit that edits one file
    /// costs its directories' entries, not the tree's (libgit2's tree-to-tree diff visits every
    /// entry of both trees). No rename detection: a rename is its old path gone and its new one.
    public func changedFiles(from old: ObjectID?, to new: ObjectID) throws -> [String: ObjectID?] {
        struct Entry {
            var id: ObjectID
            var kind: git_object_t
            var mode: UInt32
            var isFile: Bool { kind == GIT_OBJECT_BLOB && mode != GIT_FILEMODE_LINK.rawValue }
        }
        func entries(_ id: ObjectID?) throws -> [[UInt8]: Entry] {
            guard let id else { return [:] }
            let tree = try TreeHandle(self, id)
            var out: [[UInt8]: Entry] = [:]
            out.reserveCapacity(tree.count)
            for i in 0..<tree.count {
                guard let entry = git_tree_entry_byindex(tree.pointer, i), let name = git_tree_entry_name(entry)
                else { continue }
                out[Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))] = Entry(
                    id: ObjectID(git_tree_entry_id(entry)), kind: git_tree_entry_type(entry),
                    mode: git_tree_entry_filemode(entry).rawValue)
            }
            return out
        }
        var out: [String: ObjectID?] = [:]
        func walk(_ a: ObjectID?, _ b: ObjectID?, prefix: [UInt8]) throws {
            let (before, after) = (try entries(a), try entries(b))
            for name in Set(before.keys).union(after.keys) {
                let (x, y) = (before[name], after[name])
                if let x, let y, x.id == y.id, x.kind == y.kind, x.mode == y.mode { continue }
                let path = prefix + name
                let subtree = { (e: Entry?) in e.flatMap { $0.kind == GIT_OBJECT_TREE ? $0.id : nil } }
                if subtree(x) != nil || subtree(y) != nil {
                    try walk(subtree(x), subtree(y), prefix: path + [UInt8(ascii: "/")])
                }
                let file = String(decoding: path, as: UTF8.self)
                if let y, y.isFile {
                    if !(x?.isFile == true && x?.id == y.id) { out[file] = .some(y.id) }
                } else if x?.isFile == true {
                    out[file] = .some(nil)
                }
            }
        }
        try walk(old, new, prefix: [])
        return out
    }

    /// The files that differ between two trees (`old` nil: the empty tree), restricted to the
    /// path prefixes when given; renames are detected (50% similarity, as git). Submodules are
    /// skipped.
    public func diff(from old: ObjectID?, to new: ObjectID, under prefixes: [String] = []) throws
        -> [ChangedPath]
    {
        let oldTree = try old.map { try TreeHandle(self, $0) }
        let newTree = try TreeHandle(self, new)
        var options = git_diff_options()
        try check("set up a diff", git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)))
        // Prefixes are paths, not fnmatch patterns; a type change is one change, not two.
        options.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue | GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        let specs = CStrings(prefixes.map(normalizedPath).filter { !$0.isEmpty })
        var pointers = specs.pointers
        let raw = try pointers.withUnsafeMutableBufferPointer { buffer in
            options.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return try construct("diff \(old?.description ?? "the empty tree") to \(new)") {
                git_diff_tree_to_tree(&$0, handle, oldTree?.pointer, newTree.pointer, &options)
            }
        }
        let diff = DiffHandle(owning: raw, repository: self)
        var find = git_diff_find_options()
        try check(
            "set up rename detection",
            git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)))
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try check("detect renames", git_diff_find_similar(diff.pointer, &find))

        var out: [ChangedPath] = []
        for i in 0..<git_diff_num_deltas(diff.pointer) {
            guard let delta = git_diff_get_delta(diff.pointer, i)?.pointee else { continue }
            let submodule = UInt16(GIT_FILEMODE_COMMIT.rawValue)
            if delta.old_file.mode == submodule || delta.new_file.mode == submodule { continue }
            let status: ChangedPath.Status
            switch delta.status {
            case GIT_DELTA_ADDED: status = .added
            case GIT_DELTA_DELETED: status = .deleted
            case GIT_DELTA_RENAMED: status = .renamed
            case GIT_DELTA_TYPECHANGE: status = .typeChanged
            default: status = .modified
            }
            let hasOld = status != .added
            let hasNew = status != .deleted
            out.append(
                ChangedPath(
                    oldPath: hasOld ? delta.old_file.path.map { String(cString: $0) } : nil,
                    newPath: hasNew ? delta.new_file.path.map { String(cString: $0) } : nil,
                    oldBlob: hasOld ? ObjectID(delta.old_file.id) : nil,
                    newBlob: hasNew ? ObjectID(delta.new_file.id) : nil, status: status))
        }
        return out
    }
}

/// The prefixes that are not inside another one ("drivers" covers "drivers/iommu").
func outermost(_ prefixes: [String]) -> [String] {
    let unique = Set(prefixes).sorted()
    return unique.filter { p in
        !unique.contains { q in q != p && (q.isEmpty || p.hasPrefix(q + "/")) }
    }
}
