import ArgumentParser
import Foundation
import Report
import Workflows

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Install or run the pre-commit / pre-push hook.",
        subcommands: [Install.self, Run.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the hook script (refuses to replace another hook without --force).")
        @Option(name: .long, help: "The repository (default: the one containing the current directory).")
        var repo: String?
        @Flag(name: .customLong("pre-commit"), help: "Install as pre-commit.") var preCommit = false
        @Flag(name: .customLong("pre-push"), help: "Install as pre-push (the default).") var prePush = false
        @Flag(name: .long, help: "Replace an existing hook, keeping it as <hook>.modcheck-backup.")
        var force = false
        @Option(name: .long, help: "Fact cache directory (unused here).") var cache: String?
        @Flag(name: .long, help: "Do not use the fact cache (unused here).") var noCache = false

        func validate() throws {
            if preCommit && prePush { throw ValidationError("choose one of --pre-commit and --pre-push") }
        }

        func run() throws {
            let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
            let message = try Hook.install(
                repositoryPath: repo, kind: preCommit ? .preCommit : .prePush, force: force, modcheck: me)
            emit(message + "\n")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the installed hook runs (exit 1 on introduced errors).")
        @OptionGroup var common: CommonArguments
        @Flag(name: .customLong("pre-commit"), help: "Check the staged index against HEAD.") var preCommit =
            false
        @Flag(name: .customLong("pre-push"), help: "Check the commits being pushed (git's pre-push stdin).")
        var prePush = false
        @Argument(help: "Arguments git passes to the hook (remote name and URL).") var hookArguments:
            [String] = []

        func validate() throws {
            if preCommit == prePush {
                throw ValidationError("give exactly one of --pre-commit and --pre-push")
            }
        }

        func run() throws {
            let session = try Session(options: common.options)
            let report: CheckReport
            if preCommit {
                report = try Hook.runPreCommit(session: session)
            } else {
                let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                report = try Hook.runPrePush(session: session, input: input)
            }
            emit(ReportRenderer.render(report, format: .text, catalog: session.catalog))
            if report.exitCode != 0 {
                FileHandle.standardError.write(
                    Data(
                        "modcheck: introduced error-level findings; fix them, or skip once with MODCHECK_SKIP=1\n"
                            .utf8))
                throw ExitCode(report.exitCode)
            }
        }
    }
}
