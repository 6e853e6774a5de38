import Foundation
import Git
import Mail
import Report
import Rules
import Workflows
import XCTest

/// Postings that do not apply to the base as a whole: the files that apply are read as applied,
/// the others from their hunks alone; relevance never depends on the posting applying.
extension TriageTests {
    func message(_ id: String, _ subject: String, day: Int, _ diff: String) -> String {
        "From: Dana Dev <d@example.invalid>\nSubject: \(subject)\nMessage-Id: <\(id)@example.invalid>\n"
            + "Date: \(day) Nov 2021 10:00:00 +0000\n\nThe change.\n\nSigned-off-by: Dana Dev <d@example.invalid>\n---\n"
            + diff
    }

    /// One patch: a Kconfig flip that applies, and an export added to a driver the base lacks.
    var mixedPosting: String {
        message(
            "mixed", "[PATCH] iommu: make SMMUv3 modular and export a qcom helper", day: 2,
            """
            diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig
            index 1111111..2222222 100644
            --- a/drivers/iommu/Kconfig
            +++ b/drivers/iommu/Kconfig
            @@ -26,7 +26,7 @@ config ARM_SMMU
             	  versions 1 and 2.
             
             config ARM_SMMU_V3
            -	bool "ARM Ltd. System MMU Version 3 (SMMUv3) Support"
            +	tristate "ARM Ltd. System MMU Version 3 (SMMUv3) Support"
             	depends on ARM64
             	select IOMMU_API
             	help
            diff --git a/drivers/iommu/qcom_iommu.c b/drivers/iommu/qcom_iommu.c
            index 3333333..4444444 100644
            --- a/drivers/iommu/qcom_iommu.c
            +++ b/drivers/iommu/qcom_iommu.c
            @@ -40,6 +40,7 @@ static int qcom_iommu_sec_init(struct device *dev)
             {
             	return qcom_scm_init(dev);
             }
            +EXPORT_SYMBOL_GPL(qcom_iommu_sec_init);
             
             static int qcom_iommu_probe(struct platform_device *pdev)
             {

            """)
    }

    /// A Kconfig hunk whose context is not in the base (a config newer than it).
    var kconfigOnlyPosting: String {
        message(
            "mtk", "[PATCH] iommu/mediatek: allow building as a module", day: 3,
            """
            diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig
            index 5555555..6666666 100644
            --- a/drivers/iommu/Kconfig
            +++ b/drivers/iommu/Kconfig
            @@ -80,8 +80,8 @@ config ROCKCHIP_IOMMU
             	  Say N unless you need IOMMU support for Rockchip.
             
             config MTK_IOMMU
            -	bool "MTK IOMMU Support"
            +	tristate "MTK IOMMU Support"
             	depends on ARM || ARM64
            -	depends on ARCH_MEDIATEK
            +	depends on ARCH_MEDIATEK || COMPILE_TEST
             	select IOMMU_API
             	help

            """)
    }

    /// `.suppress_bind_attrs` removed from a driver the base lacks, plus a new driver file.
    var newDriverPosting: String {
        message(
            "newdrv", "[PATCH] iommu: add a sprd-like driver", day: 4,
            """
            diff --git a/drivers/iommu/sprd-iommu.c b/drivers/iommu/sprd-iommu.c
            new file mode 100644
            index 0000000..7777777
            --- /dev/null
            +++ b/drivers/iommu/sprd-iommu.c
            @@ -0,0 +1,9 @@
            +#include <linux/module.h>
            +#include <linux/platform_device.h>
            +static int sprd_iommu_probe(struct platform_device *pdev)
            +{
            +	return 0;
            +}
            +static struct platform_driver sprd_iommu_driver = { .probe = sprd_iommu_probe };
            +module_platform_driver(sprd_iommu_driver);
            +
            diff --git a/drivers/iommu/tegra-smmu.c b/drivers/iommu/tegra-smmu.c
            index 8888888..9999999 100644
            --- a/drivers/iommu/tegra-smmu.c
            +++ b/drivers/iommu/tegra-smmu.c
            @@ -1100,6 +1100,5 @@ static struct platform_driver tegra_smmu_driver = {
             	.driver = {
             		.name = "tegra-smmu",
            -		.suppress_bind_attrs = true,
             	},
             	.probe = tegra_smmu_probe,
             };

            """)
    }

