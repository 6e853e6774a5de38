import Foundation
import Git
import Report
import Rules

extension ToolIdentity {
    /// This modcheck with the rules of `directory`.
    public static func of(rulesDirectory directory: String) -> ToolIdentity {
        ToolIdentity(libgit2: Repository.libgit2Version, rules: rulesVersion(directory: directory))
    }

    /// A digest of a rules directory: every `.yaml` file under it (the rules and the examples'
    /// base tree), by relative path and content, hashed as git hashes a blob; with the number of
    /// rules. Two directories with the same files have the same version.
    public static func rulesVersion(directory: String) -> String {
        let fm = FileManager.default
        var files: [String] = []
        if let walker = fm.enumerator(atPath: directory) {
            while let path = walker.nextObject() as? String {
                if path.hasSuffix(".yaml") { files.append(path) }
            }
        }
        var bytes: [UInt8] = []
        var ruleCount = 0
        for path in files.sorted() {
            guard let data = fm.contents(atPath: directory + "/" + path) else { continue }
            if !path.contains("/") { ruleCount += 1 }
            bytes += Array(path.utf8) + [0] + Array(String(data.count).utf8) + [0] + [UInt8](data)
        }
        let digest = (try? Repository.blobHash(bytes))?.hex.prefix(12) ?? "unknown"
        return "\(digest) (\(ruleCount) rules)"
    }
}
