import ArgumentParser
import Foundation
import Facts
import Report
import Workflows

/// Options every subcommand takes.
struct CommonArguments: ParsableArguments {
    @Option(
        name: .long,
        help: "The kernel git repository (bare or not); default: the one containing the current directory.")
    var repo: String?

    @Option(
        name: .long, help: "Fact cache directory (default: $XDG_CACHE_HOME/modcheck or ~/.cache/modcheck).")
    var cache: String?

    @Flag(name: .long, help: "Do not read or write the fact cache.")
    var noCache = false

    @Option(name: .long, help: "Rules directory (default: the bundled rules/).")
    var rules: String?

    @Option(name: .long, help: "Path prefix to check (repeatable; default: drivers/iommu).")
    var scope: [String] = []

    @Option(name: .long, help: "Evaluate a concrete .config instead of the worst case (allmodconfig-like).")
    var config: String?

    @Option(
        name: .customLong("kmi-symbol-list"),
        help: "GKI KMI symbol list: modular code may use only these exports (repeatable).")
    var kmiSymbolList: [String] = []

    @Option(
        name: .customLong("max-file-size"),
        help: "Skip (with a note) files larger than this: bytes, or with a K, M or G suffix.")
    var maxFileSize: ByteSize = ByteSize(bytes: FactStore.defaultMaxFileSize)

    @Option(
        name: .customLong("scan-time-limit"),
        help: "Stop scanning one file (with a note) after this many seconds; 0: no limit.")
    var scanTimeLimit: Double = FactStore.defaultScanTimeLimit

    func validate() throws {
        if !(scanTimeLimit >= 0) || !scanTimeLimit.isFinite {
            throw ValidationError("--scan-time-limit expects seconds (0 or more), got \(scanTimeLimit)")
        }
    }

    var options: CommonOptions {
        var o = CommonOptions()
        o.repository = repo
        o.cacheDirectory = cache
        o.useCache = !noCache
        o.rulesDirectory = rules
        if !scope.isEmpty {
            o.scope = scope.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            o.scopeGiven = true
        }
        o.configFile = config
        o.kmiSymbolLists = kmiSymbolList
        o.maxFileSize = maxFileSize.bytes
        o.scanTimeLimit = scanTimeLimit > 0 ? scanTimeLimit : nil
        return o
    }
}

extension ReportFormat: ExpressibleByArgument {}

/// The formats of the commands that read mail (`series`, `triage`): the report formats, and
/// `mail`, robot-style replies threaded under the patches (see MailReplies).
enum MessageFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, markdown, patchwork, mail

    var report: ReportFormat? { ReportFormat(rawValue: rawValue) }
}

/// Where `--format mail` puts the replies: an mbox on stdout, or one file each in a directory.
struct MailArguments: ParsableArguments {
    @Option(
        name: .customLong("output-dir"),
        help: "With --format mail: write one reply per file in this directory instead of an mbox on stdout.")
    var outputDirectory: String?

    /// Writes the replies not given before (the cache remembers them; --no-cache forgets).
    func emitReplies(_ replies: [MailReply], common: CommonArguments) throws {
        let state = common.noCache ? nil : MailReplies.stateFile(cacheDirectory: common.cache)
        let fresh = MailReplies.unanswered(replies, stateFile: state)
        if let outputDirectory {
            let paths = try MailReplies.write(fresh, to: outputDirectory)
            FileHandle.standardError.write(
                Data("modcheck: \(paths.count) repl\(paths.count == 1 ? "y" : "ies") written to \(outputDirectory)\(replies.count > fresh.count ? " (\(replies.count - fresh.count) given by an earlier run left out)" : "")\n".utf8))
        } else {
            emit(MailReplies.mbox(fresh))
        }
        MailReplies.remember(fresh, stateFile: state)
    }
}

/// A byte count from the command line: `65536`, `64K`, `8M`, `1G` (powers of 1024).
struct ByteSize: ExpressibleByArgument {
    var bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        guard let bytes = CacheHousekeeping.parseSize(argument) else { return nil }
        self.bytes = bytes
    }

    var defaultValueDescription: String {
        for (suffix, unit) in [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)"
    }
}

struct OutputArguments: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json, sarif, markdown or patchwork.")
    var format: ReportFormat = .text

    @Flag(name: .long, help: "Also show info-level findings (references modcheck could not resolve).")
    var verbose = false
}
