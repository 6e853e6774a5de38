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

extension ScratchTestCase {
    /// Runs the built modcheck with the bundled rules and a cache inside the scratch directory.
    @discardableResult
    func runModcheck(_ args: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: modcheckBinary)
        p.arguments = args + (args.contains("--no-cache") ? [] : ["--cache", root + "/cache"])
        p.environment = ProcessInfo.processInfo.environment.merging(["MODCHECK_RULES": PackagePaths.rules]) {
            _, new in new
        }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // stderr is drained on its own thread: a chatty stderr must not block stdout.
        let errData = ParallelSlots<Data>(count: 1)
        defer { errData.free() }
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errData.set(0, err.fileHandleForReading.readDataToEndOfFile())
            drained.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.get(0) ?? Data(), as: UTF8.self))
    }
}
