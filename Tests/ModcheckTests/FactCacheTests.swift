import CSource
import Facts
import Foundation
import XCTest

final class FactCacheTests: XCTestCase {
    /// The byte-level directory of a tree path agrees with Foundation's for every tree path shape.
    func testTreeDirectory() {
        for path in ["drivers/iommu/Kconfig", "Makefile", "a/b", "arch/arm64/include/asm/io.h", "dir.d/x.y/z", "é/ü.c"] {
            XCTAssertEqual(treeDirectory(of: path), (path as NSString).deletingLastPathComponent, path)
        }
    }

    func testRoundTripPersistenceAndCorruptShardRebuild() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = FactCache.Key(blob: Array(repeating: 0x42, count: 20), kind: 2)
        let cache = try FactCache(directory: dir)
        XCTAssertNil(cache.get(key))
        cache.put(key, [1, 2, 3])
        cache.flush()
        let again = try FactCache(directory: dir)
        XCTAssertEqual(again.get(key), [1, 2, 3], "persisted")
        // Corrupt the shard: the next reader drops it with a warning instead of trusting it.
        let shard = again.directory + "/42.pack"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: shard))
        let third = try FactCache(directory: dir)
        XCTAssertNil(third.get(key))
        XCTAssertEqual(third.warnings.count, 1)
        XCTAssertTrue(third.warnings[0].contains("corrupt"), third.warnings[0])
    }

    func testFactsSurviveTheCodecUnchanged() throws {
        let text = """
            #include <linux/module.h>
            #ifdef CONFIG_X
            static int probe(struct platform_device *pdev) { return bus_set_iommu(&pci_bus_type, &ops); }
            #endif
            static struct platform_driver d = { .driver = { .name = "x" }, .probe = probe };
            module_platform_driver(d);
            EXPORT_SYMBOL_NS_GPL(foo, NS);
            #define OWNER(o) (o)->owner = THIS_MODULE
            struct s { int a; int (*b)(void); };
            extern struct bus_type platform_bus_type;
            int foo_register(struct device *dev);
            enum foo_state { FOO_IDLE, FOO_BUSY };
            """
        let facts = CSourceScanner.scan(path: "drivers/x.c", text: text, depth: .full)
        XCTAssertEqual(facts.declarations.map(\.name), ["platform_bus_type", "foo_register"])
        XCTAssertEqual(facts.definitions.filter { $0.kind == .enumerator }.count, 2)
        let decoded = try FactCodec.decode(FactCodec.encode(facts), path: "drivers/x.c")
        XCTAssertEqual(decoded, facts)
        XCTAssertThrowsError(try FactCodec.decode([0xff, 0xff, 0xff], path: "x"))
    }
}
