import Facts
import Foundation
import Git
import Model
import Report
import Rules

/// Bad input or a usage problem: one line naming the file (and line where known); exit code 2.
public struct InputError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Options every subcommand shares.
public struct CommonOptions: Sendable {
    public var repository: String?
    public var cacheDirectory: String?
    public var useCache = true
    public var rulesDirectory: String?
    public var scope: [String] = KernelModel.defaultScope
    public var configFile: String?
    /// Whether `scope` came from the command line (it then wins over `.modcheck.yaml`).
    public var scopeGiven = false
    /// GKI KMI symbol lists (`--kmi-symbol-list`, several allowed).
    public var kmiSymbolLists: [String] = []
    /// Files larger than this many bytes are skipped with a note (`--max-file-size`).
    public var maxFileSize = FactStore.defaultMaxFileSize
    /// Seconds one file's scan may take (`--scan-time-limit`); nil: no limit.
    public var scanTimeLimit: Double? = FactStore.defaultScanTimeLimit

    public init() {}
}

/// An open repository with its fact store and rules: what every workflow starts from.
public final class Session: @unchecked Sendable {
    public let repository: Repository
    public let repositoryPath: String
    public let store: FactStore
    public let catalog: RuleCatalog
    public private(set) var engine: RuleEngine
    public private(set) var options: CommonOptions
    /// The repository's `.modcheck.yaml`, when it has one (and its text: part of a report's key).
    public let policy: Policy?
    let policyText: String?
    public let dotConfig: DotConfigFile?
    /// Whether a change that changes no fact is answered without a model (UnchangedFacts.swift);
    /// tests turn it off to compare with a full check.
    var followsFacts = true

