import Facts
import Foundation
import Git
import Model
import Report
import Rules

/// The pre-submit hook: `modcheck hook install` writes a small script into the repository's hooks
/// directory (the one exception to "modcheck never writes to the repository"), `modcheck hook run`
/// is what the script calls.
public enum Hook {
    public enum Kind: String, Sendable, CaseIterable {
        case preCommit = "pre-commit"
        case prePush = "pre-push"
    }

    static let marker = "# Installed by `modcheck hook install`"

    /// The hooks directory git uses: `core.hooksPath` (relative to the work tree) or `.git/hooks`.
    static func hooksDirectory(_ repo: Repository) -> String {
        if let configured = repo.configString("core.hooksPath"), !configured.isEmpty {
            if configured.hasPrefix("/") { return configured }
            return (repo.workingDirectory ?? repo.gitDirectory) + configured
        }
        return repo.gitDirectory + "hooks"
    }

    static func script(_ kind: Kind, modcheck: String) -> String {
        """
        #!/bin/sh
        \(marker): module-ability checks of what you \(kind == .prePush ? "push" : "commit").
        # Skip once with MODCHECK_SKIP=1, or with git's --no-verify.
        [ "${MODCHECK_SKIP:-0}" = 1 ] && exit 0
        MODCHECK="${MODCHECK:-\(modcheck)}"
        [ -x "$MODCHECK" ] || MODCHECK="$(command -v modcheck)"
        if [ -z "$MODCHECK" ]; then
        \techo "modcheck \(kind.rawValue) hook: modcheck not found (not at \(modcheck), not in PATH); install it, set MODCHECK=/path/to/modcheck, or skip with MODCHECK_SKIP=1" >&2
        \texit 1
        fi
        exec "$MODCHECK" hook run --\(kind.rawValue) "$@"

        """
    }

    /// Installs the hook; refuses to replace a hook modcheck did not write unless `force`, and then
    /// keeps the old one as `<hook>.modcheck-backup`. Returns what it did, for the user.
    public static func install(repositoryPath: String?, kind: Kind, force: Bool, modcheck: String) throws
        -> String
    {
        let start = repositoryPath ?? FileManager.default.currentDirectoryPath
        let repo: Repository
        do {
            repo = try repositoryPath != nil ? Repository.open(start) : Repository.discover(from: start)
        } catch {
            throw InputError("\(start): not a git repository (\(error))")
        }
        let dir = hooksDirectory(repo)
        let path = dir + "/" + kind.rawValue
        let fm = FileManager.default
        var notes: [String] = []
        if let existing = fm.contents(atPath: path) {
            let ours = String(decoding: existing, as: UTF8.self).contains(marker)
            if !ours && !force {
                throw InputError(
                    "\(path): a \(kind.rawValue) hook already exists; use --force to replace it (it is kept as \(kind.rawValue).modcheck-backup)"
                )
            }
            if !ours {
                var backup = path + ".modcheck-backup"
                if fm.fileExists(atPath: backup) { backup += "-\(Int(Date().timeIntervalSince1970))" }
                do {
                    try fm.moveItem(atPath: path, toPath: backup)
                } catch {
                    throw InputError(
                        "\(path): cannot keep a backup at \(backup) (\(error.localizedDescription))")
                }
                notes.append("the previous hook is kept as \(backup)")
            }
        }
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try script(kind, modcheck: modcheck).write(toFile: path, atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        } catch {
            throw InputError("\(path): cannot write the hook (\(error.localizedDescription))")
        }
        return (["installed \(path)"] + notes).joined(separator: "; ")
    }

    /// pre-push: stdin has `<local ref> <local sha> <remote ref> <remote sha>` lines; the commits
    /// the remote lacks are checked one by one against their parents.
    public static func runPrePush(session: Session, input: String) throws -> CheckReport {
        let repo = session.repository
        let zero = String(repeating: "0", count: 40)
        var commits: [ObjectID] = []
        var seen = Set<ObjectID>()
        for line in input.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 4, fields[1] != zero, let local = ObjectID(hex: fields[1]) else { continue }
            let range: [ObjectID]
            if fields[3] == zero || ObjectID(hex: fields[3]).map({ !repo.contains($0) }) ?? true {
                range = try repo.commitsNotOnRemotes(local)
            } else {
                range = try repo.commits(range: "\(fields[3])..\(fields[1])")
            }
            for c in range where seen.insert(c).inserted { commits.append(c) }
        }
        if commits.isEmpty { return CheckReport(sections: [], isRegressionMode: true) }
        return try LogCheck.run(session: session, commits: commits)
    }

    /// pre-commit: the staged index against HEAD (or an empty tree before the first commit).
    public static func runPreCommit(session: Session) throws -> CheckReport {
        let repo = session.repository
        let headCommit = try? repo.resolveCommit("HEAD")
        let headID = try headCommit.map { try repo.tree(ofCommit: $0) }
        let indexID = try repo.indexTree()
        // Staged changes that change no fact (UnchangedFacts.swift) are answered without a model.
        if let headID, session.changesNoFacts(parentTree: headID, changes: try repo.changedFiles(from: headID, to: indexID)) {
            Timing.mark("staged changes change no fact")
            session.finish()
            return CheckReport(
                sections: [
                    CheckSection(
                        title: "staged changes", findings: [], fixed: [], notes: Session.capped(session.factNotes))
                ],
                isRegressionMode: true)
        }
        let headTree: KernelTree
        if let headID {
            headTree = try KernelTree.load(repo, tree: headID, cache: session.store.cache)
        } else {
            headTree = KernelTree(tree: try repo.updatedTree(base: nil, changes: [:]), blobs: [:])
        }
        let staged = try KernelTree.load(repo, tree: indexID, cache: session.store.cache)
        var changed = Set<String>()
        for (path, blob) in staged.blobs where headTree.blobs[path] != blob { changed.insert(path) }
        for path in headTree.blobs.keys where staged.blobs[path] == nil { changed.insert(path) }
        let before = session.model(of: headTree)
        let beforeFindings = session.checkWholeTree(before)
        let after = session.model(of: staged, base: before, changedPaths: changed)
        let delta = RuleEngine.delta(
            before: beforeFindings, after: session.engine.check(CheckContext(model: after, base: before)))
        session.finish()
        return CheckReport(
            sections: [
                CheckSection(
                    title: "staged changes", findings: delta.introduced, fixed: delta.fixed,
                    notes: Session.capped(session.factNotes))
            ],
            isRegressionMode: true)
    }
}
