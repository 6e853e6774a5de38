import Facts
import Foundation
import Git
import Mail
import Workflows
import XCTest

/// End-to-end: the real binary on real repositories built with the Git layer.
final class CLITests: ScratchTestCase {

    @discardableResult
    func run(_ args: [String], stdin: String? = nil) -> (status: Int32, out: String, err: String) {
        runModcheck(args + ["--cache", root + "/cache"], stdin: stdin.map { Array($0.utf8) }, cache: root + "/cache")
    }

    func seriesCase() throws -> (repo: String, patches: [String]) {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        let repo = root + "/repo"
        _ = try c.buildRepository(at: repo)
        return (repo, c.patchFiles)
    }

    /// A diff of the corpus' arm-smmu-v3.c adding `line` to its platform driver's `.driver`.
    func driverHunk(adding line: String) -> String {
        """
        diff --git a/drivers/iommu/arm-smmu-v3.c b/drivers/iommu/arm-smmu-v3.c
        --- a/drivers/iommu/arm-smmu-v3.c
        +++ b/drivers/iommu/arm-smmu-v3.c
        @@ -130,6 +130,7 @@ static struct platform_driver arm_smmu_driver = {
         \t.driver\t= {
         \t\t.name\t\t= "arm-smmu-v3",
         \t\t.of_match_table\t= of_match_ptr(arm_smmu_of_match),
        +\(line)
         \t},
         \t.probe\t= arm_smmu_device_probe,
         \t.remove\t= arm_smmu_device_remove,

        """
    }

    func testSeriesExitCodesAndJSON() throws {
        let (repo, patches) = try seriesCase()
        let r = run(["series", "--repo", repo, "--base", "HEAD", "--format", "json"] + patches)
        XCTAssertEqual(r.status, 1, r.err)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertTrue(
            findings.contains {
                $0["rule"] as? String == "missing-ops-owner" && $0["patch"] as? String == "5/7"
            })
        XCTAssertTrue(r.err.isEmpty, r.err)
        // Patches 1-4 introduce only warnings: exit 0.
        let early = run(["series", "--repo", repo, "--base", "HEAD"] + Array(patches[1...4]))
        XCTAssertEqual(early.status, 0, early.out + early.err)
        XCTAssertTrue(early.out.hasSuffix("total: 0 errors, 2 warnings\n"), early.out)
    }

