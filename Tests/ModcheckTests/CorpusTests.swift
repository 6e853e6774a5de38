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
}
