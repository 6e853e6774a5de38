import CLibGit2

/// A file a patch changed: where each hunk landed relative to its stated line.
public struct AppliedFile: Sendable, Hashable {
    public var path: String
    public var oldBlob: ObjectID?
    public var newBlob: ObjectID?
    public var hunkOffsets: [Int]
}

/// Splits bytes into lines, each keeping its "\n" (the last may lack one).
func splitLines(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    var start = 0
    for i in 0..<bytes.count where bytes[i] == 0x0a {
        lines.append(Array(bytes[start...i]))
        start = i + 1
    }
    if start < bytes.count { lines.append(Array(bytes[start...])) }
    return lines
}

/// Applies a parsed patch to a tree the way `git apply` places hunks: each hunk's preimage
/// (context and removed lines) must match exactly, searched outward from its stated line shifted
/// by the offset of the file's previous hunks; no fuzz. libgit2's own git_apply_to_tree only
/// tries the stated line, which real mailing-list patches routinely miss by a few lines.
/// New blobs and trees go to the repository's (in-memory) object store.
public func apply(_ patches: [FilePatch], to tree: ObjectID, in repo: Repository) throws -> (
    tree: ObjectID, files: [AppliedFile]
) {
    var changes: [String: ObjectID?] = [:]
    var modes: [String: UInt32] = [:]
    var files: [AppliedFile] = []
    // Contents already produced by this patch (a patch may touch a file twice).
    var produced: [String: [UInt8]?] = [:]
    for patch in patches {
        let path = patch.path
        if patch.isBinary {
            throw ApplyFailure(
                path: path, hunkIndex: nil, line: nil,
                reason: "binary patch (modcheck applies text diffs only)")
        }
        var old: [UInt8]?
        var oldBlob: ObjectID?
        if let oldPath = patch.oldPath, patch.status != .added {
            if let known = produced[oldPath] {
                old = known
            } else {
                guard let id = try repo.blobID(tree: tree, path: oldPath) else {
                    throw ApplyFailure(
                        path: oldPath, hunkIndex: nil, line: nil, reason: "does not exist in the base tree")
                }
                oldBlob = id
                old = try repo.blobBytes(id)
            }
        } else if try (produced[path] ?? nil) != nil || repo.blobID(tree: tree, path: path) != nil {
            throw ApplyFailure(
                path: path, hunkIndex: nil, line: nil, reason: "already exists in the base tree")
        }
        if patch.status == .deleted {
            changes[path] = .some(nil)
            produced[path] = .some(nil)
            files.append(
                AppliedFile(
                    path: path, oldBlob: oldBlob, newBlob: nil, hunkOffsets: patch.hunks.map { _ in 0 }))
            continue
        }
        var lines = (old ?? []).withUnsafeBytes(splitLines)
        var offsets: [Int] = []
        var shift = 0  // lines added minus removed by earlier hunks
        var drift = 0  // offset at which the previous hunk landed
        for (index, hunk) in patch.hunks.enumerated() {
            let preimage = hunk.lines.filter { $0.origin != .addition }.map(\.bytes)
            let postimage = hunk.lines.filter { $0.origin != .deletion }.map(\.bytes)
            // Stated position (0-based) in the file as modified by earlier hunks.
            var stated = (hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1) + shift + drift
            stated = max(0, min(stated, lines.count))
            guard let at = findPreimage(preimage, in: lines, near: stated) else {
                throw ApplyFailure(
                    path: path, hunkIndex: index, line: hunk.oldStart,
                    reason: "does not apply (context not found)")
            }
            drift += at - stated
            offsets.append(at - ((hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1) + shift))
            lines.replaceSubrange(at..<at + preimage.count, with: postimage)
            shift += postimage.count - preimage.count
        }
        let content = lines.flatMap { $0 }
        let newBlob = try repo.writeBlob(content)
        if let oldPath = patch.oldPath, oldPath != path, patch.status == .renamed {
            changes[oldPath] = .some(nil)
            produced[oldPath] = .some(nil)
        }
        changes[path] = newBlob
        produced[path] = content
        if let mode = patch.newMode, mode == 0o100755 || mode == 0o100644 { modes[path] = mode }
        files.append(AppliedFile(path: path, oldBlob: oldBlob, newBlob: newBlob, hunkOffsets: offsets))
    }
    let newTree = try repo.updatedTree(base: tree, changes: changes, modes: modes)
    return (newTree, files)
}

/// The first position, searching outward from `near` (near, near-1, near+1, ...), where
/// `preimage` matches `lines` exactly.
func findPreimage(_ preimage: [[UInt8]], in lines: [[UInt8]], near: Int) -> Int? {
    let last = lines.count - preimage.count
    if last < 0 { return nil }
    func matches(_ at: Int) -> Bool {
        for (i, line) in preimage.enumerated() where lines[at + i] != line { return false }
        return true
    }
    if preimage.isEmpty { return min(near, lines.count) }
    var distance = 0
    while near - distance >= 0 || near + distance <= last {
        let before = near - distance
        if before >= 0 && before <= last && matches(before) { return before }
        let after = near + distance
        if distance > 0 && after <= last && after >= 0 && matches(after) { return after }
        distance += 1
    }
    return nil
}
