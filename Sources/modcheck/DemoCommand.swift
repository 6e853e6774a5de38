import ArgumentParser
import Foundation
import Report
import Workflows

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Build a small kernel-like repository from a corpus case (with modcheck's Git layer) and check its series."
    )

    @Option(name: .long, help: "Corpus case directory.") var caseDirectory: String = Corpus.defaultDemoCase()
    @Option(name: .long, help: "Where to create the demo repository (must not exist).") var at: String?
    @OptionGroup var output: OutputArguments

    func run() throws {
        let demo = try Corpus.Case.load(caseDirectory)
        let dir = at ?? Fixtures.temporaryDirectory("demo")
        let base = try demo.buildRepository(at: dir)
        emit("demo repository: \(dir) (base \(base.description.prefix(12)), case \(demo.name))\n")
        emit(
            "$ modcheck series --repo \(dir) --base HEAD \(demo.patchFiles.map { ($0 as NSString).lastPathComponent }.joined(separator: " "))\n\n"
        )
        var options = CommonOptions()
        options.repository = dir
        options.useCache = false
        let session = try Session(options: options)
        let (patches, notes) = try PatchInputs.read(demo.patchFiles)
        let report = try SeriesCheck.run(
            session: session, baseRevision: "HEAD", patches: patches, inputNotes: notes)
        emit(
            ReportRenderer.render(
                report, format: output.format, catalog: session.catalog, verbose: output.verbose))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
