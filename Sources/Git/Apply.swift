import CLibGit2
import Foundation

/// A file a patch changed, and where each of its hunks landed relative to its stated line
/// (0: exactly there; 5: five lines further down, as `git apply` reports "offset 5 lines").
public struct AppliedFile: Sendable, Hashable {
    /// The resulting path (the removed path for a deletion).
    public var path: String
    public var oldBlob: ObjectID?
    public var newBlob: ObjectID?
    public var hunkOffsets: [Int]

    public init(path: String, oldBlob: ObjectID?, newBlob: ObjectID?, hunkOffsets: [Int]) {
        self.path = path
        self.oldBlob = oldBlob
        self.newBlob = newBlob
        self.hunkOffsets = hunkOffsets
    }
}

/// A patch that does not apply, naming the file and, for a hunk, its 0-based index and stated
/// line: "drivers/iommu/foo.c: hunk 2 at line 3657: does not apply".
public struct ApplyFailure: Error, CustomStringConvertible, Sendable, Hashable {
    public var path: String
    /// 0-based; the description counts from 1 as `git apply` does.
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
        var place = path
        if let hunkIndex { place += ": hunk \(hunkIndex + 1)" }
        if let line { place += " at line \(line)" }
        return "\(place): \(reason)"
    }
}

/// Applies a parsed patch to `tree` and returns the new tree, placing hunks the way `git apply`
/// does: each hunk's preimage (context and removed lines) must match byte for byte, searched from
/// its stated line — shifted by where the file's previous hunks landed — alternately after and
/// before; no fuzz. A hunk stated at line 0 or 1 must match at the top of the file and a hunk
/// without trailing context at its end (git's rules). libgit2's git_apply_to_tree only tries the
/// stated line, and real mailing-list patches routinely land a few lines off.
///
/// New blobs and the new tree are written to the repository's object store (memory, when opened
/// so); only the trees on changed paths are rewritten. Throws ApplyFailure for a hunk that does
/// not apply, a binary patch, a missing file to change or an existing file to create.
public func apply(_ patch: [FilePatch], to tree: ObjectID, in repo: Repository) throws -> (
    tree: ObjectID, files: [AppliedFile]
) {
    let base = try TreeHandle(repo, tree)
    let (files, produced) = try applyFiles(patch, in: repo) { path in
        try repo.blobEntry(tree: base, path: path).map { ($0.id, $0.mode) }
    }
    var changes: [String: ObjectID?] = [:]
    var modes: [String: UInt32] = [:]
    for (path, result) in produced {
        changes[path] = .some(result?.blob)
        if let result { modes[path] = result.mode }
    }
    return (try repo.updatedTree(base: tree, changes: changes, modes: modes), files)
}

