import ArgumentParser
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
        return o
    }
}

extension ReportFormat: ExpressibleByArgument {}

struct OutputArguments: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json, sarif or markdown.")
    var format: ReportFormat = .text

    @Flag(name: .long, help: "Also show info-level findings (references modcheck could not resolve).")
    var verbose = false
}
