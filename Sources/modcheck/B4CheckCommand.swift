import ArgumentParser
import Foundation
import Workflows

struct B4CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "b4-check",
        abstract: "b4's check commands: one patch on stdin; terse lines, or the review JSON protocol.")

    @OptionGroup var common: CommonArguments
    @Flag(name: .long, help: "b4 review-perpatch-check-cmd: JSON for one patch.") var review = false
    @Flag(
        name: .customLong("review-series"),
        help: "b4 review-series-check-cmd: JSON for a whole series (mbox on stdin).")
    var reviewSeries = false

    func validate() throws {
        if review && reviewSeries { throw ValidationError("choose one of --review and --review-series") }
    }

    func run() throws {
        let (patches, _) = try PatchInputs.read(["-"])
        let session = try Session(options: common.options)
        let (output, code) = try B4Check.run(
            session: session, patches: patches,
            mode: reviewSeries ? .reviewSeries : review ? .review : .perPatch)
        emit(output)
        if code != 0 { throw ExitCode(code) }
    }
}