/// Applies a parsed patch to the files `lookup` gives (path → blob and mode; nil: no such file),
/// as `apply(_:to:in:)` does, without making a tree: the files as applied, and each changed path's
/// new blob and mode (nil: deleted or renamed away). New blobs are written to the repository's
/// object store. (Triage reads a posting's changes from the blobs alone: a tree per patch would
/// cost more than the rest of reading it.)
public func applyFiles(
    _ patch: [FilePatch], in repo: Repository, lookup: (String) throws -> (blob: ObjectID, mode: UInt32)?
) throws -> (files: [AppliedFile], produced: [String: (blob: ObjectID, mode: UInt32)?]) {
    // Files this patch has already produced or removed: a patch may touch a file twice.
    var produced: [String: (blob: ObjectID, mode: UInt32)?] = [:]
    var files: [AppliedFile] = []

    func current(_ path: String) throws -> (blob: ObjectID, mode: UInt32)? {
        if let known = produced[path] { return known }
        return try lookup(path)
    }

    for file in patch {
        let path = file.path
        if file.isBinary {
            throw ApplyFailure(
                path: path, hunkIndex: nil, line: nil,
                reason: "binary patch; modcheck applies text hunks only")
        }
        var source: (blob: ObjectID, mode: UInt32)?
        if file.status == .added {
            if try current(path) != nil {
                throw ApplyFailure(
                    path: path, hunkIndex: nil, line: nil, reason: "already exists in the tree")
            }
        } else {
            let oldPath = file.oldPath ?? path
            guard let found = try current(oldPath) else {
                throw ApplyFailure(
                    path: oldPath, hunkIndex: nil, line: nil, reason: "does not exist in the tree")
            }
            source = found
        }
        if file.status == .renamed, let oldPath = file.oldPath, oldPath != path, try current(path) != nil {
            throw ApplyFailure(path: path, hunkIndex: nil, line: nil, reason: "rename target already exists")
        }

        var image = try source.map { try ImageCache.shared.image(of: $0.blob, in: repo) } ?? Image()
        let offsets = try place(file.hunks, in: &image, path: path)

        if file.status == .deleted {
            if !image.lines.isEmpty {
                throw ApplyFailure(
                    path: path, hunkIndex: nil, line: nil, reason: "removal patch leaves file contents")
            }
            produced[path] = .some(nil)
            files.append(AppliedFile(path: path, oldBlob: source?.blob, newBlob: nil, hunkOffsets: offsets))
            continue
        }
        let newBlob: ObjectID
        if file.hunks.isEmpty, let source {
            newBlob = source.blob  // a pure rename or mode change
        } else {
            newBlob = try repo.writeBlob(image.bytes)
        }
        let mode =
            file.newMode.flatMap { isFileMode($0) ? $0 : nil } ?? source?.mode ?? GIT_FILEMODE_BLOB.rawValue
        if file.status == .renamed, let oldPath = file.oldPath, oldPath != path {
            produced[oldPath] = .some(nil)
        }
        produced[path] = (newBlob, mode)
        files.append(AppliedFile(path: path, oldBlob: source?.blob, newBlob: newBlob, hunkOffsets: offsets))
    }
    return (files, produced)
}

/// Applies one file's text hunks to its contents, as `apply` does for each file of a tree, and
/// returns the new contents and each hunk's offset from its stated line.
public func applyHunks(_ hunks: [Hunk], to contents: [UInt8], path: String) throws -> (
    contents: [UInt8], offsets: [Int]
) {
    var image = contents.withUnsafeBytes { Image(bytes: $0) }
    let offsets = try place(hunks, in: &image, path: path)
    return (image.bytes, offsets)
}

private func isFileMode(_ mode: UInt32) -> Bool {
    mode == GIT_FILEMODE_BLOB.rawValue || mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue
        || mode == GIT_FILEMODE_LINK.rawValue
}

/// A file as lines; each line remembers whether a "\n" ended it (only the last may lack one).
/// Lines are spans of one byte store (the file's bytes, then the hunks' added lines), so a
/// 5,000-line file is one buffer and a table of plain values, not 5,000 reference-counted slices.
/// Images of blobs that patches were applied to, split into lines once: a list's postings patch
/// the same few hundred files of their base again and again (read from the object store and
/// split for each, that was most of applying). Content-addressed, so shared by every handle;
/// the oldest are dropped past `limit` bytes.
final class ImageCache: @unchecked Sendable {
    static let shared = ImageCache(limit: 128 << 20)
    private let lock = NSLock()
    private var images: [ObjectID: Image] = [:]
    private var order: [ObjectID] = []
    private var bytes = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The blobs whose images are kept.
    var kept: Set<ObjectID> { lock.withLock { Set(images.keys) } }

    func image(of blob: ObjectID, in repo: Repository) throws -> Image {
        if let known = lock.withLock({ images[blob] }) { return known }
        let image = try repo.withBlob(blob) { Image(bytes: $0) }
        let size = image.store.count + image.lines.count * MemoryLayout<Image.Line>.stride
        lock.withLock {
            guard images.updateValue(image, forKey: blob) == nil else { return }
            order.append(blob)
            bytes += size
            while bytes > limit, order.count > 1 {
                let old = order.removeFirst()
                if let gone = images.removeValue(forKey: old) {
                    bytes -= gone.store.count + gone.lines.count * MemoryLayout<Image.Line>.stride
                }
            }
        }
        return image
    }
}

