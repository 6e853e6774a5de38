import Facts
import Report
import Rules
import Workflows
import XCTest

/// Runs every end-to-end case in corpus/ and compares with its expected.json.
final class CorpusTests: XCTestCase {
    func testCorpus() throws {
        let cases = try Corpus.cases(in: PackagePaths.corpus)
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        let covered = Set(cases.flatMap { $0.expected.map(\.rule) })
        for rule in catalog.rules {
            XCTAssertTrue(covered.contains(rule.id), "no corpus case expects \(rule.id)")
        }
        var passed = 0
        var failed = 0
        for c in cases {
            do {
                let actual = try c.run()
                let missing = c.expected.filter { !actual.contains($0) }
                let unexpected = actual.filter { !c.expected.contains($0) }
                if missing.isEmpty && unexpected.isEmpty && actual.count == c.expected.count {
                    passed += 1
                } else {
                    failed += 1
                    XCTFail("\(c.name): missing \(missing), unexpected \(unexpected)")
                }
            } catch {
                failed += 1
                XCTFail("\(c.name): \(error)")
            }
        }
        print("corpus: \(passed) passed, \(failed) failed")
    }

    /// Every case reports the same, byte for byte, without a cache, with a cold one (facts
    /// scanned, Kconfig snapshot written) and with the warm one (facts and ranges read back).
    func testCachesAndSnapshotsChangeNoReport() throws {
        let cache = Fixtures.temporaryDirectory("corpus-cache")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        for c in try Corpus.cases(in: PackagePaths.corpus) {
            func json(_ report: CheckReport) -> String { ReportRenderer.render(report, format: .json, catalog: nil) }
            let none = json(try c.report())
            XCTAssertEqual(json(try c.report(cacheDirectory: cache)), none, "\(c.name), cold cache")
            XCTAssertEqual(json(try c.report(cacheDirectory: cache)), none, "\(c.name), warm cache")
        }
        let snapshots = try FileManager.default.contentsOfDirectory(
            atPath: cache + "/" + CacheHousekeeping.currentGeneration
        ).filter { $0.hasSuffix(".ranges") }
        XCTAssertFalse(snapshots.isEmpty, "the runs kept Kconfig snapshots")
    }
}
