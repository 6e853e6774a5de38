import ArgumentParser
import Facts
import Foundation
import Workflows

/// `modcheck cache stats|prune`: what the fact cache holds, and keeping it small.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Show or prune the fact cache.",
        subcommands: [Stats.self, Prune.self])

    struct Location: ParsableArguments {
        @Option(
            name: .long, help: "Fact cache directory (default: $XDG_CACHE_HOME/modcheck or ~/.cache/modcheck).")
        var cache: String?

        var root: String { cache ?? FactCache.defaultDirectory() }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Size of each cache generation (fact format and scanner version), least recently used first.")
        @OptionGroup var location: Location
        @Option(name: .long, help: "text or json.") var format: String = "text"

        func run() throws {
            guard ["text", "json"].contains(format) else {
                throw InputError("--format '\(format)': expected text or json")
            }
            let root = location.root
            let generations = CacheHousekeeping.generations(in: root)
            let total = generations.reduce(Int64(0)) { $0 + $1.bytes }
            let bound = CacheHousekeeping.defaultMaxBytes
            if format == "json" {
                let formatter = ISO8601DateFormatter()
                let object: [String: Any] = [
                    "directory": root, "bytes": total, "maxBytes": bound,
                    "generations": generations.map {
                        [
                            "name": $0.name, "current": $0.isCurrent, "bytes": $0.bytes, "files": $0.files,
                            "lastUsed": formatter.string(from: $0.lastUsed),
                        ] as [String: Any]
                    },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                emit(String(decoding: data, as: UTF8.self) + "\n")
                return
            }
            emit(
                "\(root): \(CacheHousekeeping.describe(total)) in \(generations.count) generation(s); bound \(CacheHousekeeping.describe(bound)) (MODCHECK_CACHE_MAX_SIZE)\n"
            )
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            for g in generations {
                emit(
                    "  \(g.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \((g.isCurrent ? "current" : "unused").padding(toLength: 8, withPad: " ", startingAt: 0)) \(CacheHousekeeping.describe(g.bytes).padding(toLength: 9, withPad: " ", startingAt: 0)) \(g.files) file(s), last used \(formatter.string(from: g.lastUsed))\n"
                )
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Remove generations this modcheck cannot read, then the least recently used until the cache fits --max-size.")
        @OptionGroup var location: Location
        @Option(
            name: .customLong("max-size"),
            help: "Size bound: bytes, or with a K, M or G suffix (default: MODCHECK_CACHE_MAX_SIZE, else 4G).")
        var maxSize: String?

        func run() throws {
            var bound = CacheHousekeeping.defaultMaxBytes
            if let maxSize {
                guard let n = CacheHousekeeping.parseSize(maxSize) else {
                    throw InputError("--max-size '\(maxSize)': not a size (bytes, or e.g. 500M, 2G)")
                }
                bound = Int64(n)
            }
            let root = location.root
            let pruned = CacheHousekeeping.prune(root: root, maxBytes: bound, dropOtherGenerations: true)
            emit(
                "\(root): removed \(pruned.removedGenerations.count) unused generation(s)\(pruned.removedGenerations.isEmpty ? "" : " (\(pruned.removedGenerations.joined(separator: ", ")))") and \(pruned.removedShards) shard(s), \(CacheHousekeeping.describe(pruned.freedBytes)) freed; \(CacheHousekeeping.describe(pruned.remainingBytes)) left (bound \(CacheHousekeeping.describe(bound)))\n"
            )
        }
    }
}