    public init(options: CommonOptions, catalog preloaded: RuleCatalog? = nil, only: Set<String>? = nil)
        throws
    {
        self.options = options
        let path = options.repository ?? FileManager.default.currentDirectoryPath
        do {
            repository =
                options.repository != nil
                ? try Repository.open(path, inMemoryWrites: true)
                : try Repository.discover(from: path, inMemoryWrites: true)
        } catch {
            throw InputError("\(path): not a git repository (\(error))")
        }
        repositoryPath = repository.gitDirectory
        Session.opened.set(repositoryPath)
        var cache: FactCache?
        if options.useCache {
            cache = try? FactCache(directory: options.cacheDirectory ?? FactCache.defaultDirectory())
        }
        store = FactStore(repository: repository, repositoryPath: repositoryPath, cache: cache)
        store.maxFileSize = options.maxFileSize
        store.scanTimeLimit = options.scanTimeLimit
        (policy, policyText) = try Session.loadPolicy(repository)
        if let policy, let scope = policy.scope, !options.scopeGiven { self.options.scope = scope }
        var rulesDir = options.rulesDirectory ?? Session.bundledRulesDirectory()
        if options.rulesDirectory == nil, let dir = policy?.rulesDirectory {
            rulesDir =
                dir.hasPrefix("/") ? dir : (repository.workingDirectory ?? repository.gitDirectory) + dir
        }
        do {
            catalog = try preloaded ?? RuleCatalog.load(directory: rulesDir)
            ToolIdentity.current = ToolIdentity.of(rulesDirectory: catalog.directory)
            engine = try RuleEngine(catalog: catalog, only: only)
            engine.policy = policy
        } catch let error as RuleLoadError {
            throw InputError(error.description)
        }
        if !options.kmiSymbolLists.isEmpty {
            var symbols = Set<String>()
            for path in options.kmiSymbolLists {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw InputError("\(path): cannot read the KMI symbol list")
                }
                symbols.formUnion(KMISymbolList.parse(String(decoding: data, as: UTF8.self)))
            }
            engine.kmiSymbols = symbols
        }
        if let file = options.configFile {
            dotConfig = try DotConfigFile.load(file)
        } else {
            dotConfig = nil
        }
    }

    /// Another handle on `main`'s repository, sharing everything else (see `init(workerOf:)`).
    init(repository: Repository, sharing main: Session) {
        self.repository = repository
        repositoryPath = main.repositoryPath
        store = main.store
        catalog = main.catalog
        engine = main.engine
        options = main.options
        policy = main.policy
        policyText = main.policyText
        dotConfig = main.dotConfig
    }

    /// The rules shipped with modcheck: `rules/` next to the package (found from the executable's
    /// location or the source tree), or `$MODCHECK_RULES`.
    public static func bundledRulesDirectory() -> String {
        if let env = ProcessInfo.processInfo.environment["MODCHECK_RULES"] { return env }
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("rules"))
            candidates.append(dir.appendingPathComponent("share/modcheck/rules"))
            dir = dir.deletingLastPathComponent()
        }
        var src = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(src.appendingPathComponent("rules"))
            src = src.deletingLastPathComponent()
        }
        for c in candidates
        where FileManager.default.fileExists(atPath: c.appendingPathComponent("required-export.yaml").path) {
            return c.path
        }
        return "rules"
    }

    public func model(of tree: KernelTree, base: KernelModel? = nil, changedPaths: Set<String>? = nil)
        -> KernelModel
    {
        let model = KernelModel(
            tree: tree, store: store, scope: options.scope, config: dotConfig?.config, base: base,
            changedPaths: changedPaths)
        if base == nil { ProcessLifetime.keep(model) }
        return model
    }

    public func tree(at revision: String) throws -> KernelTree {
        let tree = try treeID(at: revision)
        do {
            return try KernelTree.load(repository, tree: tree, cache: store.cache)
        } catch let error as GitError {
            throw InputError(Session.describe(error, repository: repositoryPath, revision: revision))
        }
    }

    /// The id of the tree of a revision's commit (errors as `tree(at:)` words them).
    public func treeID(at revision: String) throws -> ObjectID {
        let commit: ObjectID
        do {
            commit = try repository.resolveCommit(revision)
        } catch {
            throw InputError("\(repositoryPath): cannot resolve revision '\(revision)' (\(error))")
        }
        do {
            return try repository.tree(ofCommit: commit)
        } catch let error as GitError {
            throw InputError(Session.describe(error, repository: repositoryPath, revision: revision))
        }
    }

    /// A libgit2 failure on the checked repository as one line for the user: which repository,
    /// which revision, and what a missing object most likely means.
    public static func describe(_ error: GitError, repository: String, revision: String? = nil) -> String {
        var text = "\(repository): "
        if let revision { text += "cannot read '\(revision)': " }
        text += error.description
        if error.code == -3 {
            text += " (an object is missing: a shallow or partial clone, or a damaged repository)"
        }
        return text
    }

    /// A range that cannot be walked; in a shallow clone the walk usually ran into its boundary.
    public func walkError(_ range: String, _ error: Error) -> InputError {
        var text = "\(repositoryPath): cannot walk '\(range)' (\(error))"
        if repository.isShallow {
            text +=
                "; this is a shallow clone and the range reaches past its oldest commits: fetch more history (git fetch --deepen=N) or give a shorter range"
        }
        return InputError(text)
    }

    /// The repository the last Session opened: what the command line names when a libgit2
    /// error escapes a workflow (one session per modcheck process).
    public static var lastOpenedRepository: String? { opened.get() }
    static let opened = LockedValue<String>()

    /// Notes for a report, at most `limit` of them; what is left out is counted, never dropped silently.
    public static func capped(_ notes: [String], _ limit: Int = 20) -> [String] {
        guard notes.count > limit else { return notes }
        return Array(notes.prefix(limit)) + ["\(notes.count - limit) more notes not shown"]
    }

    /// Writes what this run learned to the cache, and keeps the cache under its bound.
    public func finish() {
        store.flush()
        store.cache?.enforceBound()
    }

    /// What the fact layer had to say: unreadable blobs, files too large to scan, a corrupt cache.
    public var factNotes: [String] {
        store.problems + (store.cache?.warnings ?? []) + unusedSuppressionNotes
    }

    /// Suppressions of `.modcheck.yaml` that matched no finding.
    var unusedSuppressionNotes: [String] {
        (policy?.unusedSuppressions ?? []).map { s in
            "unused suppression in \(Session.policyFile): \(s.rule) \(s.symbol ?? s.module ?? "") (\(s.reason))"
        }
    }

    public static let policyFile = ".modcheck.yaml"

    /// `.modcheck.yaml` from the work tree, or from HEAD's tree in a bare repository.
    static func loadPolicy(_ repository: Repository) throws -> (Policy?, String?) {
        var text: String?
        var name = policyFile
        if let workdir = repository.workingDirectory {
            name = workdir + policyFile
            text = FileManager.default.contents(atPath: name).map { String(decoding: $0, as: UTF8.self) }
        } else if let head = try? repository.resolveCommit("HEAD"),
            let blob = try? repository.blobID(tree: try repository.tree(ofCommit: head), path: policyFile)
        {
            text = String(decoding: try repository.blobBytes(blob), as: UTF8.self)
        }
        guard let text else { return (nil, nil) }
        do {
            return (try Policy.parse(text, file: name), text)
        } catch let error as RuleLoadError {
            throw InputError(error.description)
        }
    }
}

/// One value shared across threads behind a lock.
final class LockedValue<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ new: T) { lock.withLock { value = new } }
    func get() -> T? { lock.withLock { value } }
}

/// Objects a command-line run keeps until the process exits: a whole-tree model is millions of
/// small allocations, and freeing them one by one when the command returns costs most of a second
/// that the operating system reclaims at exit for nothing. Off unless the command line turns it
/// on (tests and long-lived callers free their models as usual).
public enum ProcessLifetime {
    nonisolated(unsafe) static var enabled = false
    nonisolated(unsafe) static var kept: [AnyObject] = []
    static let lock = NSLock()

    /// Called once by the command line before a command runs.
    public static func keepObjectsUntilExit() { lock.withLock { enabled = true } }

    static func keep(_ object: AnyObject) {
        lock.withLock { if enabled { kept.append(object) } }
    }
}
