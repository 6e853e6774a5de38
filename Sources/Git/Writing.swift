import CLibGit2
import Foundation

extension Repository {
    /// Writes an object unless the store already has it. Checking first keeps libgit2 from
    /// "freshening" (touching the mtime of) an existing object's file, and keeps the in-memory
    /// store from growing with copies of on-disk objects.
    func writeObject(_ bytes: UnsafeRawBufferPointer, type: git_object_t) throws -> ObjectID {
        // libgit2 rejects a NULL buffer even when it is empty.
        var empty: UInt8 = 0
        return try withUnsafeMutablePointer(to: &empty) { placeholder in
            let data = bytes.baseAddress ?? UnsafeRawPointer(placeholder)
            var oid = git_oid()
            try check("hash an object", git_odb_hash(&oid, data, bytes.count, type))
            if git_odb_exists(odb, &oid) == 1 { return ObjectID(oid) }
            try check("write an object", git_odb_write(&oid, odb, data, bytes.count, type))
            return ObjectID(oid)
        }
    }

    /// The blob id git gives `bytes` (SHA-1 of the blob object): a content key without a store.
    public static func blobHash(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        var empty: UInt8 = 0
        try bytes.withUnsafeBytes { buffer in
            try withUnsafeMutablePointer(to: &empty) { placeholder in
                try check("hash an object", git_odb_hash(&oid, buffer.baseAddress ?? UnsafeRawPointer(placeholder), buffer.count, GIT_OBJECT_BLOB))
            }
        }
        return ObjectID(oid)
    }

    /// Writes a blob (to memory when the repository was opened with in-memory writes).
    public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
        try bytes.withUnsafeBytes { try writeObject($0, type: GIT_OBJECT_BLOB) }
    }

    /// Writes a blob from borrowed bytes.
    public func writeBlob(_ bytes: UnsafeRawBufferPointer) throws -> ObjectID {
        try writeObject(bytes, type: GIT_OBJECT_BLOB)
    }

    /// A tree equal to `base` (the empty tree when nil) with some files changed: a blob id
    /// replaces or adds the file, nil deletes it; directories left empty disappear. Only the trees
    /// on the changed paths are rewritten (git_tree_create_updated), so a patch costs a few objects
    /// even on a 65k-file tree. A file keeps its mode unless `modes` gives one; new files are
    /// 0o100644.
    public func updatedTree(base: ObjectID?, changes: [String: ObjectID?], modes: [String: UInt32] = [:])
        throws -> ObjectID
    {
        let baseTree = try base.map { try TreeHandle(self, $0) }
        var paths: [String] = []
        var updates: [git_tree_update] = []
        for (rawPath, blob) in changes {
            let path = normalizedPath(rawPath)
            guard !path.isEmpty else {
                throw GitError(operation: "update tree", message: "empty path '\(rawPath)'")
            }
            let existing = try baseTree.flatMap { try blobEntry(tree: $0, path: path) }
            var update = git_tree_update()
            if let blob {
                update.action = GIT_TREE_UPDATE_UPSERT
                update.id = blob.oid
                update.filemode = git_filemode_t(
                    modes[rawPath] ?? existing?.mode ?? GIT_FILEMODE_BLOB.rawValue)
            } else {
                // Deleting a path that is not there is a no-op, as in an index.
                guard existing != nil else { continue }
                update.action = GIT_TREE_UPDATE_REMOVE
            }
            paths.append(path)
            updates.append(update)
        }
        let names = CStrings(paths)
        for i in updates.indices { updates[i].path = UnsafePointer(names.pointers[i]) }
        var oid = git_oid()
        try withExtendedLifetime(names) {
            try check(
                "update tree \(base?.description ?? "(empty)")",
                git_tree_create_updated(&oid, handle, baseTree?.pointer, updates.count, updates))
        }
        return ObjectID(oid)
    }

    /// A whole tree from path -> contents (fixtures, the demo).
    public func writeTree(files: [String: [UInt8]]) throws -> ObjectID {
        var changes: [String: ObjectID?] = [:]
        for (path, bytes) in files { changes[path] = try writeBlob(bytes) }
        return try updatedTree(base: nil, changes: changes)
    }

    /// Writes a commit (author and committer are `author`). `updateRef` ("HEAD", "refs/heads/x")
    /// also moves that ref — a write to disk, so it is refused on a repository opened with
    /// in-memory writes.
    @discardableResult
    public func createCommit(
        tree: ObjectID, parents: [ObjectID], message: String, author: Signature, updateRef: String?
    ) throws -> ObjectID {
        if updateRef != nil && inMemoryWrites {
            throw GitError(
                operation: "create a commit updating \(updateRef ?? "")",
                message: "refs cannot move in a repository opened with in-memory writes")
        }
        let signature = try SignatureHandle(author)
        let treeHandle = try TreeHandle(self, tree)
        let parentHandles = try parents.map { try CommitHandle(self, $0) }
        var parentPointers: [OpaquePointer?] = parentHandles.map(\.pointer)
        var oid = git_oid()
        try withExtendedLifetime((parentHandles, treeHandle, signature)) {
            try check(
                "create a commit on \(tree)",
                git_commit_create(
                    &oid, handle, nil, signature.pointer, signature.pointer, nil, message,
                    treeHandle.pointer, parentPointers.count, &parentPointers))
        }
        let id = ObjectID(oid)
        if let updateRef { try setReference(updateRef, to: id) }
        return id
    }

    /// Creates or moves the lightweight tag `name` (fixtures).
    public func createTag(_ name: String, at id: ObjectID) throws {
        try setReference("refs/tags/" + name, to: id)
    }

    /// Points the reference `name` at `id`, creating or moving it whatever it pointed at before
    /// (fixtures build side branches and merges freely). "HEAD" moves the branch HEAD names, even
    /// an unborn one. Refused with in-memory writes.
    public func setReference(_ name: String, to id: ObjectID) throws {
        guard !inMemoryWrites else {
            throw GitError(
                operation: "set \(name)",
                message: "refs cannot move in a repository opened with in-memory writes")
        }
        var name = name
        if name == "HEAD", let head = try? construct("", { git_reference_lookup(&$0, handle, "HEAD") }) {
            let reference = ReferenceHandle(self, owning: head)
            if let branch = git_reference_symbolic_target(reference.pointer) { name = String(cString: branch) }
        }
        var oid = id.oid
        let ref = try construct("set \(name) to \(id)") {
            git_reference_create(&$0, handle, name, &oid, 1, "modcheck")
        }
        _ = ReferenceHandle(self, owning: ref)
    }

    /// The staged index written as a tree — what a pre-commit hook checks. The trees go to the
    /// object store like every other write (memory, when opened so); the index file is untouched.
    public func indexTree() throws -> ObjectID {
        let index = try IndexHandle(self)
        var oid = git_oid()
        try check("write the index as a tree", git_index_write_tree_to(&oid, index.pointer, handle))
        return ObjectID(oid)
    }
}
