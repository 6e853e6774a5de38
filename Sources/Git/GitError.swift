import CLibGit2

/// A failing libgit2 call: the operation and libgit2's own message (git_error_last()).
public struct GitError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var message: String
    public var code: Int32

    public var description: String { "\(operation): \(message)" }

    static func last(_ operation: String, _ code: Int32) -> GitError {
        let message: String
        if let err = git_error_last(), let text = err.pointee.message {
            message = String(cString: text)
        } else {
            message = "libgit2 error \(code)"
        }
        return GitError(operation: operation, message: message, code: code)
    }
}

/// Throws a GitError when a libgit2 call returns a negative code.
@inline(__always)
func check(_ operation: @autoclosure () -> String, _ code: Int32) throws {
    if code < 0 { throw GitError.last(operation(), code) }
}

/// libgit2 is initialised once per process; strict hash verification is off (it costs ~45% of
/// blob reading and modcheck never trusts a blob's content for security), and repositories owned
/// by another user are readable (modcheck only reads them).
enum LibGit2 {
    static let initialized: Bool = {
        git_libgit2_init()
        modcheck_git_set_strict_hash_verification(0)
        modcheck_git_set_owner_validation(0)
        return true
    }()

    @inline(__always) static func ensure() { _ = initialized }
}
