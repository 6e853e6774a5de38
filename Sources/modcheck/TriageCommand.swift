import ArgumentParser
import Foundation
import Report
import Workflows

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract:
            "Which series of an mbox, maildir or public-inbox archive touch module-ability, and which break it.")

    @OptionGroup var common: CommonArguments
    @Option(
        name: .long,
        help:
            "Base revision the series are applied to (default HEAD). Repeatable, and A..B takes a range (first parent): each posting then gets its own base, from its base-commit: trailer, else the candidate holding its pre-image blobs, else the first --base."
    ) var base: [String] = []
    @Option(name: .long, help: "Output: markdown (default), json, text, patchwork, or mail (replies to the postings).")
    var format: MessageFormat = .markdown
    @OptionGroup var mail: MailArguments
    @Option(name: .long, help: "Only messages from this date on (YYYY-MM-DD).") var since: String?
    @Option(name: .long, help: "Only messages up to this date, inclusive (YYYY-MM-DD).") var until: String?
    @Option(name: .long, help: "Check at most this many relevant series in full.") var limit: Int?
    @Argument(
        help:
            "An mbox file, a maildir, or a public-inbox v2 git directory (an epoch, or the inbox with git/N.git)."
    )
    var source: String

    func validate() throws {
        for d in [since, until].compactMap({ $0 }) where LogCommand.date(d) == nil {
            throw ValidationError("dates are YYYY-MM-DD, got '\(d)'")
        }
        if format == .sarif { throw ValidationError("triage writes markdown, json, text, patchwork or mail") }
        if mail.outputDirectory != nil && format != .mail { throw ValidationError("--output-dir goes with --format mail") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let session = try Session(options: common.options)
        var options = Triage.Options()
        options.window = MailArchive.Window(
            since: since.flatMap(LogCommand.date),
            until: until.flatMap(LogCommand.date).map { $0.addingTimeInterval(86_399) })
        options.limit = limit
        options.extraBases = Array(base.dropFirst())
        // A progress line only for a person watching a terminal; logs and pipes stay clean.
        let line = ProgressLine()
        if isatty(STDERR_FILENO) == 1 { options.progress = { line.show($0) } }
        let outcome = try Triage.run(
            session: session, source: source, baseRevision: base.first ?? "HEAD", options: options)
        line.clear()
        for note in outcome.notes.prefix(20) {
            FileHandle.standardError.write(Data("modcheck: note: \(note)\n".utf8))
        }
        if outcome.notes.count > 20 {
            FileHandle.standardError.write(
                Data("modcheck: note: \(outcome.notes.count - 20) more unreadable message(s)\n".utf8))
        }
        if let format = format.report {
            emit(TriageReport.render(outcome, format: format))
        } else {
            try mail.emitReplies(TriageReport.replies(outcome, context: .of(session)), common: common)
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

/// A status line rewritten in place on stderr.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var shown = false

    func show(_ text: String) {
        lock.withLock {
            FileHandle.standardError.write(Data("\r\u{1b}[K\(text)".utf8))
            shown = true
        }
    }

    func clear() {
        lock.withLock {
            if shown { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
            shown = false
        }
    }
}
