import Facts
import Foundation
import Git
import Kconfig
@testable import Model
@testable import Workflows
import XCTest

/// A whole tree's model is built on both cores: Kconfig is read on another thread (with its own
/// repository handle) while kbuild is, the units' ranges are worked out there as soon as Kconfig
/// is known, and the outside-source index is made there once the facts are. Whatever thread did
/// the work, the model is the one a single thread makes.
extension TriageTests {
    /// A Kconfig file whose blob only the session's handle holds (a patched tree: the handle's
    /// own writes stay in its memory) cannot be read on the other thread: the tree's Kconfig is
    /// then read again on the session's, where it is found, and nothing is reported unreadable.
    func testWholeTreeKconfigWithABlobOnlyTheSessionHandleHolds() throws {
        let session = try self.session(cacheIn: nil)  // (no kept Kconfig tree: read on the other thread)
        let head = try session.tree(at: "HEAD")
        let kconfig = try text("drivers/iommu/Kconfig", in: head, session.repository)
        let patched = try write(
            [
                "drivers/iommu/Kconfig": kconfig
                    + "\nconfig COLD_MODEL_PATCHED\n\ttristate \"A symbol only the patched blob has\"\n"
            ], on: head, to: session.repository)
        // (The other handle really cannot read it: the blob is in the session's memory only.)
        let other = try Repository.open(session.repositoryPath)
        XCTAssertThrowsError(try other.blobBytes(try XCTUnwrap(patched.blobs["drivers/iommu/Kconfig"])))

        let model = session.model(of: patched)
        XCTAssertNotNil(model.kconfig.symbols["COLD_MODEL_PATCHED"])
        XCTAssertTrue(model.evaluator.canBeModule("COLD_MODEL_PATCHED"))
        XCTAssertEqual(model.problems, [])
        XCTAssertEqual(session.store.problems, [])
        // The unpatched tree's Kconfig, read on the other thread, lacks it.
        XCTAssertNil(session.model(of: head).kconfig.symbols["COLD_MODEL_PATCHED"])
    }

    /// A whole tree's model made with a cache (its outside-source index made ahead on another
    /// thread, its snapshots written by the low-priority one) has the units, Kconfig ranges and
    /// outside-source index of one made without (that index made when first asked for).
    func testColdModelWithACacheIsTheModelWithout() throws {
        let first = try session(cacheIn: nil)
        let second = try session(cacheIn: root + "/cold-model-cache")
        let tree = try first.tree(at: "HEAD")
        let a = first.model(of: tree)
        let b = second.model(of: try second.tree(at: "HEAD"))
        func summary(_ m: KernelModel) -> [String] {
            m.units.map {
                "\($0.name) m=\($0.canBeModule) y=\($0.canBeBuiltin) \($0.sources) \($0.moduleSources) \($0.configs)"
            }.sorted()
        }
        XCTAssertGreaterThan(a.units.count, 5)
        XCTAssertEqual(summary(a), summary(b))
        XCTAssertEqual(a.evaluator.allRanges(), b.evaluator.allRanges())
        // The outside index made ahead on the cached session answers as the one made on demand.
        for name in ["iommu.h", "device.h", "module.h", "platform_device.h"] {
            XCTAssertEqual(
                a.outsideSourceIndex(made: true)?.files(including: name),
                b.outsideSourceIndex(made: true)?.files(including: name), name)
        }
        XCTAssertNotNil(b.outsideIndexAhead, "a whole tree's model with a cache makes its outside index ahead")
        XCTAssertNil(a.outsideIndexAhead, "without a cache the index is made when first asked")
    }
}
