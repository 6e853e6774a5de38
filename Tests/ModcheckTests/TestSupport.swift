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
