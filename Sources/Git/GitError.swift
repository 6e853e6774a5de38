import CLibGit2

/// A failing libgit2 call: what modcheck was doing and libgit2's own message (git_error_last()).
public struct GitError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var message: String
    /// libgit2's return code (GIT_ENOTFOUND = -3, ...); -1 for errors raised by this layer.
    public var code: Int32

    public init(operation: String, message: String, code: Int32 = -1) {
        self.operation = operation
        self.message = message
        self.code = code
    }

    public var description: String { "\(operation): \(message)" }

    /// The error libgit2 recorded for the failing call on this thread.
    static func last(_ operation: String, _ code: Int32) -> GitError {
        var message = "libgit2 error \(code)"
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text)
        }
        return GitError(operation: operation, message: message, code: code)
    }
}

/// Throws a GitError when a libgit2 call returns a negative code.
@inline(__always)
func check(_ operation: @autoclosure () -> String, _ code: Int32) throws {
    if code < 0 { throw GitError.last(operation(), code) }
}

/// Calls a libgit2 constructor that hands its result back through an out-parameter and returns
/// the pointer, or throws naming `operation`.
@inline(__always)
func construct(_ operation: @autoclosure () -> String, _ body: (inout OpaquePointer?) -> Int32) throws
    -> OpaquePointer
{
    var out: OpaquePointer?
    let code = body(&out)
    if code < 0 { throw GitError.last(operation(), code) }
    guard let out else { throw GitError(operation: operation(), message: "libgit2 returned no object") }
    return out
}

/// libgit2 is initialised exactly once per process, lazily, by the first Repository or parse.
enum LibGit2 {
    static let initialized: Bool = {
        git_libgit2_init()
        // Hash verification re-hashes every object read (~45% of blob reading time); modcheck reads
        // repositories it trusts and never writes what it reads back, so a corrupt object can only
        // produce wrong findings, never a wrong repository.
        _ = modcheck_git_set_strict_hash_verification(0)
        // modcheck only reads the checked repository (writes go to memory), so a repository owned
        // by another user (a shared mirror, a CI checkout) is safe to open.
        _ = modcheck_git_set_owner_validation(0)
        // libgit2 caches trees and blobs only up to 4 KiB and 0 bytes by default: `drivers/`,
        // `include/linux/` and every larger directory's tree, and each file a patch changes, were
        // inflated from the pack (with their delta chains) on every lookup — applying a list's
        // postings one by one read the same few trees and Kconfig/Makefile blobs thousands of
        // times. Whole trees and source-sized blobs are kept, within 96 MB a handle: a run with an
        // empty fact cache reads every compiled file once, through two handles, and libgit2's
        // default bound (256 MB each) held half a gigabyte of blobs no one read again (peak RSS
        // 1.15 → 1.01 GB; a list's repeated trees and Kconfig files fit in far less).
        _ = modcheck_git_set_cache_object_limit(GIT_OBJECT_TREE, 4 << 20)
        _ = modcheck_git_set_cache_object_limit(GIT_OBJECT_BLOB, 256 << 10)
        _ = modcheck_git_set_cache_max_size(96 << 20)
        return true
    }()

    @inline(__always) static func ensure() { _ = initialized }
}
