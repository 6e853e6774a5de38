import Foundation
import Git

/// Small real git repositories built with modcheck's own Git layer: for rule examples, the corpus,
/// the demo and tests. Nothing here shells out to git.
public enum Fixtures {
    public static let author = Signature(
        name: "modcheck", email: "modcheck@example.invalid", time: 1_572_447_000)

    /// Creates a repository at `path` with one commit per entry of `commits` (each a full file map)
    /// and points `refs/heads/main` (HEAD) at the last one. Returns the commit ids.
    @discardableResult
    public static func createRepository(
        at path: String, commits: [(message: String, files: [String: String])], bare: Bool = false
    ) throws -> [ObjectID] {
        let repo = try Repository.create(at: path, bare: bare)
        var parents: [ObjectID] = []
        var ids: [ObjectID] = []
        for (i, commit) in commits.enumerated() {
            let tree = try repo.writeTree(files: commit.files.mapValues { Array($0.utf8) })
            var who = author
            who.time += Int64(i * 60)
            let id = try repo.createCommit(
                tree: tree, parents: parents, message: commit.message, author: who, updateRef: "HEAD")
            parents = [id]
            ids.append(id)
        }
        return ids
    }

    /// Reads every regular file under `directory` as tree-relative path -> text.
    public static func readDirectory(_ directory: String) throws -> [String: String] {
        var files: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: directory) else {
            throw InputError("\(directory): cannot read the directory")
        }
        while let relative = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            let full = directory + "/" + relative
            guard fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue,
                let data = fm.contents(atPath: full)
            else { continue }
            files[relative] = String(decoding: data, as: UTF8.self)
        }
        return files
    }

    public static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "modcheck-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
