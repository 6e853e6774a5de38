import Foundation
import Git

/// A tree's path → blob map, shared with the trees patched from it: a patched tree keeps its
/// base's dictionary and only the paths it changed. A patch changes a few of a kernel tree's 65k
/// paths; a dictionary copied per patch (every posting of a triage, every commit of `log`, every
/// patch of a series) cost milliseconds and megabytes each, and as much again to free.
public struct PathMap: Sequence, Sendable, ExpressibleByDictionaryLiteral {
    /// The map as loaded, shared by every tree patched from it.
    private var base: [String: ObjectID]
    /// Paths whose blob differs from `base`'s (nil: removed).
    private var changes: [String: ObjectID?]
    public private(set) var count: Int

    public init(_ dictionary: [String: ObjectID]) {
        base = dictionary
        changes = [:]
        count = dictionary.count
    }

    public init(dictionaryLiteral elements: (String, ObjectID)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public subscript(path: String) -> ObjectID? {
        get {
            if let changed = changes[path] { return changed }
            return base[path]
        }
        set {
            let old = self[path]
            if old == nil, newValue != nil { count += 1 }
            if old != nil, newValue == nil { count -= 1 }
            if base[path] == newValue {
                changes[path] = nil
            } else {
                changes[path] = .some(newValue)
            }
            // Many changes (a long history walked one commit at a time): one map again.
            if changes.count > 1024, changes.count * 8 > base.count { compact() }
        }
    }

    /// Every path's blob as one dictionary.
    public var dictionary: [String: ObjectID] {
        guard !changes.isEmpty else { return base }
        var out = base
        for (path, blob) in changes { out[path] = blob }
        return out
    }

    private mutating func compact() {
        base = dictionary
        changes = [:]
    }

    /// The paths (in no particular order).
    public var keys: [String] { map(\.key) }

    public func makeIterator() -> Iterator { Iterator(self) }

    public struct Iterator: IteratorProtocol {
        private var baseIterator: Dictionary<String, ObjectID>.Iterator
        private var changesIterator: Dictionary<String, ObjectID?>.Iterator
        private let changes: [String: ObjectID?]

        init(_ map: PathMap) {
            baseIterator = map.base.makeIterator()
            changesIterator = map.changes.makeIterator()
            changes = map.changes
        }

        public mutating func next() -> (key: String, value: ObjectID)? {
            while let (path, blob) = baseIterator.next() {
                if changes.isEmpty || changes[path] == nil { return (path, blob) }
            }
            while let (path, blob) = changesIterator.next() {
                if let blob { return (path, blob) }
            }
            return nil
        }
    }
}
