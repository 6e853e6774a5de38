import CSource
import Facts

extension KernelModel {
    /// The MODULE_LICENSE of a unit, from any of its objects (a composite needs only one), among
    /// the regions that exist when the unit is a module.
    /// `value` is nil when the argument is a macro modcheck cannot see the text of
    /// (`MODULE_LICENSE(DRV_LICENSE)` with DRV_LICENSE defined nowhere it reads).
    public func moduleLicense(_ unit: ModuleUnit) -> (value: String?, path: String, line: Int)? {
        for source in unit.moduleSources {
            guard let f = facts(source) else { continue }
            for inv in f.invocations
            where inv.name == "MODULE_LICENSE" && existsInModule(inv.condition, unit: unit) {
                let raw = (inv.arguments.first ?? "").trimmingCharacters(in: .whitespaces)
                guard !raw.hasPrefix("\""), !raw.isEmpty,
                    raw.utf8.allSatisfy({ $0 == 0x5f || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) })
                else { return (KernelModel.unquote(raw), source, inv.line) }
                // `MODULE_LICENSE(DRV_LICENSE)`: the string the unit's own sources or headers define.
                let own = unit.sources.compactMap { self.facts($0) }.flatMap(\.macros).first {
                    $0.name == raw && $0.stringValue != nil
                }?.stringValue
                return (own ?? headerIndex(for: unit.sources).stringMacro(raw), source, inv.line)
            }
        }
        return nil
    }

    /// `"GPL" " v2"`-style C string literals → their text.
    public static func unquote(_ literal: String) -> String {
        var out = ""
        var inString = false
        var escaped = false
        for ch in literal {
            if inString {
                if escaped {
                    out.append(ch)
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "\"" {
                    inString = false
                } else {
                    out.append(ch)
                }
            } else if ch == "\"" {
                inString = true
            }
        }
        return out.isEmpty ? literal : out
    }

    /// Paths whose blob differs between `base` and this tree (added, removed or modified).
    public func changedPaths(since base: KernelModel) -> [String] {
        if let known = changedSinceBase, base === self.baseModelIdentity { return known.sorted() }
        // The start of this model's chain (a series' base, with the patches so far on top): the
        // paths changed since it, those whose blob is not the root's again.
        if base === rootModel, let since = changedSinceRoot {
            return since.filter { tree.blobs[$0] != base.tree.blobs[$0] }.sorted()
        }
        var paths: [String] = []
        for (path, blob) in tree.blobs where base.tree.blobs[path] != blob { paths.append(path) }
        for path in base.tree.blobs.keys where tree.blobs[path] == nil { paths.append(path) }
        return paths.sorted()
    }
}
