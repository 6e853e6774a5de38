import ArgumentParser
import Foundation
import Report
import Workflows

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "Which series of an mbox or public-inbox archive touch module-ability, and which break it.")

    @OptionGroup var common: CommonArguments
    @Option(name: .long, help: "Base revision the series are applied to.") var base = "HEAD"
    @Option(name: .long, help: "Output: markdown (default), json or text.") var format: ReportFormat =
        .markdown
    @Option(name: .long, help: "Only messages from this date on (YYYY-MM-DD).") var since: String?
    @Option(name: .long, help: "Only messages up to this date (YYYY-MM-DD).") var until: String?
    @Option(name: .long, help: "Check at most this many series.") var limit: Int?
    @Argument(
        help: "An mbox file, or a public-inbox v2 git directory (an epoch, or the inbox with git/N.git).")
    var source: String

    func validate() throws {
        for d in [since, until].compactMap({ $0 }) where LogCommand.date(d) == nil {
            throw ValidationError("dates are YYYY-MM-DD, got '\(d)'")
        }
    }

    func run() throws {
        let session = try Session(options: common.options)
        let untilDate = until.flatMap(LogCommand.date).map { $0.addingTimeInterval(86_399) }
        let (entries, _, count) = try Triage.run(
            session: session, source: source, baseRevision: base, since: since.flatMap(LogCommand.date),
            until: untilDate, limit: limit)
        emit(
            format == .json
                ? Triage.json(entries, messages: count) : Triage.markdown(entries, messages: count))
    }
}
