import Foundation
import XCTest

@testable import Mail

final class SubjectTests: XCTestCase {
    struct Row {
        var subject: String
        var isPatch: Bool
        var version = 1
        var index: Int? = nil
        var total: Int? = nil
        var rfc = false
        var resend = false
        var title = "x"
        var prefixes: [String]? = nil
    }

    func testSubjectTable() {
        let table: [Row] = [
            Row(subject: "[PATCH] x", isPatch: true, prefixes: ["PATCH"]),
            Row(
                subject: "[PATCH v2 3/7] x", isPatch: true, version: 2, index: 3, total: 7,
                prefixes: ["PATCH", "v2", "3/7"]),
            Row(subject: "[PATCH 0/7] x", isPatch: true, index: 0, total: 7),
            Row(subject: "[RFC PATCH v3 01/12] x", isPatch: true, version: 3, index: 1, total: 12, rfc: true),
            Row(subject: "[PATCH RFC v2 2/3] x", isPatch: true, version: 2, index: 2, total: 3, rfc: true),
            Row(subject: "[PATCH -next] x", isPatch: true, prefixes: ["PATCH", "-next"]),
            Row(
                subject: "[PATCH net-next v4 5/5] x", isPatch: true, version: 4, index: 5, total: 5,
                prefixes: ["PATCH", "net-next", "v4", "5/5"]),
            Row(subject: "[PATCH RESEND 1/2] x", isPatch: true, index: 1, total: 2, resend: true),
            Row(subject: "[PATCHv3 2/4] x", isPatch: true, version: 3, index: 2, total: 4),
            Row(subject: "[PATCH V2 1/1] x", isPatch: true, version: 2, index: 1, total: 1),
            Row(subject: "[PATCH 1/3 v2] x", isPatch: true, version: 2, index: 1, total: 3),
            Row(subject: "Re: [PATCH 2/7] x", isPatch: false, index: 2, total: 7),
            Row(subject: "RE: [PATCH v2] x", isPatch: false, version: 2),
            Row(subject: "Re: Re: [PATCH] x", isPatch: false),
            Row(subject: "Aw: [PATCH] x", isPatch: false),
            Row(subject: "Fwd: [PATCH] x", isPatch: false),
            Row(subject: "Re[2]: [PATCH] x", isPatch: false),
            Row(
                subject: "[v2,3/7] x", isPatch: true, version: 2, index: 3, total: 7, prefixes: ["v2", "3/7"]),
            Row(subject: "[PATCH 1/2][RESEND] x", isPatch: true, index: 1, total: 2, resend: true),
            Row(
                subject: "[PATCH v2 0/2] x (cover)", isPatch: true, version: 2, index: 0, total: 2,
                title: "x (cover)"),
            Row(subject: "[PATCH-v5 2/2] x", isPatch: true, version: 5, index: 2, total: 2),
            Row(subject: "[RFCv2 1/4] x", isPatch: true, version: 2, index: 1, total: 4, rfc: true),
            Row(subject: "[GIT PULL] x", isPatch: false),
            Row(subject: "[GIT PULL FOR v5.18] x", isPatch: false, version: 5),
            Row(subject: "[iommu:x86/vt-d 23/44] x", isPatch: false, prefixes: ["iommu:x86/vt-d", "23/44"]),
            Row(subject: "[linux-next:master 4470/4908] x", isPatch: false),
            Row(subject: "[PATCH] [GIT PULL] x", isPatch: true),
            Row(subject: "[PATCH 5.4 012/100] x", isPatch: true, index: 12, total: 100),
            Row(subject: "x", isPatch: false),
            Row(subject: "Regression in foo", isPatch: false, title: "Regression in foo"),
            Row(subject: "Revert \"x\"", isPatch: false, title: "Revert \"x\""),
            Row(subject: "[PATCH 8/7] x", isPatch: true, prefixes: ["PATCH", "8/7"]),
            Row(
                subject: "[PATCH\tv2\n 3/7]   iommu/foo:\n\tbar  baz", isPatch: true, version: 2, index: 3,
                total: 7, title: "iommu/foo: bar baz"),
        ]
        for row in table {
            let t = SubjectParser.parse(row.subject)
            XCTAssertEqual(t.isPatch, row.isPatch, row.subject)
            XCTAssertEqual(t.version, row.version, row.subject)
            XCTAssertEqual(t.index, row.index, row.subject)
            XCTAssertEqual(t.total, row.total, row.subject)
            XCTAssertEqual(t.isRFC, row.rfc, row.subject)
            XCTAssertEqual(t.isResend, row.resend, row.subject)
            XCTAssertEqual(t.title, row.title, row.subject)
            if let prefixes = row.prefixes { XCTAssertEqual(t.prefixes, prefixes, row.subject) }
        }
        XCTAssertTrue(SubjectParser.parse("Re: [PATCH] x").isReply)
        XCTAssertTrue(SubjectParser.parse("[PATCH 0/3] x").isCoverLetter)
        XCTAssertEqual(
            SubjectParser.parse("[PATCH v2 3/7] iommu/arm-smmu: Allow building as a module").title,
            "iommu/arm-smmu: Allow building as a module")
    }
}

