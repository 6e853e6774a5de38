import ArgumentParser
import Report
import Workflows

struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Apply a patch series in memory on a base and report what each patch introduces and fixes.")

    @OptionGroup var common: CommonArguments
    @OptionGroup var output: OutputArguments
    @Option(name: .long, help: "Base revision the series applies to.") var base: String
    @Argument(help: "Patches: git format-patch files, raw messages, mbox files, or - for stdin.") var files:
        [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one patch file (or - for stdin)") }
    }

    func run() throws {
        let session = try Session(options: common.options)
        let (patches, notes) = try PatchInputs.read(files)
        let report = try SeriesCheck.run(
            session: session, baseRevision: base, patches: patches, inputNotes: notes)
        emit(
            ReportRenderer.render(
                report, format: output.format, catalog: session.catalog, verbose: output.verbose))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