    /// A later patch that undoes a finding: the earlier patch's finding stays where it was
    /// introduced, marked `fixedBy`, for a state finding (SMMUv3 made bool again: no module, no
    /// missing owner) and an event (a restored `.suppress_bind_attrs`); the exit status counts
    /// only what the series leaves. The extra patch carries no M/T and is given last, so it
    /// applies after the series.
    func testFindingsFixedLaterInTheSeries() throws {
        let (repo, patches) = try seriesCase()
        let restore = root + "/0008-restore.patch"
        try """
            From: Dana Dev <d@example.invalid>
            Subject: [PATCH] iommu/arm-smmu-v3: keep it built in for now
            Message-Id: <restore@example.invalid>

            Signed-off-by: Dana Dev <d@example.invalid>
            ---
            diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig
            --- a/drivers/iommu/Kconfig
            +++ b/drivers/iommu/Kconfig
            @@ -26,7 +26,7 @@ config ARM_SMMU
             	  versions 1 and 2.
             
             config ARM_SMMU_V3
            -	tristate "ARM Ltd. System MMU Version 3 (SMMUv3) Support"
            +	bool "ARM Ltd. System MMU Version 3 (SMMUv3) Support"
             	depends on ARM64
             	select IOMMU_API
             	help
            \(driverHunk(adding: "\t\t.suppress_bind_attrs = true,"))
            """.write(toFile: restore, atomically: true, encoding: .utf8)
        // Patches 1-5, then the fix: every error and warning of 4/7 and 5/7 is fixed by 6/6.
        var r = run(["series", "--repo", repo, "--base", "HEAD", "--format", "json"] + Array(patches[1...5]) + [restore])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]]).filter { $0["severity"] as? String != "info" }
        func at(_ patch: String, _ rule: String) -> [String: Any]? {
            findings.first { $0["patch"] as? String == patch && $0["rule"] as? String == rule }
        }
        XCTAssertEqual(at("4/7", "forced-unbind")?["fixedBy"] as? String, "6/6", "\(findings)")
        XCTAssertEqual(at("4/7", "forced-unbind")?["fixedByMessageId"] as? String, "restore@example.invalid")
        XCTAssertEqual(at("5/7", "missing-ops-owner")?["fixedBy"] as? String, "6/6")
        XCTAssertEqual(at("5/7", "unbalanced-teardown")?["fixedBy"] as? String, "6/6")
        let plainExport = try XCTUnwrap(at("1/7", "export-gpl-consistency"), "\(findings)")
        XCTAssertNil(plainExport["fixedBy"], "a plain export the fix does not touch stays")
        let summary = try XCTUnwrap(json["summary"] as? [String: Any])
        XCTAssertEqual(summary["errors"] as? Int, 0)
        XCTAssertEqual(summary["fixedWithinSeries"] as? Int, 5)
        // Text says so.
        r = run(["series", "--repo", repo, "--base", "HEAD"] + Array(patches[1...5]) + [restore])
        XCTAssertTrue(r.out.contains("[missing-ops-owner] (fixed by 6/6)"), r.out)
        XCTAssertTrue(r.out.hasSuffix("total: 0 errors, 1 warning\n"), r.out)
    }

    /// An event stays open when a later patch touches its file without undoing it: the series so
    /// far is checked against its base by the rules of the open events, and the removed
    /// `.suppress_bind_attrs` of 4/7 (SMMUv3 still built in: an event, no state form) is still
    /// what the series does.
    func testAnEventStaysWhenALaterPatchTouchesItsFileWithoutUndoingIt() throws {
        let (repo, patches) = try seriesCase()
        let touch = root + "/0008-touch.patch"
        try """
            From: Dana Dev <d@example.invalid>
            Subject: [PATCH] iommu/arm-smmu-v3: say why unbinding is allowed
            Message-Id: <touch@example.invalid>

            Signed-off-by: Dana Dev <d@example.invalid>
            ---
            \(driverHunk(adding: "\t\t/* unbinding is allowed: the remove path tears down */"))
            """.write(toFile: touch, atomically: true, encoding: .utf8)
        let r = run(["series", "--repo", repo, "--base", "HEAD", "--format", "json"] + Array(patches[1...4]) + [touch])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out + r.err)
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        let event = try XCTUnwrap(
            findings.first { $0["patch"] as? String == "4/7" && $0["rule"] as? String == "forced-unbind" }, "\(findings)")
        XCTAssertNil(event["fixedBy"], "\(event)")
        XCTAssertTrue(
            findings.contains { $0["rule"] as? String == "export-gpl-consistency" && $0["fixedBy"] == nil }, "\(findings)")
    }

    /// A patch posted as plain `diff -u` output (quilt, the stable queue: no `diff --git` or
    /// `index` lines) is checked as its git form is.
    func testAPlainUnifiedDiffIsCheckedAsItsGitForm() throws {
        let (repo, patches) = try seriesCase()
        let plain = root + "/0001-plain.patch"
        let git = try String(contentsOfFile: patches[1], encoding: .utf8)
        try git.components(separatedBy: "\n").filter { !$0.hasPrefix("diff --git ") && !$0.hasPrefix("index ") }
            .joined(separator: "\n").write(toFile: plain, atomically: true, encoding: .utf8)
        let want = run(["series", "--repo", repo, "--base", "HEAD", patches[1]])
        let got = run(["series", "--repo", repo, "--base", "HEAD", plain])
        XCTAssertEqual(got.status, want.status, got.out + got.err)
        XCTAssertEqual(got.out, want.out)
        XCTAssertTrue(want.out.contains("export-gpl-consistency"), want.out)
    }

    func testMboxOnStdinWithAReplyInTheMiddle() throws {
        let (repo, patches) = try seriesCase()
        var mbox = ""
        for (i, path) in patches[1...3].enumerated() {
            mbox +=
                "From corpus Mon Sep 17 00:00:00 2001\n"
                + (try String(contentsOfFile: path, encoding: .utf8)).split(separator: "\n", maxSplits: 1)[1]
                + "\n"
            if i == 0 {
                mbox +=
                    "From corpus Mon Sep 17 00:00:00 2001\nFrom: r@example.invalid\nSubject: Re: [PATCH 1/7] x\n\nLooks good.\n\n"
            }
        }
        let r = run(["series", "--repo", repo, "--base", "HEAD", "-"], stdin: mbox)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("[1/7]") && r.out.contains("[3/7]"), r.out)
        XCTAssertTrue(r.out.contains("without a diff"), r.out)
    }

    func testPatchThatDoesNotApplyIsReportedAndTheSeriesContinues() throws {
        let (repo, patches) = try seriesCase()
        // 7/7 before 6/7 is given: 7 does not apply without 6, and is checked patch-locally where it can be.
        let r = run(["series", "--repo", repo, "--base", "HEAD", patches[7], patches[1]])
        XCTAssertTrue(r.out.contains("does not apply"), r.out)
        XCTAssertTrue(r.out.contains("drivers/iommu/Kconfig: hunk 1"), r.out)
        XCTAssertTrue(r.out.contains("[1/7]"), r.out)
    }

    /// `cache stats` lists the generation a run wrote; `cache prune` drops a stale generation and
    /// keeps the bound; a bad size is a usage error; the next run works on the pruned cache.
    func testCacheStatsAndPrune() throws {
        let (repo, patches) = try seriesCase()
        XCTAssertEqual(run(["series", "--repo", repo, "--base", "HEAD"] + patches).status, 1)
        let stale = root + "/cache/facts-v1-scanner1"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: stale + "/00.pack"))
        let stats = run(["cache", "stats", "--format", "json"])
        XCTAssertEqual(stats.status, 0, stats.err)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any])
        let generations = try XCTUnwrap(json["generations"] as? [[String: Any]])
        XCTAssertEqual(generations.count, 2, stats.out)
        XCTAssertEqual(generations.filter { $0["current"] as? Bool == true }.count, 1)
        XCTAssertGreaterThan(generations.first { $0["current"] as? Bool == true }?["bytes"] as? Int ?? 0, 0)
        XCTAssertTrue(run(["cache", "stats"]).out.contains("facts-v1-scanner1"))

        let pruned = run(["cache", "prune"])
        XCTAssertEqual(pruned.status, 0, pruned.err)
        XCTAssertTrue(pruned.out.contains("removed 1 unused generation(s) (facts-v1-scanner1)"), pruned.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
        let tight = run(["cache", "prune", "--max-size", "1K"])
        XCTAssertEqual(tight.status, 0, tight.err)
        let left = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(run(["cache", "stats", "--format", "json"]).out.utf8)) as? [String: Any])
        XCTAssertLessThanOrEqual(left["bytes"] as? Int ?? .max, 1024)
        let bad = run(["cache", "prune", "--max-size", "lots"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("--max-size 'lots'"), bad.err)
        XCTAssertEqual(run(["series", "--repo", repo, "--base", "HEAD"] + patches).status, 1, "works on a pruned cache")
    }

    /// Runs killed (SIGKILL) at points all through their work, then runs sharing one cache at
    /// once: every later report has the findings of a run without a cache.
    func testKilledAndConcurrentRunsLeaveAUsableCache() throws {
        let (repo, patches) = try seriesCase()
        let args = ["series", "--repo", repo, "--base", "HEAD", "--format", "json"] + patches
        func findings(_ out: String) throws -> String {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], out)
            let data = try JSONSerialization.data(withJSONObject: json["findings"] ?? [], options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        let reference = try findings(runModcheck(args + ["--no-cache"], cache: root + "/none").out)
        let cache = root + "/shared"
        for delay in [5, 20, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: modcheckBinary)
            p.arguments = args + ["--cache", cache]
            p.environment = ProcessInfo.processInfo.environment.merging(["MODCHECK_RULES": PackagePaths.rules]) { _, new in new }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(useconds_t(delay * 1000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let next = runModcheck(args + ["--cache", cache], cache: cache)
            XCTAssertEqual(next.status, 1, next.err)
            XCTAssertEqual(try findings(next.out), reference, "after a run killed at \(delay) ms")
        }
        // Two runs at once on a fresh cache, then one reading what both wrote.
        let fresh = root + "/fresh"
        let results = ParallelSlots<(status: Int32, out: String, err: String)>(count: 2)
        defer { results.free() }
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results.set(i, runModcheck(args + ["--cache", fresh], cache: fresh))
        }
        for i in 0..<2 {
            let r = try XCTUnwrap(results.get(i))
            XCTAssertEqual(r.status, 1, r.err)
            XCTAssertEqual(try findings(r.out), reference)
        }
        let after = runModcheck(args + ["--cache", fresh], cache: fresh)
        XCTAssertEqual(try findings(after.out), reference)
        XCTAssertFalse(after.out.contains("damaged cache shard"), after.out)
    }

    /// `--version` names modcheck, libgit2 and the rule set; JSON and SARIF reports carry the same.
    func testVersionInTheCommandLineAndTheReports() throws {
        let version = run(["--version"])
        XCTAssertEqual(version.status, 0, version.err)
        let lines = version.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, version.out)
        XCTAssertTrue(lines[0].hasPrefix("modcheck "), version.out)
        XCTAssertTrue(lines[1].hasPrefix("libgit2 1."), version.out)
        XCTAssertNotNil(lines[2].range(of: #"^rules [0-9a-f]{12} \(13 rules\)$"#, options: .regularExpression), version.out)
        let (repo, _) = try seriesCase()
        let json = run(["tree", "--repo", repo, "--format", "json"])
        let summary = try XCTUnwrap(
            (JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])?["summary"] as? [String: Any])
        let tool = try XCTUnwrap(summary["tool"] as? [String: String], json.out)
        XCTAssertEqual("modcheck \(tool["modcheck"] ?? "")", lines[0])
        XCTAssertEqual("libgit2 \(tool["libgit2"] ?? "")", lines[1])
        XCTAssertEqual("rules \(tool["rules"] ?? "")", lines[2])
        let sarif = run(["tree", "--repo", repo, "--format", "sarif"])
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sarif.out.utf8)) as? [String: Any])
        let driver = try XCTUnwrap(
            (((log["runs"] as? [[String: Any]])?.first?["tool"] as? [String: Any])?["driver"]) as? [String: Any])
        XCTAssertEqual(driver["version"] as? String, tool["modcheck"])
        XCTAssertEqual((driver["properties"] as? [String: String])?["rules"], tool["rules"])
        // Another rule set is another version.
        let rules = root + "/rules"
        try FileManager.default.copyItem(atPath: PackagePaths.rules, toPath: rules)
        try "# a comment\n".appendingToFile(rules + "/forced-unbind.yaml")
        let other = run(["tree", "--repo", repo, "--format", "json", "--rules", rules])
        XCTAssertFalse(other.out.contains(tool["rules"] ?? "-"), "a changed rule file changes the rules version")
    }

    /// `series --format mail` on the series as mail: an mbox of replies on stdout, or files with
    /// --output-dir; a second run with the same cache answers nothing again; format-patch files
    /// (no Message-Id) get a note instead.
    func testSeriesRepliesAsMail() throws {
        let (repo, patches) = try seriesCase()
        var mbox = ""
        for (i, path) in patches.enumerated() {
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.replacingOccurrences(of: "\nSubject: ", with: "\nMessage-Id: <s-\(i)@example.invalid>\nCc: list@example.invalid\nSubject: ", options: [], range: text.range(of: "\nSubject: "))
            mbox += text.hasSuffix("\n") ? text : text + "\n"
        }
        try mbox.write(toFile: root + "/series.mbx", atomically: true, encoding: .utf8)
        let first = run(["series", "--repo", repo, "--base", "HEAD", "--format", "mail", root + "/series.mbx"])
        XCTAssertEqual(first.status, 1, first.err)
        let replies = PatchInput.read(path: "out", bytes: Array(first.out.utf8)).messages
        XCTAssertFalse(replies.isEmpty, first.out + first.err)
        XCTAssertTrue(replies.allSatisfy { ($0.inReplyTo ?? "").hasPrefix("s-") }, first.out)
        XCTAssertTrue(replies.allSatisfy { ($0.header("cc") ?? "").contains("list@example.invalid") })
        let again = run(["series", "--repo", repo, "--base", "HEAD", "--format", "mail", root + "/series.mbx"])
        XCTAssertEqual(again.out, "", "answered once")
        let files = run(["series", "--repo", repo, "--base", "HEAD", "--format", "mail", "--output-dir", root + "/out", "--no-cache", root + "/series.mbx"])
        XCTAssertTrue(files.err.contains("\(replies.count) repl"), files.err)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/out").count, replies.count)
        let plain = run(["series", "--repo", repo, "--base", "HEAD", "--format", "mail", "--no-cache"] + patches)
        XCTAssertEqual(plain.out, "")
        XCTAssertTrue(plain.err.contains("carry no Message-Id"), plain.err)
        let misuse = run(["series", "--repo", repo, "--base", "HEAD", "--output-dir", root + "/x"] + patches)
        XCTAssertEqual(misuse.status, 2)
    }

    /// A tree checked before is read back from its report snapshot: the same bytes; another
    /// scope, rule set or tree is another report; a damaged snapshot is noted and made again.
    func testTreeReportSnapshots() throws {
        let (repo, _) = try seriesCase()
        let args = ["tree", "--repo", repo, "--format", "json"]
        let cold = run(args)
        let generation = root + "/cache/" + CacheHousekeeping.currentGeneration
        let reports = try FileManager.default.contentsOfDirectory(atPath: generation).filter { $0.hasSuffix(".report") }
        XCTAssertEqual(reports.count, 1)
        let warm = run(args)
        XCTAssertEqual(warm.out, cold.out)
        XCTAssertEqual(warm.status, cold.status)
        XCTAssertEqual(run(args + ["--no-cache"]).out, cold.out)
        let wider = run(args + ["--scope", "drivers"])
        XCTAssertNotEqual(wider.out, cold.out, "another scope, another report")
        XCTAssertEqual(wider.out, run(args + ["--scope", "drivers", "--no-cache"]).out)
        let rules = root + "/rules-copy"
        try FileManager.default.copyItem(atPath: PackagePaths.rules, toPath: rules)
        try FileManager.default.removeItem(atPath: rules + "/forced-unbind.yaml")
        let fewer = run(args + ["--rules", rules])
        XCTAssertEqual(fewer.out, run(args + ["--rules", rules, "--no-cache"]).out, "another rule set, another report")
        // Damaged: noted once, the findings unchanged, then clean again.
        let path = generation + "/" + reports[0]
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0x5a
        try bytes.write(to: URL(fileURLWithPath: path))
        let rebuilt = runModcheck(
            args + ["--cache", root + "/cache"], cache: root + "/cache", environment: ["MODCHECK_REBUILD": "1"])
        XCTAssertEqual(rebuilt.out, cold.out, "MODCHECK_REBUILD builds the model and reads no kept report")
        try bytes.write(to: URL(fileURLWithPath: path))
        let repaired = run(args)
        XCTAssertTrue(repaired.out.contains("damaged snapshot"), repaired.out)
        XCTAssertEqual(run(args).out, cold.out)
    }

    func testBadInputExitsWithTwoAndNamesTheFile() throws {
        let (repo, _) = try seriesCase()
        let empty = root + "/empty.patch"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let binary = root + "/binary.patch"
        try
            "From: a@b\nSubject: [PATCH] bin\n\ndiff --git a/x.bin b/x.bin\nindex 1111111..2222222 100644\nBinary files a/x.bin and b/x.bin differ\n"
            .write(
                toFile: binary, atomically: true, encoding: .utf8)
        var r = run(["series", "--repo", repo, "--base", "HEAD", empty])
        XCTAssertEqual(r.status, 2)
        r = run(["series", "--repo", repo, "--base", "HEAD", root + "/missing.patch"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("missing.patch"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line")
        r = run(["series", "--repo", repo, "--base", "HEAD", binary])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("binary"), r.err)
        r = run(["tree", "--repo", root + "/not-a-repo"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("not-a-repo"), r.err)
        r = run(["tree", "--repo", repo, "--rev", "no-such-rev"])
        XCTAssertEqual(r.status, 2)
        r = run(["series", "--repo", repo])
        XCTAssertEqual(r.status, 2, "usage error")
        XCTAssertEqual(r.err, "modcheck: Missing expected argument '--base <base>' (see 'modcheck series --help')\n")
        // Every usage error is one line naming what to read, like every other input error.
        for args in [["frob"], ["tree", "--format", "xml"], ["triage", "--since", "yesterday-ish"], ["log", "--bogus"]] {
            r = run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line for \(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("modcheck: ") && r.err.contains("--help')"), r.err)
        }
        r = run(["explain", "no-such-rule"])
        XCTAssertEqual(r.status, 2)
        let badRules = root + "/rules"
        try FileManager.default.createDirectory(atPath: badRules, withIntermediateDirectories: true)
        try "id: x\nseverity: fatal\n".write(toFile: badRules + "/x.yaml", atomically: true, encoding: .utf8)
        r = run(["rules", "--rules", badRules])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("x.yaml") && r.err.contains("severity"), r.err)
    }

    func testTreeChangesRulesExplainAndSARIF() throws {
        let (repo, patches) = try seriesCase()
        var r = run(["tree", "--repo", repo])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasSuffix("total: 0 errors, 0 warnings\n"), r.out)
        r = run(["changes", "--repo", repo, "--base", "HEAD"] + patches)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("ARM_SMMU_V3: bool → tristate"), r.out)
        XCTAssertTrue(
            r.out.contains("builtin_platform_driver → module_platform_driver (arm_smmu_driver)"), r.out)
        XCTAssertTrue(
            r.out.contains("new config ARM_SMMU_LEGACY_DT_BINDINGS (bool, depends on ARM_SMMU=y && OF)"),
            r.out)
        r = run(["rules"])
        XCTAssertEqual(r.out.split(separator: "\n").count, 13)
        r = run(["explain", "required-export"])
        XCTAssertTrue(r.out.contains("Why (the incident)") && r.out.contains("Triggering examples"), r.out)
        r = run(["series", "--repo", repo, "--base", "HEAD", "--format", "sarif"] + patches)
        let sarif = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(sarif["version"] as? String, "2.1.0")
    }

    /// Every entry under `path`, `.git` included: a directory's mode; a file's mode, mtime and
    /// bytes; a symlink's target. Equal snapshots mean the refs, HEAD, index, packed-refs, config,
    /// objects and work tree are byte for byte what they were, and nothing was even rewritten with
    /// the same bytes (git's "freshen" touches mtimes).
    func byteSnapshot(_ path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: path) else { return out }
        for case let relative as String in walker {
            let full = path + "/" + relative
            let a = try fm.attributesOfItem(atPath: full)
            let mode = (a[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
            switch a[.type] as? FileAttributeType {
            case .typeDirectory?:
                out[relative] = "dir \(mode)"
            case .typeSymbolicLink?:
                out[relative] = "link " + ((try? fm.destinationOfSymbolicLink(atPath: full)) ?? "?")
            default:
                let mtime = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
                let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
                out[relative] = "file \(mode) \(mtime) \(bytes.base64EncodedString())"
            }
        }
        return out
    }

    /// What differs between two snapshots, for a readable failure.
    func difference(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted().map { key in
            "\(key): \(a[key].map { String($0.prefix(60)) } ?? "absent") -> \(b[key].map { String($0.prefix(60)) } ?? "absent")"
        }
    }

    /// A repository in every state modcheck reads: packed and loose objects, packed-refs, a tag,
    /// a remote-tracking branch, staged and unstaged changes and an untracked file; all mtimes
    /// set to 2001 so that any rewrite shows.
    func busyRepository() throws -> (repo: String, patches: [String]) {
        let (repo, patches) = try seriesCase()
        let git = { (args: [String]) in XCTAssertEqual(runGit(args, in: repo).status, 0, "git \(args)") }
        git(["reset", "-q", "--hard"])
        try "notes\n".write(toFile: repo + "/README", atomically: true, encoding: .utf8)
        git(["add", "README"])
        git(["commit", "-q", "-m", "docs: README"])
        git(["tag", "v0.1", "HEAD~1"])
        git(["update-ref", "refs/remotes/origin/main", "HEAD~1"])
        git(["gc", "-q"])
        try "more notes\n".write(toFile: repo + "/README", atomically: true, encoding: .utf8)
        git(["commit", "-q", "-a", "-m", "docs: more"])
        let kconfig = repo + "/drivers/iommu/Kconfig"
        try (try String(contentsOfFile: kconfig, encoding: .utf8)).replacingOccurrences(
            of: "\tbool \"ARM Ltd. System MMU Version 3", with: "\ttristate \"ARM Ltd. System MMU Version 3"
        ).write(toFile: kconfig, atomically: true, encoding: .utf8)
        git(["add", "drivers/iommu/Kconfig"])
        try "unstaged\n".write(toFile: repo + "/README", atomically: true, encoding: .utf8)
        try "untracked\n".write(toFile: repo + "/untracked.txt", atomically: true, encoding: .utf8)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo + "/.git/packed-refs"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo + "/.git/index"))
        age(repo)
        return (repo, patches)
    }

    func age(_ path: String) {
        let fm = FileManager.default
        for case let relative as String in fm.enumerator(atPath: path) ?? FileManager.DirectoryEnumerator() {
            try? fm.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)], ofItemAtPath: path + "/" + relative)
        }
    }

    /// A public-inbox v2 epoch: one commit per message, each adding the message as blob `m`.
    func inbox(_ messages: [String]) throws -> String {
        let path = root + "/inbox.git"
        let repo = try Repository.create(at: path, bare: true)
        var parents: [ObjectID] = []
        for text in messages {
            let tree = try repo.writeTree(files: ["m": Array(text.utf8)])
            parents = [
                try repo.createCommit(tree: tree, parents: parents, message: "m", author: Fixtures.author, updateRef: "HEAD")
            ]
        }
        age(path)
        return path
    }

    /// modcheck never writes to the repository it checks (cache outside, patches in memory):
    /// every subcommand, in every input mode, leaves the repository (and a public-inbox archive
    /// it reads) byte for byte as it was.
    func testRepositoryIsUnchangedByEverySubcommand() throws {
        let (repo, patches) = try busyRepository()
        let texts = try patches.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let mboxText = texts.map { "From mboxrd@z Thu Jan  1 00:00:00 1970\n" + $0.split(separator: "\n", maxSplits: 1)[1] + "\n" }
            .joined()
        let mbox = root + "/series.mbox"
        try mboxText.write(toFile: mbox, atomically: true, encoding: .utf8)
        let archive = try inbox(texts.enumerated().map { i, t in
            "Message-Id: <p\(i)@example.invalid>\n" + t.split(separator: "\n", maxSplits: 1)[1]
        })
        let config = root + "/dot-config"
        try "CONFIG_ARM64=y\nCONFIG_IOMMU_SUPPORT=y\nCONFIG_ARM_SMMU_V3=m\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let head = runGit(["rev-parse", "HEAD"], in: repo).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let zero = String(repeating: "0", count: 40)

        let before = try byteSnapshot(repo)
        let inboxBefore = try byteSnapshot(archive)
        var ran: [String] = []
        func check(_ args: [String], stdin: String? = nil, cwd: String? = nil, allowed: Set<Int32> = [0, 1]) {
            let r = runModcheck(args + ["--cache", root + "/cache"], stdin: stdin.map { Array($0.utf8) }, cwd: cwd, cache: root + "/cache")
            XCTAssertTrue(allowed.contains(r.status), "\(args): \(r.status) \(r.err.prefix(300))")
            ran.append(args.prefix(2).joined(separator: " "))
        }
        func plain(_ args: [String], cwd: String, allowed: Set<Int32> = [0]) {
            // rules, explain and demo take no --cache: run them from inside the repository.
            let r = runModcheck(args, cwd: cwd, cache: root + "/cache")
            XCTAssertTrue(allowed.contains(r.status), "\(args): \(r.status) \(r.err.prefix(300))")
            ran.append(args.prefix(2).joined(separator: " "))
        }
        for format in ["text", "json", "sarif", "markdown"] { check(["tree", "--repo", repo, "--format", format]) }
        check(["tree"], cwd: repo)
        check(["tree", "--repo", repo, "--rev", "v0.1", "--config", config, "--max-file-size", "1K"])
        check(["changes", "--repo", repo, "HEAD~2..HEAD"])
        check(["changes", "--repo", repo, "--base", "HEAD", "--format", "json"] + patches)
        check(["series", "--repo", repo, "--base", "HEAD"] + patches)
        check(["series", "--repo", repo, "--base", "v0.1", mbox, "--format", "sarif"])
        check(["series", "--repo", repo, "--base", "HEAD", "-"], stdin: mboxText)
        check(["log", "--repo", repo, "HEAD~2..HEAD", "--format", "json"])
        check(["log", "HEAD", "--all-parents", "--scan-time-limit", "5"], cwd: repo)
        check(["hook", "run", "--pre-commit"], cwd: repo)
        check(["hook", "run", "--pre-push", "origin", "file:///nowhere"], stdin: "refs/heads/main \(head) refs/heads/main \(zero)\n", cwd: repo)
        check(["b4-check"], stdin: texts[5], cwd: repo)
        check(["b4-check", "--review"], stdin: texts[5], cwd: repo)
        check(["b4-check", "--review-series"], stdin: mboxText, cwd: repo)
        check(["triage", "--repo", repo, mbox])
        check(["triage", "--repo", repo, archive, "--format", "json"])
        // Input errors write nothing either.
        check(["tree", "--repo", repo, "--rev", "no-such-revision"], allowed: [2])
        check(["series", "--repo", repo, "--base", "HEAD", root + "/missing.patch"], allowed: [2])
        plain(["rules"], cwd: repo)
        plain(["explain", "required-export"], cwd: repo)
        plain(["demo", "--at", root + "/demo"], cwd: repo, allowed: [1])

        XCTAssertEqual(difference(before, try byteSnapshot(repo)), [], "changed by: \(Set(ran).sorted())")
        XCTAssertEqual(difference(inboxBefore, try byteSnapshot(archive)), [])
        XCTAssertEqual(
            Set(ran.map { $0.split(separator: " ")[0] }),
            ["tree", "changes", "series", "log", "hook", "b4-check", "triage", "rules", "explain", "demo"],
            "every subcommand but hook install (tested apart)")
    }

    /// `hook install`, the one subcommand that writes to the repository, adds the hook file and
    /// nothing else.
    func testHookInstallOnlyAddsTheHook() throws {
        let (repo, _) = try busyRepository()
        for kind in ["pre-push", "pre-commit"] {
            let before = try byteSnapshot(repo)
            let r = runModcheck(["hook", "install", "--" + kind, "--repo", repo], cache: root + "/cache")
            XCTAssertEqual(r.status, 0, r.err)
            let changed = difference(before, try byteSnapshot(repo))
            let hooksExisted = before[".git/hooks"] != nil
            XCTAssertEqual(
                changed.map { String($0.prefix { $0 != ":" }) },
                (hooksExisted ? [] : [".git/hooks"]) + [".git/hooks/" + kind], "\(changed)")
            XCTAssertTrue(changed.last?.contains("absent -> file 755") ?? false, "\(changed)")
        }
    }
}

