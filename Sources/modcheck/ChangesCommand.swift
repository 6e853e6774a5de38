import ArgumentParser
import Report
import Workflows

struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "List the modularity changes of a commit range or of a patch series.")

    @OptionGroup var common: CommonArguments
    @Option(name: .long, help: "Output format: text or json.") var format: ReportFormat = .text
    @Option(name: .long, help: "Base revision for patch files.") var base: String?
    @Argument(help: "A commit range (A..B), or with --base: patch files.") var inputs: [String]

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give a range (A..B) or --base REV and patch files") }
        if base == nil && inputs.count != 1 {
            throw ValidationError("without --base, give exactly one range")
        }
        if format != .text && format != .json {
            throw ValidationError("changes supports --format text or json")
        }
    }

    func run() throws {
        let session = try Session(options: common.options)
        let steps: [ChangesWorkflow.Step]
        if let base {
            let (patches, notes) = try PatchInputs.read(inputs)
            steps = try ChangesWorkflow.run(
                session: session, baseRevision: base, patches: patches, inputNotes: notes)
        } else {
            steps = try ChangesWorkflow.run(session: session, range: inputs[0])
        }
        emit(format == .json ? ChangesWorkflow.renderJSON(steps) : ChangesWorkflow.renderText(steps))
    }
}
