import CLibGit2
import Foundation

// Each libgit2 object modcheck holds is owned by exactly one of these classes, whose deinit is the
// only place that frees it. Handles of objects that belong to a repository keep the Repository
// alive: libgit2 objects point into their repository's caches and must not outlive it.

/// Owns a `git_tree`.
final class TreeHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository, _ id: ObjectID) throws {
        var oid = id.oid
        pointer = try construct("read tree \(id)") { git_tree_lookup(&$0, repository.handle, &oid) }
        owner = repository
    }

    deinit { git_tree_free(pointer) }

    var count: Int { git_tree_entrycount(pointer) }
}

/// Owns a `git_tree_entry` returned by git_tree_entry_bypath (entries got by index or name belong
/// to their tree and are not freed).
final class TreeEntryHandle {
    let pointer: OpaquePointer
    private let tree: TreeHandle

    /// The entry at `path` under `tree`, or nil when no such path exists.
    init?(_ tree: TreeHandle, path: String) throws {
        var out: OpaquePointer?
        let code = git_tree_entry_bypath(&out, tree.pointer, path)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check("look up '\(path)'", code)
        guard let out else { return nil }
        pointer = out
        self.tree = tree
    }

    deinit { git_tree_entry_free(pointer) }

    var id: ObjectID { ObjectID(git_tree_entry_id(pointer)) }
    var mode: UInt32 { git_tree_entry_filemode(pointer).rawValue }
}

/// Owns a `git_blob`.
final class BlobHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository, _ id: ObjectID) throws {
        var oid = id.oid
        pointer = try construct("read blob \(id)") { git_blob_lookup(&$0, repository.handle, &oid) }
        owner = repository
    }

    deinit { git_blob_free(pointer) }

    /// The blob's bytes, valid while this handle lives.
    var bytes: UnsafeRawBufferPointer {
        let size = Int(git_blob_rawsize(pointer))
        guard size > 0, let raw = git_blob_rawcontent(pointer) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: raw, count: size)
    }
}

/// Owns a `git_commit`.
final class CommitHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository, _ id: ObjectID) throws {
        var oid = id.oid
        pointer = try construct("read commit \(id)") { git_commit_lookup(&$0, repository.handle, &oid) }
        owner = repository
    }

    deinit { git_commit_free(pointer) }
}

/// Owns a generic `git_object` (revparse results, peeled objects).
final class ObjectHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository, owning pointer: OpaquePointer) {
        self.pointer = pointer
        owner = repository
    }

    deinit { git_object_free(pointer) }

    var id: ObjectID { ObjectID(git_object_id(pointer)) }

    /// The commit this object leads to (a tag's target, ...).
    func peeledToCommit(_ what: String) throws -> ObjectID {
        let peeled = try construct("'\(what)' does not name a commit") {
            git_object_peel(&$0, pointer, GIT_OBJECT_COMMIT)
        }
        return ObjectHandle(owner, owning: peeled).id
    }
}

/// Owns a `git_diff` (a tree-to-tree diff or a parsed patch).
final class DiffHandle {
    let pointer: OpaquePointer
    private let owner: Repository?

    init(owning pointer: OpaquePointer, repository: Repository?) {
        self.pointer = pointer
        owner = repository
    }

    deinit { git_diff_free(pointer) }
}

/// Owns a `git_patch` taken from a diff.
final class PatchHandle {
    let pointer: OpaquePointer
    private let diff: DiffHandle

    init(_ diff: DiffHandle, index: Int) throws {
        pointer = try construct("read the diff of file \(index + 1)") {
            git_patch_from_diff(&$0, diff.pointer, index)
        }
        self.diff = diff
    }

    deinit { git_patch_free(pointer) }
}

/// Owns a `git_revwalk`.
final class RevisionWalk {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository) throws {
        pointer = try construct("start a revision walk") { git_revwalk_new(&$0, repository.handle) }
        owner = repository
    }

    deinit { git_revwalk_free(pointer) }
}

/// Owns a `git_index`.
final class IndexHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository) throws {
        pointer = try construct("read the index") { git_repository_index(&$0, repository.handle) }
        owner = repository
    }

    deinit { git_index_free(pointer) }
}

/// Owns a `git_signature`.
final class SignatureHandle {
    let pointer: UnsafeMutablePointer<git_signature>

    init(_ signature: Signature) throws {
        var out: UnsafeMutablePointer<git_signature>?
        try check(
            "make the signature of \(signature.name)",
            git_signature_new(
                &out, signature.name, signature.email, git_time_t(signature.time),
                Int32(signature.timeZoneOffsetMinutes)))
        guard let out else { throw GitError(operation: "make a signature", message: "no signature") }
        pointer = out
    }

    deinit { git_signature_free(pointer) }
}

/// Owns a `git_reference`.
final class ReferenceHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(_ repository: Repository, owning pointer: OpaquePointer) {
        self.pointer = pointer
        owner = repository
    }

    deinit { git_reference_free(pointer) }
}

/// Owns a `git_config` snapshot.
final class ConfigHandle {
    let pointer: OpaquePointer
    private let owner: Repository

    init(snapshotOf repository: Repository) throws {
        pointer = try construct("read the configuration") {
            git_repository_config_snapshot(&$0, repository.handle)
        }
        owner = repository
    }

    deinit { git_config_free(pointer) }
}

/// C copies of Swift strings for libgit2 arrays (pathspecs, tree updates), freed with the holder.
final class CStrings {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) { pointers = strings.map { strdup($0) } }

    deinit { for p in pointers { free(p) } }
}