    /// A new tristate driver whose Kconfig and Makefile hunks do not apply to the base (written
    /// against a newer tree): registered with builtin_platform_driver and without MODULE_LICENSE.
    var newTristateDriverPosting: String {
        message(
            "newtri", "[PATCH] iommu: add a bcm-like driver", day: 5,
            """
            diff --git a/drivers/iommu/Kconfig b/drivers/iommu/Kconfig
            index 1212121..3434343 100644
            --- a/drivers/iommu/Kconfig
            +++ b/drivers/iommu/Kconfig
            @@ -400,3 +400,8 @@ config SPRD_IOMMU
             	  Say Y here if you want to use the multimedia devices listed above.
             
             endif # IOMMU_SUPPORT_NEWER
            +
            +config BCM_IOMMU
            +	tristate "BCM-like IOMMU"
            +	depends on ARCH_BCM || COMPILE_TEST
            +	select IOMMU_API
            diff --git a/drivers/iommu/Makefile b/drivers/iommu/Makefile
            index 5656565..7878787 100644
            --- a/drivers/iommu/Makefile
            +++ b/drivers/iommu/Makefile
            @@ -40,2 +40,3 @@ obj-$(CONFIG_SPRD_IOMMU) += sprd-iommu.o
             obj-$(CONFIG_APPLE_DART) += apple-dart.o
             obj-$(CONFIG_SPRD_IOMMU) += sprd-iommu.o
            +obj-$(CONFIG_BCM_IOMMU) += bcm-iommu.o
            diff --git a/drivers/iommu/bcm-iommu.c b/drivers/iommu/bcm-iommu.c
            new file mode 100644
            index 0000000..9090909
            --- /dev/null
            +++ b/drivers/iommu/bcm-iommu.c
            @@ -0,0 +1,7 @@
            +#include <linux/platform_device.h>
            +static int bcm_iommu_probe(struct platform_device *pdev)
            +{
            +	return 0;
            +}
            +static struct platform_driver bcm_iommu_driver = { .probe = bcm_iommu_probe };
            +builtin_platform_driver(bcm_iommu_driver);

            """)
    }

    /// Two patches to a file the base lacks: 1/2 renames the remove callback (a changed field, no
    /// finding), 2/2 drops `.suppress_bind_attrs` (its finding is 2/2's).
    var twoPatchSeries: [String] {
        let field = { (id: String, n: Int, hunk: String) in
            self.message(
                id, "[PATCH \(n)/2] iommu/qcom: rework (\(n))", day: 6,
                "diff --git a/drivers/iommu/qcom_iommu.c b/drivers/iommu/qcom_iommu.c\nindex 3333333..4444444 100644\n--- a/drivers/iommu/qcom_iommu.c\n+++ b/drivers/iommu/qcom_iommu.c\n"
                    + hunk)
        }
        return [
            field("two1", 1, "@@ -900,4 +900,4 @@ static struct platform_driver qcom_iommu_driver = {\n \t.probe = qcom_iommu_probe,\n-\t.remove = qcom_iommu_remove,\n+\t.remove = qcom_iommu_v2_remove,\n };\n \n"),
            field("two2", 2, "@@ -895,4 +895,3 @@ static struct platform_driver qcom_iommu_driver = {\n \t\t.name = \"qcom-iommu\",\n-\t\t.suppress_bind_attrs = true,\n \t},\n \t.probe = qcom_iommu_probe,\n").replacingOccurrences(
                of: "Message-Id: <two2@example.invalid>\n",
                with: "Message-Id: <two2@example.invalid>\nIn-Reply-To: <two1@example.invalid>\nReferences: <two1@example.invalid>\n"),
        ]
    }

