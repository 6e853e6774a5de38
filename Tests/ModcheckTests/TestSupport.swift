import Facts
import Foundation
import XCTest

/// Paths of the package, for tests that read `rules/` and `corpus/`.
enum PackagePaths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var rules: String { root + "/rules" }
    static var corpus: String { root + "/corpus" }
}

/// The modcheck binary built next to the test bundle.
let modcheckBinary: String = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("modcheck").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return PackagePaths.root + "/.build/debug/modcheck"
}()

/// A test case with a scratch directory (`root`) made before and removed after each test.
class ScratchTestCase: XCTestCase {
    var root = ""

    override func setUp() {
        root = NSTemporaryDirectory() + "modcheck-\(type(of: self))-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }
}

/// Runs the modcheck binary (rules from the package, the cache under `cache`) and returns its
/// exit status, stdout and stderr.
@discardableResult
func runModcheck(
    _ args: [String], stdin: [UInt8]? = nil, cwd: String? = nil, cache: String, environment: [String: String] = [:]
) -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: modcheckBinary)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["MODCHECK_RULES"] = PackagePaths.rules
    env["XDG_CACHE_HOME"] = cache
    for (k, v) in environment { env[k] = v }
    p.environment = env
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try? p.run()
    // Large inputs: write while the reader drains stdout, or both sides block on full pipes.
    let writer = Thread {
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    // stderr is drained on its own thread too: a chatty stderr must not block stdout.
    let errData = ParallelSlots<Data>(count: 1)
    defer { errData.free() }
    let drained = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        errData.set(0, err.fileHandleForReading.readDataToEndOfFile())
        drained.signal()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    p.waitUntilExit()
    return (
        p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData.get(0) ?? Data(), as: UTF8.self)
    )
}

/// Runs git (fixture plumbing the Git layer cannot do: shallow clones, gc, odd paths); returns
/// stdout and the exit status.
@discardableResult
func runGit(_ args: [String], in dir: String) -> (out: String, status: Int32) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = ["-C", dir] + args
    var env = ProcessInfo.processInfo.environment
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_NAME"] = "t"
    env["GIT_AUTHOR_EMAIL"] = "t@example.invalid"
    env["GIT_COMMITTER_NAME"] = "t"
    env["GIT_COMMITTER_EMAIL"] = "t@example.invalid"
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = Pipe()
    p.standardInput = Pipe()
    do { try p.run() } catch { return ("", -1) }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), p.terminationStatus)
}