extension CLITests {
    /// `--config` evaluates one concrete .config instead of the worst case.
    func testConcreteConfigDecidesWhatIsModular() throws {
        let (repo, patches) = try seriesCase()
        let config = root + "/dot-config"
        try "CONFIG_ARM64=y\nCONFIG_MMU=y\nCONFIG_IOMMU_SUPPORT=y\nCONFIG_ARM_SMMU_V3=y\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        // With SMMUv3 built in, making it tristate (5/7) introduces nothing error-level.
        var r = run(["series", "--repo", repo, "--base", "HEAD", "--config", config] + Array(patches[1...5]))
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertFalse(r.out.contains("missing-ops-owner"), r.out)
        try "CONFIG_ARM64=y\nCONFIG_MMU=y\nCONFIG_IOMMU_SUPPORT=y\nCONFIG_ARM_SMMU_V3=m\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        r = run(["series", "--repo", repo, "--base", "HEAD", "--config", config] + Array(patches[1...5]))
        XCTAssertEqual(r.status, 1, r.out + r.err)
        XCTAssertTrue(r.out.contains("missing-ops-owner"), r.out)
        try "CONFIG_ARM64=y\nthis is not a config line\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        r = run(["tree", "--repo", repo, "--config", config])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("dot-config:2"), r.err)
    }