    /// The rules that need no tree run on what the diff shows of files that cannot be placed.
    func testRulesOnDiffOnlyFacts() throws {
        try writeMbox(root + "/diffonly.mbox", [newDriverPosting, newTristateDriverPosting, mixedPosting] + twoPatchSeries)
        let outcome = try triage(root + "/diffonly.mbox")
        func posting(_ title: String) throws -> Triage.Posting {
            try XCTUnwrap(outcome.entries.flatMap(\.versions).first { $0.series.title.contains(title) }, title)
        }
        func rules(_ p: Triage.Posting) -> [String] {
            p.diffFindings.map { "\($0.rule) \($0.file ?? "-") \($0.partial)" }.sorted()
        }
        // The removed field of a driver the base lacks.
        let unbind = try posting("sprd-like")
        XCTAssertEqual(rules(unbind), ["forced-unbind drivers/iommu/tegra-smmu.c true"])
        XCTAssertEqual(unbind.diffFindings.first?.messageId, "newdrv@example.invalid")
        // The new tristate driver: its Kconfig and Makefile lines are read from the diff.
        let bcm = try posting("bcm-like")
        XCTAssertEqual(
            rules(bcm),
            ["builtin-registration-in-module drivers/iommu/bcm-iommu.c true", "missing-module-license drivers/iommu/bcm-iommu.c true"])
        XCTAssertEqual(bcm.diffFindings.first { $0.rule == "missing-module-license" }?.severity, .error)
        XCTAssertEqual(bcm.diffFindings.first?.config, "CONFIG_BCM_IOMMU")
        // A renamed callback is a changed field, not a removal; the dropped field is 2/2's.
        let two = try posting("rework")
        XCTAssertTrue(two.changes.contains { $0.kind == .fieldChanged && $0.symbol == "remove" }, "\(two.changes)")
        XCTAssertEqual(rules(two), ["forced-unbind drivers/iommu/qcom_iommu.c true"])
        XCTAssertEqual(two.diffFindings.first?.patch, "2/2")
        XCTAssertEqual(two.diffFindings.first?.messageId, "two2@example.invalid")
        // An export added to a file the base lacks is no finding of its own.
        XCTAssertEqual(rules(try posting("make SMMUv3 modular")), [])
        // JSON and text say the findings are partial; the exit status counts the error.
        XCTAssertEqual(outcome.exitCode, 1)
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(TriageReport.json(outcome).utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertTrue(findings.contains { $0["rule"] as? String == "forced-unbind" && $0["partial"] as? Bool == true }, "\(findings)")
        XCTAssertTrue(TriageReport.text(outcome).contains("[missing-module-license] (partial)"))
    }

    func testPostingsThatDoNotApplyAreStillRead() throws {
        try writeMbox(root + "/partial.mbox", [mixedPosting, kconfigOnlyPosting, newDriverPosting, typo])
        let outcome = try triage(root + "/partial.mbox")
        func posting(_ title: String) throws -> Triage.Posting {
            try XCTUnwrap(outcome.entries.flatMap(\.versions).first { $0.series.title.contains(title) }, title)
        }
        func changes(_ p: Triage.Posting) -> [String] {
            p.changes.map { "\($0.kind.rawValue) \($0.symbol)\($0.partial ? " partial" : "")" }.sorted()
        }

        // The Kconfig file applies, the missing driver does not: both are seen.
        let mixed = try posting("make SMMUv3 modular")
        XCTAssertFalse(mixed.applied)
        XCTAssertTrue(mixed.relevant)
        XCTAssertEqual(
            changes(mixed), ["export-added qcom_iommu_sec_init partial", "kconfig-type ARM_SMMU_V3"])
        XCTAssertEqual(mixed.unplacedFiles.count, 1)
        XCTAssertTrue(mixed.unplacedFiles[0].hasPrefix("drivers/iommu/qcom_iommu.c"), mixed.unplacedFiles[0])
        XCTAssertTrue(mixed.partial)

        // A Kconfig hunk that matches nothing in the base: the type flip and the new dependency.
        let mtk = try posting("mediatek")
        XCTAssertTrue(mtk.relevant)
        XCTAssertEqual(changes(mtk), ["config-dependency MTK_IOMMU partial", "kconfig-type MTK_IOMMU partial"])
        let flip = try XCTUnwrap(mtk.changes.first { $0.kind == .kconfigType })
        XCTAssertEqual([flip.before, flip.after], ["bool", "tristate"])

        // A new file always applies (read as applied); the removed field comes from the diff.
        let newDriver = try posting("sprd-like")
        XCTAssertTrue(newDriver.relevant)
        XCTAssertTrue(changes(newDriver).contains("field-removed suppress_bind_attrs partial"), "\(changes(newDriver))")
        XCTAssertTrue(
            newDriver.changes.contains { $0.file == "drivers/iommu/sprd-iommu.c" && !$0.partial },
            "\(changes(newDriver))")

        XCTAssertFalse(try posting("typo").relevant)

        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(TriageReport.json(outcome).utf8)) as? [String: Any])
        let series = try XCTUnwrap(json["series"] as? [[String: Any]])
        let mixedJSON = try XCTUnwrap(series.first { ($0["subject"] as? String)?.contains("SMMUv3") == true })
        XCTAssertEqual(mixedJSON["partial"] as? Bool, true)
        XCTAssertEqual((mixedJSON["unplacedFiles"] as? [String])?.count, 1)
        XCTAssertEqual(mixedJSON["relevant"] as? Bool, true)
    }

    /// Three releases as commits (2019, 2020, 2021), each with its own drivers/iommu/foo.c.
    func releases() throws -> (repo: Repository, commits: [ObjectID], blobs: [ObjectID]) {
        let repo = try Repository.open(try baseTree(), inMemoryWrites: false)
        var parent = try repo.resolveCommit("HEAD")
        var commits: [ObjectID] = []
        var blobs: [ObjectID] = []
        for (i, year) in [2019, 2020, 2021].enumerated() {
            let blob = try repo.writeBlob(Array("int foo(void)\n{\n\treturn 0;\n}\n\n/* release \(year), \(i) */\n".utf8))
            let tree = try repo.updatedTree(base: try repo.tree(ofCommit: parent), changes: ["drivers/iommu/foo.c": blob])
            var who = Fixtures.author
            who.time = Int64(Date(timeIntervalSince1970: 0).addingTimeInterval(Double(year - 1970) * 365.25 * 86_400 + 30 * 86_400).timeIntervalSince1970)
            parent = try repo.createCommit(tree: tree, parents: [parent], message: "release \(year)", author: who, updateRef: nil)
            try repo.createTag("r\(year)", at: parent)
            commits.append(parent)
            blobs.append(blob)
        }
        return (repo, commits, blobs)
    }

    func fooPatch(_ id: String, day: Int, year: Int, preimage: String, trailer: String? = nil) -> String {
        "From: Dana Dev <d@example.invalid>\nSubject: [PATCH] iommu/foo: export foo (\(id))\nMessage-Id: <\(id)@example.invalid>\n"
            + "Date: \(day) Nov \(year) 10:00:00 +0000\n\nExport it.\n---\n"
            + "diff --git a/drivers/iommu/foo.c b/drivers/iommu/foo.c\nindex \(preimage)..1234567 100644\n"
            + "--- a/drivers/iommu/foo.c\n+++ b/drivers/iommu/foo.c\n@@ -4,2 +4,3 @@ int foo(void)\n }\n+EXPORT_SYMBOL(foo);\n \n"
            + (trailer.map { "\nbase-commit: \($0)\n" } ?? "")
    }

    /// A file that does not apply to the base but whose pre-image blob the repository holds (in
    /// a commit that is no candidate base): read as that blob patched, exactly, not from the diff.
    func testPreimageBlobFromAnyCommit() throws {
        let (_, _, blobs) = try releases()
        try writeMbox(
            root + "/threeway.mbox",
            [
                fooPatch("known", day: 5, year: 2021, preimage: String(blobs[2].hex.prefix(12))),
                fooPatch("unknown", day: 6, year: 2021, preimage: "abcdef012345"),
            ])
        let outcome = try triage(root + "/threeway.mbox")
        func posting(_ id: String) throws -> Triage.Posting {
            try XCTUnwrap(outcome.entries.flatMap(\.versions).first { $0.series.title.contains("(\(id))") }, id)
        }
        let known = try posting("known")
        XCTAssertEqual(known.unplacedFiles, [], "\(known.unplacedFiles)")
        XCTAssertEqual(known.changes.map { "\($0.kind.rawValue) \($0.symbol) \($0.partial)" }, ["export-added foo false"])
        let unknown = try posting("unknown")
        XCTAssertEqual(unknown.unplacedFiles.count, 1)
        XCTAssertEqual(unknown.changes.map { "\($0.kind.rawValue) \($0.symbol) \($0.partial)" }, ["export-added foo true"])
    }

    func testEachPostingGetsItsOwnBase() throws {
        let (_, commits, blobs) = try releases()
        let abbrev = blobs.map { String($0.hex.prefix(12)) }
        let messages = [
            fooPatch("pre2020", day: 5, year: 2020, preimage: abbrev[1]),
            fooPatch("pre2019-late", day: 5, year: 2022, preimage: abbrev[0]),
            fooPatch("trailer", day: 6, year: 2022, preimage: abbrev[2], trailer: commits[0].hex),
            fooPatch("unknown", day: 7, year: 2022, preimage: "abcdef012345"),
            fooPatch("early", day: 7, year: 2018, preimage: "abcdef012345"),
            fooPatch("nowhere", day: 8, year: 2022, preimage: "abcdef012345")
                .replacingOccurrences(of: "@@ -4,2 +4,3 @@ int foo(void)\n }\n", with: "@@ -4,2 +4,3 @@ int foo(void)\n } /* not in any release */\n"),
        ]
        try writeMbox(root + "/bases.mbox", messages)
        let outcome = try triage(root + "/bases.mbox") { $0.extraBases = ["r2019", "r2020", "r2021"] }
        func base(_ id: String) throws -> BaseChoice {
            let p = try XCTUnwrap(outcome.entries.flatMap(\.versions).first { $0.series.title.contains("(\(id))") }, id)
            return try XCTUnwrap(p.base, id)
        }
        XCTAssertEqual(try base("pre2020").commit, commits[1], "the pre-image is the 2020 release's foo.c")
        XCTAssertEqual(try base("pre2020").reason, .preimage)
        XCTAssertEqual(try base("pre2019-late").commit, commits[0], "an old pre-image in a later posting")
        XCTAssertEqual(try base("trailer").commit, commits[0], "base-commit: wins over the pre-image")
        XCTAssertEqual(try base("trailer").reason, .trailer)
        // No candidate holds the pre-image: the newest one up to the posting where it applies.
        XCTAssertEqual(try base("unknown").reason, .applies)
        XCTAssertEqual(try base("unknown").commit, commits[2])
        // Older than every candidate: the oldest later one where it applies.
        XCTAssertEqual(try base("early").reason, .applies)
        XCTAssertEqual(try base("early").commit, commits[0])
        // It applies nowhere: the first --base.
        XCTAssertEqual(try base("nowhere").reason, .fallback)
        XCTAssertEqual(try base("nowhere").revision, "HEAD", "the first --base")

        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(TriageReport.json(outcome).utf8)) as? [String: Any])
        let series = try XCTUnwrap(json["series"] as? [[String: Any]])
        let trailer = try XCTUnwrap(series.first { ($0["subject"] as? String)?.contains("(trailer)") == true })
        XCTAssertEqual(trailer["baseReason"] as? String, "trailer")
        XCTAssertEqual(trailer["base"] as? String, commits[0].hex)
        // Every posting read against its own base applies and is relevant.
        for p in outcome.entries.flatMap(\.versions) where !p.series.title.contains("nowhere") {
            XCTAssertTrue(p.applied, p.series.title + " \(p.problem ?? "")")
            XCTAssertTrue(p.relevant, p.series.title)
        }
    }
}

