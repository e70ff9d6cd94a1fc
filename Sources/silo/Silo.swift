import ArgumentParser
import CLinux

@main
struct Silo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silo",
        abstract: "Deduplicating, encrypted backups of file trees (and, later, databases).",
        discussion: "Exit codes: 0 ok, 1 fatal, 3 partial, 10 no repository, 11 locked (another prune), 12 wrong password, 13 integrity failure, 14 newer format, 15 storage not writable, 64 usage, 130 SIGINT, 143 SIGTERM.",
        version: "silo 0.1.0",
        subcommands: [
            InitCommand.self, BackupCommand.self, SnapshotsCommand.self, LsCommand.self, FindCommand.self,
            DiffCommand.self, DumpCommand.self, RestoreCommand.self, ForgetCommand.self, PruneCommand.self, StatsCommand.self, CheckCommand.self,
            CatalogCommand.self, IndexCommand.self, RepairCommand.self, KeyCommand.self, DbCommand.self, ImportCommand.self, ExportCommand.self, CopyCommand.self,
        ]
    )

    static func main() {
        // Chunks are allocated and freed by the megabyte on several threads. With glibc's
        // adaptive mmap threshold they end up in per-thread arenas that never shrink (peak RSS
        // 190 MiB on the benchmark); a fixed threshold returns them to the system (100 MiB).
        mallopt(M_MMAP_THRESHOLD, 1 << 20)
        Interrupts.install()
        main(nil)
    }
}
