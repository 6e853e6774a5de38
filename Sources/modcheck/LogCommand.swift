import ArgumentParser
import Report
import Workflows

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Findings each commit of a range introduced and fixed (A..B, A...B, or REV for REV^..REV).")

    @OptionGroup var common: CommonArguments
    @OptionGroup var output: OutputArguments
    @Argument(help: "A commit range.") var range: String

    func run() throws {
        let session = try Session(options: common.options)
        let report = try LogCheck.run(session: session, range: range)
        emit(
            ReportRenderer.render(
                report, format: output.format, catalog: session.catalog, verbose: output.verbose))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
