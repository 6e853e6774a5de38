import Foundation
import Git
import Workflows
import XCTest

/// End-to-end: the real binary on real repositories built with the Git layer.
final class CLITests: ScratchTestCase {
    var binary: String { modcheckBinary }

    @discardableResult
    func run(_ args: [String], stdin: String? = nil) -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args + ["--cache", root + "/cache"]
        p.environment = ProcessInfo.processInfo.environment.merging(["MODCHECK_RULES": PackagePaths.rules]) {
            _, new in new
        }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try? p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func seriesCase() throws -> (repo: String, patches: [String]) {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        let repo = root + "/repo"
        _ = try c.buildRepository(at: repo)
        return (repo, c.patchFiles)
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

    /// modcheck never writes to the repository it checks (cache outside, patches in memory).
    func testRepositoryIsUnchangedByEveryReadOnlySubcommand() throws {
        let (repo, patches) = try seriesCase()
        func snapshot() -> [String: String] {
            var out: [String: String] = [:]
            let walker = FileManager.default.enumerator(atPath: repo)
            while let rel = walker?.nextObject() as? String {
                let attrs = try? FileManager.default.attributesOfItem(atPath: repo + "/" + rel)
                out[rel] =
                    "\(attrs?[.size] ?? 0) \((attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
            }
            return out
        }
        let before = snapshot()
        Thread.sleep(forTimeInterval: 1.1)
        run(["tree", "--repo", repo])
        run(["series", "--repo", repo, "--base", "HEAD"] + patches)
        run(["changes", "--repo", repo, "--base", "HEAD"] + patches)
        run(["changes", "--repo", repo, "HEAD"])
        XCTAssertEqual(snapshot(), before)
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

    func testLogOverTheDemoHistory() throws {
        let (repo, _) = try seriesCase()
        let r = run(["log", "--repo", repo, "HEAD"])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.hasSuffix("total: 0 errors, 0 warnings\n"), r.out)
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
