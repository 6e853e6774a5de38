import ArgumentParser
import Foundation
import Report
import Workflows

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Findings each commit of a range introduced and fixed (A..B, A...B, or REV for REV^..REV).")

    @OptionGroup var common: CommonArguments
    @OptionGroup var output: OutputArguments
    @Argument(help: "A commit range.") var range: String
    @Option(name: .long, help: "Only commits from this date on (YYYY-MM-DD).") var since: String?
    @Flag(name: .customLong("all-parents"), help: "Also compare merges with each of their other parents.")
    var allParents = false

    func validate() throws {
        if let since, LogCommand.date(since) == nil {
            throw ValidationError("--since expects YYYY-MM-DD, got '\(since)'")
        }
    }

    static func date(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.date(from: text)
    }

    func run() throws {
        let session = try Session(options: common.options)
        let report = try LogCheck.run(
            session: session, range: range, since: since.flatMap(LogCommand.date), allParents: allParents)
        emit(
            ReportRenderer.render(
                report, format: output.format, catalog: session.catalog, verbose: output.verbose))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
