import Foundation
import Git
import Mail
import Report
import Rules
import Workflows
import XCTest

/// Triage over list archives built by the tests: a public-inbox v2 epoch (one message per commit
/// in `m`, a deletion in `d`), an inbox of several epochs, an mbox and a maildir of the same mail.
final class TriageTests: ScratchTestCase {
    static let seriesCase = PackagePaths.corpus + "/smmu-modular-series"

    /// The corpus SMMU series posted as `version` (v1 has no "v1" in its subjects), one reply
    /// with a review trailer, one from the kernel test robot; `only` keeps some patch indexes.
    func posting(version: Int, day: Int, only: Set<Int>? = nil) throws -> [String] {
        let c = try Corpus.Case.load(TriageTests.seriesCase)
        let v = version == 1 ? "" : "v\(version) "
        let date = "Date: Wed, \(day) Oct 2019 14:51:0\(version) +0000\n"
        func id(_ i: Int) -> String { "<smmu-v\(version)-\(i)@example.invalid>" }
        var out: [String] = []
        for (i, path) in c.patchFiles.enumerated() where only?.contains(i) ?? true {
            var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
            lines.removeFirst()  // the format-patch "From <sha> ..." separator
            lines = lines.filter { !$0.hasPrefix("Date: ") }.map {
                $0.hasPrefix("Subject: [PATCH ") ? $0.replacingOccurrences(of: "[PATCH ", with: "[PATCH \(v)") : $0
            }
            let threading = i == 0 ? "" : "In-Reply-To: \(id(0))\nReferences: \(id(0))\n"
            out.append("Message-Id: \(id(i))\n" + threading + date + lines.joined(separator: "\n"))
        }
        out.append(
            "From: Rita Reviewer <r@example.invalid>\nSubject: Re: [PATCH \(v)5/7] iommu/arm-smmu-v3: Allow building as a module\nMessage-Id: <review-v\(version)@example.invalid>\nIn-Reply-To: \(id(5))\nReferences: \(id(0)) \(id(5))\n\(date)\nLooks fine.\n\nReviewed-by: Rita Reviewer <r@example.invalid>\n"
        )
        out.append(
            "From: kernel test robot <lkp@intel.com>\nSubject: Re: [PATCH \(v)7/7] iommu/arm-smmu: Allow building as a module\nMessage-Id: <robot-v\(version)@example.invalid>\nIn-Reply-To: \(id(7))\nReferences: \(id(0)) \(id(7))\n\(date)\nERROR: modpost: \"arm_smmu_ops\" [drivers/iommu/arm-smmu.ko] undefined!\n"
        )
        return out
    }

    /// A patch that changes no module-ability fact, posted on a later day.
    let typo =
        "From: Sam <s@example.invalid>\nSubject: [PATCH] Documentation: typo\nMessage-Id: <typo@example.invalid>\nDate: Thu, 31 Oct 2019 16:00:00 +0000\n\nFrom the archive: a body line that mboxrd must quote.\n---\ndiff --git a/README b/README\nnew file mode 100644\n--- /dev/null\n+++ b/README\n@@ -0,0 +1 @@\n+hello\n"

    func baseTree() throws -> String {
        let tree = root + "/tree"
        if !FileManager.default.fileExists(atPath: tree) {
            _ = try Corpus.Case.load(TriageTests.seriesCase).buildRepository(at: tree)
        }
        return tree
    }

    func session() throws -> Session {
        var options = CommonOptions()
        options.repository = try baseTree()
        options.useCache = false
        return try Session(options: options)
    }

    func triage(_ source: String, _ configure: (inout Triage.Options) -> Void = { _ in }) throws -> Triage.Outcome {
        var options = Triage.Options()
        configure(&options)
        return try Triage.run(session: try session(), source: source, baseRevision: "HEAD", options: options)
    }

    /// A public-inbox v2 epoch holding `messages`, one commit each, then deletions of `deleted`.
    @discardableResult
    func writeEpoch(_ path: String, _ messages: [String], deleting deleted: [String] = []) throws -> Repository {
        let repo = try Repository.create(at: path, bare: true)
        var parent: [ObjectID] = []
        for (text, file) in messages.map({ ($0, "m") }) + deleted.map({ ($0, "d") }) {
            let tree = try repo.writeTree(files: [file: Array(text.utf8)])
            parent = [
                try repo.createCommit(
                    tree: tree, parents: parent, message: file, author: Fixtures.author, updateRef: "HEAD")
            ]
        }
        return repo
    }

