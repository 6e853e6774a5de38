import CLibGit2
import Foundation

/// One line of a hunk. `content` has no line terminator ("\r" of a CRLF line stays);
/// `hasNewline` is false for a last line followed by "\ No newline at end of file".
public struct HunkLine: Sendable, Hashable {
    public enum Origin: Sendable, Hashable { case context, addition, deletion }
    public var origin: Origin
    public var content: [UInt8]
    public var hasNewline: Bool

    public init(origin: Origin, content: [UInt8], hasNewline: Bool = true) {
        self.origin = origin
        self.content = content
        self.hasNewline = hasNewline
    }
}

/// One `@@ -oldStart,oldCount +newStart,newCount @@` section of a file's diff.
public struct Hunk: Sendable, Hashable {
    public var oldStart: Int
    public var oldCount: Int
    public var newStart: Int
    public var newCount: Int
    /// The header line, e.g. "@@ -388,7 +388,7 @@ config ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT".
    public var header: String
    public var lines: [HunkLine]

    public init(oldStart: Int, oldCount: Int, newStart: Int, newCount: Int, header: String, lines: [HunkLine])
    {
        self.oldStart = oldStart
        self.oldCount = oldCount
        self.newStart = newStart
        self.newCount = newCount
        self.header = header
        self.lines = lines
    }
}

/// The changes a patch makes to one file.
public struct FilePatch: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case added, deleted, modified, renamed, copied }
    /// The path before the change; nil for a new file.
    public var oldPath: String?
    /// The path after the change; nil for a deleted file.
    public var newPath: String?
    public var status: Status
    /// A "GIT binary patch" or "Binary files differ": no hunks modcheck can apply.
    public var isBinary: Bool
    public var oldMode: UInt32?
    public var newMode: UInt32?
    public var hunks: [Hunk]
    /// The pre-image blob id the `index` line names (abbreviated, lowercase hex); nil for a new
    /// file or a diff without one.
    public var oldBlobPrefix: String?

    public init(
        oldPath: String?, newPath: String?, status: Status, isBinary: Bool = false, oldMode: UInt32? = nil,
        newMode: UInt32? = nil, hunks: [Hunk]
    ) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.status = status
        self.isBinary = isBinary
        self.oldMode = oldMode
        self.newMode = newMode
        self.hunks = hunks
    }

    /// The path the result lands at (the old path for a deletion).
    public var path: String { newPath ?? oldPath ?? "" }
}

