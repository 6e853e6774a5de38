import ArgumentParser
import Foundation
import Report
import Workflows

struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Apply a patch series in memory on a base and report what each patch introduces and fixes.")

    @OptionGroup var common: CommonArguments
    @Option(name: .long, help: "Output format: text, json, sarif, markdown, patchwork, or mail (replies to the patches).")
    var format: MessageFormat = .text
    @Flag(name: .long, help: "Also show info-level findings (references modcheck could not resolve).")
    var verbose = false
    @OptionGroup var mail: MailArguments
    @Option(name: .long, help: "Base revision the series applies to.") var base: String
    @Argument(help: "Patches: git format-patch files, raw messages, mbox files, or - for stdin.") var files:
        [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one patch file (or - for stdin)") }
        if mail.outputDirectory != nil && format != .mail { throw ValidationError("--output-dir goes with --format mail") }
    }

    func run() throws {
        let session = try Session(options: common.options)
        let (patches, notes) = try PatchInputs.read(files)
        let report = try SeriesCheck.run(
            session: session, baseRevision: base, patches: patches, inputNotes: notes)
        if let format = format.report {
            emit(ReportRenderer.render(report, format: format, catalog: session.catalog, verbose: verbose))
        } else {
            let covers = PatchInputs.covers(files)
            let unthreaded = patches.filter { $0.messageId == nil }.count
            if unthreaded > 0 {
                FileHandle.standardError.write(
                    Data("modcheck: note: \(unthreaded) patch(es) carry no Message-Id (format-patch files): no reply can thread under them; give the series as mail (b4 am, an mbox)\n".utf8))
            }
            try mail.emitReplies(
                MailReplies.replies(
                    patches: patches, cover: covers.first, findings: report.findings, base: base, baseReason: nil,
                    context: .of(session)),
                common: common)
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
