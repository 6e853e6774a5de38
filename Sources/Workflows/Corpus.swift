import Foundation
import Git
import Report
import Rules

/// End-to-end cases in `corpus/`: a small kernel-like base tree written for modcheck (shaped like a
/// real incident), the patches, and the findings modcheck must report (`expected.json`).
public enum Corpus {
    public struct Expected: Sendable, Hashable, CustomStringConvertible {
        public var patch: String?
        public var rule: String
        public var severity: String
        public var symbol: String?
        public var module: String?

        public var description: String {
            "[\(patch ?? "tree")] \(rule) \(severity) \(symbol ?? "-") \(module ?? "-")"
        }
    }

    public struct Case: Sendable {
        public var name: String
        public var directory: String
        public var description: String
        public var files: [String: String]
        /// Patches applied (and committed) to the base tree before checking: the state a case starts from.
        public var setupFiles: [String]
        public var patchFiles: [String]
        public var expected: [Expected]

        public static func load(_ directory: String) throws -> Case {
            let name = (directory as NSString).lastPathComponent
            let corpus = (directory as NSString).deletingLastPathComponent
            let expectedPath = directory + "/expected.json"
            guard let data = FileManager.default.contents(atPath: expectedPath),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else {
                throw InputError("\(expectedPath): missing or not a JSON object")
            }
            // A case's tree: a shared base tree from corpus/_trees (key "tree"), overlaid by its own tree/.
            var files: [String: String] = [:]
            if let shared = json["tree"] as? String {
                let sharedDir = corpus + "/_trees/" + shared
                guard FileManager.default.fileExists(atPath: sharedDir) else {
                    throw InputError("\(expectedPath): key 'tree': no \(sharedDir)")
                }
                files = try Fixtures.readDirectory(sharedDir)
            }
            if FileManager.default.fileExists(atPath: directory + "/tree") {
                files.merge(try Fixtures.readDirectory(directory + "/tree")) { _, own in own }
            }
            guard !files.isEmpty else { throw InputError("\(directory): no tree/ folder and no 'tree' key") }
            func paths(_ key: String) throws -> [String]? {
                guard let value = json[key] else { return nil }
                guard let list = value as? [String] else {
                    throw InputError("\(expectedPath): key '\(key)' must be a list of paths")
                }
                return list.map { corpus + "/" + $0 }
            }
            let setupFiles = try paths("setup") ?? []
            var patchFiles = try paths("patches") ?? []
            if json["patches"] == nil {
                let patchDir = directory + "/patches"
                let patchNames = (try? FileManager.default.contentsOfDirectory(atPath: patchDir)) ?? []
                patchFiles = patchNames.filter { !$0.hasPrefix(".") }.sorted().map { patchDir + "/" + $0 }
            }
            guard let list = json["findings"] as? [[String: Any]] else {
                throw InputError("\(expectedPath): key 'findings' must be a list")
            }
            let expected = try list.enumerated().map { index, item -> Expected in
                guard let rule = item["rule"] as? String, let severity = item["severity"] as? String else {
                    throw InputError("\(expectedPath): findings[\(index)] needs 'rule' and 'severity'")
                }
                return Expected(
                    patch: item["patch"] as? String, rule: rule, severity: severity,
                    symbol: item["symbol"] as? String,
                    module: item["module"] as? String)
            }
            return Case(
                name: name, directory: directory, description: json["description"] as? String ?? name,
                files: files,
                setupFiles: setupFiles, patchFiles: patchFiles, expected: expected)
        }

        /// Builds the base repository (one commit, HEAD) with the Git layer; returns the commit id.
        public func buildRepository(at path: String) throws -> ObjectID {
            if FileManager.default.fileExists(atPath: path + "/.git")
                || FileManager.default.fileExists(atPath: path + "/HEAD")
            {
                throw InputError("\(path): a repository already exists there; choose another --at")
            }
            var head = try Fixtures.createRepository(
                at: path, commits: [(message: "base: \(description)", files: files)])[0]
            guard !setupFiles.isEmpty else { return head }
            let repo = try Repository.open(path, inMemoryWrites: false)
            let (patches, _) = try PatchInputs.read(setupFiles)
            var tree = try repo.tree(ofCommit: head)
            for patch in patches {
                let filePatches = try PatchParser.parse(patch.message.patchText ?? [])
                tree = try Git.apply(filePatches, to: tree, in: repo).tree
                head = try repo.createCommit(
                    tree: tree, parents: [head], message: patch.subject, author: Fixtures.author,
                    updateRef: "HEAD")
            }
            return head
        }

        /// Runs the case and returns the findings (warnings and errors) in the expected shape.
        /// The case's report, with the fact cache (and its snapshots) in `cacheDirectory`, or
        /// without a cache.
        public func report(cacheDirectory: String? = nil) throws -> CheckReport {
            let dir = Fixtures.temporaryDirectory("corpus")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = try buildRepository(at: dir)
            var options = CommonOptions()
            options.repository = dir
            options.useCache = cacheDirectory != nil
            options.cacheDirectory = cacheDirectory
            let session = try Session(options: options)
            if patchFiles.isEmpty { return try TreeCheck.run(session: session, revision: "HEAD") }
            let (patches, notes) = try PatchInputs.read(patchFiles)
            return try SeriesCheck.run(session: session, baseRevision: "HEAD", patches: patches, inputNotes: notes)
        }

        public func run() throws -> [Expected] {
            let report = try self.report()
            return report.findings.filter { $0.severity != .info }.map {
                Expected(
                    patch: patchFiles.isEmpty ? nil : $0.patch, rule: $0.rule, severity: $0.severity.rawValue,
                    symbol: $0.symbol, module: $0.module)
            }
        }
    }

    public static func cases(in directory: String) throws -> [Case] {
        // `_trees` and other `_` folders hold shared material, not cases.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            !$0.hasPrefix(".") && !$0.hasPrefix("_")
        }.sorted()
        return try names.compactMap { name in
            let path = directory + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                return nil
            }
            return try Case.load(path)
        }
    }

    public static func defaultDemoCase() -> String {
        let rules = Session.bundledRulesDirectory()
        return ((rules as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "corpus/smmu-modular-series")
    }
}
