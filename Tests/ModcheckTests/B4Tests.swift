import Foundation
import Workflows
import XCTest

/// modcheck run exactly as b4 runs its check commands: patch on stdin, cwd at the tree top; the
/// output classified with b4's rules (a stdout line with "ERROR:" fails, other stdout lines warn,
/// any stderr line fails, no output: the exit code decides).
final class B4Tests: ScratchTestCase {
    enum Verdict { case pass, warn, fail }

    func b4(_ args: [String], patch: String, cwd: String) -> (verdict: Verdict, stdout: String) {
        let r = runModcheck(["b4-check"] + args, stdin: Array(patch.utf8), cwd: cwd, cache: root + "/cache")
        let (o, e) = (r.out, r.err)
        // b4's LoreMessage.run_local_check classification.
        if !e.isEmpty { return (.fail, o) }
        let lines = o.split(separator: "\n")
        if lines.contains(where: { $0.contains("ERROR:") }) { return (.fail, o) }
        if !lines.isEmpty { return (.warn, o) }
        return (r.status == 0 ? .pass : .fail, o)
    }

    func setUpTree() throws -> (repo: String, patches: [String]) {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        let repo = root + "/tree"
        _ = try c.buildRepository(at: repo)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", repo, "reset", "-q", "--hard"]
        try git.run()
        git.waitUntilExit()
        return (repo, try c.patchFiles.map { try String(contentsOfFile: $0, encoding: .utf8) })
    }

    func testAmPerPatchCheck() throws {
        let (repo, patches) = try setUpTree()
        // b4 am: the patch is not applied yet. 5/7 alone breaks the build; 2/7 is clean.
        let breaking = b4([], patch: patches[5], cwd: repo)
        XCTAssertEqual(breaking.verdict, .fail, breaking.stdout)
        XCTAssertTrue(breaking.stdout.contains("ERROR:builtin-registration-in-module"), breaking.stdout)
        XCTAssertTrue(breaking.stdout.hasPrefix("-:"), breaking.stdout)
        XCTAssertEqual(b4([], patch: patches[2], cwd: repo).verdict, .pass)
        XCTAssertEqual(
            b4([], patch: patches[1], cwd: repo).verdict, .warn, "1/7 adds one plain export: a warning")
    }

    func testPrepPerPatchCheckFindsTheCommitInHead() throws {
        let (repo, _) = try setUpTree()
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        let am = Process()
        am.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        am.arguments =
            ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "am", "-q"]
            + c.patchFiles.dropFirst()
        try am.run()
        am.waitUntilExit()
        XCTAssertEqual(am.terminationStatus, 0)
        let patches = try c.patchFiles.map { try String(contentsOfFile: $0, encoding: .utf8) }
        // b4 prep: HEAD already holds the series; each patch is judged against its own parent.
        let five = b4([], patch: patches[5], cwd: repo)
        XCTAssertEqual(five.verdict, .fail, five.stdout)
        XCTAssertTrue(five.stdout.contains("ERROR:missing-ops-owner"), five.stdout)
        XCTAssertFalse(five.stdout.contains("builtin-registration"), "4/7 is in HEAD before it")
        XCTAssertEqual(b4([], patch: patches[3], cwd: repo).verdict, .pass)
    }

    func testReviewJSONProtocol() throws {
        let (repo, patches) = try setUpTree()
        let one = b4(["--review"], patch: patches[5], cwd: repo)
        let entries = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(entries[0]["tool"] as? String, "modcheck")
        XCTAssertEqual(entries[0]["status"] as? String, "fail")
        XCTAssertNotNil(entries[0]["summary"] as? String)
        let series = b4(["--review-series"], patch: patches.joined(separator: "\n"), cwd: repo)
        let all = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(series.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(all.count, 8, "the series, then each of its 7 patches")
        XCTAssertEqual(all[0]["status"] as? String, "fail")
        XCTAssertEqual(
            all.compactMap { $0["status"] as? String },
            ["fail", "warn", "pass", "pass", "warn", "fail", "warn", "fail"])
    }
}
