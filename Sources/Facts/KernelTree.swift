import Foundation
import Git

/// One revision of a kernel tree as modcheck sees it: the path -> blob map of a git tree, read
/// through libgit2 without a checkout.
public struct KernelTree: Sendable {
    public var tree: ObjectID
    public var blobs: PathMap

    public init(tree: ObjectID, blobs: PathMap) {
        self.tree = tree
        self.blobs = blobs
    }

    public init(tree: ObjectID, blobs: [String: ObjectID]) {
        self.init(tree: tree, blobs: PathMap(blobs))
    }

    /// The tree as libgit2 reads it, or as `cache` kept it (and keeps it when it had not). A kept
    /// map is used while the object store holds every tree object it was read from: a damaged
    /// repository is reported as reading it would.
    public static func load(_ repository: Repository, tree: ObjectID, cache: FactCache? = nil) throws -> KernelTree {
        if let kept = cache?.pathMap(of: tree) {
            if let missing = repository.missingObject(among: [tree] + kept.subtrees) {
                throw GitError(
                    operation: "read tree \(missing)", message: "object not found - no match for id (\(missing.hex))",
                    code: -3)
            }
            Timing.mark("tree \(tree.hex.prefix(12)) kept: \(kept.blobs.count) paths")
            return KernelTree(tree: tree, blobs: kept.blobs)
        }
        var blobs: [String: ObjectID] = [:]
        let read = try repository.entriesAndSubtrees(tree: tree)
        for entry in read.entries where !entry.isSymlink {
            blobs[entry.path] = entry.blob
        }
        Timing.mark("tree \(tree.hex.prefix(12)) read: \(blobs.count) paths")
        if let cache {
            // (Written on another core while the model is built: `flush` waits for it.)
            let (paths, subtrees) = (blobs, read.subtrees)
            cache.inBackground { cache.storePathMap(paths, subtrees: subtrees, of: tree) }
        }
        return KernelTree(tree: tree, blobs: blobs)
    }

    /// The same tree with some paths changed (nil removes the path).
    public func applying(_ changes: [String: ObjectID?], newTree: ObjectID) -> KernelTree {
        var copy = self
        copy.tree = newTree
        for (path, blob) in changes { copy.blobs[path] = blob }
        return copy
    }

    /// The kernel release of the tree, from the top Makefile's VERSION and PATCHLEVEL.
    public static func kernelVersion(makefile: String) -> (major: Int, minor: Int)? {
        var major: Int?
        var minor: Int?
        for line in makefile.split(
            maxSplits: 20, omittingEmptySubsequences: true, whereSeparator: \.isNewline
        ).prefix(20) {
            let parts = line.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2 else { continue }
            if parts[0] == "VERSION" { major = Int(parts[1]) }
            if parts[0] == "PATCHLEVEL" { minor = Int(parts[1]) }
        }
        guard let major, let minor else { return nil }
        return (major, minor)
    }
}

/// The directory of a tree path ("drivers/iommu/Kconfig" -> "drivers/iommu", "Makefile" -> "").
/// Tree paths have no leading or trailing "/"; on hot paths, so no Foundation path handling.
/// The last component of a path or an include name (`iommu.h` of `linux/iommu.h`): a byte
/// scan, for the many includes a model compares.
public func lastPathComponent(_ path: Substring) -> Substring {
    path.utf8.lastIndex(of: UInt8(ascii: "/")).map { path[path.utf8.index(after: $0)...] } ?? path
}

public func treeDirectory(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
    return String(path[..<slash])
}

/// The kinds of file modcheck reads facts from.
public enum KernelFileKind: Sendable {
    case cSource, header, assembly, kconfig, kbuild, other

    public init(path: String) {
        // Asked for every path of a tree (65k of them, several times a run): bytes of the last
        // component only, no Characters.
        let utf8 = path.utf8
        let start = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
        let name = utf8[start...]
        let count = name.count
        if count >= 2, name[name.index(name.endIndex, offsetBy: -2)] == UInt8(ascii: ".") {
            switch name[name.index(before: name.endIndex)] {
            case UInt8(ascii: "c"):
                self = .cSource
                return
            case UInt8(ascii: "h"):
                self = .header
                return
            case UInt8(ascii: "S"):
                self = .assembly
                return
            default: break
            }
        }
        if name.starts(with: "Kconfig".utf8) {
            self = .kconfig
        } else if name.elementsEqual("Makefile".utf8) || name.elementsEqual("Kbuild".utf8) {
            self = .kbuild
        } else {
            self = .other
        }
    }
}

/// Whether a tree path names a header (`.h`): a byte test, for passes over every path of a tree.
public func isHeaderPath(_ path: String) -> Bool {
    let utf8 = path.utf8
    guard utf8.count >= 2 else { return false }
    return utf8.last == UInt8(ascii: "h") && utf8[utf8.index(utf8.endIndex, offsetBy: -2)] == UInt8(ascii: ".")
}

