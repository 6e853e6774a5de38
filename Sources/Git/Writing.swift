import CLibGit2
import Foundation

extension Repository {
    /// Writes an object unless it already exists. Checking first matters: libgit2 "freshens"
    /// (touches the mtime of) an existing object's file when it is written again, which would
    /// modify the checked repository even with an in-memory store attached.
    func writeObject(_ bytes: UnsafeRawBufferPointer, type: git_object_t) throws -> ObjectID {
        var oid = git_oid()
        try check("hash object", git_odb_hash(&oid, bytes.baseAddress, bytes.count, type))
        if git_odb_exists(odb, &oid) == 1 { return ObjectID(oid) }
        var written = git_oid()
        try check("write object", git_odb_write(&written, odb, bytes.baseAddress, bytes.count, type))
        return ObjectID(written)
    }

    public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
        try bytes.withUnsafeBytes { try writeObject($0, type: GIT_OBJECT_BLOB) }
    }

    struct RawTreeEntry {
        var name: String
        var mode: UInt32
        var id: ObjectID
        var isTree: Bool { mode == 0o040000 }
    }

    func rawEntries(_ tree: ObjectID) throws -> [String: RawTreeEntry] {
        try withTree(tree) { t in
            var out: [String: RawTreeEntry] = [:]
            for i in 0..<git_tree_entrycount(t) {
                guard let e = git_tree_entry_byindex(t, i) else { continue }
                let name = String(cString: git_tree_entry_name(e))
                out[name] = RawTreeEntry(
                    name: name, mode: UInt32(git_tree_entry_filemode(e).rawValue),
                    id: ObjectID(git_tree_entry_id(e).pointee))
            }
            return out
        }
    }

    /// Serializes entries in git's tree order (a tree sorts as if its name ended in "/").
    func writeTreeObject(_ entries: [RawTreeEntry]) throws -> ObjectID {
        let sorted = entries.sorted { l, r in
            let lk = Array(l.name.utf8) + (l.isTree ? [0x2f] : [])
            let rk = Array(r.name.utf8) + (r.isTree ? [0x2f] : [])
            return lk.lexicographicallyPrecedes(rk)
        }
        var bytes: [UInt8] = []
        for e in sorted {
            bytes += Array(String(e.mode, radix: 8).utf8)
            bytes.append(0x20)
            bytes += Array(e.name.utf8)
            bytes.append(0)
            bytes += e.id.rawBytes
        }
        return try bytes.withUnsafeBytes { try writeObject($0, type: GIT_OBJECT_TREE) }
    }

    /// A tree equal to `base` with some paths changed (`nil` deletes a path). Only the trees on
    /// the changed paths are rewritten, so a patch costs a few objects even on a 65k-file tree.
    public func updatedTree(base: ObjectID?, changes: [String: ObjectID?], modes: [String: UInt32] = [:])
        throws -> ObjectID
    {
        var entries = try base.map(rawEntries) ?? [:]
        var files: [String: ObjectID?] = [:]
        var subdirs: [String: [String: ObjectID?]] = [:]
        var subModes: [String: [String: UInt32]] = [:]
        for (path, blob) in changes {
            let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
            guard let first = parts.first, !first.isEmpty else { continue }
            if parts.count == 1 {
                files[first] = blob
            } else {
                subdirs[first, default: [:]][parts[1]] = blob
                if let mode = modes[path] { subModes[first, default: [:]][parts[1]] = mode }
            }
        }
        for (name, blob) in files {
            if let blob {
                let mode = modes[name] ?? (entries[name].flatMap { $0.isTree ? nil : $0.mode } ?? 0o100644)
                entries[name] = RawTreeEntry(name: name, mode: mode, id: blob)
            } else {
                entries[name] = nil
            }
        }
        for (name, sub) in subdirs {
            let existing = entries[name].flatMap { $0.isTree ? $0.id : nil }
            let tree = try updatedTree(base: existing, changes: sub, modes: subModes[name] ?? [:])
            if try rawEntries(tree).isEmpty {
                entries[name] = nil
            } else {
                entries[name] = RawTreeEntry(name: name, mode: 0o040000, id: tree)
            }
        }
        return try writeTreeObject(Array(entries.values))
    }

    /// A whole tree from path -> contents (fixtures, the demo).
    public func writeTree(files: [String: [UInt8]]) throws -> ObjectID {
        var changes: [String: ObjectID?] = [:]
        for (path, bytes) in files { changes[path] = try writeBlob(bytes) }
        return try updatedTree(base: nil, changes: changes)
    }

    /// Writes a commit object; with `updateRef` ("HEAD" or "refs/heads/x") also moves that ref —
    /// which writes to disk, so only fixtures use it.
    @discardableResult
    public func createCommit(
        tree: ObjectID, parents: [ObjectID], message: String, author: Signature, updateRef: String?
    ) throws -> ObjectID {
        let who = "\(author.name) <\(author.email)> \(author.time) +0000"
        var text = "tree \(tree.hex)\n"
        for p in parents { text += "parent \(p.hex)\n" }
        text += "author \(who)\ncommitter \(who)\n\n\(message)"
        if !text.hasSuffix("\n") { text += "\n" }
        let id = try Array(text.utf8).withUnsafeBytes { try writeObject($0, type: GIT_OBJECT_COMMIT) }
        if let updateRef {
            var name = updateRef
            if updateRef == "HEAD" {
                var head: OpaquePointer?
                if git_reference_lookup(&head, handle, "HEAD") == 0 {
                    defer { git_reference_free(head) }
                    if let target = git_reference_symbolic_target(head) { name = String(cString: target) }
                }
            }
            var ref: OpaquePointer?
            var oid = id.oid
            try check("update \(name)", git_reference_create(&ref, handle, name, &oid, 1, "modcheck"))
            git_reference_free(ref)
        }
        return id
    }

    /// Creates a lightweight tag (fixtures).
    public func createTag(_ name: String, at id: ObjectID) throws {
        var ref: OpaquePointer?
        var oid = id.oid
        try check(
            "create tag \(name)", git_reference_create(&ref, handle, "refs/tags/" + name, &oid, 1, "modcheck")
        )
        git_reference_free(ref)
    }
}