    /// mboxrd: "From " separators, body lines matching `>*From ` get one more `>`.
    func writeMbox(_ path: String, _ messages: [String]) throws {
        let quoted = messages.map { message -> String in
            let body = message.components(separatedBy: "\n").map { line -> String in
                var rest = Substring(line)
                while rest.hasPrefix(">") { rest = rest.dropFirst() }
                return rest.hasPrefix("From ") ? ">" + line : line
            }
            return "From mboxrd@z Thu Jan  1 00:00:00 1970\n" + body.joined(separator: "\n") + "\n"
        }
        try quoted.joined().write(toFile: path, atomically: true, encoding: .utf8)
    }

    func summary(_ o: Triage.Outcome) -> [String] {
        o.entries.flatMap(\.versions).map {
            "\($0.series.title) v\($0.series.version) \($0.series.patches.count) relevant=\($0.relevant) "
                + $0.findings.map { "\($0.rule):\($0.symbol ?? "")" }.sorted().joined(separator: ",")
        }.sorted()
    }

    func testPublicInboxMboxAndMaildirGiveTheSameSeries() throws {
        let mail = try posting(version: 1, day: 30) + [typo]
        let deletedSpam =
            "From: x@example.invalid\nSubject: [PATCH] spam\nMessage-Id: <spam@example.invalid>\nDate: Thu, 31 Oct 2019 17:00:00 +0000\n\n---\ndiff --git a/SPAM b/SPAM\nnew file mode 100644\n--- /dev/null\n+++ b/SPAM\n@@ -0,0 +1 @@\n+x\n"
        try writeEpoch(root + "/inbox.git", mail + [deletedSpam], deleting: [deletedSpam])
        try writeMbox(root + "/list.mbox", mail)
        for (n, text) in mail.enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/maildir/new", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/maildir/cur", withIntermediateDirectories: true)
            try text.write(toFile: root + "/maildir/cur/\(1000 + n).host:2,S", atomically: true, encoding: .utf8)
        }
        let inbox = try triage(root + "/inbox.git")
        let mbox = try triage(root + "/list.mbox")
        let maildir = try triage(root + "/maildir")
        XCTAssertEqual(inbox.messagesRead, 12, "cover, 7 patches, 2 replies, typo, and one later deleted")
        XCTAssertEqual(inbox.messagesInWindow, 11, "the deleted message is gone")
        XCTAssertEqual(mbox.messagesRead, 11)
        XCTAssertEqual(summary(inbox), summary(mbox))
        XCTAssertEqual(summary(inbox), summary(maildir))
        XCTAssertFalse(inbox.entries.contains { $0.latest.series.title == "spam" })

        let smmu = try XCTUnwrap(inbox.entries.first { $0.latest.series.title.contains("Permit modular builds") })
        XCTAssertTrue(smmu.relevant)
        XCTAssertTrue(smmu.latest.applied)
        XCTAssertEqual(smmu.latest.series.patches.count, 7)
        XCTAssertTrue(smmu.latest.changes.contains { $0.kind == .kconfigType })
        XCTAssertEqual(smmu.latest.series.trailers.map(\.kind), ["Reviewed-by"])
        XCTAssertEqual(smmu.latest.series.buildFailureReports.count, 1)
        let typoEntry = try XCTUnwrap(mbox.entries.first { $0.latest.series.title.contains("typo") })
        XCTAssertFalse(typoEntry.relevant, "a patch that changes no module-ability fact is not relevant")
        XCTAssertFalse(typoEntry.latest.isChecked, "irrelevant series are not checked in full")
        // mboxrd unquoting: the body line is back to "From the archive".
        let typoMessage = try XCTUnwrap(typoEntry.latest.series.patches.first)
        XCTAssertTrue(String(decoding: typoMessage.body, as: UTF8.self).hasPrefix("From the archive"))
    }

    /// The triage check of a posting is the `modcheck series` check of its patches.
    func testFindingsMatchSeriesCheckAndVersionsAreLinked() throws {
        let v1 = try posting(version: 1, day: 28)
        let v2 = try posting(version: 2, day: 29)
        let v3Incomplete = try posting(version: 3, day: 30, only: [0, 1, 2])
        try writeMbox(root + "/list.mbox", v1 + v2 + v3Incomplete)
        let outcome = try triage(root + "/list.mbox")
        XCTAssertEqual(outcome.entries.count, 1, "three postings of one series")
        let entry = try XCTUnwrap(outcome.entries.first)
        XCTAssertEqual(entry.versions.map(\.series.version), [1, 2, 3])
        XCTAssertEqual(entry.latest.series.version, 2, "the newest complete version is the one acted on")
        XCTAssertEqual(entry.versions[2].series.missing, [3, 4, 5, 6, 7])

        let patches = try PatchInputs.read(try Corpus.Case.load(TriageTests.seriesCase).patchFiles).patches
        let direct = try SeriesCheck.run(session: try session(), baseRevision: "HEAD", patches: patches)
        func keyed(_ findings: [Finding]) -> [String] {
            findings.map { "\($0.patch ?? "") \($0.rule) \($0.symbol ?? "") \($0.severity)" }.sorted()
        }
        XCTAssertEqual(keyed(entry.versions[0].findings), keyed(direct.findings))
        XCTAssertEqual(keyed(entry.versions[1].findings), keyed(direct.findings))
        XCTAssertEqual(entry.versions[0].findings.filter { $0.severity == .error }.count, 2)

        let markdown = TriageReport.markdown(outcome)
        XCTAssertTrue(markdown.contains("v2 (of v1, v2, v3)"), markdown)
        XCTAssertTrue(markdown.contains("↳ earlier posting"), markdown)
        XCTAssertTrue(markdown.contains("Reviewed-by: Rita Reviewer"), markdown)
        XCTAssertTrue(markdown.contains("kernel test robot: build failure"), markdown)
        XCTAssertTrue(markdown.contains("2/7 (missing 3, 4, 5, 6, 7)"), markdown)
        XCTAssertTrue(markdown.contains("missing-ops-owner"), markdown)
    }

    func testPatchworkChecksOnePerPatch() throws {
        try writeMbox(root + "/list.mbox", try posting(version: 1, day: 30))
        let outcome = try triage(root + "/list.mbox")
        let lines = TriageReport.patchwork(outcome).split(separator: "\n")
        XCTAssertEqual(lines.count, 7, "one check per patch")
        let checks = try lines.map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])
        }
        XCTAssertEqual(Set(checks.map { $0["context"] ?? "" }), ["modcheck"])
        let byID = Dictionary(uniqueKeysWithValues: checks.map { ($0["msgid"] ?? "", $0) })
        XCTAssertEqual(byID["<smmu-v1-5@example.invalid>"]?["state"], "fail")
        XCTAssertTrue(byID["<smmu-v1-5@example.invalid>"]?["description"]?.contains("missing-ops-owner") ?? false)
        XCTAssertEqual(byID["<smmu-v1-2@example.invalid>"]?["state"], "success")
        XCTAssertEqual(byID["<smmu-v1-1@example.invalid>"]?["state"], "warning")
    }

    func testInboxOfSeveralEpochsDateWindowAndLimit() throws {
        let v1 = try posting(version: 1, day: 28)
        let v2 = try posting(version: 2, day: 30)
        try FileManager.default.createDirectory(atPath: root + "/inbox/git", withIntermediateDirectories: true)
        try writeEpoch(root + "/inbox/git/0.git", v1)
        try writeEpoch(root + "/inbox/git/1.git", v2 + [typo])
        let all = try triage(root + "/inbox")
        XCTAssertEqual(all.messagesRead, v1.count + v2.count + 1)
        XCTAssertEqual(all.entries.first?.versions.map(\.series.version), [1, 2], "versions across epochs linked")

        let late = try triage(root + "/inbox") {
            $0.window = MailArchive.Window(since: Date(timeIntervalSince1970: 1_572_393_600))  // 2019-10-30
        }
        XCTAssertEqual(late.messagesInWindow, v2.count + 1)
        XCTAssertEqual(late.entries.first?.versions.map(\.series.version), [2])

        let limited = try triage(root + "/inbox") { $0.limit = 0 }
        let entry = try XCTUnwrap(limited.entries.first)
        XCTAssertTrue(entry.relevant)
        XCTAssertFalse(entry.latest.isChecked)
        XCTAssertTrue(entry.latest.problem?.contains("--limit") ?? false)
    }

    /// Two workers (a handle each, bases built once and shared) report what one does, and an
    /// epoch walked in slices by both cores keeps every message in its order.
    func testWorkersDoNotChangeTheReport() throws {
        let chatter = (0..<(MailArchive.walkSlice + 40)).map { i in
            typo.replacingOccurrences(of: "<typo@example.invalid>", with: "<typo-\(i)@example.invalid>")
                .replacingOccurrences(of: "Documentation: typo", with: "Documentation: typo \(i)")
        }
        try FileManager.default.createDirectory(atPath: root + "/busy/git", withIntermediateDirectories: true)
        let v1 = try posting(version: 1, day: 28)
        let v2 = try posting(version: 2, day: 30, only: [0, 1, 2, 5])
        try writeEpoch(root + "/busy/git/0.git", v1 + chatter + v2)
        let one = try triage(root + "/busy") { $0.workers = 1 }
        let two = try triage(root + "/busy") { $0.workers = 2 }
        XCTAssertEqual(one.messagesRead, v1.count + chatter.count + v2.count)
        XCTAssertEqual(one.entries.count, 1 + chatter.count)
        XCTAssertEqual(one.entries.last?.latest.series.title, "Documentation: typo \(chatter.count - 1)")
        XCTAssertTrue(one.entries.first?.versions.contains { $0.isChecked } ?? false)
        XCTAssertEqual(TriageReport.json(one), TriageReport.json(two))
        XCTAssertEqual(TriageReport.markdown(one), TriageReport.markdown(two))
    }

    /// `--format mail`: replies the project's own mail reader parses, each threaded under the
    /// patch that introduced its findings (the cover letter for none), to the author with the
    /// posting's recipients in copy, for every checked version; a posting answered once is not
    /// answered again.
    func testRobotStyleRepliesThreadUnderThePatches() throws {
        func addressed(_ messages: [String]) -> [String] {
            messages.map {
                $0.replacingOccurrences(
                    of: "\nSubject: [PATCH",
                    with: "\nTo: Joerg Roedel <joro@example.invalid>\nCc: iommu@lists.example.invalid, \"Robin, M.\" <robin@example.invalid>\nSubject: [PATCH")
            }
        }
        let v1 = addressed(try posting(version: 1, day: 28))
        let v2 = addressed(try posting(version: 2, day: 30))
        try writeMbox(root + "/list.mbox", v1 + v2)
        let outcome = try triage(root + "/list.mbox")
        let context = MailReplies.Context(
            sender: "Triager <t@example.invalid>", repository: "~/linux", now: Date(timeIntervalSince1970: 1_572_480_000))
        let replies = TriageReport.replies(outcome, context: context)
        let mbox = MailReplies.mbox(replies)
        let parsed = PatchInput.read(path: "replies.mbox", bytes: Array(mbox.utf8)).messages
        XCTAssertEqual(parsed.count, replies.count)
        XCTAssertGreaterThanOrEqual(parsed.count, 2, mbox)
        // v1 and v2 are both answered, each reply under the patch whose findings it lists.
        let answered = Set(parsed.compactMap(\.inReplyTo))
        XCTAssertTrue(answered.contains("smmu-v1-5@example.invalid"), "\(answered)")
        XCTAssertTrue(answered.contains("smmu-v2-5@example.invalid"), "\(answered)")
        for reply in parsed {
            let patch = try XCTUnwrap(reply.inReplyTo)
            XCTAssertEqual(reply.references.last, patch)
            XCTAssertTrue(reply.references.contains(patch.contains("-v1-") ? "smmu-v1-0@example.invalid" : "smmu-v2-0@example.invalid"), "\(reply.references)")
            XCTAssertTrue(reply.subject?.hasPrefix("Re: [PATCH") ?? false, reply.subject ?? "")
            XCTAssertEqual(reply.from, "Triager <t@example.invalid>")
            let cc = reply.header("cc") ?? ""
            XCTAssertTrue(cc.contains("iommu@lists.example.invalid") && cc.contains("Joerg Roedel"), cc)
            XCTAssertTrue(cc.contains("\"Robin, M.\" <robin@example.invalid>"), cc)
        }
        let smmuv3 = try XCTUnwrap(parsed.first { $0.inReplyTo == "smmu-v1-5@example.invalid" })
        let body = String(decoding: smmuv3.body, as: UTF8.self)
        XCTAssertTrue(body.contains("[missing-ops-owner]"), body)
        XCTAssertTrue(body.contains("CONFIG_ARM_SMMU_V3=m"), body)
        XCTAssertTrue(body.contains("modcheck series --repo ~/linux --base HEAD series.mbx"), body)
        XCTAssertTrue(body.contains("modcheck explain missing-ops-owner"), body)
        XCTAssertTrue(body.contains("Reported-by: Triager <t@example.invalid>"), body)
        XCTAssertEqual(replies, TriageReport.replies(outcome, context: context), "the same replies for the same findings")

        // Answered once: a second run over an overlapping window gives nothing new.
        let state = root + "/replied.txt"
        XCTAssertEqual(MailReplies.unanswered(replies, stateFile: state).count, replies.count)
        MailReplies.remember(replies, stateFile: state)
        XCTAssertEqual(MailReplies.unanswered(replies, stateFile: state), [])
        let paths = try MailReplies.write(replies, to: root + "/replies")
        XCTAssertEqual(paths.count, replies.count)
        XCTAssertTrue(paths[0].hasSuffix(".eml") && paths[0].contains("/0001-re-"), paths[0])
    }

    func testBadInputIsNamedAndOneBadMessageLosesNothingElse() throws {
        let tree = try baseTree()
        XCTAssertThrowsError(try triage(tree + "/.git")) { error in
            XCTAssertTrue("\(error)".contains("not a public-inbox archive"), "\(error)")
            XCTAssertTrue("\(error)".contains(tree), "\(error)")
        }
        try Data().write(to: URL(fileURLWithPath: root + "/empty.mbox"))
        XCTAssertThrowsError(try triage(root + "/empty.mbox")) { error in
            XCTAssertTrue("\(error)".contains("empty.mbox"), "\(error)")
        }
        XCTAssertThrowsError(try triage(root + "/missing.mbox")) { error in
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }
        // A broken MIME message and a truncated last message around the series: the series is
        // still found, checked, and nothing else is lost.
        let brokenMIME =
            "From: b@example.invalid\nSubject: [PATCH] broken mime\nMessage-Id: <broken@example.invalid>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"never-closed\"\n\n--never-closed\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!\n"
        let series = try posting(version: 1, day: 30)
        let truncated = String(typo.prefix(typo.count - 30))
        try writeMbox(root + "/list.mbox", [brokenMIME] + series + [truncated])
        let outcome = try triage(root + "/list.mbox")
        XCTAssertEqual(outcome.messagesRead, series.count + 2)
        let smmu = try XCTUnwrap(outcome.entries.first { $0.latest.series.title.contains("Permit modular builds") })
        XCTAssertTrue(smmu.latest.isChecked)
        XCTAssertEqual(smmu.latest.findings.filter { $0.severity == .error }.count, 2)
        XCTAssertTrue(outcome.entries.contains { $0.latest.series.title == "broken mime" })
    }

    func testCommandLine() throws {
        let tree = try baseTree()
        try writeMbox(root + "/list.mbox", try posting(version: 1, day: 30) + [typo])
        let json = runModcheck(["triage", "--repo", tree, "--no-cache", "--format", "json", root + "/list.mbox"], cache: root + "/cache")
        XCTAssertEqual(json.status, 1, "error findings in a checked series")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let series = try XCTUnwrap(object["series"] as? [[String: Any]])
        XCTAssertEqual(series.count, 2)
        XCTAssertEqual(series.filter { $0["relevant"] as? Bool == true }.count, 1)
        for key in ["subject", "messageId", "version", "patches", "applied", "relevant", "changes", "findings"] {
            XCTAssertNotNil(series.first { $0["relevant"] as? Bool == true }?[key], key)
        }
        XCTAssertTrue(json.err.isEmpty, "no progress line when stderr is not a terminal: \(json.err)")
        let bad = runModcheck(["triage", "--repo", tree, "--no-cache", root + "/nothing-here"], cache: root + "/cache")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("nothing-here"), bad.err)
        let dates = runModcheck(["triage", "--repo", tree, "--since", "yesterday", root + "/list.mbox"], cache: root + "/cache")
        XCTAssertEqual(dates.status, 2)
    }
}
