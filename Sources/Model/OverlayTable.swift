/// A string-keyed table that derived models change in a few keys: the tree-wide dictionary of the
/// first model is shared by every model derived from it and never copied (a patch changes a
/// handful of names among the tree's ~400,000 definitions). The shared part is a dictionary, or a
/// lookup (a table read in place from a snapshot, facts decoded when first asked for).
public struct OverlayTable<Value>: @unchecked Sendable {
    private let shared: [String: Value]
    private let lookup: ((String) -> Value?)?
    /// Keys changed since `shared`: a value, or `.some(nil)` for removed.
    private var changes: [String: Value?] = [:]

    public init(_ shared: [String: Value] = [:]) {
        self.shared = shared
        lookup = nil
    }

    /// A table whose shared part answers through `lookup` (called from any thread).
    public init(lookup: @escaping (String) -> Value?) {
        shared = [:]
        self.lookup = lookup
    }

    public subscript(key: String) -> Value? {
        get {
            if let changed = changes[key] { return changed }
            if let lookup { return lookup(key) }
            return shared[key]
        }
        set { changes[key] = .some(newValue) }
    }
}
