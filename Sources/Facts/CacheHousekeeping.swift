import CSource
import Foundation

/// What the cache directory holds and keeping it under a size bound. The cache holds one
/// generation directory per fact format and scanner version (`facts-v4-scanner22`): a modcheck
/// reads only its own, so the others are dead weight after an upgrade. Each run stamps its
/// generation (`last-used`) so that pruning removes the least recently used first: other
/// generations, then the current one's files that were used longest ago (a run that reads a shard
/// or a snapshot touches its modification time; their records are scanned again when next
/// needed). Removal is per file, and a file another run is reading or
/// appending to stays readable to it (POSIX unlink), so pruning is safe beside running hooks.
public enum CacheHousekeeping {
    public struct Generation: Sendable, Equatable {
        public var name: String
        public var path: String
        public var bytes: Int64
        public var files: Int
        /// When a run last used it (its stamp), else when a file of it was last written.
        public var lastUsed: Date
        /// The generation this modcheck reads and writes.
        public var isCurrent: Bool
    }

    public struct Pruned: Sendable, Equatable {
        public var removedGenerations: [String] = []
        public var removedShards = 0
        public var freedBytes: Int64 = 0
        public var remainingBytes: Int64 = 0
    }

    static let stampName = "last-used"
    static let generationPrefix = "facts-v"

    /// The default bound: `MODCHECK_CACHE_MAX_SIZE` (bytes, or with K, M, G), else 4 GiB.
    public static var defaultMaxBytes: Int64 {
        if let text = ProcessInfo.processInfo.environment["MODCHECK_CACHE_MAX_SIZE"], let n = parseSize(text) {
            return Int64(n)
        }
        return 4 << 30
    }

    /// "500M", "2G", "4096": a positive byte count (K, M, G are powers of 1024); nil otherwise.
    public static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text)
        var unit = 1
        switch digits.last.map({ Character($0.uppercased()) }) {
        case "K": unit = 1 << 10
        case "M": unit = 1 << 20
        case "G": unit = 1 << 30
        default: break
        }
        if unit > 1 { digits = digits.dropLast() }
        guard let n = Int(digits), n > 0 else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : product
    }

    /// "2.0 GiB", "310 MiB", "12 KiB", "80 B".
    public static func describe(_ bytes: Int64) -> String {
        for (suffix, unit) in [("GiB", Int64(1) << 30), ("MiB", Int64(1) << 20), ("KiB", Int64(1) << 10)]
        where bytes >= unit {
            let value = Double(bytes) / Double(unit)
            return value >= 10 ? "\(Int(value.rounded())) \(suffix)" : String(format: "%.1f %@", value, suffix)
        }
        return "\(bytes) B"
    }

    /// The name of the generation this modcheck uses.
    public static var currentGeneration: String {
        "\(generationPrefix)\(FactCache.formatVersion)-scanner\(CSourceScanner.version)"
    }

    /// Every generation under `root`, least recently used first.
    public static func generations(in root: String) -> [Generation] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return [] }
        var out: [Generation] = []
        for name in names where name.hasPrefix(generationPrefix) {
            let path = root + "/" + name
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { continue }
            var bytes: Int64 = 0
            var files = 0
            var newest = Date(timeIntervalSince1970: 0)
            var stamp: Date?
            for file in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
                guard let attributes = try? fm.attributesOfItem(atPath: path + "/" + file) else { continue }
                let modified = attributes[.modificationDate] as? Date ?? newest
                if file == stampName {
                    stamp = modified
                    continue
                }
                bytes += (attributes[.size] as? NSNumber)?.int64Value ?? 0
                files += 1
                newest = max(newest, modified)
            }
            out.append(
                Generation(
                    name: name, path: path, bytes: bytes, files: files, lastUsed: stamp ?? newest,
                    isCurrent: name == currentGeneration))
        }
        return out.sorted { ($0.lastUsed, $0.name) < ($1.lastUsed, $1.name) }
    }

    /// Marks `generationPath` as used now.
    static func stamp(_ generationPath: String) {
        let path = generationPath + "/" + stampName
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: Data())
        } else {
            utimes(path, nil)
        }
    }

    /// Removes what is least recently used until the cache holds at most `maxBytes`: other
    /// generations first (all of them when `dropOtherGenerations`), then the current
    /// generation's shards and snapshots, least recently read or written first.
    @discardableResult
    public static func prune(root: String, maxBytes: Int64?, dropOtherGenerations: Bool = false) -> Pruned {
        let fm = FileManager.default
        let all = generations(in: root)
        var total = all.reduce(Int64(0)) { $0 + $1.bytes }
        var result = Pruned()
        func over() -> Bool { maxBytes.map { total > $0 } ?? false }
        for g in all where !g.isCurrent && (dropOtherGenerations || over()) {
            guard (try? fm.removeItem(atPath: g.path)) != nil || !fm.fileExists(atPath: g.path) else { continue }
            result.removedGenerations.append(g.name)
            result.freedBytes += g.bytes
            total -= g.bytes
        }
        if over(), let current = all.first(where: \.isCurrent) {
            var shards: [(path: String, bytes: Int64, modified: Date)] = []
            // A shard's index goes with its shard (an index left alone is only ever refused).
            for file in (try? fm.contentsOfDirectory(atPath: current.path)) ?? []
            where file != stampName && !file.hasSuffix(".pack.idx") {
                let path = current.path + "/" + file
                guard let attributes = try? fm.attributesOfItem(atPath: path) else { continue }
                shards.append(
                    (
                        path, (attributes[.size] as? NSNumber)?.int64Value ?? 0,
                        attributes[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
                    ))
            }
            for shard in shards.sorted(by: { ($0.modified, $0.path) < ($1.modified, $1.path) }) where over() {
                guard unlink(shard.path) == 0 || errno == ENOENT else { continue }
                var freed = shard.bytes
                if shard.path.hasSuffix(".pack") {
                    let index = shard.path + ".idx"
                    let size = ((try? fm.attributesOfItem(atPath: index))?[.size] as? NSNumber)?.int64Value ?? 0
                    if unlink(index) == 0 { freed += size }
                }
                result.removedShards += 1
                result.freedBytes += freed
                total -= freed
            }
        }
        result.remainingBytes = total
        return result
    }
}
