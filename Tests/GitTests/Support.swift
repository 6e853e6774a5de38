import Foundation
import XCTest

@testable import Git

/// A scratch directory per test, real repositories built with the Git layer itself, and the git
/// CLI for cross-checks only.
class GitTestCase: XCTestCase {
    var dir = ""
    let who = Signature(name: "Test Author", email: "author@example.invalid", time: 1_600_000_000)

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "modcheck-git-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Runs git (cross-checks and fixture plumbing only); returns stdout and the exit status.
    @discardableResult
    func git(_ args: [String], in path: String? = nil, env: [String: String] = [:], stdin: [UInt8]? = nil)
        -> (out: String, status: Int32)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = ["-C", path ?? dir] + args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_AUTHOR_NAME"] = "t"
        environment["GIT_AUTHOR_EMAIL"] = "t@example.invalid"
        environment["GIT_COMMITTER_NAME"] = "t"
        environment["GIT_COMMITTER_EMAIL"] = "t@example.invalid"
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        let input = Pipe()
        p.standardInput = input
        do { try p.run() } catch { return ("", -1) }
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try? input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), p.terminationStatus)
    }

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Kernel-like lines ("\tpriv->reg3 = readl(base + 0x0c);") numbered from `from`.
    func registerLines(_ range: ClosedRange<Int>) -> String {
        range.map { "\tpriv->reg\($0) = readl(base + \(String(format: "0x%02x", $0 * 4)));\n" }.joined()
    }

    /// `registerLines(range)` as diff lines starting with `marker` (" ", "-" or "+").
    func diffLines(_ marker: String, _ range: ClosedRange<Int>) -> String {
        range.map { marker + registerLines($0...$0) }.joined()
    }

    /// A commit of `files` on HEAD (writes to disk).
    @discardableResult
    func commit(
        _ repo: Repository, _ files: [String: String], parents: [ObjectID], message: String, time: Int64 = 0
    )
        throws -> ObjectID
    {
        var author = who
        author.time += time
        return try repo.createCommit(
            tree: try repo.writeTree(files: files.mapValues { Array($0.utf8) }), parents: parents,
            message: message, author: author, updateRef: "HEAD")
    }

    /// Every file under `path` with its size, mtime and contents.
    func snapshot(_ path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: path) else { return out }
        for case let relative as String in walker {
            let full = path + "/" + relative
            let attributes = try fm.attributesOfItem(atPath: full)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            let contents = try Data(contentsOf: URL(fileURLWithPath: full))
            out[relative] = "\(mtime) \(contents.base64EncodedString())"
        }
        return out
    }

    /// Sets every file's mtime under `path` to 2001, so any later touch shows.
    func ageFiles(_ path: String) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: path) else { return }
        for case let relative as String in walker {
            try fm.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)],
                ofItemAtPath: path + "/" + relative)
        }
    }
}
