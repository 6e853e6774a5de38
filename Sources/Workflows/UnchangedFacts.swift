import CSource
import Facts
import Foundation
import Git
import Model
import Report
import Rules

/// Rule runs follow the facts: a commit or patch that changes nothing a check reads — C files,
/// headers and assembly whose facts differ only in line numbers (comments, blank lines, function
/// bodies that call nothing new), files no model reads (documentation, device trees, scripts) —
/// makes the same findings as its parent, moved at most; a report of what it introduced and
/// fixed is empty. Such a change is answered from the facts of the files it touches, with no
/// model of either tree (a hook on such a commit reads two trees' differences and a few facts).
extension Session {
    /// Whether going from `parentTree` to a tree with `changes` (path → new blob, nil: removed)
    /// changes nothing a check reads. Files added or removed always count (kbuild lists
    /// directories, a `.c` file appears beside its object), and so does any file modcheck may read
    /// as text (Kconfig, Makefiles and what they include). Off with `MODCHECK_REBUILD` (which
    /// checks everything), with suppressions in `.modcheck.yaml` (a report names the unused ones,
    /// which only checks tell), and when reading the facts met a problem.
    func changesNoFacts(parentTree: ObjectID, changes: [String: ObjectID?]) -> Bool {
        // (No change at all is checked as before: reading the trees is what tells a damaged
        // repository.)
        guard followsFacts, !changes.isEmpty, !FactCache.rebuild, policy?.suppressions.isEmpty ?? true else {
            return false
        }
        let problemsBefore = store.problemCount
        for (path, new) in changes.sorted(by: { $0.key < $1.key }) {
            guard let new, let old = try? repository.blobID(tree: parentTree, path: path) else { return false }
            switch KernelFileKind(path: path) {
            case .cSource, .header, .assembly:
                for depth in [ScanDepth.symbols, .full] {
                    guard let before = store.facts(path: path, blob: old, depth: depth),
                        let after = store.facts(path: path, blob: new, depth: depth),
                        !before.timedOut, !after.timedOut, before.withoutPositions == after.withoutPositions
                    else { return false }
                }
            case .other where Session.readByNoModel(path):
                continue
            default:
                return false
            }
        }
        return store.problemCount == problemsBefore
    }

    /// Files no model reads in any way: documentation, device trees, scripts in languages kbuild
    /// does not include, the maintainers list. (Any other file may be a Makefile fragment.)
    static func readByNoModel(_ path: String) -> Bool {
        if path.hasPrefix("Documentation/") || ["MAINTAINERS", "CREDITS", ".mailmap"].contains(path) { return true }
        let name = lastPathComponent(path[...])
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")) else { return false }
        return ["rst", "md", "dts", "dtsi", "py", "json", "svg"].contains(String(name[name.index(after: dot)...]))
    }
}