final class SeriesTests: XCTestCase {
    func msg(
        _ id: String, _ subject: String, from: String = "W <w@example.invalid>", replyTo: [String] = [],
        date: String? = nil, body: String = sampleDiff
    ) -> MailMessage {
        var raw = "From: \(from)\nSubject: \(subject)\nMessage-Id: <\(id)>\n"
        if let last = replyTo.last {
            raw += "In-Reply-To: <\(last)>\nReferences: \(replyTo.map { "<\($0)>" }.joined(separator: " "))\n"
        }
        if let date { raw += "Date: \(date)\n" }
        guard let m = try? MailParser.parse(bytes(raw + "\n" + body), sourceName: id) else {
            XCTFail("test message \(id) does not parse")
            return MailMessage(headers: [], body: [], sourceName: id)
        }
        return m
    }

    func testTwoVersionsWithCoverLettersAndReplies() {
        let messages = [
            msg(
                "c1", "[PATCH 0/3] iommu: modular foo", date: "Mon, 1 Jul 2019 10:00:00 +0000", body: "cover"),
            msg("p1", "[PATCH 1/3] iommu: export a", replyTo: ["c1"]),
            msg("p3", "[PATCH 3/3] iommu/foo: tristate", replyTo: ["c1"]),
            msg(
                "r1", "Re: [PATCH 1/3] iommu: export a", from: "R <r@example.invalid>",
                replyTo: ["c1", "p1"],
                body: "> Signed-off-by: W <w@example.invalid>\nReviewed-by: R <r@example.invalid>\n"),
            msg(
                "r2", "Re: [PATCH 1/3] iommu: export a", from: "W <w@example.invalid>", replyTo: ["r1"],
                body: "thanks"),
            // v2 sent in reply to the v1 cover (git send-email --in-reply-to): a new series anyway.
            msg(
                "c2", "[PATCH v2 0/2] iommu: modular foo", replyTo: ["c1"],
                date: "Mon, 8 Jul 2019 10:00:00 +0000", body: "v2 cover"),
            msg("q2", "[PATCH v2 2/2] iommu/foo: tristate", replyTo: ["c1", "c2"]),
            msg("q1", "[PATCH v2 1/2] iommu: export a", replyTo: ["c1", "c2"]),
            msg("q1", "[PATCH v2 1/2] iommu: export a", replyTo: ["c1", "c2"]),
            msg(
                "bot", "Re: [PATCH v2 2/2] iommu/foo: tristate", from: "kernel test robot <lkp@intel.com>",
                replyTo: ["c1", "c2", "q2"],
                body: "ERROR: modpost: \"bar\" [drivers/iommu/foo.ko] undefined!\n"),
            msg("other", "[PATCH] iommu: unrelated fix", from: "O <o@example.invalid>"),
            msg("chat", "Question about the iommu", from: "Q <q@example.invalid>", body: "hi"),
        ]
        let series = SeriesGrouper.group(messages)
        XCTAssertEqual(series.map(\.messageID), ["c1", "c2", "other"])
        let v1 = series[0]
        XCTAssertEqual(v1.title, "iommu: modular foo")
        XCTAssertEqual(v1.cover?.messageID, "c1")
        XCTAssertEqual(v1.patches.map(\.messageID), ["p1", "p3"])
        XCTAssertEqual(v1.missing, [2])
        XCTAssertFalse(v1.isComplete)
        XCTAssertEqual(
            v1.replies.map(\.messageID), ["r1", "r2"], "a reply to a reply belongs to the series too")
        XCTAssertEqual(v1.trailers, [Trailer(kind: "Reviewed-by", person: "R <r@example.invalid>")])
        XCTAssertFalse(v1.hasBuildFailureReport)
        XCTAssertEqual(v1.author, "W <w@example.invalid>")

        let v2 = series[1]
        XCTAssertEqual(v2.version, 2)
        XCTAssertEqual(
            v2.patches.map(\.messageID), ["q1", "q2"], "ordered by index, duplicate Message-Id dropped")
        XCTAssertEqual(v2.missing, [])
        XCTAssertTrue(v2.hasBuildFailureReport)
        XCTAssertEqual(v2.trailers, [], "robot mail gives no trailers")

        XCTAssertEqual(series[2].total, nil)
        XCTAssertEqual(series[2].patches.count, 1)

        let versions = SeriesGrouper.linkVersions(series.reversed())
        XCTAssertEqual(versions.map { $0.map(\.messageID) }, [["other"], ["c1", "c2"]], "newest last")
    }

