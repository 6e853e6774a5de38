import Facts
import Foundation
import Git
import Mail
import Model
import Report
import Rules

/// One patch of a series, as read from a file, a message or an mbox.
public struct SeriesPatch: Sendable {
    public var message: MailMessage
    public var subject: String
    public var label: String?
    public var messageId: String?

    public init(message: MailMessage) {
        self.message = message
        let tag = SubjectParser.parse(message.subject ?? "")
        subject = tag.title.isEmpty ? (message.subject ?? message.sourceName) : tag.title
        if let index = tag.index, let total = tag.total {
            label = "\(index)/\(total)"
        }
        messageId = message.messageID
    }
}

/// Reading patch inputs: files (format-patch, raw RFC822, mbox) and `-` for stdin.
public enum PatchInputs {
    public static func read(
        _ paths: [String], stdin: () -> [UInt8] = { Array(FileHandle.standardInput.readDataToEndOfFile()) }
    ) throws
        -> (patches: [SeriesPatch], notes: [String])
    {
        var messages: [MailMessage] = []
        var notes: [String] = []
        for path in paths {
            let bytes: [UInt8]
            if path == "-" {
                bytes = stdin()
            } else {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                    let data = FileManager.default.contents(atPath: path)
                else {
                    throw InputError("\(path): cannot read the patch file")
                }
                bytes = [UInt8](data)
            }
            let name = path == "-" ? "<stdin>" : path
            if bytes.isEmpty {
                notes.append("\(name): empty file, skipped")
                continue
            }
            let read = PatchInput.read(path: name, bytes: bytes)
            notes += read.diagnostics.map { "\($0)" }
            messages += read.messages
        }
        let patches = SeriesGrouper.ordered(messages).filter { $0.patchText != nil }.map(SeriesPatch.init)
        let skipped = messages.count - patches.count
        if skipped > 0 {
            notes.append("\(skipped) message(s) without a diff (cover letters, replies) skipped")
        }
        return (patches, notes)
    }
}

extension PatchInputs {
    /// The cover letters among the inputs (`[PATCH 0/N]`, no diff): what series-level replies answer.
    public static func covers(_ paths: [String]) -> [MailMessage] {
        paths.filter { $0 != "-" }.flatMap { path -> [MailMessage] in
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return PatchInput.read(path: path, bytes: [UInt8](data)).messages.filter {
                !$0.hasDiff && SubjectParser.parse($0.subject ?? "").index == 0
            }
        }
    }
}

/// `modcheck series`: applies each patch in memory on the previous result and reports, per patch,
/// the findings it introduced and fixed.
public enum SeriesCheck {
    public struct Step: Sendable {
        public var patch: SeriesPatch
        public var tree: KernelTree?
        public var applied: [AppliedFile]
        public var problem: String?
        public var patchLocal: Bool
    }

    /// Applies one patch to `tree`; returns the new tree and notes about offsets.
    static func apply(_ patch: SeriesPatch, to tree: KernelTree, session: Session) -> Result<
        (KernelTree, [AppliedFile], Set<String>), ApplyFailure
    > {
        apply(patch, toTree: tree.tree, session: session).map { (newTree, files, changes) in
            (tree.applying(changes, newTree: newTree), files, Set(changes.keys))
        }
    }

    /// Applies one patch to a git tree: the new tree, the files as applied, and each changed
    /// path's new blob (nil: deleted or renamed away).
    static func apply(_ patch: SeriesPatch, toTree tree: ObjectID, session: Session) -> Result<
        (ObjectID, [AppliedFile], [String: ObjectID?]), ApplyFailure
    > {
        parse(patch).flatMap { apply($0, toTree: tree, session: session, source: patch.message.sourceName) }
    }

    /// The file patches of a patch's diff; a failure when there is none or it cannot be parsed.
    static func parse(_ patch: SeriesPatch) -> Result<[FilePatch], ApplyFailure> {
        let filePatches: [FilePatch]
        do {
            filePatches = try PatchParser.parse(patch.message.patchText ?? [])
        } catch {
            return .failure(
                ApplyFailure(
                    path: patch.message.sourceName, hunkIndex: nil, line: nil,
                    reason: "cannot parse the diff: \((error as? GitError)?.message ?? "\(error)")"))
        }
        if filePatches.isEmpty {
            return .failure(
                ApplyFailure(
                    path: patch.message.sourceName, hunkIndex: nil, line: nil, reason: "no diff found"))
        }
        return .success(filePatches)
    }

    /// Applies file patches (all of a patch, or one file of it) to a git tree.
    static func apply(_ filePatches: [FilePatch], toTree tree: ObjectID, session: Session, source: String)
        -> Result<(ObjectID, [AppliedFile], [String: ObjectID?]), ApplyFailure>
    {
        applying(source) {
            let result = try Git.apply(filePatches, to: tree, in: session.repository)
            var changes: [String: ObjectID?] = [:]
            for file in filePatches {
                if let old = file.oldPath, file.status == .renamed || file.status == .deleted {
                    changes[old] = .some(nil)
                }
            }
            for file in result.files {
                changes[file.path] = .some(file.newBlob)
            }
            return (result.tree, result.files, changes)
        }
    }

