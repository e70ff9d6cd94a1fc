import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloPostgres
import SiloRepository

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Back up files and directories into a new snapshot.",
        discussion: Help.examples(["silo backup /etc /home --exclude '*.tmp' --tag daily", "silo backup --postgres postgresql://backup@db1:5432/shop"]))

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files and directories to back up.")
    var paths: [String] = []

    @Option(name: [.short, .long], help: "Exclude paths matching a pattern (a name, or a full path when it contains /).")
    var exclude: [String] = []

    @Option(name: .long, help: "Read exclude patterns from a file, one a line (# comments).")
    var excludeFile: [String] = []

    @Flag(name: [.customShort("x"), .long], help: "Do not cross filesystem boundaries.")
    var oneFileSystem = false

    @Option(name: .long, help: "Tag the snapshot (repeatable).")
    var tag: [String] = []

    @Option(name: .long, help: "Host name to record (default: this machine's).")
    var host: String?

    @Option(name: .long, help: "Snapshot time, e.g. 2025-01-29T12:00:00Z or '2025-01-29 12:00:00' (local).")
    var time: String?

    @Option(name: .long, help: "Compare with this snapshot instead of the latest one of the same host and paths.")
    var parent: String?

    @Flag(name: .long, help: "Read all files, even those whose metadata is unchanged.")
    var force = false

    @Option(name: .customLong("postgres"), help: ArgumentHelp(
        "Also dump a PostgreSQL database, postgresql://USER@HOST:PORT/DB (repeatable; no /DB: every database; default: the URLs in SILO_POSTGRES). Password from DB_PASSWORD, PGPASSWORD or ~/.pgpass.",
        valueName: "url"))
    var postgres: [String] = []

    /// `--postgres`, else the configured sources in `SILO_POSTGRES` (URLs separated by spaces).
    private var postgresSources: [String] {
        postgres.isEmpty ? (ProcessInfo.processInfo.environment["SILO_POSTGRES"] ?? "").split(separator: " ").map(String.init) : postgres
    }

    func validate() throws {
        if paths.isEmpty && postgresSources.isEmpty { throw ValidationError("nothing to back up: give at least one path or --postgres URL") }
        if let time, TimeParser.parse(time) == nil {
            throw ValidationError("cannot read --time '\(time)'; use 2025-01-29T12:00:00Z or '2025-01-29 12:00:00'")
        }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            var options = BackupOptions(paths: paths, host: host ?? Host.name)
            options.excludes = exclude
            for file in excludeFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw RepositoryError(.invalidArgument, "cannot read exclude file \(file)")
                }
                options.excludes += text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            }
            options.oneFileSystem = oneFileSystem
            options.tags = tag
            options.force = force
            options.time = time.flatMap(TimeParser.parse)
            options.countTotals = output.showsProgress
            if let parent { options.parent = try SnapshotSelector().resolve(parent, in: repository).id }
            if !postgresSources.isEmpty {
                options.streams = try PostgresBackup.streams(for: postgresSources.map { try ConnectionTarget(url: $0) })
            }

            let progress = BackupProgress()
            let archiver = try Archiver(repository: repository, options: options, progress: progress) { warning in
                output.warning(warning.description)
            }
            if !archiver.missingPacks.isEmpty {
                output.warning("\(archiver.missingPacks.count) pack(s) named by the index are missing from the repository; their data is stored again. Run `silo check` to see which snapshots they affect, and `silo index rebuild` to take them out of the index")
            }
            let result = try output.withProgress(progress, verb: "backed up") { try archiver.run() }
            let s = result.snapshot.summary
            output.line("Files:       \(s.filesNew) new, \(s.filesChanged) changed, \(s.filesUnmodified) unmodified")
            output.line("Dirs:        \(s.directories), other entries: \(s.otherNodes)")
            output.line("Added:       \(Format.bytes(s.rawBytesAdded)) of new data, \(Format.bytes(s.bytesAdded)) stored (\(s.chunksAdded) chunks)")
            output.line("Processed:   \(Format.bytes(s.totalBytes)) in \(Format.duration(s.durationSeconds)) (\(String(format: "%.2f", s.durationSeconds)) s)")
            output.line("snapshot \(result.id.shortHex) saved\(result.warnings.isEmpty ? "" : ", with \(result.warnings.count) warning(s)")")
            var summary: [String: Any] = [
                "message_type": "summary", "snapshot_id": result.id.hex, "files_new": s.filesNew, "files_changed": s.filesChanged,
                "files_unmodified": s.filesUnmodified, "dirs": s.directories, "total_bytes": s.totalBytes, "bytes_read": s.bytesRead,
                "data_added": s.rawBytesAdded, "data_added_stored": s.bytesAdded, "chunks_added": s.chunksAdded,
                "warnings": result.warnings.count, "duration_seconds": s.durationSeconds,
            ]
            // On a remote store every request costs time (and money): say how many this took.
            if let requests = StoreFactory.requestCount(repository.store) {
                summary["storage_requests"] = requests
                output.line("Requests:    \(requests) to \(repository.store.location)")
            }
            output.emit(summary)
            return result.warnings.isEmpty ? ExitCodes.success : ExitCodes.partial
        }
    }
}

enum TimeParser {
    static func parse(_ text: String) -> Date? {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime]
        if let date = iso.date(from: text) { return date }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            local.dateFormat = format
            if let date = local.date(from: text) { return date }
        }
        return nil
    }
}
