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

    public static func load(_ repository: Repository, tree: ObjectID) throws -> KernelTree {
        var blobs: [String: ObjectID] = [:]
        for entry in try repository.entries(tree: tree) where !entry.isSymlink {
            blobs[entry.path] = entry.blob
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
