import Foundation
import Git
import Workflows
import XCTest

/// Triage over a public-inbox-shaped repository (one message per commit in `m`, a deletion in `d`)
/// and over the same messages as an mbox.
final class TriageTests: ScratchTestCase {
    func messages() throws -> [String] {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        var out: [String] = []
        for (i, path) in c.patchFiles.enumerated() {
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = String(text.split(separator: "\n", maxSplits: 1)[1])
            let id = "<series-\(i)@example.invalid>"
            let threading =
                i == 0
                ? "" : "In-Reply-To: <series-0@example.invalid>\nReferences: <series-0@example.invalid>\n"
            text = "Message-Id: \(id)\n" + threading + text
            out.append(text)
        }
        out.append(
            "From: r@example.invalid\nSubject: Re: [PATCH 5/7] iommu/arm-smmu-v3: Allow building as a module\nMessage-Id: <reply@example.invalid>\nIn-Reply-To: <series-5@example.invalid>\nDate: Wed, 30 Oct 2019 15:00:00 +0000\n\nReviewed-by: R <r@example.invalid>\n"
        )
        out.append(
            "From: s@example.invalid\nSubject: [PATCH] Documentation: typo\nMessage-Id: <spam@example.invalid>\nDate: Wed, 30 Oct 2019 16:00:00 +0000\n\n---\ndiff --git a/README b/README\nnew file mode 100644\n--- /dev/null\n+++ b/README\n@@ -0,0 +1 @@\n+hello\n"
        )
        return out
    }

    func testPublicInboxAndMboxGiveTheSameSeries() throws {
        let c = try Corpus.Case.load(PackagePaths.corpus + "/smmu-modular-series")
        let tree = root + "/tree"
        _ = try c.buildRepository(at: tree)
        // The public-inbox epoch: one commit per message, then one deleting the unrelated patch.
        let inbox = root + "/inbox.git"
        let repo = try Repository.create(at: inbox, bare: true)
        var parent: [ObjectID] = []
        for text in try messages() {
            let t = try repo.writeTree(files: ["m": Array(text.utf8)])
            parent = [
                try repo.createCommit(
                    tree: t, parents: parent, message: "m", author: Fixtures.author, updateRef: "HEAD")
            ]
        }
        let deletion = try repo.writeTree(files: [
            "d": Array("Message-Id: <spam@example.invalid>\nSubject: x\n\n".utf8)
        ])
        _ = try repo.createCommit(
            tree: deletion, parents: parent, message: "d", author: Fixtures.author, updateRef: "HEAD")
        let mbox = root + "/list.mbox"
        try (try messages()).map { "From mboxrd@z Thu Jan  1 00:00:00 1970\n" + $0 + "\n" }.joined().write(
            toFile: mbox, atomically: true, encoding: .utf8)

        var options = CommonOptions()
        options.repository = tree
        options.useCache = false
        let fromInbox = try Triage.run(
            session: try Session(options: options), source: inbox, baseRevision: "HEAD", since: nil,
            until: nil, limit: nil)
        let fromMbox = try Triage.run(
            session: try Session(options: options), source: mbox, baseRevision: "HEAD", since: nil,
            until: nil, limit: nil)
        XCTAssertEqual(fromInbox.messageCount, 9, "10 messages, one deleted")
        XCTAssertEqual(fromMbox.messageCount, 10)
        let series = try XCTUnwrap(
            fromInbox.entries.first { $0.series.title.contains("Permit modular builds") })
        XCTAssertTrue(series.relevant)
        XCTAssertTrue(series.applied)
        XCTAssertEqual(series.series.patches.count, 7)
        XCTAssertEqual(series.series.replies.count, 1)
        XCTAssertTrue(series.findings.contains { $0.rule == "missing-ops-owner" })
        XCTAssertFalse(
            fromInbox.entries.contains { $0.series.title.contains("typo") }, "deleted from the inbox")
        let typo = try XCTUnwrap(fromMbox.entries.first { $0.series.title.contains("typo") })
        XCTAssertFalse(typo.relevant, "a patch that changes no module-ability fact is not relevant")
        let mboxSeries = try XCTUnwrap(
            fromMbox.entries.first { $0.series.title.contains("Permit modular builds") })
        XCTAssertEqual(mboxSeries.findings.map(\.rule).sorted(), series.findings.map(\.rule).sorted())
        XCTAssertTrue(Triage.markdown(fromMbox.entries, messages: 10).contains("| yes |"))
        XCTAssertThrowsError(
            try Triage.run(
                session: try Session(options: options), source: tree + "/.git", baseRevision: "HEAD",
                since: nil, until: nil, limit: nil)
        ) { error in
            XCTAssertTrue("\(error)".contains("not a public-inbox"), "\(error)")
        }
    }
}
