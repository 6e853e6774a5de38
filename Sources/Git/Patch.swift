import CLibGit2
import Foundation

/// One line of a hunk; `content` has no line terminator, `hasNewline` says whether one followed
/// (false after "\ No newline at end of file").
public struct HunkLine: Sendable, Hashable {
    public enum Origin: Sendable { case context, addition, deletion }
    public var origin: Origin
    public var content: [UInt8]
    public var hasNewline: Bool

    var bytes: [UInt8] { hasNewline ? content + [0x0a] : content }
}

public struct Hunk: Sendable, Hashable {
    public var oldStart: Int
    public var oldCount: Int
    public var newStart: Int
    public var newCount: Int
    public var header: String
    public var lines: [HunkLine]
}

/// The changes a patch makes to one file.
public struct FilePatch: Sendable, Hashable {
    public enum Status: Sendable { case added, deleted, modified, renamed, copied }
    public var oldPath: String?
    public var newPath: String?
    public var status: Status
    public var isBinary: Bool
    public var newMode: UInt32?
    public var hunks: [Hunk]

    /// The path the result lands at.
    public var path: String { newPath ?? oldPath ?? "" }
}

/// A patch that cannot be parsed or placed: names the file and hunk.
public struct ApplyFailure: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var hunkIndex: Int?
    public var line: Int?
    public var reason: String

    public init(path: String, hunkIndex: Int?, line: Int?, reason: String) {
        self.path = path
        self.hunkIndex = hunkIndex
        self.line = line
        self.reason = reason
    }

    public var description: String {
        var where_ = path
        if let hunkIndex { where_ += ": hunk \(hunkIndex + 1)" }
        if let line { where_ += " at line \(line)" }
        return "\(where_): \(reason)"
    }
}

/// Parses unified git diffs with libgit2's patch parser (`git_diff_from_buffer`), which skips a
/// mail's headers, message and diffstat before the first `diff --git`.
public enum PatchParser {
    public static func parse(_ bytes: [UInt8]) throws -> [FilePatch] {
        LibGit2.ensure()
        guard let start = firstDiff(bytes) else { return [] }
        var text = Array(bytes[start...])
        // The signature separator after the last hunk ("-- \n2.24.0") is not part of the diff.
        if let sig = signatureStart(text) { text = Array(text[..<sig]) }
        var diff: OpaquePointer?
        try text.withUnsafeBytes { raw in
            try check(
                "parse the diff",
                git_diff_from_buffer(&diff, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count))
        }
        defer { git_diff_free(diff) }
        var out: [FilePatch] = []
        for i in 0..<git_diff_num_deltas(diff) {
            var patch: OpaquePointer?
            try check("read the diff of file \(i + 1)", git_patch_from_diff(&patch, diff, i))
            defer { git_patch_free(patch) }
            guard let delta = git_patch_get_delta(patch)?.pointee else { continue }
            let status: FilePatch.Status
            switch delta.status {
            case GIT_DELTA_ADDED: status = .added
            case GIT_DELTA_DELETED: status = .deleted
            case GIT_DELTA_RENAMED: status = .renamed
            case GIT_DELTA_COPIED: status = .copied
            default: status = .modified
            }
            let binary = (delta.flags & GIT_DIFF_FLAG_BINARY.rawValue) != 0
            var hunks: [Hunk] = []
            for h in 0..<git_patch_num_hunks(patch) {
                var hunkPointer: UnsafePointer<git_diff_hunk>?
                var lineCount = 0
                try check("read hunk \(h + 1)", git_patch_get_hunk(&hunkPointer, &lineCount, patch, h))
                guard let hunk = hunkPointer?.pointee else { continue }
                let header = withUnsafeBytes(of: hunk.header) { raw in
                    String(decoding: raw.prefix(Int(hunk.header_len)), as: UTF8.self).trimmingCharacters(
                        in: .whitespacesAndNewlines)
                }
                var lines: [HunkLine] = []
                for l in 0..<lineCount {
                    var linePointer: UnsafePointer<git_diff_line>?
                    try check(
                        "read line \(l + 1) of hunk \(h + 1)",
                        git_patch_get_line_in_hunk(&linePointer, patch, h, l))
                    guard let line = linePointer?.pointee else { continue }
                    var content: [UInt8] = []
                    if let p = line.content, line.content_len > 0 {
                        content = Array(UnsafeRawBufferPointer(start: p, count: Int(line.content_len)))
                    }
                    let origin = UInt8(bitPattern: line.origin)
                    switch origin {
                    case UInt8(ascii: " "), UInt8(ascii: "+"), UInt8(ascii: "-"):
                        var hasNewline = false
                        if content.last == 0x0a {
                            content.removeLast()
                            hasNewline = true
                        }
                        let o: HunkLine.Origin =
                            origin == UInt8(ascii: "+")
                            ? .addition : origin == UInt8(ascii: "-") ? .deletion : .context
                        lines.append(HunkLine(origin: o, content: content, hasNewline: hasNewline))
                    case UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "<"):
                        // "\ No newline at end of file" applies to the line before it.
                        if !lines.isEmpty { lines[lines.count - 1].hasNewline = false }
                    default:
                        continue
                    }
                }
                hunks.append(
                    Hunk(
                        oldStart: Int(hunk.old_start), oldCount: Int(hunk.old_lines),
                        newStart: Int(hunk.new_start),
                        newCount: Int(hunk.new_lines), header: header, lines: lines))
            }
            out.append(
                FilePatch(
                    oldPath: status == .added ? nil : delta.old_file.path.map { String(cString: $0) },
                    newPath: status == .deleted ? nil : delta.new_file.path.map { String(cString: $0) },
                    status: status,
                    isBinary: binary, newMode: delta.new_file.mode == 0 ? nil : UInt32(delta.new_file.mode),
                    hunks: hunks))
        }
        return out
    }

    /// The offset of the first line starting with "diff --git " (or "--- " followed by "+++ ").
    static func firstDiff(_ bytes: [UInt8]) -> Int? {
        let marker = Array("diff --git ".utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            if bytes.count - lineStart >= marker.count,
                Array(bytes[lineStart..<lineStart + marker.count]) == marker
            {
                return lineStart
            }
            guard let nl = bytes[lineStart...].firstIndex(of: 0x0a) else { break }
            lineStart = nl + 1
        }
        return nil
    }

    /// Where a format-patch signature ("-- " alone on a line) starts after the last hunk.
    static func signatureStart(_ bytes: [UInt8]) -> Int? {
        let sig: [UInt8] = [0x2d, 0x2d, 0x20, 0x0a]
        var i = bytes.count - sig.count
        while i >= 0 {
            if i == 0 || bytes[i - 1] == 0x0a, Array(bytes[i..<i + sig.count]) == sig {
                // A signature is a short tail ("2.24.0"); a hunk line deleting "- " is not.
                let tail = bytes[(i + sig.count)...]
                let lines = tail.filter { $0 == 0x0a }.count
                return lines <= 4 && !tail.starts(with: [0x40, 0x40]) ? i : nil
            }
            i -= 1
        }
        return nil
    }
}
