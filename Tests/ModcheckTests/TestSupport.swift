import Foundation

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