    /// `body`'s result, or its failure as an ApplyFailure (any other error named after `source`).
    static func applying<T>(_ source: String, _ body: () throws -> T) -> Result<T, ApplyFailure> {
        do {
            return .success(try body())
        } catch let failure as ApplyFailure {
            return .failure(failure)
        } catch {
            return .failure(ApplyFailure(path: source, hunkIndex: nil, line: nil, reason: "\(error)"))
        }
    }

    /// Applies file patches to the files `lookup` gives, making no tree: each changed path's new
    /// blob (nil: deleted or renamed away).
    static func apply(
        _ filePatches: [FilePatch], over lookup: (String) -> (blob: ObjectID, mode: UInt32)?, session: Session,
        source: String
    ) -> Result<[String: ObjectID?], ApplyFailure> {
        applying(source) {
            let (_, produced) = try Git.applyFiles(filePatches, in: session.repository, lookup: lookup)
            var changes: [String: ObjectID?] = [:]
            for (path, result) in produced { changes[path] = .some(result?.blob) }
            return changes
        }
    }

    static func offsetNotes(_ files: [AppliedFile]) -> [String] {
        files.compactMap { file in
            let moved = file.hunkOffsets.enumerated().filter { $0.element != 0 }
            guard !moved.isEmpty else { return nil }
            return "\(file.path): "
                + moved.map {
                    "hunk \($0.offset + 1) applied at offset \($0.element > 0 ? "+" : "")\($0.element) lines"
                }.joined(separator: ", ")
        }
    }

    /// A checked base, reusable across series (triage checks many series on one base).
    public struct BaseState: @unchecked Sendable {
        public var tree: KernelTree
        public var model: KernelModel
        public var findings: [Finding]
        /// The patched trees checked on this base so far (triage: the versions of a series share
        /// their first patches, a resend all of them).
        var steps: CheckedSteps?
    }