    /// Versions are linked by b4's change-id, by a new version answering the old one, and by a
    /// close title with a rising version from another sender; a resend is one series with two
    /// postings. Titles that only share words, or a v1 answering another series, stay apart.
    func testSeriesIdentityAcrossVersionsAndSenders() {
        let cover = "Cover text.\n\n---\nbase-commit: 0123456789abcdef0123456789abcdef01234567\n"
        let messages = [
            // change-id: the v2 cover has another title and another sender.
            msg(
                "k1", "[PATCH 0/2] iommu/arm-smmu: modular driver", date: "Mon, 4 Nov 2019 10:00:00 +0000",
                body: cover + "change-id: 20191104-smmu-modular-0123456789ab\n"),
            msg("k1a", "[PATCH 1/2] iommu/arm-smmu: a", replyTo: ["k1"], date: "Mon, 4 Nov 2019 10:00:01 +0000"),
            msg("k1b", "[PATCH 2/2] iommu/arm-smmu: b", replyTo: ["k1"], date: "Mon, 4 Nov 2019 10:00:02 +0000"),
            msg(
                "k2", "[PATCH v2 0/2] iommu/arm-smmu: loadable module support", from: "C <c@example.invalid>",
                date: "Mon, 18 Nov 2019 10:00:00 +0000", body: cover + "change-id: 20191104-smmu-modular-0123456789ab\n"),
            msg(
                "k2a", "[PATCH v2 1/2] iommu/arm-smmu: a", from: "C <c@example.invalid>", replyTo: ["k2"],
                date: "Mon, 18 Nov 2019 10:00:01 +0000"),
            // A v2 sent in reply to v1, by the same author, with a reworded title.
            msg("s1", "[PATCH] iommu/vt-d: fix the thing", date: "Tue, 5 Nov 2019 10:00:00 +0000"),
            msg(
                "s2", "[PATCH v2] iommu/vt-d: repair the thing properly", replyTo: ["s1"],
                date: "Wed, 6 Nov 2019 10:00:00 +0000"),
            // A co-author's v2: one word changed, another sender, no thread link.
            msg(
                "t1", "[PATCH] iommu/amd: allow building the driver as a module",
                date: "Tue, 5 Nov 2019 11:00:00 +0000"),
            msg(
                "t2", "[PATCH v2] iommu/amd: support building the driver as a module", from: "D <d@example.invalid>",
                date: "Fri, 8 Nov 2019 11:00:00 +0000"),
            // A maintainer's resend of the same version.
            msg(
                "u1", "[PATCH] iommu/ipmmu: tristate", from: "E <e@example.invalid>",
                date: "Tue, 5 Nov 2019 12:00:00 +0000"),
            msg(
                "u2", "[RESEND PATCH] iommu/ipmmu: tristate", from: "M <m@example.invalid>",
                date: "Tue, 12 Nov 2019 12:00:00 +0000"),
            // Not versions of each other: generic words shared, other identifiers; and a v1
            // posted in reply to another series.
            msg("x1", "[PATCH] iommu/vt-d: fix a memory leak in dmar_parse_one", date: "Tue, 5 Nov 2019 13:00:00 +0000"),
            msg(
                "x2", "[PATCH v2] iommu/vt-d: fix a memory leak in intel_svm_bind", from: "F <f@example.invalid>",
                date: "Wed, 6 Nov 2019 13:00:00 +0000"),
            msg(
                "y1", "[PATCH] iommu/amd: an unrelated fix", from: "G <g@example.invalid>", replyTo: ["t1"],
                date: "Wed, 6 Nov 2019 14:00:00 +0000"),
        ]
        let groups = SeriesGrouper.linkVersions(SeriesGrouper.group(messages))
        let ids = groups.map { $0.map { $0.messageID ?? "?" } }
        XCTAssertEqual(ids, [["k1", "k2"], ["s1", "s2"], ["t1", "t2"], ["u1", "u2"], ["x1"], ["x2"], ["y1"]])
        XCTAssertEqual(groups[3].map(\.isResend), [false, true])
        XCTAssertEqual(messages[0].changeID, "20191104-smmu-modular-0123456789ab")
        XCTAssertNil(messages[1].changeID)
    }