    func testChangesAsJSON() throws {
        let (repo, patches) = try seriesCase()
        let r = run(["changes", "--repo", repo, "--base", "HEAD", "--format", "json"] + patches)
        XCTAssertEqual(r.status, 0, r.err)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let steps = try XCTUnwrap(json["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.count, 7)
        let flips = steps.flatMap { ($0["changes"] as? [[String: Any]]) ?? [] }.filter {
            $0["kind"] as? String == "kconfig-type"
        }
        XCTAssertEqual(flips.compactMap { $0["symbol"] as? String }, ["ARM_SMMU_V3", "ARM_SMMU"])
        XCTAssertEqual(flips.first?["before"] as? String, "bool")
        XCTAssertEqual(flips.first?["after"] as? String, "tristate")
    }

    /// The demo history is one root commit: compared with the empty tree, it introduces what
    /// its tree holds (the base's two plain exports beside GPL ones: warnings, exit 0).
    func testLogOverTheDemoHistory() throws {
        let (repo, _) = try seriesCase()
        let r = run(["log", "--repo", repo, "HEAD"])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.hasSuffix("total: 0 errors, 2 warnings\n"), r.out)
        XCTAssertEqual(r.out.components(separatedBy: "[export-gpl-consistency]").count, 3, r.out)
    }
}

extension CLITests {
    /// `--kmi-symbol-list`: a modular driver may only use exports the GKI symbol list carries.
    func testKMISymbolList() throws {
        let (repo, patches) = try seriesCase()
        let list = root + "/abi_symbol_list"
        try """
        [abi_symbol_list]
        # core IOMMU API
          iommu_device_register
        iommu_device_sysfs_add
        """.write(toFile: list, atomically: true, encoding: .utf8)
        let r = run(
            ["series", "--repo", repo, "--base", "HEAD", "--kmi-symbol-list", list, "--format", "json"]
                + Array(patches[1...5]))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let symbols = Set(
            (json["findings"] as? [[String: Any]] ?? []).filter { $0["rule"] as? String == "required-export" }
                .compactMap { $0["symbol"] as? String })
        XCTAssertTrue(symbols.contains("iommu_device_link"), "\(symbols)")
        XCTAssertTrue(symbols.contains("pci_ats_disabled"), "\(symbols)")
        XCTAssertFalse(symbols.contains("iommu_device_register"), "in the list")
        XCTAssertFalse(symbols.contains("iommu_device_sysfs_add"), "in the list")
        XCTAssertTrue(r.out.contains("not in the KMI symbol list"), r.out)
        XCTAssertEqual(run(["tree", "--repo", repo, "--kmi-symbol-list", root + "/missing-list"]).status, 2)
    }
}

extension CLITests {
    /// `.modcheck.yaml`: severity overrides, suppressions with reasons, unused ones reported.
    func testRepositoryPolicy() throws {
        let (repo, patches) = try seriesCase()
        try """
        severity:
          forced-unbind: error
        suppress:
          - rule: missing-ops-owner
            module: drivers/iommu/arm-smmu-v3.ko
            reason: the downstream core pins ops through its own wrapper
          - rule: required-export
            symbol: never_used_anywhere
            reason: left over from an old branch
        """.write(toFile: repo + "/.modcheck.yaml", atomically: true, encoding: .utf8)
        let r = run(["series", "--repo", repo, "--base", "HEAD", "--format", "json"] + Array(patches[1...5]))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let findings = json["findings"] as? [[String: Any]] ?? []
        XCTAssertFalse(findings.contains { $0["rule"] as? String == "missing-ops-owner" }, "suppressed")
        XCTAssertTrue(
            findings.contains {
                $0["rule"] as? String == "forced-unbind" && $0["severity"] as? String == "error"
            })
        XCTAssertTrue(
            r.out.contains("unused suppression in .modcheck.yaml: required-export never_used_anywhere"), r.out
        )
        try "suppress:\n  - rule: required-export\n    symbol: x\n".write(
            toFile: repo + "/.modcheck.yaml", atomically: true, encoding: .utf8)
        let bad = run(["tree", "--repo", repo])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains(".modcheck.yaml") && bad.err.contains("reason"), bad.err)
    }
}

extension String {
    func appendingToFile(_ path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