struct Image {
    struct Line: Equatable {
        var start: Int
        var count: Int
        var hasNewline: Bool
    }

    var store: [UInt8] = []
    var lines: [Line] = []

    init() {}

    init(bytes: UnsafeRawBufferPointer) {
        store = Array(bytes)
        var start = 0
        store.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            while start < buffer.count {
                if let hit = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start) {
                    let end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    lines.append(Line(start: start, count: end - start, hasNewline: true))
                    start = end + 1
                } else {
                    lines.append(Line(start: start, count: buffer.count - start, hasNewline: false))
                    start = buffer.count
                }
            }
        }
    }

    /// A line of text added to the store.
    mutating func line(_ content: [UInt8], hasNewline: Bool) -> Line {
        let line = Line(start: store.count, count: content.count, hasNewline: hasNewline)
        store.append(contentsOf: content)
        return line
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
        store.withUnsafeBufferPointer { buffer in
            for line in lines {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[line.start..<line.start + line.count]))
                if line.hasNewline { out.append(UInt8(ascii: "\n")) }
            }
        }
        return out
    }
}

/// Applies `hunks` to `image` in order; returns each hunk's offset from its stated line.
func place(_ hunks: [Hunk], in image: inout Image, path: String) throws -> [Int] {
    var offsets: [Int] = []
    var lineDelta = 0  // lines added minus removed by the hunks applied so far
    var drift = 0  // how far the previous hunk landed from its stated line
    for (index, hunk) in hunks.enumerated() {
        let preimage = hunk.lines.filter { $0.origin != .addition }
        let trailingContext = hunk.lines.reversed().prefix { $0.origin == .context }.count
        // Where the hunk says it starts, in the file as changed by the earlier hunks.
        let stated = (hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1) + lineDelta
        guard
            let at = findPreimage(
                preimage, in: image, near: stated + drift, atStart: hunk.oldStart <= 1,
                atEnd: trailingContext == 0)
        else {
            throw ApplyFailure(path: path, hunkIndex: index, line: hunk.oldStart, reason: "does not apply")
        }
        drift = at - stated
        offsets.append(drift)
        // Context lines keep the file's own line; added ones go to the store.
        var postimage: [Image.Line] = []
        var k = at
        for l in hunk.lines {
            switch l.origin {
            case .context:
                postimage.append(image.lines[k])
                k += 1
            case .deletion:
                k += 1
            case .addition:
                postimage.append(image.line(l.content, hasNewline: l.hasNewline))
            }
        }
        image.lines.replaceSubrange(at..<at + preimage.count, with: postimage)
        lineDelta += postimage.count - preimage.count
    }
    return offsets
}

/// The first position where `preimage` matches the image's lines exactly: `near` itself, then
/// alternately one line further down and one line up, widening (git apply's find_pos order).
/// `atStart` and `atEnd` pin the match to the top or bottom of the file.
func findPreimage(_ preimage: [HunkLine], in image: Image, near: Int, atStart: Bool, atEnd: Bool) -> Int? {
    let lines = image.lines
    let last = lines.count - preimage.count
    guard last >= 0 else { return nil }
    return image.store.withUnsafeBufferPointer { store -> Int? in
        func matches(_ at: Int) -> Bool {
            for i in preimage.indices {
                let line = lines[at + i]
                let want = preimage[i]
                guard line.count == want.content.count, line.hasNewline == want.hasNewline else { return false }
                if line.count == 0 { continue }
                let same = want.content.withUnsafeBufferPointer { w in
                    memcmp(store.baseAddress! + line.start, w.baseAddress!, line.count) == 0
                }
                if !same { return false }
            }
            return true
        }
        if atStart { return matches(0) && (!atEnd || last == 0) ? 0 : nil }
        if atEnd { return matches(last) ? last : nil }
        let start = max(0, min(near, last))
        if matches(start) { return start }
        var down = start
        var up = start
        while down < last || up > 0 {
            if down < last {
                down += 1
                if matches(down) { return down }
            }
            if up > 0 {
                up -= 1
                if matches(up) { return up }
            }
        }
        return nil
    }
}