/// The architecture directory a tree path lies under (`x86` of `arch/x86/Kconfig`), when it lies
/// below one (`arch/x86` itself has none); with `kconfigOnly`, only for `arch/<name>/Kconfig`.
public func architectureDirectory(of path: String, kconfigOnly: Bool = false) -> Substring? {
    let utf8 = path.utf8
    guard utf8.starts(with: "arch/".utf8) else { return nil }
    let start = utf8.index(utf8.startIndex, offsetBy: 5)
    guard let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/")), slash > start else { return nil }
    let rest = utf8[utf8.index(after: slash)...]
    if kconfigOnly {
        guard rest.elementsEqual("Kconfig".utf8) else { return nil }
    } else if rest.isEmpty {
        return nil
    }
    return path[start..<slash]
}

/// A git tree's path → blob map kept in the cache under the tree id (a tree's content is its
/// id: the snapshot never goes stale): reading 65k entries through libgit2 inflates ~4,500 tree
/// objects (0.1 s); the snapshot is one file, paths sorted and front-coded.
extension FactCache {
    static let pathMapVersion = 2

    func pathMapName(_ tree: ObjectID) -> String { "tree-v\(FactCache.pathMapVersion)-\(tree.hex).paths" }

    /// The map kept for `tree` with the tree objects it was read from; nil when there is none
    /// (or it is damaged: noted, removed).
    public func pathMap(of tree: ObjectID) -> (blobs: [String: ObjectID], subtrees: [ObjectID])? {
        guard !FactCache.rebuild else { return nil }
        return snapshot(pathMapName(tree), unreadable: "tree snapshot", FactCache.decodePathMap)
    }

    public func storePathMap(_ blobs: [String: ObjectID], subtrees: [ObjectID], of tree: ObjectID) {
        guard blobs.keys.allSatisfy({ $0.utf8.count <= 0xffff }) else { return }
        storeSnapshot(pathMapName(tree), FactCache.encodePathMap(blobs, subtrees: subtrees))
    }

    // Count (4 LE), then per path in byte order: the length shared with the previous path and
    // the rest's length (2 LE each), the rest, the blob's 20 bytes; then the subtrees' count
    // (4 LE) and ids (20 bytes each).
    static func encodePathMap(_ blobs: [String: ObjectID], subtrees: [ObjectID]) -> [UInt8] {
        // The paths' bytes side by side, in their byte order (no array per path).
        let entries = Array(blobs)
        let paths = PackedNames(entries.lazy.map(\.key))
        var out: [UInt8] = []
        out.reserveCapacity(paths.bytes.count + entries.count * 24 + subtrees.count * 20 + 8)
        appendUInt32(&out, UInt32(entries.count))
        paths.bytes.withUnsafeBytes { raw in
            var previous = UnsafeRawBufferPointer(start: nil, count: 0)
            for i in paths.byteOrder() {
                let here = UnsafeRawBufferPointer(rebasing: raw[paths.starts[i]..<paths.starts[i + 1]])
                var shared = 0
                let limit = min(previous.count, here.count, 0xffff)
                while shared < limit, previous[shared] == here[shared] { shared += 1 }
                let rest = here.count - shared
                out.append(UInt8(shared & 0xff))
                out.append(UInt8(shared >> 8))
                out.append(UInt8(rest & 0xff))
                out.append(UInt8((rest >> 8) & 0xff))
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: here[shared...]))
                out += entries[i].value.rawBytes
                previous = here
            }
        }
        appendUInt32(&out, UInt32(subtrees.count))
        for id in subtrees { out += id.rawBytes }
        return out
    }

    static func decodePathMap(_ bytes: [UInt8]) -> (blobs: [String: ObjectID], subtrees: [ObjectID])? {
        bytes.withUnsafeBytes { raw -> (blobs: [String: ObjectID], subtrees: [ObjectID])? in
            guard raw.count >= 4 else { return nil }
            let count = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            guard count <= raw.count / 24 else { return nil }
            var out: [String: ObjectID] = [:]
            out.reserveCapacity(count)
            var path: [UInt8] = []
            path.reserveCapacity(256)
            var at = 4
            for _ in 0..<count {
                guard at + 4 <= raw.count else { return nil }
                let shared = Int(raw[at]) | Int(raw[at + 1]) << 8
                let rest = Int(raw[at + 2]) | Int(raw[at + 3]) << 8
                at += 4
                guard shared <= path.count, rest > 0, at + rest + 20 <= raw.count else { return nil }
                path.removeSubrange(shared...)
                path.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[at..<at + rest]))
                at += rest
                guard let blob = ObjectID(raw: UnsafeRawBufferPointer(rebasing: raw[at..<at + 20])) else { return nil }
                at += 20
                out[String(decoding: path, as: UTF8.self)] = blob
            }
            guard out.count == count, at + 4 <= raw.count else { return nil }
            let trees = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            at += 4
            guard trees * 20 == raw.count - at else { return nil }
            var subtrees: [ObjectID] = []
            subtrees.reserveCapacity(trees)
            for _ in 0..<trees {
                guard let id = ObjectID(raw: UnsafeRawBufferPointer(rebasing: raw[at..<at + 20])) else { return nil }
                subtrees.append(id)
                at += 20
            }
            return (out, subtrees)
        }
    }
}