/// Parses git diffs with libgit2's patch parser (`git_diff_from_buffer`).
///
/// The parser skips everything before a `diff --git` line (a mail's headers, message, `---`
/// and diffstat) and reads each hunk by its line counts, so the format-patch signature after the
/// last hunk ("-- \n2.24.0") and a list footer are ignored. What it does not accept is handled
/// here: input without any `diff --git` (a cover letter, a reply: no patches rather than an
/// error), a `@@ -` line in the message before the diff (cut off), a last line without "\n",
/// plain `diff -u` output without `diff --git` headers (quilt, the stable queue: read as git's,
/// `gitStyle(fromPlain:)`).
public enum PatchParser {
    public static func parse(_ bytes: [UInt8]) throws -> [FilePatch] {
        LibGit2.ensure()
        if lineStart(of: "diff --git ", in: bytes) == nil, let converted = gitStyle(fromPlain: bytes) {
            // (Checked here, where the line is one of the text given, as for a git diff, not one
            // of the converted text.)
            try refuseNUL(bytes, from: converted.start)
            do {
                return try parse(converted.text)
            } catch var error as GitError {
                // libgit2 names a line of the rewritten text ("... at line 5"): name the line of the
                // text given that it stands for.
                if let range = error.message.range(of: #"at line [0-9]+"#, options: .regularExpression),
                    let line = Int(error.message[range].dropFirst("at line ".count)),
                    line >= 1, line <= converted.lines.count
                {
                    error.message.replaceSubrange(range, with: "at line \(converted.lines[line - 1]) of the patch")
                }
                throw error
            }
        }
        guard let start = lineStart(of: "diff --git ", in: bytes) else { return [] }
        try refuseNUL(bytes, from: start)
        if let problem = headerProblem(bytes, from: start) {
            // libgit2 1.5 leaks the path of a rename/copy line it cannot unquote, or of one that
            // repeats after a second similarity line (both found by the fuzzer). git never writes
            // either; refuse them before libgit2 sees them.
            throw GitError(operation: "parse the diff", message: problem)
        }
        var text = withIndexLines(Array(bytes[start...]))
        if text.last != UInt8(ascii: "\n") { text.append(UInt8(ascii: "\n")) }
        let diff: DiffHandle
        do {
            diff = try parseDiff(text)
        } catch {
            // Text after the signature that looks like a hunk header (a quoted reply, a footer)
            // is an error to libgit2; retry without the signature block.
            guard let signature = lastLine("-- ", in: text), signature > 0 else { throw error }
            diff = try parseDiff(Array(text[..<signature]))
        }
        var out: [FilePatch] = []
        for index in 0..<git_diff_num_deltas(diff.pointer) {
            out.append(try filePatch(PatchHandle(diff, index: index)))
        }
        return out
    }

    /// libgit2's patch parser mishandles a NUL inside a hunk line (it reports a line longer
    /// than the memory behind it; found by the fuzzer). git apply would take the byte as
    /// text; modcheck refuses the patch with a clear error rather than read past the buffer.
    private static func refuseNUL(_ bytes: [UInt8], from start: Int) throws {
        guard let nul = bytes[start...].firstIndex(of: 0) else { return }
        throw GitError(
            operation: "parse the diff",
            message: "a NUL byte on line \(lineNumber(of: nul, in: bytes)) of the patch; modcheck reads text patches only")
    }

    private static func parseDiff(_ text: [UInt8]) throws -> DiffHandle {
        let raw = try text.withUnsafeBytes { buffer in
            try construct("parse the diff") {
                git_diff_from_buffer(
                    &$0, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
            }
        }
        return DiffHandle(owning: raw, repository: nil)
    }

    private static func filePatch(_ patch: PatchHandle) throws -> FilePatch {
        guard let delta = git_patch_get_delta(patch.pointer)?.pointee else {
            throw GitError(operation: "read a parsed diff", message: "a file without a delta")
        }
        let status: FilePatch.Status
        switch delta.status {
        case GIT_DELTA_ADDED: status = .added
        case GIT_DELTA_DELETED: status = .deleted
        case GIT_DELTA_RENAMED: status = .renamed
        case GIT_DELTA_COPIED: status = .copied
        default: status = .modified
        }
        var hunks: [Hunk] = []
        for h in 0..<git_patch_num_hunks(patch.pointer) {
            var hunkPointer: UnsafePointer<git_diff_hunk>?
            var lineCount = 0
            try check("read hunk \(h + 1)", git_patch_get_hunk(&hunkPointer, &lineCount, patch.pointer, h))
            guard let hunk = hunkPointer?.pointee else { continue }
            var header = hunk.header
            // The `@@ ... @@ context` line without the line breaks around it (bytes: Foundation's
            // trimming cost more than the rest of a posting's parse).
            let headerText = withUnsafeBytes(of: &header) { raw in
                var bytes = raw.prefix(min(Int(hunk.header_len), raw.count))
                while let last = bytes.last, (0x0A...0x0D).contains(last) { bytes = bytes.dropLast() }
                while let first = bytes.first, (0x0A...0x0D).contains(first) { bytes = bytes.dropFirst() }
                return String(decoding: bytes, as: UTF8.self)
            }
            var lines: [HunkLine] = []
            lines.reserveCapacity(lineCount)
            for l in 0..<lineCount {
                var linePointer: UnsafePointer<git_diff_line>?
                try check(
                    "read line \(l + 1) of hunk \(h + 1)",
                    git_patch_get_line_in_hunk(&linePointer, patch.pointer, h, l))
                guard let line = linePointer?.pointee else { continue }
                let origin: HunkLine.Origin
                switch UInt8(bitPattern: line.origin) {
                case UInt8(ascii: " "): origin = .context
                case UInt8(ascii: "+"): origin = .addition
                case UInt8(ascii: "-"): origin = .deletion
                case UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "<"):
                    // "\ No newline at end of file" belongs to the line before it.
                    if !lines.isEmpty { lines[lines.count - 1].hasNewline = false }
                    continue
                default:
                    continue
                }
                var content: [UInt8] = []
                if let p = line.content, line.content_len > 0 {
                    content = Array(UnsafeRawBufferPointer(start: p, count: Int(line.content_len)))
                }
                if content.last == UInt8(ascii: "\n") { content.removeLast() }
                lines.append(HunkLine(origin: origin, content: content))
            }
            hunks.append(
                Hunk(
                    oldStart: Int(hunk.old_start), oldCount: Int(hunk.old_lines),
                    newStart: Int(hunk.new_start),
                    newCount: Int(hunk.new_lines),
                    header: headerText, lines: lines))
        }
        func mode(_ m: UInt16) -> UInt32? { m == 0 ? nil : UInt32(m) }
        var file = FilePatch(
            oldPath: status == .added ? nil : delta.old_file.path.map { String(cString: $0) },
            newPath: status == .deleted ? nil : delta.new_file.path.map { String(cString: $0) },
            status: status, isBinary: delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0,
            oldMode: status == .added ? nil : mode(delta.old_file.mode),
            newMode: status == .deleted ? nil : mode(delta.new_file.mode), hunks: hunks)
        let abbrev = Int(delta.old_file.id_abbrev)
        let oldHex = ObjectID(delta.old_file.id).hex
        if status != .added, abbrev >= 7, !oldHex.prefix(abbrev).allSatisfy({ $0 == "0" }) {
            file.oldBlobPrefix = String(oldHex.prefix(abbrev))
        }
        return file
    }

    /// libgit2 wants an `index` line between a rename, copy or mode header and the `---` line
    /// (git always writes one; hand-made and some tools' patches do not): supply a neutral one.
    static func withIndexLines(_ text: [UInt8]) -> [UInt8] {
        let needsIndex = ["rename to ", "rename new ", "copy to ", "new mode "].map { Array($0.utf8) }
        let oldPath = Array("--- ".utf8)
        var out: [UInt8] = []
        var previousNeedsIndex = false
        var changed = false
        var start = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? text.count
            let line = text[start..<end]
            if previousNeedsIndex && line.starts(with: oldPath) {
                out.append(contentsOf: Array("index 0000000..0000000\n".utf8))
                changed = true
            }
            previousNeedsIndex = needsIndex.contains { line.starts(with: $0) }
            out.append(contentsOf: line)
            start = end
        }
        return changed ? out : text
    }