    func testSeriesWithoutCoverThreadedOnFirstPatch() {
        // git send-email without a cover letter: 2/3 and 3/3 answer 1/3.
        let messages = [
            msg("a3", "[PATCH v3 3/3] c", replyTo: ["a1"]),
            msg("a1", "[PATCH v3 1/3] a"),
            msg("a2", "[PATCH v3 2/3] b", replyTo: ["a1"]),
            // Another author's series answering the same patch is not merged into it.
            msg("z1", "[PATCH v3 1/2] a", from: "Z <z@example.invalid>", replyTo: ["a1"]),
        ]
        let series = SeriesGrouper.group(messages)
        XCTAssertEqual(series.count, 2)
        XCTAssertEqual(series[0].patches.map(\.messageID), ["a1", "a2", "a3"])
        XCTAssertEqual(series[0].messageID, "a1")
        XCTAssertEqual(series[0].title, "a")
        XCTAssertNil(series[0].cover)
        XCTAssertEqual(series[1].missing, [2])
    }

    func testNewVersionInReplyToOldCoverWithoutItsOwnCover() {
        let messages = [
            msg("c1", "[PATCH 0/2] iommu: modular foo", body: "cover"),
            msg("p1", "[PATCH 1/2] a", replyTo: ["c1"]),
            msg("p2", "[PATCH 2/2] b", replyTo: ["c1"]),
            msg("v1", "[PATCH v2 1/2] a", replyTo: ["c1"]),
            msg("v2", "[PATCH v2 2/2] b", replyTo: ["c1"]),
        ]
        let series = SeriesGrouper.group(messages)
        XCTAssertEqual(series.map { $0.patches.map(\.messageID) }, [["p1", "p2"], ["v1", "v2"]])
        XCTAssertEqual(series[1].messageID, "v1")
        XCTAssertEqual(series[1].version, 2)
        XCTAssertEqual(series[1].missing, [])
        XCTAssertEqual(series[1].title, "a", "no cover: the first patch's title")
    }

    func testMissingPatchDetectionWhenTheRootIsLost() {
        // Only patches 2 and 4 of 4 reached this list; their cover did not.
        let messages = [
            msg("m2", "[PATCH 2/4] b", replyTo: ["lostcover"]),
            msg("m4", "[PATCH 4/4] d", replyTo: ["lostcover"]),
            msg("n1", "[PATCH 1/1] lone"),
        ]
        let series = SeriesGrouper.group(messages)
        XCTAssertEqual(series.count, 2)
        XCTAssertEqual(series[0].patches.map(\.messageID), ["m2", "m4"])
        XCTAssertEqual(series[0].missing, [1, 3])
        XCTAssertEqual(series[1].missing, [])
    }

