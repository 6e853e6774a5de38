import Foundation
import XCTest

@testable import Git

final class RepositoryTests: GitTestCase {
    /// base -> iommu change -> docs change on HEAD, tag v1 on base.
    func makeHistory(bare: Bool = false) throws -> (Repository, [ObjectID]) {
        let repo = try Repository.create(at: dir, bare: bare)
        var files = [
            "Makefile": "VERSION = 5\nPATCHLEVEL = 4\n",
            "drivers/iommu/Kconfig": "config ARM_SMMU\n\tbool \"ARM SMMU\"\n",
            "drivers/iommu/arm-smmu.c": "static int arm_smmu_probe(void)\n{\n\treturn 0;\n}\n",
            "drivers/iommu2/other.c": "int other;\n",
            "Documentation/iommu.txt": "IOMMU\n",
        ]
        let c1 = try commit(repo, files, parents: [], message: "base\n\nThe base tree.\n", time: 0)
        files["drivers/iommu/arm-smmu.c"]! += "MODULE_LICENSE(\"GPL v2\");\n"
        let c2 = try commit(repo, files, parents: [c1], message: "iommu/arm-smmu: add a licence", time: 60)
        files["Documentation/iommu.txt"] = "IOMMU drivers\n"
        let c3 = try commit(repo, files, parents: [c2], message: "docs: iommu", time: 120)
        try repo.createTag("v1", at: c1)
        return (repo, [c1, c2, c3])
    }