    /// What is wrong with a file header libgit2 would mishandle, naming the 1-based line in
    /// `bytes`: a header line (rename, copy, similarity, `---`, `+++`) repeated within one file's
    /// header, or a rename/copy path that is empty or badly quoted. A header runs from
    /// `diff --git` to the first `@@` or binary line, as libgit2 reads it.
    static func headerProblem(_ bytes: [UInt8], from offset: Int) -> String? {
        let paths = ["rename from ", "rename to ", "copy from ", "copy to "]
        let keywords = (paths + ["similarity index ", "dissimilarity index ", "--- ", "+++ "]).map {
            ($0, Array($0.utf8))
        }
        let ends = ["@@ ", "GIT binary patch", "Binary files "].map { Array($0.utf8) }
        let fileStart = Array("diff --git ".utf8)
        // Lines are counted from `offset`; the lines before it only when there is a problem.
        var line = 0
        func place() -> Int { lineNumber(of: offset, in: bytes) + line }
        var seen: Set<String> = []
        var inHeader = false
        var start = offset
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let text = bytes[start..<end]
            if text.starts(with: fileStart) {
                inHeader = true
                seen = []
            } else if inHeader {
                if ends.contains(where: { text.starts(with: $0) }) {
                    inHeader = false
                } else if let (keyword, prefix) = keywords.first(where: { text.starts(with: $0.1) }) {
                    let name = keyword.trimmingCharacters(in: .whitespaces)
                    if !seen.insert(keyword).inserted {
                        return "line \(place()) of the patch: a second \"\(name)\" line in one file's header"
                    }
                    if paths.contains(keyword) && !isHeaderPath(text.dropFirst(prefix.count)) {
                        return "line \(place()) of the patch: an empty or badly quoted path after \"\(name)\""
                    }
                }
            }
            line += 1
            start = end + 1
        }
        return nil
    }

    /// Whether libgit2 reads a rename/copy header's path: up to the first space (or the closing
    /// quote of a quoted path), not empty, and if quoted, only git's escapes (`\"`, `\\`, `\a`
    /// ... `\v`, three octal digits) before a closing quote.
    static func isHeaderPath(_ rest: ArraySlice<UInt8>) -> Bool {
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (0x09...0x0d).contains(c) }
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        guard rest.first == quote else {
            return !rest.prefix { !isSpace($0) }.isEmpty
        }
        var i = rest.startIndex + 1
        while i < rest.endIndex {
            let c = rest[i]
            if c == quote { return i > rest.startIndex + 1 }
            if c == backslash {
                guard i + 1 < rest.endIndex else { return false }
                let e = rest[i + 1]
                if Array("\"\\abfnrtv".utf8).contains(e) {
                    i += 2
                    continue
                }
                guard (UInt8(ascii: "0")...UInt8(ascii: "3")).contains(e), i + 3 < rest.endIndex,
                    rest[(i + 2)...(i + 3)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) })
                else { return false }
                i += 4
                continue
            }
            i += 1
        }
        return false
    }

    /// Plain unified diff output (`diff -urN`, quilt, the stable queue's patches) written the way
    /// git writes it: each `--- `/`+++ ` pair followed by a hunk gets a `diff --git` line, with
    /// the paths' first component dropped (as `git apply` and `patch -p1` read them) and
    /// `new file`/`deleted file` lines for `/dev/null`; each hunk's lines are taken by its line
    /// counts. Everything else — the message, `Index:` and `===` lines, `diff` command lines, a
    /// signature — is left out. nil when there is no such pair; else the text, where the first
    /// pair starts in `bytes`, and the line of `bytes` each line of the text stands for.
    static func gitStyle(fromPlain bytes: [UInt8]) -> (text: [UInt8], start: Int, lines: [Int])? {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lines.append(bytes[start..<end])
            start = end + 1
        }
        func starts(_ line: ArraySlice<UInt8>, _ prefix: String) -> Bool { line.starts(with: Array(prefix.utf8)) }
        /// A header's path: up to a tab (a timestamp follows), its first component dropped; nil
        /// for /dev/null.
        func path(_ line: ArraySlice<UInt8>) -> String? {
            var text = line.dropFirst(4)
            if let tab = text.firstIndex(of: UInt8(ascii: "\t")) { text = text[..<tab] }
            while let last = text.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\r") { text = text.dropLast() }
            let name = String(decoding: text, as: UTF8.self)
            if name == "/dev/null" { return nil }
            guard let slash = name.firstIndex(of: "/") else { return name }
            return String(name[name.index(after: slash)...])
        }
        /// The old and new line counts of a hunk header `@@ -a[,b] +c[,d] @@`.
        func counts(_ line: ArraySlice<UInt8>) -> (old: Int, new: Int)? {
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: " ")
            guard parts.count >= 4, parts[0] == "@@", parts[1].hasPrefix("-"), parts[2].hasPrefix("+"), parts[3] == "@@"
            else { return nil }
            func count(_ range: Substring) -> Int? {
                let fields = range.dropFirst().split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count <= 2, fields.allSatisfy({ Int($0) != nil }) else { return nil }
                return fields.count == 2 ? Int(fields[1]) : 1
            }
            guard let old = count(parts[1]), let new = count(parts[2]) else { return nil }
            return (old, new)
        }
        var out: [UInt8] = []
        var origin: [Int] = []
        // The input line (1-based) of what is emitted: a header written here stands for its
        // `--- ` line.
        var at = 0
        func emit(_ text: String) {
            out += Array(text.utf8) + [UInt8(ascii: "\n")]
            origin.append(at + 1)
        }
        func emit(_ line: ArraySlice<UInt8>) {
            out += line + [UInt8(ascii: "\n")]
            origin.append(at + 1)
        }
        var first: Int?
        var i = 0
        while i < lines.count {
            guard i + 2 < lines.count, starts(lines[i], "--- "), starts(lines[i + 1], "+++ "),
                counts(lines[i + 2]) != nil
            else {
                i += 1
                continue
            }
            let old = path(lines[i])
            let new = path(lines[i + 1])
            guard let name = new ?? old else {
                i += 1
                continue
            }
            if first == nil { first = lines[i].startIndex }
            at = i
            emit("diff --git a/\(name) b/\(name)")
            if old == nil { emit("new file mode 100644") }
            if new == nil { emit("deleted file mode 100644") }
            emit(old == nil ? "--- /dev/null" : "--- a/\(name)")
            at = i + 1
            emit(new == nil ? "+++ /dev/null" : "+++ b/\(name)")
            i += 2
            while i < lines.count, let (oldCount, newCount) = counts(lines[i]) {
                at = i
                emit(lines[i])
                i += 1
                var (o, n) = (0, 0)
                hunk: while i < lines.count, o < oldCount || n < newCount {
                    switch lines[i].first {
                    case UInt8(ascii: " "), nil, UInt8(ascii: "\r"):
                        // (An empty line is a context line whose space a mailer dropped.)
                        o += 1
                        n += 1
                    case UInt8(ascii: "-"): o += 1
                    case UInt8(ascii: "+"): n += 1
                    case UInt8(ascii: "\\"): break
                    default: break hunk
                    }
                    at = i
                    emit(lines[i])
                    i += 1
                }
                // "\ No newline at end of file" after the hunk's last line.
                if i < lines.count, lines[i].first == UInt8(ascii: "\\") {
                    at = i
                    emit(lines[i])
                    i += 1
                }
            }
        }
        return first.map { (out, $0, origin) }
    }

    /// The 1-based line of `bytes` that holds the byte at `offset`.
    static func lineNumber(of offset: Int, in bytes: [UInt8]) -> Int {
        bytes[..<offset].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    /// The offset of the first line that starts with `marker`.
    static func lineStart(of marker: String, in bytes: [UInt8]) -> Int? {
        let m = Array(marker.utf8)
        var start = 0
        while start < bytes.count {
            if bytes.count - start >= m.count && bytes[start..<start + m.count].elementsEqual(m) {
                return start
            }
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            start = newline + 1
        }
        return nil
    }

    /// The offset of the last line that is exactly `line`.
    static func lastLine(_ line: String, in bytes: [UInt8]) -> Int? {
        let whole = Array(line.utf8) + [UInt8(ascii: "\n")]
        var found: Int?
        var start = 0
        while start < bytes.count {
            if bytes.count - start >= whole.count && bytes[start..<start + whole.count].elementsEqual(whole) {
                found = start
            }
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            start = newline + 1
        }
        return found
    }
}
