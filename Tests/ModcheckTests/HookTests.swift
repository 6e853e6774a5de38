import Foundation
import Workflows
import XCTest

/// The hooks, installed into real repositories and driven by real `git commit` / `git push`.
final class HookTests: ScratchTestCase {
    var binary: String { modcheckBinary }

    @discardableResult
    func sh(_ command: String, in dir: String, env: [String: String] = [:]) -> (status: Int32, output: String)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var environment = ProcessInfo.processInfo.environment
        environment["MODCHECK_RULES"] = PackagePaths.rules
        environment["MODCHECK"] = binary
        environment["XDG_CACHE_HOME"] = root + "/cache"
        environment["GIT_AUTHOR_NAME"] = "t"
        environment["GIT_AUTHOR_EMAIL"] = "t@example.invalid"
        environment["GIT_COMMITTER_NAME"] = "t"
        environment["GIT_COMMITTER_EMAIL"] = "t@example.invalid"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try? p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func workTree() throws -> String {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        let repo = root + "/work"
        _ = try c.buildRepository(at: repo)
        sh("git reset -q --hard", in: repo)
        return repo
    }

    /// Makes the SMMUv3-shaped driver tristate while it still uses builtin_platform_driver.
    func breakIt(_ repo: String) throws {
        let kconfig = repo + "/drivers/iommu/Kconfig"
        let text = try String(contentsOfFile: kconfig, encoding: .utf8)
        try text.replacingOccurrences(
            of: "\tbool \"ARM Ltd. System MMU Version 3", with: "\ttristate \"ARM Ltd. System MMU Version 3"
        )
        .write(toFile: kconfig, atomically: true, encoding: .utf8)
    }

    func testPreCommitRefusesABreakingCommitAndHonoursSkip() throws {
        let repo = try workTree()
        XCTAssertEqual(sh("\"$MODCHECK\" hook install --pre-commit", in: repo).status, 0)
        try breakIt(repo)
        sh("git add -A", in: repo)
        let refused = sh("git commit -q -m 'iommu/arm-smmu-v3: tristate'", in: repo)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("builtin-registration-in-module"), refused.output)
        XCTAssertTrue(refused.output.contains("required-export"), refused.output)
        let skipped = sh(
            "git commit -q -m 'iommu/arm-smmu-v3: tristate'", in: repo, env: ["MODCHECK_SKIP": "1"])
        XCTAssertEqual(skipped.status, 0, skipped.output)
        // A harmless commit passes.
        try "notes\n".write(toFile: repo + "/README", atomically: true, encoding: .utf8)
        sh("git add README", in: repo)
        let passed = sh("git commit -q -m docs", in: repo)
        XCTAssertEqual(passed.status, 0, passed.output)
    }

    /// A commit that only moves code in a driver (a comment) is answered from the facts of the
    /// file it touches (no model); one that adds a use of an unexported symbol is checked in full.
    func testPreCommitAnswersAFactFreeChangeWithoutAModel() throws {
        let repo = try workTree()
        XCTAssertEqual(sh("\"$MODCHECK\" hook install --pre-commit", in: repo).status, 0)
        let driver = repo + "/drivers/iommu/arm-smmu-v3.c"
        let text = try String(contentsOfFile: driver, encoding: .utf8)
        try ("/* A comment that moves every line below it. */\n" + text).write(
            toFile: driver, atomically: true, encoding: .utf8)
        sh("git add -A", in: repo)
        let moved = sh("git commit -q -m 'iommu/arm-smmu-v3: a comment'", in: repo, env: ["MODCHECK_TIMING": "1"])
        XCTAssertEqual(moved.status, 0, moved.output)
        XCTAssertTrue(moved.output.contains("staged changes change no fact"), moved.output)
        try "/* README */\n".write(toFile: repo + "/drivers/iommu/notes.h", atomically: true, encoding: .utf8)
        sh("git add -A", in: repo)
        let added = sh("git commit -q -m 'iommu: a header'", in: repo, env: ["MODCHECK_TIMING": "1"])
        XCTAssertEqual(added.status, 0, added.output)
        XCTAssertFalse(added.output.contains("change no fact"), "a file added is checked in full: \(added.output)")
    }

    func testPrePushRefusesThenPassesOnceFixed() throws {
        let repo = try workTree()
        let remote = root + "/remote.git"
        sh("git init -q --bare \(remote)", in: root)
        sh("git remote add origin \(remote) && git push -q origin HEAD:refs/heads/main", in: repo)
        sh("git fetch -q origin", in: repo)
        XCTAssertEqual(sh("\"$MODCHECK\" hook install --pre-push", in: repo).status, 0)
        try breakIt(repo)
        sh("git commit -q -a -m 'iommu/arm-smmu-v3: tristate'", in: repo)
        let refused = sh("git push -q origin HEAD:refs/heads/main", in: repo)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("builtin-registration-in-module"), refused.output)
        // Fixed in place (the driver goes back to bool): the pushed commit now introduces nothing.
        let kconfig = repo + "/drivers/iommu/Kconfig"
        let text = try String(contentsOfFile: kconfig, encoding: .utf8)
        try text.replacingOccurrences(
            of: "\ttristate \"ARM Ltd. System MMU Version 3", with: "\tbool \"ARM Ltd. System MMU Version 3"
        )
        .appending("# reviewed\n").write(toFile: kconfig, atomically: true, encoding: .utf8)
        sh("git commit -q -a --amend -m 'iommu: note'", in: repo)
        let pushed = sh("git push -q origin HEAD:refs/heads/main", in: repo)
        XCTAssertEqual(pushed.status, 0, pushed.output)
    }

    func testAnExistingHookIsNeverClobbered() throws {
        let repo = try workTree()
        let hook = repo + "/.git/hooks/pre-push"
        try "#!/bin/sh\necho mine\n".write(toFile: hook, atomically: true, encoding: .utf8)
        let refused = sh("\"$MODCHECK\" hook install --pre-push", in: repo)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.output.contains("--force"), refused.output)
        XCTAssertEqual(try String(contentsOfFile: hook, encoding: .utf8), "#!/bin/sh\necho mine\n")
        XCTAssertEqual(sh("\"$MODCHECK\" hook install --pre-push --force", in: repo).status, 0)
        XCTAssertEqual(
            try String(contentsOfFile: hook + ".modcheck-backup", encoding: .utf8), "#!/bin/sh\necho mine\n")
        XCTAssertTrue(try String(contentsOfFile: hook, encoding: .utf8).contains("hook run --pre-push"))
        // Re-installing over our own hook needs no --force.
        XCTAssertEqual(sh("\"$MODCHECK\" hook install --pre-push", in: repo).status, 0)
    }

    func testAHookThatCannotFindModcheckSaysSo() throws {
        let repo = try workTree()
        XCTAssertEqual(sh("\"$MODCHECK\" hook install --pre-commit", in: repo).status, 0)
        try "x\n".write(toFile: repo + "/README", atomically: true, encoding: .utf8)
        sh("git add README", in: repo)
        let r = sh(
            "git commit -q -m docs", in: repo,
            env: ["MODCHECK": "/nonexistent/modcheck", "PATH": "/usr/bin:/bin"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("modcheck not found"), r.output)
    }
}