    func testReferenceLoopsAndMissingIDsDoNotHang() {
        let messages = [
            msg("l1", "[PATCH 1/2] a", replyTo: ["l2"]),
            msg("l2", "[PATCH 2/2] b", replyTo: ["l1"]),
            msg("x1", "Re: [PATCH 1/2] a", replyTo: ["x2"]),
            msg("x2", "Re: [PATCH 1/2] a", replyTo: ["x1"]),
        ]
        let series = SeriesGrouper.group(messages)
        XCTAssertEqual(series.flatMap(\.patches).count, 2)
        XCTAssertTrue(series.flatMap(\.replies).isEmpty)
        let noIDs = [
            MailMessage(
                headers: [MailHeader(name: "Subject", value: "[PATCH] x")], body: [], sourceName: "a"),
            MailMessage(
                headers: [MailHeader(name: "Subject", value: "[PATCH] x")], body: [], sourceName: "b"),
        ]
        XCTAssertEqual(SeriesGrouper.group(noIDs).count, 2, "messages without Message-Id are never merged")
    }

    func testOrderedForSeriesCommand() {
        let shuffled = [
            msg("p3", "[PATCH 3/3] c"), msg("p0", "[PATCH 0/3] cover", body: "text"),
            msg("p1", "[PATCH 1/3] a"),
            msg("r", "Re: [PATCH 1/3] a", body: "ok"), msg("p2", "[PATCH 2/3] b"), msg("p1", "[PATCH 1/3] a"),
        ]
        XCTAssertEqual(SeriesGrouper.ordered(shuffled).map(\.messageID), ["p1", "p2", "p3"])
        // Without M/T tags the order given is kept.
        let plain = [msg("b", "[PATCH] second"), msg("a", "[PATCH] first")]
        XCTAssertEqual(SeriesGrouper.ordered(plain).map(\.messageID), ["b", "a"])
        // Two series and a single patch: M/T orders each series, the series and the single
        // patch keep the order given (a v1 series, then a fix on top, then another series).
        let mixed = [
            msg("a2", "[PATCH 2/2] a two"), msg("a1", "[PATCH 1/2] a one"),
            msg("fix", "[PATCH] fix on top"),
            msg("b2", "[PATCH v2 2/2] b two", from: "Z <z@example.invalid>"),
            msg("b1", "[PATCH v2 1/2] b one", from: "Z <z@example.invalid>"),
            msg("c1", "[PATCH 1/1] c one", from: "Y <y@example.invalid>"),
        ]
        XCTAssertEqual(SeriesGrouper.ordered(mixed).map(\.messageID), ["a1", "a2", "fix", "b1", "b2", "c1"])
    }

    func testTrailers() {
        let body = """
            On Mon, Ann wrote:
            > Reviewed-by: Quoted Person <q@example.invalid>
            >> Acked-by: Deeper <d@example.invalid>

            Looks good to me.

            Reviewed-by: Rev One <rev@example.invalid>
              acked-BY: Maint <m@example.invalid>
            Tested-by: Tess <t@example.invalid> # on an Arm64 board
            Reported-by:
            Signed-off-by in prose: not a trailer
            Link: https://example.invalid/x
            Co-developed-by: Co <co@example.invalid>
            -- 
            Reviewed-by: Signature <sig@example.invalid>
            """
        XCTAssertEqual(
            TrailerParser.trailers(in: bytes(body)),
            [
                Trailer(kind: "Reviewed-by", person: "Rev One <rev@example.invalid>"),
                Trailer(kind: "Acked-by", person: "Maint <m@example.invalid>"),
                Trailer(kind: "Tested-by", person: "Tess <t@example.invalid> # on an Arm64 board"),
                Trailer(kind: "Co-developed-by", person: "Co <co@example.invalid>"),
            ])
    }

    func testKernelTestRobot() {
        let failure = msg(
            "k1", "Re: [PATCH] x", from: "kernel test robot <lkp@intel.com>",
            body: "drivers/iommu/foo.c:10:2: error: implicit declaration of function 'bar'\n")
        let warning = msg(
            "k2", "Re: [PATCH] x", from: "kbuild test robot <lkp@intel.com>",
            body: "drivers/iommu/foo.c:10:2: warning: unused variable 'x'\n")
        let human = msg("k3", "Re: [PATCH] x", body: "ERROR: modpost: \"bar\" undefined!\n")
        XCTAssertTrue(KernelTestRobot.isBuildFailureReport(failure))
        XCTAssertFalse(KernelTestRobot.isBuildFailureReport(warning))
        XCTAssertFalse(KernelTestRobot.isBuildFailureReport(human))
    }
}
