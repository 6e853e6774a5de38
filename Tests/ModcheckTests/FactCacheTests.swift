import CSource
@testable import Facts
import Foundation
import Git
import Kconfig
import XCTest

final class FactCacheTests: XCTestCase {
    /// The byte-level directory of a tree path agrees with Foundation's for every tree path shape.
    func testTreeDirectory() {
        for path in ["drivers/iommu/Kconfig", "Makefile", "a/b", "arch/arm64/include/asm/io.h", "dir.d/x.y/z", "é/ü.c"] {
            XCTAssertEqual(treeDirectory(of: path), (path as NSString).deletingLastPathComponent, path)
        }
    }

    /// The byte-level path tests say what the component-wise ones said.
    func testFileKindsAndArchitectureDirectories() {
        let kinds: [(String, KernelFileKind)] = [
            ("drivers/iommu/iommu.c", .cSource), ("include/linux/iommu.h", .header), ("arch/x86/entry/entry_64.S", .assembly),
            ("Kconfig", .kconfig), ("drivers/iommu/Kconfig", .kconfig), ("arch/x86/Kconfig.debug", .kconfig),
            ("Makefile", .kbuild), ("drivers/Kbuild", .kbuild), ("scripts/Makefile.lib", .other), ("a.cc", .other),
            ("c", .other), (".c", .cSource), ("dir.c/README", .other), ("Documentation/x.rst", .other), ("x.s", .other),
        ]
        for (path, kind) in kinds { XCTAssertEqual(KernelFileKind(path: path), kind, path) }
        XCTAssertTrue(isHeaderPath("a/b.h"))
        XCTAssertFalse(isHeaderPath("a/b.hh"))
        XCTAssertFalse(isHeaderPath("h"))
        let arch: [(String, String?, String?)] = [
            ("arch/x86/Kconfig", "x86", "x86"), ("arch/arm64/kernel/smp.c", "arm64", nil), ("arch/x86", nil, nil),
            ("arch/x86/", nil, nil), ("arch//Kconfig", nil, nil), ("drivers/arch/x/Kconfig", nil, nil),
            ("arch/sh/Kconfig.cpu", "sh", nil),
        ]
        for (path, any, kconfig) in arch {
            XCTAssertEqual(architectureDirectory(of: path).map(String.init), any, path)
            XCTAssertEqual(architectureDirectory(of: path, kconfigOnly: true).map(String.init), kconfig, path)
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
        // Corrupt the shard: the next reader drops the damaged record with a warning instead of
        // trusting it.
        let shard = again.directory + "/42.pack"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: shard))
        let third = try FactCache(directory: dir)
        XCTAssertNil(third.get(key))
        XCTAssertEqual(third.warnings.count, 1)
        XCTAssertTrue(third.warnings[0].contains("damaged cache shard"), third.warnings[0])
    }

    /// A writer killed at any byte of its append leaves a shard whose earlier records are kept:
    /// the next run cuts the torn tail (with a note), and the run after it reads a clean shard.
    func testTornAppendKeepsEarlierRecords() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = FactCache.Key(blob: [0x07] + Array(repeating: 1, count: 19), kind: 2)
        let second = FactCache.Key(blob: [0x07] + Array(repeating: 2, count: 19), kind: 2)
        let writer = try FactCache(directory: dir)
        writer.put(first, Array(repeating: 9, count: 40))
        writer.flush()
        let shard = writer.directory + "/07.pack"
        let good = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        writer.put(second, Array(repeating: 8, count: 40))
        writer.flush()
        let whole = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        for cut in good.count..<whole.count {
            try whole.prefix(cut).write(to: URL(fileURLWithPath: shard))
            let reader = try FactCache(directory: dir)
            XCTAssertEqual(reader.get(first), Array(repeating: 9, count: 40), "cut at \(cut)")
            XCTAssertNil(reader.get(second), "cut at \(cut)")
            XCTAssertEqual(reader.warnings.count, cut == good.count ? 0 : 1, "cut at \(cut)")
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: shard)[.size] as? Int, good.count)
            let next = try FactCache(directory: dir)
            XCTAssertEqual(next.get(first), Array(repeating: 9, count: 40))
            XCTAssertEqual(next.warnings, [])
        }
    }

    /// A record whose value is damaged in the middle of a shard (a disk error, not a torn
    /// append): it is noted and not used when read, the records after it stay, and the record
    /// written again is read by the next run.
    func testDamagedRecordIsNotedAndWrittenAgain() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = FactCache.Key(blob: [0x09] + Array(repeating: 1, count: 19), kind: 2)
        let second = FactCache.Key(blob: [0x09] + Array(repeating: 2, count: 19), kind: 2)
        let writer = try FactCache(directory: dir)
        writer.put(first, Array(repeating: 7, count: 40))
        writer.put(second, Array(repeating: 8, count: 40))
        writer.flush()
        let shard = writer.directory + "/09.pack"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        // The first record's value starts after its 31-byte frame.
        bytes[31 + 5] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: shard))
        let reader = try FactCache(directory: dir)
        XCTAssertNil(reader.get(first))
        XCTAssertEqual(reader.get(second), Array(repeating: 8, count: 40), "the records after it stay")
        XCTAssertEqual(reader.warnings.count, 1)
        XCTAssertTrue(reader.warnings.first?.contains("damaged cache shard record") == true, "\(reader.warnings)")
        reader.put(first, Array(repeating: 7, count: 40))
        reader.flush()
        let next = try FactCache(directory: dir)
        XCTAssertEqual(next.get(first), Array(repeating: 7, count: 40))
        XCTAssertEqual(next.get(second), Array(repeating: 8, count: 40))
        XCTAssertEqual(next.warnings, [])
    }

    /// Witness answers kept for the same Kconfig files: read back through the snapshot's
    /// encoding, a fresh evaluator seeded with them answers as the one that searched (a witness
    /// made whole again, with its configuration; no witness stays none) — and it does take them:
    /// an answer seeded as "none" is given as none.
    func testWitnessAnswersSurviveTheSnapshotAndAreUsed() throws {
        let files = [
            "Kconfig": """
            config MODULES
            	bool "modules"
            	default y
            config PROVIDER
            	tristate "provider"
            config USER
            	bool "user"
            	depends on PROVIDER
            config FOLLOWER
            	tristate "follower"
            	depends on PROVIDER
            config OTHER
            	bool "other"

            """
        ]
        func evaluator() -> KconfigEvaluator {
            KconfigEvaluator(tree: KconfigParser.parse(root: "Kconfig", srcarch: nil, architectures: [], read: { files[$0] }))
        }
        let first = evaluator()
        let found = first.witness(exactly: ["USER": .y, "PROVIDER": .m])
        XCTAssertNotNil(found)
        XCTAssertNil(first.witness(exactly: ["FOLLOWER": .y, "PROVIDER": .m]))
        let records = first.witnessRecords()
        XCTAssertEqual(records.count, 2)
        let read = try XCTUnwrap(FactCache.decodeWitnesses(FactCache.encodeWitnesses(records)))
        XCTAssertEqual(read.sorted { "\($0.exactly)" < "\($1.exactly)" }, records.sorted { "\($0.exactly)" < "\($1.exactly)" })
        XCTAssertNil(FactCache.decodeWitnesses(Array(FactCache.encodeWitnesses(records).dropLast())))

        let seeded = evaluator()
        seeded.seedWitnessAnswers(read)
        XCTAssertEqual(seeded.witnessAnswerCount, 2)
        let again = seeded.witness(exactly: ["USER": .y, "PROVIDER": .m])
        XCTAssertEqual(again?.description, found?.description)
        XCTAssertEqual(again?.value("USER"), .y, "a configuration made whole again")
        XCTAssertEqual(again?.value("OTHER"), found?.value("OTHER"))
        XCTAssertNil(seeded.witness(exactly: ["FOLLOWER": .y, "PROVIDER": .m]))

        let told = evaluator()
        told.seedWitnessAnswers([
            KconfigWitnessRecord(exactly: ["USER": .y, "PROVIDER": .m], below: [:], only: nil, found: nil)
        ])
        XCTAssertNil(told.witness(exactly: ["USER": .y, "PROVIDER": .m]), "the seeded answer is the one given")
        XCTAssertNotNil(told.witness(exactly: ["USER": .y, "PROVIDER": .y]), "other questions are searched")
    }

    /// A Kconfig snapshot reads back what was written; a damaged one (any byte) is noted,
    /// removed and not used.
    func testKconfigSnapshotRoundTripAndDamage() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ranges: [String: ClosedRange<Tristate>] = ["IOMMU_API": .n ... .y, "ARM_SMMU": .m ... .y, "X86": .n ... .n]
        let bytes = FactCache.encodeRanges(ranges)
        XCTAssertEqual(FactCache.decodeRanges(bytes), ranges)
        let cache = try FactCache(directory: dir)
        let key = try XCTUnwrap(FactCache.rangesKey(files: ["Kconfig": try Repository.blobHash([1])], architectures: ["arm64"], semantics: KconfigSemantics()))
        XCTAssertNotEqual(key, FactCache.rangesKey(files: ["Kconfig": try Repository.blobHash([2])], architectures: ["arm64"], semantics: KconfigSemantics()))
        // Stored as a snapshot: damage anywhere in the file (or a cut) is caught by its checksum.
        let path = cache.snapshotPath(cache.rangesName(key))
        cache.storeSnapshot(cache.rangesName(key), bytes)
        let whole = try XCTUnwrap(FileManager.default.contents(atPath: path))
        for position in [0, 4, 6, whole.count / 2, whole.count - 1] {
            var damaged = whole
            damaged[position] ^= 0x20
            try damaged.write(to: URL(fileURLWithPath: path))
            XCTAssertNil(cache.kconfigRanges(key), "byte \(position)")
        }
        try whole.dropLast(3).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(cache.kconfigRanges(key))
        try whole.write(to: URL(fileURLWithPath: path))
        // Reading a snapshot marks it used (pruning drops the oldest-touched files first).
        let old = Date(timeIntervalSinceNow: -86_400 * 30)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
        XCTAssertEqual(cache.kconfigRanges(key), ranges)
        let touched = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        XCTAssertGreaterThan(touched.timeIntervalSince(old), 86_400)
        var damaged = whole
        damaged[10] ^= 0xff
        try damaged.write(to: URL(fileURLWithPath: path))
        XCTAssertNil(cache.kconfigRanges(key))
        XCTAssertTrue(cache.warnings.contains { $0.contains("damaged snapshot") }, "\(cache.warnings)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))

        // Any one bit flipped anywhere past the format byte is caught by the word checksum.
        for position in 5..<whole.count {
            for bit in [0, 3, 7] {
                var flipped = whole
                flipped[position] ^= UInt8(1 << bit)
                try flipped.write(to: URL(fileURLWithPath: path))
                XCTAssertNil(cache.kconfigRanges(key), "byte \(position) bit \(bit)")
            }
        }
        // A snapshot of another format is not damage: removed without a note, made again.
        let fresh = try FactCache(directory: dir)
        var older = whole
        older[4] = 1
        try older.write(to: URL(fileURLWithPath: path))
        XCTAssertNil(fresh.kconfigRanges(key))
        XCTAssertEqual(fresh.warnings, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    /// Two runs appending to the same shards at once both land whole.
    func testConcurrentWritersBothLand() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let caches = [try FactCache(directory: dir), try FactCache(directory: dir)]
        for (n, cache) in caches.enumerated() {
            for i in 0..<500 {
                cache.put(FactCache.Key(blob: [UInt8(i % 4), UInt8(n)] + Array(repeating: UInt8(i / 4), count: 18), kind: 1), Array(repeating: UInt8(n), count: 300 + i))
            }
        }
        DispatchQueue.concurrentPerform(iterations: 2) { caches[$0].flush() }
        let reader = try FactCache(directory: dir)
        for n in 0..<2 {
            for i in 0..<500 {
                let key = FactCache.Key(blob: [UInt8(i % 4), UInt8(n)] + Array(repeating: UInt8(i / 4), count: 18), kind: 1)
                XCTAssertEqual(reader.get(key)?.count, 300 + i)
            }
        }
        XCTAssertEqual(reader.warnings, [])
    }

    /// A shard's index (`XX.pack.idx`): the first reader writes it, the next reads the records it
    /// covers from it (not from the frames: a frame damaged inside the indexed prefix goes
    /// unseen, the values' own checksums still hold), finds records appended since from the
    /// frames after it (a record written again after damage wins), and refuses an index that is
    /// damaged or belongs to a shard since removed and written anew. `cache prune` removes a
    /// shard's index with it.
    func testShardIndexCoversAPrefixAndIsRefusedWhenItNoLongerFits() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        func key(_ n: UInt8) -> FactCache.Key { FactCache.Key(blob: [0x31] + Array(repeating: n, count: 19), kind: 2) }
        func value(_ n: UInt8, _ count: Int = 40) -> [UInt8] { Array(repeating: n, count: count) }
        let writer = try FactCache(directory: dir)
        for n: UInt8 in 1...3 { writer.put(key(n), value(n)) }
        writer.flush()
        let shard = writer.directory + "/31.pack"
        let index = shard + ".idx"
        XCTAssertFalse(fm.fileExists(atPath: index), "written by a reader")
        XCTAssertEqual(try FactCache(directory: dir).get(key(1)), value(1))
        XCTAssertTrue(fm.fileExists(atPath: index))

        // Read from the index: the second record's frame damaged, its value intact.
        let good = try XCTUnwrap(fm.contents(atPath: shard))
        var damaged = good
        damaged[71] = 0x58  // "M" of the second frame (31 + 40 bytes in)
        try damaged.write(to: URL(fileURLWithPath: shard))
        let indexed = try FactCache(directory: dir)
        XCTAssertEqual(indexed.get(key(2)), value(2))
        XCTAssertEqual(indexed.warnings, [], "no frame was read")
        try good.write(to: URL(fileURLWithPath: shard))

        // Appended after the index: found in the frames after it; a record written again wins.
        var valueDamaged = good
        valueDamaged[31 + 5] ^= 0x01
        try valueDamaged.write(to: URL(fileURLWithPath: shard))
        let repairer = try FactCache(directory: dir)
        XCTAssertNil(repairer.get(key(1)))
        repairer.put(key(1), value(9))
        repairer.put(key(4), value(4))
        repairer.flush()
        let next = try FactCache(directory: dir)
        XCTAssertEqual(next.get(key(1)), value(9))
        XCTAssertEqual(next.get(key(4)), value(4))
        XCTAssertEqual(next.get(key(3)), value(3))
        XCTAssertEqual(next.warnings, [])
        // ... and the index written then covers them (the frames' magic gone, but for the last
        // one's, which tells the shard is the one indexed: still read).
        var all = try XCTUnwrap(fm.contents(atPath: shard))
        let covered = all.count
        for offset in stride(from: 0, to: all.count - 71, by: 71) where all[offset] == 0x4d { all[offset] = 0x58 }
        try all.write(to: URL(fileURLWithPath: shard))
        let fromIndex = try FactCache(directory: dir)
        XCTAssertEqual(fromIndex.get(key(1)), value(9))
        XCTAssertEqual(fromIndex.get(key(4)), value(4))
        XCTAssertEqual(fromIndex.warnings, [])
        XCTAssertEqual(try fm.attributesOfItem(atPath: shard)[.size] as? Int, covered)

        // A damaged index is refused (the frames are read again: here they are damaged too, and
        // the shard is cut back, with a note).
        let validIndex = try XCTUnwrap(fm.contents(atPath: index))
        var badIndex = validIndex
        badIndex[20] ^= 0x01
        try badIndex.write(to: URL(fileURLWithPath: index))
        let refusing = try FactCache(directory: dir)
        XCTAssertNil(refusing.get(key(4)))
        XCTAssertTrue(refusing.warnings.contains { $0.contains("damaged cache shard") }, "\(refusing.warnings)")

        // The shard removed and written anew, longer than the old index covers: its index is
        // not the shard's, and the new records are read.
        try fm.removeItem(atPath: shard)
        let rewriter = try FactCache(directory: dir)
        for n: UInt8 in 5...8 { rewriter.put(key(n), value(n, 100)) }
        rewriter.flush()
        try validIndex.write(to: URL(fileURLWithPath: index))
        let fresh = try FactCache(directory: dir)
        for n: UInt8 in 5...8 { XCTAssertEqual(fresh.get(key(n)), value(n, 100), "\(n)") }
        XCTAssertNil(fresh.get(key(4)))
        XCTAssertEqual(fresh.warnings, [])

        // `cache prune` takes the index with its shard.
        XCTAssertTrue(fm.fileExists(atPath: index))
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: shard)
        let pruned = CacheHousekeeping.prune(root: dir, maxBytes: 1)
        XCTAssertGreaterThanOrEqual(pruned.removedShards, 1)
        XCTAssertFalse(fm.fileExists(atPath: shard))
        XCTAssertFalse(fm.fileExists(atPath: index))
    }

    /// Snapshot writes handed to another core run one after another, and `flush` returns only
    /// once every one has: a run that ends with `flush` leaves every snapshot in place.
    func testFlushWaitsForTheWritesHandedToAnotherCore() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = try FactCache(directory: dir)
        let order = NSLock()
        nonisolated(unsafe) var done: [Int] = []
        for i in 0..<3 {
            cache.inBackground {
                Thread.sleep(forTimeInterval: 0.05)
                cache.storeSnapshot("background-\(i)", [UInt8(i)])
                order.withLock { done.append(i) }
            }
        }
        cache.flush()
        XCTAssertEqual(order.withLock { done }, [0, 1, 2])
        for i in 0..<3 { XCTAssertEqual(cache.snapshot("background-\(i)"), [UInt8(i)]) }
    }

    /// A shard a run reads counts as used: `cache prune` drops the shard used longest ago, not
    /// the one written longest ago that every run still reads.
    func testPruneKeepsAShardThatIsReadThoughWrittenLongAgo() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        func key(_ shard: UInt8) -> FactCache.Key { FactCache.Key(blob: [shard] + Array(repeating: 0, count: 19), kind: 1) }
        let cache = try FactCache(directory: dir)
        for shard: UInt8 in 0..<2 { cache.put(key(shard), Array(repeating: 5, count: 10_000)) }
        cache.flush()
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: cache.directory + "/00.pack")
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: cache.directory + "/01.pack")
        XCTAssertNotNil(try FactCache(directory: dir).get(key(0)))
        let pruned = CacheHousekeeping.prune(root: dir, maxBytes: 15_000)
        XCTAssertEqual(pruned.removedShards, 1)
        XCTAssertTrue(fm.fileExists(atPath: cache.directory + "/00.pack"), "read just now")
        XCTAssertFalse(fm.fileExists(atPath: cache.directory + "/01.pack"))
    }

    /// Old generations (another fact format or scanner) go first, then the current one's shards
    /// written longest ago; the bound holds afterwards and the cache still works.
    func testPruneLeastRecentlyUsedFirst() throws {
        let dir = NSTemporaryDirectory() + "modcheck-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        let old = dir + "/facts-v3-scanner1"
        try fm.createDirectory(atPath: old, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 50_000).write(to: URL(fileURLWithPath: old + "/00.pack"))
        let cache = try FactCache(directory: dir)
        for shard in 0..<4 {
            cache.put(FactCache.Key(blob: [UInt8(shard)] + Array(repeating: 0, count: 19), kind: 1), Array(repeating: 5, count: 10_000))
        }
        cache.flush()
        // Shard 00 was written longest ago.
        let past = Date(timeIntervalSinceNow: -3600)
        try fm.setAttributes([.modificationDate: past], ofItemAtPath: cache.directory + "/00.pack")

        let before = CacheHousekeeping.generations(in: dir)
        XCTAssertEqual(before.map(\.name), ["facts-v3-scanner1", CacheHousekeeping.currentGeneration], "least recently used first")
        XCTAssertEqual(before.map(\.isCurrent), [false, true])
        XCTAssertEqual(before[1].files, 4)

        let none = CacheHousekeeping.prune(root: dir, maxBytes: 1 << 30)
        XCTAssertEqual(none.removedGenerations, [], "under the bound: nothing")
        XCTAssertEqual(none.removedShards, 0)
        XCTAssertEqual(none.remainingBytes, before[0].bytes + before[1].bytes)
        let pruned = CacheHousekeeping.prune(root: dir, maxBytes: 35_000)
        XCTAssertEqual(pruned.removedGenerations, ["facts-v3-scanner1"])
        XCTAssertEqual(pruned.removedShards, 1)
        XCTAssertLessThanOrEqual(pruned.remainingBytes, 35_000)
        XCTAssertFalse(fm.fileExists(atPath: old))
        XCTAssertFalse(fm.fileExists(atPath: cache.directory + "/00.pack"), "the oldest shard goes first")
        XCTAssertTrue(fm.fileExists(atPath: cache.directory + "/01.pack"))
        let reader = try FactCache(directory: dir)
        XCTAssertNil(reader.get(FactCache.Key(blob: [0] + Array(repeating: 0, count: 19), kind: 1)))
        XCTAssertEqual(reader.get(FactCache.Key(blob: [1] + Array(repeating: 0, count: 19), kind: 1))?.count, 10_000)

        // A run keeps the cache under its bound by itself, with a note, and looks once a minute.
        try fm.createDirectory(atPath: old, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 50_000).write(to: URL(fileURLWithPath: old + "/00.pack"))
        reader.enforceBound(45_000)
        XCTAssertFalse(fm.fileExists(atPath: old))
        XCTAssertTrue(reader.warnings.contains { $0.contains("over its bound") }, "\(reader.warnings)")
        try fm.createDirectory(atPath: old, withIntermediateDirectories: true)
        reader.enforceBound(1)
        XCTAssertTrue(fm.fileExists(atPath: old), "not looked at again within the minute")

        XCTAssertEqual(CacheHousekeeping.parseSize("2G"), 2 << 30)
        XCTAssertEqual(CacheHousekeeping.parseSize("500m"), 500 << 20)
        XCTAssertNil(CacheHousekeeping.parseSize("lots"))
        XCTAssertNil(CacheHousekeeping.parseSize("-1"))
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
        // The names-only read of a record: the references' names, past definitions, declarations
        // and exports (a name repeated among them is written once and referred back to).
        let names = try FactCodec.referenceNames(FactCodec.encode(facts))
        XCTAssertFalse(names.isEmpty)
        XCTAssertTrue(names.contains("bus_set_iommu"))
        XCTAssertEqual(names, Set(facts.references.map(\.name)))
        XCTAssertThrowsError(try FactCodec.referenceNames([0xff, 0xff, 0xff]))
    }
}