    func testOpenNonBareFromWorkdirGitDirAndSubdirectory() throws {
        _ = try makeHistory()
        let sub = dir + "/drivers/iommu"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let found = try Repository.discover(from: sub)
        XCTAssertTrue(found.gitDirectory.hasSuffix(".git/"), found.gitDirectory)
        XCTAssertNotNil(found.workingDirectory)
        XCTAssertFalse(found.isShallow)
        let viaWorkdir = try Repository.open(dir)
        let viaGitDir = try Repository.open(dir + "/.git")
        XCTAssertEqual(try viaWorkdir.resolveCommit("HEAD"), try viaGitDir.resolveCommit("HEAD"))
        // open does not search upwards.
        XCTAssertThrowsError(try Repository.open(sub))
        XCTAssertThrowsError(try Repository.open(dir + "/nope")) { error in
            guard let error = error as? GitError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.operation.contains("/nope"), error.description)
            XCTAssertFalse(error.message.isEmpty)
        }
    }

    func testOpenBare() throws {
        let (_, c) = try makeHistory(bare: true)
        let repo = try Repository.open(dir)
        XCTAssertNil(repo.workingDirectory)
        XCTAssertEqual(try repo.resolveCommit("HEAD"), c[2])
        XCTAssertEqual(try repo.entries(tree: try repo.tree(ofCommit: c[2])).count, 5)
    }

    func testRevisionsAndCommitInfo() throws {
        let (repo, c) = try makeHistory()
        XCTAssertEqual(try repo.resolveCommit("HEAD"), c[2])
        XCTAssertEqual(try repo.resolveCommit("HEAD~1"), c[1])
        XCTAssertEqual(try repo.resolveCommit("HEAD^^"), c[0])
        XCTAssertEqual(try repo.resolveCommit("v1"), c[0])
        XCTAssertEqual(try repo.resolveCommit(c[1].hex), c[1])
        XCTAssertEqual(try repo.resolveCommit(String(c[1].hex.prefix(10))), c[1])
        let info = try repo.commit(c[0])
        XCTAssertEqual(info.summary, "base")
        XCTAssertEqual(info.message, "base\n\nThe base tree.\n")
        XCTAssertEqual(info.authorName, "Test Author")
        XCTAssertEqual(info.authorEmail, "author@example.invalid")
        XCTAssertEqual(info.time, 1_600_000_000)
        XCTAssertEqual(info.parents, [])
        XCTAssertEqual(try repo.commit(c[2]).parents, [c[1]])
        XCTAssertEqual(try repo.tree(ofCommit: c[2]), try repo.commit(c[2]).tree)
        // git agrees on the ids and the tree.
        XCTAssertEqual(git(["rev-parse", "HEAD~1", "v1"]).out, "\(c[1].hex)\n\(c[0].hex)\n")
        XCTAssertEqual(git(["rev-parse", "HEAD^{tree}"]).out, "\(try repo.tree(ofCommit: c[2]).hex)\n")
        XCTAssertThrowsError(try repo.resolveCommit("no-such-rev")) { error in
            XCTAssertTrue("\(error)".contains("no-such-rev"), "\(error)")
        }
        // A tree is not a commit.
        XCTAssertThrowsError(try repo.resolveCommit("HEAD^{tree}"))
    }

    func testRangesMatchGitLog() throws {
        let (repo, c) = try makeHistory()
        XCTAssertEqual(try repo.commits(range: "v1..HEAD"), [c[1], c[2]])
        XCTAssertEqual(try repo.commits(range: "HEAD"), c)
        XCTAssertEqual(try repo.commits(range: "HEAD~1"), [c[0], c[1]])
        XCTAssertEqual(try repo.commits(range: "v1..HEAD", paths: ["drivers/iommu"]), [c[1]])
        XCTAssertEqual(try repo.commits(range: "v1..HEAD", paths: ["drivers/iommu/"]), [c[1]])
        XCTAssertEqual(try repo.commits(range: "HEAD", paths: ["drivers/iommu/arm-smmu.c"]), [c[0], c[1]])
        XCTAssertEqual(try repo.commits(range: "HEAD", paths: ["Documentation", "Makefile"]), [c[0], c[2]])
        // A sibling directory sharing the prefix's spelling does not match.
        XCTAssertEqual(try repo.commits(range: "HEAD", paths: ["drivers/iommu2"]), [c[0]])
        XCTAssertEqual(try repo.commits(range: "HEAD", paths: ["drivers/none"]), [])
        for (range, paths) in [
            ("v1..HEAD", []), ("HEAD", []), ("HEAD", ["drivers/iommu"]), ("v1..HEAD", ["Documentation"]),
        ] {
            let expected = git(["log", "--reverse", "--topo-order", "--format=%H", range, "--"] + paths).out
                .split(separator: "\n").map(String.init)
            XCTAssertEqual(
                try repo.commits(range: range, paths: paths).map(\.hex), expected, "\(range) \(paths)")
        }
    }

    func testSymmetricRangeAndFirstParentWalk() throws {
        let (repo, c) = try makeHistory()
        // A side branch from v1 and a merge of it into HEAD.
        let sideTree = try repo.updatedTree(
            base: try repo.tree(ofCommit: c[0]),
            changes: ["drivers/iommu/Kconfig": try repo.writeBlob(bytes("config X\n"))])
        let side = try repo.createCommit(
            tree: sideTree, parents: [c[0]], message: "side", author: who, updateRef: "refs/heads/side")
        let merged = try repo.updatedTree(
            base: try repo.tree(ofCommit: c[2]),
            changes: ["drivers/iommu/Kconfig": try repo.writeBlob(bytes("config X\n"))])
        var later = who
        later.time += 600
        let merge = try repo.createCommit(
            tree: merged, parents: [c[2], side], message: "merge", author: later, updateRef: "HEAD")
        XCTAssertEqual(Set(try repo.commits(range: "side...HEAD~1")), Set([side, c[1], c[2]]))
        let expected = git(["log", "--reverse", "--topo-order", "--format=%H", "side...HEAD~1"]).out.split(
            separator: "\n")
        XCTAssertEqual(try repo.commits(range: "side...HEAD~1").map(\.hex), expected.map(String.init))
        XCTAssertEqual(try repo.commits(range: "v1..HEAD", firstParentOnly: true), [c[1], c[2], merge])
        let all = try repo.commits(range: "v1..HEAD")
        XCTAssertEqual(Set(all), Set([c[1], c[2], side, merge]))
        XCTAssertEqual(all.last, merge)
        // The merge changes Kconfig against its first parent; the side commit against v1.
        XCTAssertEqual(
            Set(try repo.commits(range: "v1..HEAD", paths: ["drivers/iommu/Kconfig"])), Set([side, merge]))
    }

    func testUpdateRefMovesHeadsBranchAnywhere() throws {
        let (repo, c) = try makeHistory()
        // Fixtures rewrite history: HEAD's branch may move to a commit that does not descend from it.
        let other = try repo.createCommit(
            tree: try repo.tree(ofCommit: c[0]), parents: [c[0]], message: "other", author: who, updateRef: "HEAD")
        XCTAssertEqual(try repo.resolveCommit("HEAD"), other)
        XCTAssertEqual(git(["rev-parse", git(["symbolic-ref", "HEAD"]).out.trimmingCharacters(in: .newlines)]).out, other.hex + "\n")
        try repo.setReference("refs/heads/topic", to: c[1])
        XCTAssertEqual(try repo.resolveCommit("topic"), c[1])
    }

    func testEntriesUnderPrefixesSymlinksAndSubmodules() throws {
        let (repo, c) = try makeHistory()
        let tree = try repo.tree(ofCommit: c[2])
        let all = try repo.entries(tree: tree)
        XCTAssertEqual(
            all.map(\.path).sorted(),
            [
                "Documentation/iommu.txt", "Makefile", "drivers/iommu/Kconfig", "drivers/iommu/arm-smmu.c",
                "drivers/iommu2/other.c",
            ])
        let lsTree = git(["ls-tree", "-r", "--format=%(objectname) %(path)", "HEAD"]).out
        XCTAssertEqual(all.map { "\($0.blob.hex) \($0.path)" }.joined(separator: "\n") + "\n", lsTree)
        XCTAssertEqual(
            try repo.entries(tree: tree, under: ["drivers/iommu"]).map(\.path),
            ["drivers/iommu/Kconfig", "drivers/iommu/arm-smmu.c"])
        XCTAssertEqual(try repo.entries(tree: tree, under: ["drivers/iommu/", "drivers"]).count, 3)
        XCTAssertEqual(try repo.entries(tree: tree, under: ["Makefile", "nope/x"]).map(\.path), ["Makefile"])
        XCTAssertEqual(try repo.entries(tree: tree, under: [""]).count, 5)

        let link = try repo.writeBlob(bytes("arm-smmu.c"))
        let withExtras = try repo.updatedTree(
            base: tree,
            changes: [
                "drivers/iommu/link.c": link, "scripts/run.sh": try repo.writeBlob(bytes("#!/bin/sh\n")),
                "sub": c[0],
            ],
            modes: ["drivers/iommu/link.c": 0o120000, "scripts/run.sh": 0o100755, "sub": 0o160000])
        let entries = try repo.entries(tree: withExtras)
        XCTAssertFalse(entries.contains { $0.path == "sub" }, "submodules are not files")
        XCTAssertEqual(entries.first { $0.path == "drivers/iommu/link.c" }?.isSymlink, true)
        XCTAssertEqual(entries.first { $0.path == "scripts/run.sh" }?.isExecutable, true)
        XCTAssertEqual(entries.first { $0.path == "Makefile" }?.mode, 0o100644)
        XCTAssertNil(try repo.blobID(tree: withExtras, path: "sub"))
        XCTAssertNil(try repo.blobID(tree: withExtras, path: "drivers/iommu"))
        XCTAssertEqual(try repo.entryID(tree: withExtras, path: "sub"), c[0])
    }

    func testBlobReading() throws {
        let (repo, c) = try makeHistory()
        let tree = try repo.tree(ofCommit: c[1])
        let id = try XCTUnwrap(try repo.blobID(tree: tree, path: "drivers/iommu/arm-smmu.c"))
        XCTAssertEqual(
            String(decoding: try repo.blobBytes(id), as: UTF8.self),
            "static int arm_smmu_probe(void)\n{\n\treturn 0;\n}\nMODULE_LICENSE(\"GPL v2\");\n")
        XCTAssertEqual(try repo.withBlob(id) { $0.count }, 73)
        XCTAssertEqual(try repo.withBlob(id) { $0.first }, UInt8(ascii: "s"))
        XCTAssertNil(try repo.blobID(tree: tree, path: "drivers/iommu/missing.c"))
        XCTAssertTrue(repo.contains(id))
        let empty = try repo.writeBlob([])
        XCTAssertEqual(empty.hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        XCTAssertEqual(try repo.withBlob(empty) { $0.count }, 0)
        let missing = try XCTUnwrap(ObjectID(hex: String(repeating: "ab", count: 20)))
        XCTAssertFalse(repo.contains(missing))
        XCTAssertThrowsError(try repo.withBlob(missing) { $0.count }) { error in
            XCTAssertTrue("\(error)".contains(missing.hex), "\(error)")
        }
    }

    func testObjectID() throws {
        let hex = "0123456789abcdef0123456789ABCDEF01234567"
        let id = try XCTUnwrap(ObjectID(hex: hex))
        XCTAssertEqual(id.hex, hex.lowercased())
        XCTAssertEqual(ObjectID(raw: id.rawBytes), id)
        XCTAssertEqual(id.rawBytes.count, 20)
        XCTAssertNil(ObjectID(hex: "xyz"))
        XCTAssertNil(ObjectID(hex: String(repeating: "g", count: 40)))
        XCTAssertNil(ObjectID(raw: [1, 2, 3]))
        let small = try XCTUnwrap(ObjectID(hex: "00" + String(repeating: "ff", count: 19)))
        let big = try XCTUnwrap(ObjectID(hex: "01" + String(repeating: "00", count: 19)))
        XCTAssertLessThan(small, big)
        let last = try XCTUnwrap(ObjectID(hex: String(repeating: "00", count: 19) + "02"))
        XCTAssertLessThan(try XCTUnwrap(ObjectID(hex: String(repeating: "00", count: 19) + "01")), last)
        XCTAssertEqual(Set([id, id, big]).count, 2)
    }

    func testDiffTrees() throws {
        let repo = try Repository.create(at: dir, bare: true)
        let body = registerLines(1...30)
        let old = try repo.writeTree(files: [
            "drivers/iommu/a.c": bytes(body), "drivers/iommu/b.c": bytes("b\n"),
            "drivers/iommu/gone.c": bytes("gone\n"),
            "drivers/iommu/old-name.c": bytes(body + "/* moved */\n"), "Makefile": bytes("obj-y += a.o\n"),
        ])
        let new = try repo.updatedTree(
            base: old,
            changes: [
                "drivers/iommu/b.c": try repo.writeBlob(bytes("b changed\n")), "drivers/iommu/gone.c": nil,
                "drivers/iommu/new.c": try repo.writeBlob(bytes("new\n")), "drivers/iommu/old-name.c": nil,
                "drivers/iommu/new-name.c": try repo.writeBlob(bytes(body + "/* moved here */\n")),
                "Makefile": try repo.writeBlob(bytes("obj-m += a.o\n")),
            ])
        let changes = try repo.diff(from: old, to: new)
        func find(_ path: String) -> ChangedPath? {
            changes.first { $0.newPath == path || $0.oldPath == path }
        }
        XCTAssertEqual(find("drivers/iommu/b.c")?.status, .modified)
        XCTAssertEqual(find("drivers/iommu/gone.c")?.status, .deleted)
        XCTAssertNil(find("drivers/iommu/gone.c")?.newBlob)
        XCTAssertEqual(find("drivers/iommu/new.c")?.status, .added)
        XCTAssertNil(find("drivers/iommu/new.c")?.oldPath)
        let rename = try XCTUnwrap(find("drivers/iommu/new-name.c"))
        XCTAssertEqual(rename.status, .renamed)
        XCTAssertEqual(rename.oldPath, "drivers/iommu/old-name.c")
        XCTAssertEqual(rename.oldBlob, try repo.blobID(tree: old, path: "drivers/iommu/old-name.c"))
        XCTAssertEqual(rename.newBlob, try repo.blobID(tree: new, path: "drivers/iommu/new-name.c"))
        XCTAssertEqual(changes.count, 5)
        XCTAssertEqual(try repo.diff(from: old, to: new, under: ["Makefile"]).map(\.status), [.modified])
        XCTAssertEqual(
            try repo.diff(from: old, to: new, under: ["drivers/iommu/b.c", "drivers/iommu/new.c"]).count, 2)
        XCTAssertEqual(try repo.diff(from: nil, to: old).count, 5)
        XCTAssertTrue(try repo.diff(from: old, to: old).isEmpty)
        // A file replaced by a symlink is one type change.
        let linked = try repo.updatedTree(
            base: old, changes: ["Makefile": try repo.writeBlob(bytes("Kbuild"))],
            modes: ["Makefile": 0o120000])
        XCTAssertEqual(try repo.diff(from: old, to: linked).map(\.status), [.typeChanged])
    }

    /// `changedFiles` (only differing subtrees read) equals the difference of the two trees'
    /// full listings: edits deep and shallow, adds, deletes, a file that becomes a directory and
    /// back, a rename, a mode change, symlinks (left out, as `entries` leaves them out of a
    /// tree's files), the empty tree on either side.
    func testChangedFilesEqualTheDifferenceOfTheListings() throws {
        let repo = try Repository.create(at: dir, bare: true)
        let base = try repo.writeTree(files: [
            "Makefile": bytes("obj-y += drivers/\n"), "drivers/iommu/a.c": bytes("a\n"),
            "drivers/iommu/b.c": bytes("b\n"), "drivers/iommu/sub/c.c": bytes("c\n"),
            "drivers/base/d.c": bytes("d\n"), "include/linux/e.h": bytes("e\n"), "tools/x": bytes("x\n"),
        ])
        func files(_ tree: ObjectID?) throws -> [String: ObjectID] {
            guard let tree else { return [:] }
            var out: [String: ObjectID] = [:]
            for e in try repo.entries(tree: tree) where !e.isSymlink { out[e.path] = e.blob }
            return out
        }
        func expected(_ a: ObjectID?, _ b: ObjectID) throws -> [String: ObjectID?] {
            let (x, y) = (try files(a), try files(b))
            var out: [String: ObjectID?] = [:]
            for (path, blob) in y where x[path] != blob { out[path] = .some(blob) }
            for path in x.keys where y[path] == nil { out[path] = .some(nil) }
            return out
        }
        let edits: [([String: ObjectID?], [String: UInt32])] = [
            (["drivers/iommu/sub/c.c": try repo.writeBlob(bytes("c2\n"))], [:]),
            (["drivers/iommu/a.c": nil, "drivers/iommu/new.c": try repo.writeBlob(bytes("a\n"))], [:]),
            (["tools/x": nil], [:]),
            (["tools/x/y.c": try repo.writeBlob(bytes("y\n"))], [:]),
            (["drivers/base/d.c": nil], [:]),
            (["drivers/base": try repo.writeBlob(bytes("now a file\n"))], [:]),
            (["drivers/iommu/b.c": try repo.writeBlob(bytes("b\n"))], ["drivers/iommu/b.c": 0o100755]),
            (["include/linux/link.h": try repo.writeBlob(bytes("e.h"))], ["include/linux/link.h": 0o120000]),
            (["include/linux/e.h": try repo.writeBlob(bytes("e.h"))], ["include/linux/e.h": 0o120000]),
            (["Makefile": try repo.writeBlob(bytes("obj-m += drivers/\n")), "include/linux/e.h": nil], [:]),
        ]
        var trees = [base]
        for (changes, modes) in edits {
            trees.append(try repo.updatedTree(base: trees.last!, changes: changes, modes: modes))
        }
        for (i, a) in trees.enumerated() {
            for b in trees {
                XCTAssertEqual(try repo.changedFiles(from: a, to: b), try expected(a, b), "tree \(i) to \(b)")
            }
            XCTAssertEqual(try repo.changedFiles(from: nil, to: a), try expected(nil, a))
        }
        XCTAssertEqual(try repo.changedFiles(from: base, to: trees[1]).count, 1)
    }

    func testUpdatedTreeRewritesOnlyTouchedPathsAndDropsEmptyDirectories() throws {
        let repo = try Repository.create(at: dir, bare: true)
        let base = try repo.writeTree(files: [
            "drivers/iommu/a.c": bytes("a\n"), "drivers/iommu/only/x.c": bytes("x\n"),
            "drivers/pci/p.c": bytes("p\n"),
        ])
        let script = try repo.updatedTree(
            base: base, changes: ["drivers/iommu/a.c": try repo.writeBlob(bytes("a\n"))],
            modes: ["drivers/iommu/a.c": 0o100755])
        let changed = try repo.updatedTree(
            base: script,
            changes: [
                "drivers/iommu/a.c": try repo.writeBlob(bytes("a2\n")), "drivers/iommu/only/x.c": nil,
                "absent/y.c": nil,
            ])
        XCTAssertEqual(try repo.entries(tree: changed).map(\.path), ["drivers/iommu/a.c", "drivers/pci/p.c"])
        XCTAssertEqual(
            try repo.entries(tree: changed).first?.mode, 0o100755, "an update keeps the file's mode")
        XCTAssertEqual(
            try repo.entryID(tree: changed, path: "drivers/pci"),
            try repo.entryID(tree: base, path: "drivers/pci"))
        XCTAssertNil(try repo.entryID(tree: changed, path: "drivers/iommu/only"))
        let empty = try repo.updatedTree(base: nil, changes: [:])
        XCTAssertEqual(empty.hex, "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
        XCTAssertEqual(
            try repo.updatedTree(base: try repo.writeTree(files: ["a": bytes("a")]), changes: ["a": nil]),
            empty)
        // git reads what the layer wrote.
        XCTAssertEqual(git(["cat-file", "-p", "\(changed.hex):drivers/iommu/a.c"]).out, "a2\n")
        XCTAssertEqual(git(["fsck", "--strict"]).status, 0)
    }

    func testIndexTreeMatchesGitWriteTree() throws {
        _ = try makeHistory()
        XCTAssertEqual(git(["read-tree", "HEAD"]).status, 0)
        try FileManager.default.createDirectory(
            atPath: dir + "/drivers/iommu", withIntermediateDirectories: true)
        try "int staged;\n".write(toFile: dir + "/drivers/iommu/new.c", atomically: true, encoding: .utf8)
        XCTAssertEqual(git(["add", "drivers/iommu/new.c"]).status, 0)
        let repo = try Repository.open(dir)
        let tree = try repo.indexTree()
        XCTAssertEqual(try repo.entries(tree: tree).count, 6)
        XCTAssertEqual(tree.hex + "\n", git(["write-tree"]).out)
    }
}
