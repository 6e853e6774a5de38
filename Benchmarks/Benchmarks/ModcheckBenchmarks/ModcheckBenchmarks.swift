import Benchmark
import Facts
import Foundation
import Git
import Model
import Workflows

// Anchors and modcheck are measured in the same run, so BENCHMARKS.md can state ratios.
// Real data comes from the environment (never from the repository): a Linux v5.4 git directory,
// the seven seed messages, and a folder holding the tree's scripts/checkpatch.pl.

let env = ProcessInfo.processInfo.environment
let repoPath = env["MODCHECK_BENCH_REPO"]
let seriesDir = env["MODCHECK_BENCH_SERIES"]
let checkpatchDir = env["MODCHECK_BENCH_CHECKPATCH"]

func shell(_ executable: String, _ args: [String], cwd: String? = nil) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try? p.run()
    p.waitUntilExit()
}

func seriesFiles() -> [String] {
    guard let seriesDir else { return [] }
    return (1...7).map { "\(seriesDir)/\($0).eml" }
}

func session(cache: String?) -> Session {
    var o = CommonOptions()
    o.repository = repoPath
    o.cacheDirectory = cache
    o.useCache = cache != nil
    return try! Session(options: o)
}

let benchmarks: @Sendable () -> Void = {
    let config = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 0, maxDuration: .seconds(60),
        maxIterations: 3)
    // Warm benchmarks discard one warm-up iteration, which fills their cache.
    let warm = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1, maxDuration: .seconds(60),
        maxIterations: 3)
    guard let repoPath else {
        print("MODCHECK_BENCH_REPO is not set: no real tree, nothing to measure")
        return
    }

    // Issue 2 anchor: a grep-level scan of every .c/.h blob of the tree.
    Benchmark("anchor: git grep -c EXPORT_SYMBOL HEAD -- *.c *.h", configuration: config) { benchmark in
        for _ in benchmark.scaledIterations {
            shell(
                "/usr/bin/git", ["-C", repoPath, "grep", "-c", "EXPORT_SYMBOL", "HEAD", "--", "*.c", "*.h"])
        }
    }

    // The tree pass modcheck needs (every .c/.S at symbol depth, Kconfig, kbuild), cold cache.
    Benchmark("tree model, cold cache", configuration: config) { benchmark in
        for _ in benchmark.scaledIterations {
            let dir = NSTemporaryDirectory() + "modcheck-bench-\(UUID().uuidString)"
            let s = session(cache: dir)
            let tree = try! s.tree(at: "HEAD")
            blackHole(s.model(of: tree).units.count)
            s.finish()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    let warmCache = NSTemporaryDirectory() + "modcheck-bench-warm"
    Benchmark("tree model, warm cache", configuration: warm) { benchmark in
        for _ in benchmark.scaledIterations {
            let s = session(cache: warmCache)
            blackHole(s.model(of: try! s.tree(at: "HEAD")).units.count)
            s.finish()
        }
    }

    // Whole-tree scan of every .c/.h blob at symbol depth (the like-for-like of git grep).
    Benchmark("scan every .c/.h blob (symbols depth, no cache)", configuration: config) { benchmark in
        for _ in benchmark.scaledIterations {
            let s = session(cache: nil)
            let tree = try! s.tree(at: "HEAD")
            let files = tree.blobs.filter { $0.key.hasSuffix(".c") || $0.key.hasSuffix(".h") }.map {
                (path: $0.key, blob: $0.value)
            }
            blackHole(s.store.facts(of: files, depth: .symbols).count)
        }
    }

    // Issue 4: `log` over a synthetic 1,000-commit history on a realistic tree (v5.4's
    // drivers/iommu, include/ and every Kconfig/Makefile), against git log --stat of the range.
    let history = NSTemporaryDirectory() + "modcheck-bench-history"
    let single = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 0, maxDuration: .seconds(600), maxIterations: 1)
    let historyWarm = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1, maxDuration: .seconds(600), maxIterations: 1)
    func buildHistory() {
        if FileManager.default.fileExists(atPath: history + "/HEAD") { return }
        let source = try! Repository.open(repoPath)
        let tree = try! source.tree(ofCommit: try! source.resolveCommit("HEAD"))
        let wanted = try! source.entries(tree: tree).filter { e in
            let name = e.path.split(separator: "/").last.map(String.init) ?? ""
            return e.path.hasPrefix("drivers/iommu/") || e.path.hasPrefix("include/") || name.hasPrefix("Kconfig") || name == "Makefile"
                || name == "Kbuild"
        }
        let repo = try! Repository.create(at: history, bare: true)
        var changes: [String: ObjectID?] = [:]
        for e in wanted {
            if let bytes = try? source.blobBytes(e.blob) { changes[e.path] = try! repo.writeBlob(bytes) }
        }
        var head = try! repo.createCommit(
            tree: try! repo.updatedTree(base: nil, changes: changes), parents: [], message: "base", author: Fixtures.author, updateRef: "HEAD")
        var current = try! repo.tree(ofCommit: head)
        let targets = wanted.map(\.path).filter { $0.hasPrefix("drivers/iommu/") && $0.hasSuffix(".c") }.sorted()
        var contents: [String: [UInt8]] = [:]
        for i in 0..<1000 {
            let path = targets[i % targets.count]
            if contents[path] == nil, let id = try! repo.blobID(tree: current, path: path) { contents[path] = try! repo.blobBytes(id) }
            contents[path]! += Array("/* edit \(i) */\n".utf8)
            let blob = try! repo.writeBlob(contents[path]!)
            current = try! repo.updatedTree(base: current, changes: [path: blob])
            var who = Fixtures.author
            who.time += Int64(i)
            head = try! repo.createCommit(tree: current, parents: [head], message: "edit \(i)", author: who, updateRef: "HEAD")
        }
    }

    Benchmark("anchor: git log --stat over the 1,000-commit history", configuration: single) { benchmark in
        buildHistory()
        for _ in benchmark.scaledIterations {
            shell("/usr/bin/git", ["-C", history, "log", "--stat", "--format=%H", "HEAD~1000..HEAD", "--", "drivers/iommu"])
        }
    }

    Benchmark("log over the 1,000-commit history, cold cache", configuration: single) { benchmark in
        buildHistory()
        for _ in benchmark.scaledIterations {
            let dir = NSTemporaryDirectory() + "modcheck-bench-\(UUID().uuidString)"
            var o = CommonOptions()
            o.repository = history
            o.cacheDirectory = dir
            let s = try! Session(options: o)
            blackHole(try! LogCheck.run(session: s, range: "HEAD~1000..HEAD").sections.count)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    Benchmark("log over the 1,000-commit history, warm cache", configuration: historyWarm) { benchmark in
        buildHistory()
        for _ in benchmark.scaledIterations {
            var o = CommonOptions()
            o.repository = history
            o.cacheDirectory = warmCache
            let s = try! Session(options: o)
            blackHole(try! LogCheck.run(session: s, range: "HEAD~1000..HEAD").sections.count)
        }
    }

    // Issue 5: whole-archive triage of a public-inbox epoch against a grep-level pass over the
    // same archive (every message's diff searched for EXPORT_SYMBOL, no parsing).
    if let archive = env["MODCHECK_BENCH_ARCHIVE"] {
        Benchmark("anchor: git log -p -G EXPORT_SYMBOL over the archive", configuration: single) { benchmark in
            for _ in benchmark.scaledIterations {
                shell("/usr/bin/git", ["-C", archive, "log", "-p", "--format=%H", "-G", "EXPORT_SYMBOL"])
            }
        }
        Benchmark("triage, whole archive on v5.4, warm cache", configuration: historyWarm) { benchmark in
            for _ in benchmark.scaledIterations {
                let outcome = try! Triage.run(
                    session: session(cache: warmCache), source: archive, baseRevision: "HEAD", options: Triage.Options())
                blackHole(outcome.relevantCount)
            }
        }
        Benchmark("triage, 2019-10-01..2019-12-31 on v5.4, warm cache", configuration: historyWarm) { benchmark in
            var options = Triage.Options()
            options.window = MailArchive.Window(
                since: Date(timeIntervalSince1970: 1_569_888_000), until: Date(timeIntervalSince1970: 1_577_836_799))
            for _ in benchmark.scaledIterations {
                let outcome = try! Triage.run(
                    session: session(cache: warmCache), source: archive, baseRevision: "HEAD", options: options)
                blackHole(outcome.relevantCount)
            }
        }
    }

    guard !seriesFiles().isEmpty else { return }

    // Issue 3 anchor: checkpatch.pl of the same tree on the same seven messages.
    if let checkpatchDir {
        Benchmark("anchor: checkpatch.pl, 7 seed patches", configuration: config) { benchmark in
            for _ in benchmark.scaledIterations {
                for file in seriesFiles() {
                    shell(
                        "/usr/bin/perl", [checkpatchDir + "/checkpatch.pl", "--no-tree", "-q", file],
                        cwd: checkpatchDir)
                }
            }
        }
    }

    Benchmark("series, 7 seed patches, warm cache", configuration: warm) { benchmark in
        for _ in benchmark.scaledIterations {
            let s = session(cache: warmCache)
            let (patches, notes) = try! PatchInputs.read(seriesFiles())
            blackHole(
                try! SeriesCheck.run(session: s, baseRevision: "HEAD", patches: patches, inputNotes: notes)
                    .findings.count)
        }
    }

    Benchmark("series, 7 seed patches, cold cache", configuration: config) { benchmark in
        for _ in benchmark.scaledIterations {
            let dir = NSTemporaryDirectory() + "modcheck-bench-\(UUID().uuidString)"
            let s = session(cache: dir)
            let (patches, notes) = try! PatchInputs.read(seriesFiles())
            blackHole(
                try! SeriesCheck.run(session: s, baseRevision: "HEAD", patches: patches, inputNotes: notes)
                    .findings.count)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}
