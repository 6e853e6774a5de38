import Rules
import Workflows
import XCTest

/// One test runs every example of every rule, as SwiftLint does with triggeringExamples.
final class RuleExampleTests: XCTestCase {
    func testEveryRuleHasExamplesAndTheyPass() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        XCTAssertEqual(catalog.rules.count, 13, "the DESIGN catalog has 13 rules")
        var passed = 0
        var failed = 0
        for rule in catalog.rules {
            XCTAssertGreaterThanOrEqual(
                rule.examples.filter(\.triggering).count, 2, "\(rule.id): at least 2 triggering examples")
            XCTAssertGreaterThanOrEqual(
                rule.examples.filter { !$0.triggering }.count, 2,
                "\(rule.id): at least 2 non-triggering examples")
            for outcome in RuleExampleRunner.run(rule, catalog: catalog) {
                if outcome.passed {
                    passed += 1
                } else {
                    failed += 1
                    XCTFail(
                        "\(outcome.rule): \(outcome.triggering ? "triggering" : "non-triggering") example '\(outcome.example)': \(outcome.detail)"
                    )
                }
            }
        }
        print("rule examples: \(passed) passed, \(failed) failed")
    }

    func testDesignRuleIdsAreExactlyTheCatalog() throws {
        let catalog = try RuleCatalog.load(directory: PackagePaths.rules)
        let ids = Set(catalog.rules.map(\.id))
        XCTAssertEqual(
            ids,
            [
                "required-export", "export-removed-in-use", "gpl-only-symbol", "export-gpl-consistency",
                "missing-module-license",
                "builtin-registration-in-module", "missing-remove", "unbalanced-teardown",
                "missing-ops-owner", "forced-unbind",
                "missing-device-table", "builtin-uses-modular", "module-refcount-balance",
            ])
        for rule in catalog.rules {
            XCTAssertEqual((rule.file as NSString).lastPathComponent, "\(rule.id).yaml")
            XCTAssertNotNil(CheckerRegistry.kinds[rule.checkerKind], "\(rule.id): checker kind exists")
        }
    }
}
