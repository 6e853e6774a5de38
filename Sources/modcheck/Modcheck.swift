import ArgumentParser
import Facts
import Foundation
import Git
import Report
import Workflows

@main
struct Modcheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modcheck",
        abstract:
            "Catch Linux kernel module-ability regressions (exports, tristate flips, unload safety) from git objects.",
        version: ToolIdentity.of(rulesDirectory: Session.bundledRulesDirectory()).text,
        subcommands: [
            TreeCommand.self, ChangesCommand.self, SeriesCommand.self, LogCommand.self, HookCommand.self, B4CheckCommand.self, TriageCommand.self, RulesCommand.self, ExplainCommand.self, CacheCommand.self,
            DemoCommand.self,
        ])

    /// Kconfig evaluation recurses along dependency and select chains, which run thousands deep
    /// in a real tree: run on a thread with a large stack.
    static func main() {
        if ProcessInfo.processInfo.environment["MODCHECK_MAIN_THREAD"] != nil { runCommand() }
        let thread = Thread { runCommand() }
        thread.stackSize = 1 << 30
        thread.start()
        while true { sleep(3600) }
    }

    /// Usage and input errors exit with 2 and one line naming the file; error findings exit with 1.
    static func runCommand() -> Never {
        do {
            Timing.mark("start")
            ProcessLifetime.keepObjectsUntilExit()
            var command = try parseAsRoot()
            try command.run()
            Timing.mark("done")
            Foundation.exit(0)
        } catch let error as InputError {
            FileHandle.standardError.write(Data("modcheck: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch let error as GitError {
            // A repository libgit2 cannot read (a missing or damaged object) is bad input too.
            let repository = Session.lastOpenedRepository ?? "the repository"
            FileHandle.standardError.write(
                Data("modcheck: \(Session.describe(error, repository: repository))\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version arrive as a clean-exit "error" whose message is the text.
                let text = fullMessage(for: error)
                if !text.isEmpty { emit(text + "\n") }
                Foundation.exit(0)
            }
            if code.rawValue == 1 && error is ExitCode {
                Foundation.exit(code.rawValue)
            }
            if code == .validationFailure || code.rawValue == 64 {
                FileHandle.standardError.write(Data((usageLine(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

extension Modcheck {
    /// A usage error as one line: ArgumentParser's message (without its usage block) and where
    /// to read more, e.g. `modcheck: Missing expected argument '--base <base>' (see 'modcheck
    /// series --help')`.
    static func usageLine(for error: Error) -> String {
        let message = Modcheck.message(for: error).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
        let names = Set(configuration.subcommands.map { $0._commandName })
        let subcommand = CommandLine.arguments.dropFirst().first { names.contains($0) }
        return "modcheck: \(message) (see 'modcheck\(subcommand.map { " " + $0 } ?? "") --help')"
    }
}

func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
