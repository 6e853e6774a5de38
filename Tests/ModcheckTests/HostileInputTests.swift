import Foundation
import Git
import Workflows
import XCTest

/// Hostile repositories and inputs, end to end through the real binary. Each case must give a
/// clear message naming the file or object (exit 2 when nothing sensible can be checked, a note
/// when the rest still can), never crash, and finish in bounded time: every run here is timed.
final class HostileInputTests: ScratchTestCase {
    var cache: String { root + "/cache" }
    var patches: [String] = []

    /// Runs modcheck and fails the test when it crashed or took longer than `seconds`.
    @discardableResult
    func modcheck(
        _ args: [String], stdin: [UInt8]? = nil, cwd: String? = nil, seconds: Double = 10,
        file: StaticString = #filePath, line: UInt = #line
    ) -> (status: Int32, out: String, err: String) {
        let start = Date()
        let r = runModcheck(args + ["--cache", cache], stdin: stdin, cwd: cwd, cache: cache)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, seconds, "modcheck \(args.joined(separator: " "))", file: file, line: line)
        XCTAssertTrue([0, 1, 2].contains(r.status), "crashed (\(r.status)): \(r.err.prefix(600))", file: file, line: line)
        XCTAssertFalse(r.err.contains("Fatal error") || r.err.contains("Program crashed"), r.err, file: file, line: line)
        return r
    }

    /// Asserts a usage/input error: exit 2 and one stderr line containing every `words`.
    func assertInputError(
        _ r: (status: Int32, out: String, err: String), _ words: [String], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(r.status, 2, r.out + r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)", file: file, line: line)
        for w in words { XCTAssertTrue(r.err.contains(w), "'\(w)' in: \(r.err)", file: file, line: line) }
    }

    /// The SMMU corpus base as a repository with a work tree and index (git reset), HEAD = base.
    func baseRepository(_ name: String = "repo") throws -> String {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        patches = c.patchFiles
        let repo = root + "/" + name
        _ = try c.buildRepository(at: repo)
        runGit(["reset", "-q", "--hard"], in: repo)
        return repo
    }

    /// Commits `files` (and symlinks) on top of HEAD with the Git layer; returns the commit.
    @discardableResult
    func commit(
        _ repo: String, files: [String: [UInt8]], symlinks: [String: String] = [:], message: String = "hostile"
    ) throws -> ObjectID {
        let r = try Repository.open(repo, inMemoryWrites: false)
        let head = try r.resolveCommit("HEAD")
        var changes: [String: ObjectID?] = [:]
        var modes: [String: UInt32] = [:]
        for (path, bytes) in files { changes[path] = try r.writeBlob(bytes) }
        for (path, target) in symlinks {
            changes[path] = try r.writeBlob(Array(target.utf8))
            modes[path] = 0o120000
        }
        let tree = try r.updatedTree(base: try r.tree(ofCommit: head), changes: changes, modes: modes)
        return try r.createCommit(
            tree: tree, parents: [head], message: message, author: Fixtures.author, updateRef: "HEAD")
    }

    func blob(_ repo: String, _ path: String, at revision: String = "HEAD") throws -> ObjectID {
        let r = try Repository.open(repo)
        return try XCTUnwrap(try r.blobID(tree: try r.tree(ofCommit: try r.resolveCommit(revision)), path: path))
    }

    func looseObject(_ repo: String, _ id: ObjectID) -> String {
        let hex = id.hex
        return repo + "/.git/objects/" + hex.prefix(2) + "/" + hex.dropFirst(2)
    }

    // MARK: Repository damage

    /// A blob gone from the object store: that file is not scanned (a note naming it and the
    /// object); a tree gone: nothing can be checked, exit 2 naming the repository and the object.
    func testMissingObjects() throws {
        let repo = try baseRepository()
        let smmu = try blob(repo, "drivers/iommu/arm-smmu.c")
        try FileManager.default.removeItem(atPath: looseObject(repo, smmu))
        let r = modcheck(["tree", "--repo", repo])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(
            r.out.contains("note: drivers/iommu/arm-smmu.c: blob \(smmu.hex) is missing from the object store"),
            r.out)
        XCTAssertEqual(r.out.components(separatedBy: "is missing").count, 2, "reported once: \(r.out)")

        let r2 = try Repository.open(repo)
        let iommuTree = try XCTUnwrap(
            try r2.entryID(tree: try r2.tree(ofCommit: try r2.resolveCommit("HEAD")), path: "drivers/iommu"))
        try FileManager.default.removeItem(atPath: looseObject(repo, iommuTree))
        for args in [
            ["tree", "--repo", repo], ["log", "--repo", repo, "HEAD"], ["changes", "--repo", repo, "HEAD"],
            ["series", "--repo", repo, "--base", "HEAD", patches[1]],
            ["changes", "--repo", repo, "--base", "HEAD", patches[1]],
            ["hook", "run", "--pre-commit", "--repo", repo],
        ] {
            assertInputError(modcheck(args), [repo, iommuTree.hex, "missing"])
        }
    }

    /// `git clone --depth 1`: the tip checks fine; walking past the boundary is exit 2 saying
    /// it is a shallow clone.
    func testShallowClone() throws {
        let source = try baseRepository("source")
        try commit(source, files: ["README": Array("one\n".utf8)], message: "docs")
        let kconfig = try String(contentsOfFile: source + "/drivers/iommu/Kconfig", encoding: .utf8)
        try commit(
            source,
            files: [
                "drivers/iommu/Kconfig": Array(
                    kconfig.replacingOccurrences(
                        of: "\tbool \"ARM Ltd. System MMU Version 3", with: "\ttristate \"ARM Ltd. System MMU Version 3"
                    ).utf8)
            ], message: "iommu/arm-smmu-v3: tristate")
        let shallow = root + "/shallow"
        XCTAssertEqual(runGit(["clone", "-q", "--depth", "1", "file://" + source, shallow], in: root).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: shallow + "/.git/shallow"))
        let tree = modcheck(["tree", "--repo", shallow])
        XCTAssertEqual(tree.status, 1, "the tip's own findings: \(tree.err)")
        XCTAssertTrue(tree.out.contains("builtin-registration-in-module"), tree.out)
        for args in [["log", "--repo", shallow, "HEAD"], ["changes", "--repo", shallow, "HEAD"]] {
            assertInputError(modcheck(args), [shallow, "shallow clone", "git fetch --deepen"])
        }
        // A pre-push of the shallow tip: its history is on the remote, nothing to check.
        let head = runGit(["rev-parse", "HEAD"], in: shallow).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let push = modcheck(
            ["hook", "run", "--pre-push", "--repo", shallow],
            stdin: Array("refs/heads/x \(head) refs/heads/x \(String(repeating: "0", count: 40))\n".utf8))
        XCTAssertEqual(push.status, 0, push.out + push.err)
    }

    /// Bytes flipped inside one blob's entry of a pack: that blob is reported unreadable, the
    /// rest is checked.
    func testCorruptPackEntry() throws {
        let repo = try baseRepository()
        XCTAssertEqual(runGit(["gc", "-q"], in: repo).status, 0)
        let packs = try FileManager.default.contentsOfDirectory(atPath: repo + "/.git/objects/pack")
        let pack = repo + "/.git/objects/pack/" + (try XCTUnwrap(packs.first { $0.hasSuffix(".pack") }))
        let target = try blob(repo, "drivers/iommu/iommu.c")
        // `git verify-pack -v`: "<id> blob <size> <size-in-pack> <offset>".
        let listing = runGit(["verify-pack", "-v", String(pack.dropLast(5)) + ".idx"], in: repo).out
        let fields = try XCTUnwrap(
            listing.split(separator: "\n").first { $0.hasPrefix(target.hex) }?.split(separator: " ", omittingEmptySubsequences: true))
        let inPack = try XCTUnwrap(Int(fields[3]))
        let offset = try XCTUnwrap(Int(fields[4]))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pack)))
        for i in (offset + inPack / 3)..<(offset + inPack * 2 / 3) { bytes[i] ^= 0x5a }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pack)
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        let r = modcheck(["tree", "--repo", repo])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(
            r.out.contains("note: drivers/iommu/iommu.c: blob \(target.hex) cannot be read"), r.out)
        XCTAssertTrue(r.out.contains("damaged object or pack"), r.out)
        let json = modcheck(["tree", "--repo", repo, "--format", "json"])
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.out.utf8)))
        XCTAssertTrue(json.out.contains("cannot be read"), json.out)
    }

    /// Symlinks in the tree that point at each other, at their directory and at Kconfig files
    /// sourced from the real Kconfig: modcheck reads git trees (where a symlink is a blob holding
    /// its target) and never follows them.
    func testSymlinkLoopsInTheTree() throws {
        let repo = try baseRepository()
        let kconfig = try String(contentsOfFile: repo + "/drivers/iommu/Kconfig", encoding: .utf8)
        let makefile = try String(contentsOfFile: repo + "/drivers/iommu/Makefile", encoding: .utf8)
        let iommu = try String(contentsOfFile: repo + "/drivers/iommu/iommu.c", encoding: .utf8)
        try commit(
            repo,
            files: [
                "drivers/iommu/Kconfig": Array((kconfig + "source \"drivers/iommu/Kconfig.loop\"\n").utf8),
                "drivers/iommu/Makefile": Array((makefile + "obj-y += loop/\nobj-y += a/\n").utf8),
                "drivers/iommu/iommu.c": Array(("#include \"loop/loop/loop/a.h\"\n" + iommu).utf8),
            ],
            symlinks: [
                "drivers/iommu/a.h": "b.h", "drivers/iommu/b.h": "a.h", "drivers/iommu/loop": ".",
                "drivers/iommu/a": "b", "drivers/iommu/b": "a", "drivers/iommu/Kconfig.loop": "Kconfig.loop2",
                "drivers/iommu/Kconfig.loop2": "Kconfig.loop", "drivers/iommu/self.c": "self.c",
            ])
        runGit(["reset", "-q", "--hard"], in: repo)
        let r = modcheck(["tree", "--repo", repo])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("drivers/iommu/Kconfig.loop"), r.out)
        let log = modcheck(["log", "--repo", repo, "HEAD"])
        XCTAssertEqual(log.status, 0, log.err)
        let staged = modcheck(["hook", "run", "--pre-commit"], cwd: repo)
        XCTAssertEqual(staged.status, 0, staged.err)
    }

    /// A path with a newline (git allows any byte but NUL and '/'): text output stays usable,
    /// JSON stays valid JSON, nothing crashes.
    func testPathWithANewline() throws {
        let repo = try baseRepository()
        let weird = "drivers/iommu/evil\nname.c"
        try commit(
            repo,
            files: [
                weird: Array("int evil_fn(void) { return 0; }\nEXPORT_SYMBOL(evil_fn);\n".utf8),
                "drivers/iommu/dir\nwith newline/x.c": Array("int x;\n".utf8),
            ])
        for args in [
            ["tree", "--repo", repo], ["log", "--repo", repo, "HEAD"], ["changes", "--repo", repo, "HEAD~1..HEAD"],
        ] {
            let r = modcheck(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.err)")
        }
        for args in [
            ["tree", "--repo", repo, "--format", "json"], ["log", "--repo", repo, "HEAD", "--format", "json"],
            ["changes", "--repo", repo, "HEAD~1..HEAD", "--format", "json"],
            ["tree", "--repo", repo, "--format", "sarif"],
        ] {
            let r = modcheck(args)
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(r.out.utf8)), "\(args): \(r.out)")
        }
    }

    // MARK: Limits

    /// A 50 MB single-line C file: skipped with a note by default (again on a cached run: a
    /// skipped file is never cached as empty facts); with the limit raised, read up to the block
    /// cap; with a tiny time limit, stopped with a note. Each run is bounded.
    func testFiftyMegabyteSingleLineFile() throws {
        let repo = try baseRepository()
        let huge = "static const u32 huge_table[] = {" + String(repeating: "1,", count: 25 << 20) + "};"
        XCTAssertGreaterThanOrEqual(huge.utf8.count, 50 << 20)
        let makefile = try String(contentsOfFile: repo + "/drivers/iommu/Makefile", encoding: .utf8)
        try commit(
            repo,
            files: [
                "drivers/iommu/huge.c": Array(huge.utf8),
                "drivers/iommu/Makefile": Array((makefile + "obj-$(CONFIG_ARM_SMMU) += huge.o\n").utf8),
            ])
        let skipped =
            "note: drivers/iommu/huge.c: \(huge.utf8.count) bytes, larger than the scan limit of 8388608 (--max-file-size); not scanned"
        var timings: [String] = []
        func timed(_ label: String, _ args: [String]) -> (status: Int32, out: String, err: String) {
            let start = Date()
            let r = modcheck(args)
            timings.append(String(format: "%@ %.2f s", label, Date().timeIntervalSince(start)))
            return r
        }
        for pass in ["first", "cached"] {
            let r = timed(pass, ["tree", "--repo", repo])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.out.contains(skipped), "\(pass): \(r.out)")
            XCTAssertEqual(r.out.components(separatedBy: "larger than the scan limit").count, 2, r.out)
        }
        let log = timed("log", ["log", "--repo", repo, "HEAD"])
        XCTAssertTrue(log.out.contains(skipped), log.out)
        let raised = timed("raised", ["tree", "--repo", repo, "--max-file-size", "64M", "--no-cache"])
        XCTAssertEqual(raised.status, 0, raised.err)
        XCTAssertTrue(
            raised.out.contains("note: drivers/iommu/huge.c:1: block longer than 1048576 tokens"), raised.out)
        let stopped = timed(
            "time-limited", ["tree", "--repo", repo, "--max-file-size", "64M", "--scan-time-limit", "0.01", "--no-cache"])
        XCTAssertTrue(stopped.out.contains("note: drivers/iommu/huge.c:1: scan stopped after 0.01 s"), stopped.out)
        // A limit below the Kconfig files' size: they are not read either, and say so.
        let tiny = modcheck(["tree", "--repo", repo, "--max-file-size", "64", "--no-cache"])
        XCTAssertTrue(tiny.out.contains("note: Kconfig: 93 bytes, larger than the scan limit of 64"), tiny.out)
        let usage = modcheck(["tree", "--repo", repo, "--max-file-size", "lots"])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.err.contains("--max-file-size"), usage.err)
        print("50 MB file: " + timings.joined(separator: ", "))
    }

    /// The scanner's nesting caps reach the report as notes naming file and line, on a cached
    /// run as well.
    func testScannerCapsAreReported() throws {
        let repo = try baseRepository()
        let nested =
            String(repeating: "#ifdef CONFIG_ARM_SMMU\n", count: 100) + "int deep;\n"
            + String(repeating: "#endif\n", count: 100) + "int f(void)\n{\n" + String(repeating: "{", count: 300)
            + String(repeating: "}", count: 300) + "\n}\n"
        let makefile = try String(contentsOfFile: repo + "/drivers/iommu/Makefile", encoding: .utf8)
        try commit(
            repo,
            files: [
                "drivers/iommu/nested.c": Array(nested.utf8),
                "drivers/iommu/Makefile": Array((makefile + "obj-$(CONFIG_ARM_SMMU) += nested.o\n").utf8),
            ])
        for pass in ["first", "cached"] {
            let r = modcheck(["tree", "--repo", repo, "--format", "json"])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(
                r.out.contains("drivers/iommu/nested.c:65: #if nested deeper than 64"), "\(pass): \(r.out)")
            XCTAssertTrue(r.out.contains("braces nested deeper than 256"), "\(pass): \(r.out)")
        }
    }

    /// Kconfig files that source each other (and themselves): the cycle is a note naming the
    /// file and line, the rest of Kconfig still counts.
    func testKconfigSourceCycle() throws {
        let repo = try baseRepository()
        let kconfig = try String(contentsOfFile: repo + "/drivers/iommu/Kconfig", encoding: .utf8)
        try commit(
            repo,
            files: [
                "drivers/iommu/Kconfig": Array((kconfig + "source \"drivers/iommu/Kconfig.a\"\n").utf8),
                "drivers/iommu/Kconfig.a": Array(
                    "config CYCLE_A\n\tbool \"a\"\nsource \"drivers/iommu/Kconfig.b\"\n".utf8),
                "drivers/iommu/Kconfig.b": Array(
                    "config CYCLE_B\n\tbool \"b\"\nsource \"drivers/iommu/Kconfig.a\"\nsource \"drivers/iommu/Kconfig.b\"\n".utf8),
            ])
        let r = modcheck(["tree", "--repo", repo])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("note: drivers/iommu/Kconfig.b:3: source cycle"), r.out)
        XCTAssertTrue(r.out.contains("scope drivers/iommu: 7 units"), "the rest is still checked: \(r.out)")
        let log = modcheck(["log", "--repo", repo, "HEAD"])
        XCTAssertEqual(log.status, 0, log.err)
        let changes = modcheck(["changes", "--repo", repo, "HEAD~1..HEAD"])
        XCTAssertEqual(changes.status, 0, changes.err)
    }

    /// Notes past the report's cap are counted, never dropped silently.
    func testNotesAreCappedNotDropped() {
        let notes = (1...25).map { "note \($0)" }
        XCTAssertEqual(Session.capped(notes).count, 21)
        XCTAssertEqual(Session.capped(notes).last, "5 more notes not shown")
        XCTAssertEqual(Session.capped(Array(notes.prefix(20))), Array(notes.prefix(20)))
    }

    // MARK: Invalid UTF-8

    /// Invalid UTF-8 in a path, in Kconfig (prompt, help, symbol), in C, and in a patch's headers,
    /// body and diff: checked as bytes, shown with replacement characters, never a crash.
    func testInvalidUTF8Everywhere() throws {
        let repo = try baseRepository()
        let bad: [UInt8] = [0xff, 0xfe, 0xc3, 0xc3, 0xed, 0xa0, 0x80]
        let kconfig = [UInt8](try Data(contentsOf: URL(fileURLWithPath: repo + "/drivers/iommu/Kconfig")))
        let makefile = try String(contentsOfFile: repo + "/drivers/iommu/Makefile", encoding: .utf8)
        try commit(
            repo,
            files: [
                "drivers/iommu/Kconfig": kconfig + Array("config BAD_".utf8) + bad + Array("\n\ttristate \"".utf8) + bad
                    + Array("\"\n\thelp\n\t  ".utf8) + bad + Array("\n".utf8),
                "drivers/iommu/bad.c": Array("int ok_fn(void) { return 0; }\nEXPORT_SYMBOL(ok_fn);\n".utf8) + bad
                    + Array("\nint after_fn(void) { return 1; }\n".utf8),
                "drivers/iommu/Makefile": Array((makefile + "obj-$(CONFIG_ARM_SMMU) += bad.o\n").utf8),
            ])
        runGit(["reset", "-q", "--hard"], in: repo)
        // A path that is not UTF-8 at all: only git can write it.
        let name = String(decoding: [0x62, 0x61, 0x64, 0xff, 0x2e, 0x63], as: UTF8.self)
        XCTAssertTrue(name.contains("\u{FFFD}"))
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = [
            "-c",
            "cd \"$1\" && f=$(printf 'drivers/iommu/bad\\377.c') && printf 'int x;\\n' > \"$f\" && git add -- \"$f\" && git -c user.name=t -c user.email=t@example.invalid commit -q -m \"$(printf 'bad \\377 path')\"",
            "sh", repo,
        ]
        try sh.run()
        sh.waitUntilExit()
        XCTAssertEqual(sh.terminationStatus, 0)
        for args in [
            ["tree", "--repo", repo], ["tree", "--repo", repo, "--format", "json"], ["log", "--repo", repo, "HEAD~2..HEAD"],
            ["changes", "--repo", repo, "HEAD~2..HEAD", "--format", "json"],
        ] {
            let r = modcheck(args)
            XCTAssertTrue(r.status == 0 || r.status == 1, "\(args): \(r.err)")
            if args.contains("json") {
                XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(r.out.utf8)), "\(args): \(r.out)")
            }
        }
        // A patch with invalid UTF-8 in From, Subject, body and diff.
        var patch: [UInt8] = Array("From: ".utf8) + bad + Array(" <a@example.invalid>\nSubject: [PATCH] iommu: ".utf8) + bad
        patch += Array("\n\nbody ".utf8) + bad + Array("\n---\ndiff --git a/drivers/iommu/bad.c b/drivers/iommu/bad.c\n".utf8)
        patch += Array("--- a/drivers/iommu/bad.c\n+++ b/drivers/iommu/bad.c\n@@ -1,2 +1,3 @@\n".utf8)
        patch += Array(" int ok_fn(void) { return 0; }\n+".utf8) + bad + Array("\n EXPORT_SYMBOL(ok_fn);\n".utf8)
        let file = root + "/bad.patch"
        try Data(patch).write(to: URL(fileURLWithPath: file))
        let series = modcheck(["series", "--repo", repo, "--base", "HEAD~1", file])
        XCTAssertTrue(series.status == 0 || series.status == 1, series.out + series.err)
        // The mail reader reads undecodable header bytes as Latin-1, as mail clients do.
        XCTAssertTrue(series.out.contains("[1/1] iommu: \u{FF}\u{FE}"), series.out)
        let b4 = modcheck(["b4-check"], stdin: patch, cwd: repo)
        XCTAssertTrue(b4.status == 0 || b4.status == 1, b4.out + b4.err)
        // The same patch as a .config and a KMI list: one-line errors naming the file.
        assertInputError(modcheck(["tree", "--repo", repo, "--config", file]), ["bad.patch:1"])
    }

    // MARK: Mail

    /// A mail whose only diff lies below 10,000 nested MIME parts: exit 2, naming the file and
    /// the depth cap; a 1 MB subject and a list of them through triage: bounded.
    func testHostileMailThroughTheCommandLine() throws {
        let repo = try baseRepository()
        var nested = "From: a@example.invalid\nSubject: [PATCH] nested\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
        for i in 0..<10_000 { nested += "--b\(i)\nContent-Type: multipart/mixed; boundary=\"b\(i + 1)\"\n\n" }
        let patch = try String(contentsOfFile: patches[2], encoding: .utf8)
        let diff = String(patch[try XCTUnwrap(patch.range(of: "diff --git")).lowerBound...])
        nested += "--b10000\nContent-Type: text/plain\n\n" + diff
        for i in stride(from: 10_000, through: 0, by: -1) { nested += "--b\(i)--\n" }
        let file = root + "/nested.eml"
        try nested.write(toFile: file, atomically: true, encoding: .utf8)
        let r = modcheck(["series", "--repo", repo, "--base", "HEAD", file])
        assertInputError(r, ["no patches"])
        XCTAssertTrue(r.out.isEmpty, r.out)
        let readable = modcheck(["series", "--repo", repo, "--base", "HEAD", file, patches[2]])
        XCTAssertTrue(readable.out.contains("nested.eml:") && readable.out.contains("nested deeper than 16"), readable.out)

        // An mbox of a 1 MB-subject patch, the nested mail, and a real patch: triage reads all three.
        let subject = "[PATCH] " + String(repeating: "x", count: 1 << 20)
        let big = "From: b@example.invalid\nSubject: \(subject)\nMessage-Id: <big@example.invalid>\n\n---\n" + diff
        let mbox = root + "/list.mbox"
        try (["From x Mon Sep 17 00:00:00 2001\n" + big, "From x Mon Sep 17 00:00:00 2001\n" + nested,
              patch].joined(separator: "\n")
        ).write(toFile: mbox, atomically: true, encoding: .utf8)
        let triage = modcheck(["triage", "--repo", repo, mbox, "--format", "json"])
        XCTAssertEqual(triage.status, 0, triage.err)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(triage.out.utf8)) as? [String: Any])
        XCTAssertEqual((json["summary"] as? [String: Any])?["messages"] as? Int, 3)
        let b4 = modcheck(["b4-check", "--review-series"], stdin: Array(big.utf8), cwd: repo)
        XCTAssertTrue(b4.status == 0 || b4.status == 1, b4.err)
    }

    /// Patches libgit2's diff parser mishandles (found by the patch fuzz target): a NUL byte in a
    /// hunk line and a repeated rename header. Each is one line naming the file and the line.
    func testPatchesLibgit2Mishandles() throws {
        let repo = try baseRepository()
        let patch = try String(contentsOfFile: patches[2], encoding: .utf8)
        let nul = root + "/nul.patch"
        let start = try XCTUnwrap(patch.range(of: "\n+", range: try XCTUnwrap(patch.range(of: "@@ -")).upperBound..<patch.endIndex))
        try Data((patch[..<start.upperBound] + "\0" + patch[start.upperBound...]).utf8).write(to: URL(fileURLWithPath: nul))
        let r = modcheck(["series", "--repo", repo, "--base", "HEAD", nul])
        assertInputError(r, ["nul.patch", "a NUL byte on line", "text patches only"])
        XCTAssertFalse(r.err.contains("parse the diff: parse the diff"), r.err)

        let renamed = root + "/rename.patch"
        try (
            "From: a@example.invalid\nSubject: [PATCH] rename\n\n---\n"
                + "diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig.new\nsimilarity index 100%\n"
                + "rename from drivers/iommu/Kconfig\nrename to drivers/iommu/Kconfig.new\nsimilarity index 100%\n"
                + "rename from drivers/iommu/Makefile\n"
        ).write(toFile: renamed, atomically: true, encoding: .utf8)
        let second = modcheck(["series", "--repo", repo, "--base", "HEAD", renamed])
        assertInputError(second, ["rename.patch", "line 9 of the patch", "second \"similarity index\""])
    }
}