    /// Patched trees checked on one base, by the tree a patch applied to and the tree it made:
    /// the model and findings are the same for every posting that makes the same step (a model
    /// says of its tree what a fresh one does, and its events are relative to the tree before).
    /// The newest `limit` steps are kept.
    final class CheckedSteps: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String: (model: KernelModel, findings: [Finding])] = [:]
        private var order: [String] = []
        private let limit: Int

        init(limit: Int = 16) { self.limit = limit }

        static func key(from before: KernelTree, to after: KernelTree) -> String { before.tree.hex + after.tree.hex }

        func get(_ key: String) -> (model: KernelModel, findings: [Finding])? { lock.withLock { entries[key] } }

        var count: Int { lock.withLock { entries.count } }

        func put(_ key: String, _ value: (model: KernelModel, findings: [Finding])) {
            lock.withLock {
                guard entries.updateValue(value, forKey: key) == nil else { return }
                order.append(key)
                if order.count > limit { entries[order.removeFirst()] = nil }
            }
        }
    }

    /// With `keptChecks`, a base checked before by an earlier run is not checked again (its
    /// findings and per-unit results are read back). Triage passes false: it checks its bases
    /// on a thread of their own while it reads the list, and the check fills the evaluator and
    /// header closures the postings' checks then share; read back, those are made on the way.
    public static func baseState(
        session: Session, baseRevision: String, keptChecks: Bool = true, sharedSteps: Bool = false
    ) throws -> BaseState {
        let tree = try session.tree(at: baseRevision)
        let model = session.model(of: tree)
        let findings = keptChecks ? session.checkWholeTree(model) : session.engine.check(CheckContext(model: model))
        return BaseState(tree: tree, model: model, findings: findings, steps: sharedSteps ? CheckedSteps() : nil)
    }

    public static func run(
        session: Session, baseRevision: String, patches: [SeriesPatch], inputNotes: [String] = [],
        base: BaseState? = nil
    ) throws -> CheckReport {
        guard !patches.isEmpty else { throw InputError("no patches to check (no diff found in the input)") }
        // One patch (b4 hands one per process) that changes no fact: answered without a model of
        // the base (UnchangedFacts.swift), as the check below would answer it.
        if base == nil, patches.count == 1, let patch = patches.first {
            let baseTree = try session.treeID(at: baseRevision)
            if case .success(let (_, files, changes)) = apply(patch, toTree: baseTree, session: session),
                session.changesNoFacts(parentTree: baseTree, changes: changes)
            {
                Timing.mark("patch changes no fact")
                var section = CheckSection(
                    title: patch.subject, patch: patch.label ?? "1/1", messageId: patch.messageId, findings: [],
                    fixed: [], notes: inputNotes + offsetNotes(files))
                session.finish()
                section.notes += Session.capped(session.factNotes)
                return CheckReport(sections: [section], isRegressionMode: true)
            }
        }
        let state = try base ?? baseState(session: session, baseRevision: baseRevision)
        let (baseTree, baseModel, baseFindings) = (state.tree, state.model, state.findings)
        var sections: [CheckSection] = []
        var current = (tree: baseTree, model: baseModel, findings: baseFindings)
        var checked = 0
        // Findings introduced on top of the previous patches and not fixed yet: (section, index).
        var open: [(section: Int, index: Int)] = []
        for (index, patch) in patches.enumerated() {
            var notes = index == 0 ? inputNotes : []
            var problem: String?
            let label = patch.label ?? "\(index + 1)/\(patches.count)"
            switch apply(patch, to: current.tree, session: session) {
            case .success(let (tree, files, changed)):
                notes += offsetNotes(files)
                Timing.mark("apply \(label)")
                let stepKey = CheckedSteps.key(from: current.tree, to: tree)
                let model: KernelModel
                let findings: [Finding]
                if let known = state.steps?.get(stepKey) {
                    (model, findings) = known
                    Timing.mark("check \(label): the step of an earlier posting")
                } else {
                    let started = Date()
                    model = session.model(of: tree, base: current.model, changedPaths: changed)
                    let modelled = Date()
                    findings = session.engine.check(CheckContext(model: model, base: current.model))
                    state.steps?.put(stepKey, (model, findings))
                    Timing.mark(
                        String(
                            format: "check %@: model %.3fs, rules %.3fs, %@", label,
                            modelled.timeIntervalSince(started), Date().timeIntervalSince(modelled),
                            changed.sorted().joined(separator: " ")))
                }
                let delta = RuleEngine.delta(before: current.findings, after: findings)
                // What this patch undoes of the earlier patches' findings: a state finding that is
                // gone, an event (an export removed, a field dropped) the series no longer makes
                // when its result so far is compared with the base.
                if !open.isEmpty {
                    let present = Set(findings.filter { !$0.isEvent }.map(\.identity))
                    // An event whose state form is present now (a driver made modular after its
                    // field was dropped) is not fixed either.
                    var events: Set<FindingIdentity>?
                    let eventRules = Set(
                        open.map { sections[$0.section].findings[$0.index] }.filter(\.isEvent).map(\.rule))
                    open.removeAll { at in
                        let finding = sections[at.section].findings[at.index]
                        let stays: Bool
                        if finding.isEvent {
                            // An event is undone only by a patch to its file (the export, the
                            // field); other patches leave it as it is, unchecked.
                            if let file = finding.file, !changed.contains(file) {
                                return false
                            }
                            if events == nil {
                                // The series so far against its base, by the rules of the open
                                // events only.
                                events = Set(
                                    session.engine.check(CheckContext(model: model, base: baseModel), rules: eventRules)
                                        .filter(\.isEvent).map(\.identity))
                            }
                            stays = events!.contains(finding.identity) || present.contains(finding.identity)
                        } else {
                            stays = present.contains(finding.identity)
                        }
                        if stays { return false }
                        sections[at.section].findings[at.index].fixedBy = label
                        sections[at.section].findings[at.index].fixedByMessageId = patch.messageId
                        return true
                    }
                }
                let section = CheckSection(
                    title: patch.subject, patch: label, messageId: patch.messageId,
                    findings: delta.introduced,
                    fixed: delta.fixed, notes: notes)
                for (i, f) in section.findings.enumerated() where f.severity != .info {
                    open.append((sections.count, i))
                }
                sections.append(section)
                current = (tree, model, findings)
                checked += 1
            case .failure(let failure):
                problem = "does not apply: \(failure.description)"
                // Patch-local: the patch alone on the base, when it applies there.
                if current.tree.tree != baseTree.tree,
                    case .success(let (tree, files, changed)) = apply(patch, to: baseTree, session: session)
                {
                    notes += offsetNotes(files)
                    notes.append(
                        "checked patch-locally against the base (it does not apply on top of the previous patches)"
                    )
                    let model = session.model(of: tree, base: baseModel, changedPaths: changed)
                    let findings = session.engine.check(CheckContext(model: model, base: baseModel))
                    let delta = RuleEngine.delta(before: baseFindings, after: findings)
                    sections.append(
                        CheckSection(
                            title: patch.subject, patch: label, messageId: patch.messageId,
                            findings: delta.introduced,
                            fixed: delta.fixed, notes: notes, problem: problem))
                    checked += 1
                } else {
                    sections.append(
                        CheckSection(
                            title: patch.subject, patch: label, messageId: patch.messageId, findings: [],
                            notes: notes, problem: problem))
                }
            }
        }
        session.finish()
        Timing.mark("cache flushed")
        if !sections.isEmpty { sections[0].notes += Session.capped(session.factNotes) }
        if checked == 0 {
            let reasons = sections.compactMap(\.problem).joined(separator: "; ")
            throw InputError("nothing could be checked: \(reasons)")
        }
        return CheckReport(sections: sections, isRegressionMode: true)
    }
}
