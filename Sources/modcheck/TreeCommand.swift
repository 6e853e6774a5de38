import ArgumentParser
import Report
import Workflows

struct TreeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree", abstract: "Check the state of one revision.")

    @OptionGroup var common: CommonArguments
    @OptionGroup var output: OutputArguments
    @Option(name: .long, help: "Revision to check.") var rev = "HEAD"

    func run() throws {
        let session = try Session(options: common.options)
        let report = try TreeCheck.run(session: session, revision: rev)
        emit(
            ReportRenderer.render(
                report, format: output.format, catalog: session.catalog, verbose: output.verbose))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
