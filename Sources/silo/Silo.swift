import ArgumentParser
import CLinux
import Foundation
import SiloEngine

@main
struct Silo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silo",
        abstract: "Deduplicating, encrypted backups of file trees and PostgreSQL databases.",
        discussion: Help.root,
        version: SiloVersion.line,
        subcommands: [
            InitCommand.self, BackupCommand.self, SnapshotsCommand.self, LsCommand.self, FindCommand.self,
            DiffCommand.self, DumpCommand.self, RestoreCommand.self, ForgetCommand.self, TagCommand.self, PruneCommand.self, StatsCommand.self, CheckCommand.self,
            CatalogCommand.self, IndexCommand.self, RepairCommand.self, KeyCommand.self, UnlockCommand.self, DbCommand.self, ImportCommand.self,
            ExportCommand.self, CopyCommand.self, ConfigCommand.self, RunCommand.self, ScheduleCommand.self, HistoryCommand.self,
            MonitorCommand.self, AlertsCommand.self, NotifyCommand.self, DrillCommand.self, ServeCommand.self, VersionCommand.self,
        ]
    )

    static func main() {
        // Chunks are allocated and freed by the megabyte on several threads. With glibc's
        // adaptive mmap threshold they end up in per-thread arenas that never shrink (peak RSS
        // 190 MiB on the benchmark); a fixed threshold returns them to the system (100 MiB).
        mallopt(M_MMAP_THRESHOLD, 1 << 20)
        Interrupts.install()
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(try GlobalOptionPlacement.arrange(arguments, root: Silo.self))
            try command.run()
        } catch {
            finish(with: error, json: arguments.prefix { $0 != "--" }.contains("--json"))
        }
        Foundation.exit(0)
    }

    /// Ends the process after an error that reached `main`. A command's own failure was already
    /// reported by `runCommand` (it threw an `ExitCode`); help and `--version` are printed as
    /// ArgumentParser prints them. Every other error — a usage error above all — is one line
    /// starting `silo:` (under `--json`, an `error` object), never the parser's usage block.
    private static func finish(with error: Error, json: Bool) -> Never {
        if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
        let parserCode = exitCode(for: error)
        if parserCode.isSuccess { exit(withError: error) }
        let failure = parserCode == .validationFailure
            ? SiloError(.usage, message(for: error))
            : SiloError(classifying: error)
        Output(json: json, quiet: false).error(oneLine(failure.message), exitCode: failure.code.rawValue)
        Foundation.exit(failure.code.rawValue)
    }

    /// The parser's message on one line, starting lower-case like silo's own ("unknown option …").
    private static func oneLine(_ message: String) -> String {
        let joined = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }.joined(separator: "; ")
            .replacingOccurrences(of: ". Did you mean", with: "; did you mean")
        guard let first = joined.first, first.isUppercase, joined.dropFirst().first?.isLowercase == true else { return joined }
        return first.lowercased() + joined.dropFirst()
    }
}
