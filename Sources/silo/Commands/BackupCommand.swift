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

    @Flag(name: .long, help: "Exclude the contents of directories holding a CACHEDIR.TAG with the standard signature.")
    var excludeCaches = false

    @Option(name: .long, help: ArgumentHelp("Exclude the contents of directories holding a file of this name (repeatable).", valueName: "name"))
    var excludeIfPresent: [String] = []

    @Option(name: .long, help: ArgumentHelp("Exclude files larger than SIZE (e.g. 500K, 10M, 1G).", valueName: "size"))
    var excludeLargerThan: String?

    @Option(name: .long, help: ArgumentHelp("Back up the paths listed in FILE, one a line (# comments and blank lines ignored; - for stdin).", valueName: "file"))
    var filesFrom: [String] = []

    @Option(name: .long, help: ArgumentHelp("Back up the paths listed in FILE, one a line, taken exactly as written.", valueName: "file"))
    var filesFromVerbatim: [String] = []

    @Flag(name: .long, help: "Back up standard input as one file (name: --stdin-filename).")
    var stdin = false

    @Option(name: .long, help: ArgumentHelp("The file name standard input gets in the snapshot (default: stdin).", valueName: "name"))
    var stdinFilename = "stdin"

    @Flag(name: [.customShort("n"), .long], help: "Read everything and say what would be stored; write nothing to the repository.")
    var dryRun = false

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
        if paths.isEmpty && postgresSources.isEmpty && filesFrom.isEmpty && filesFromVerbatim.isEmpty && !stdin {
            throw ValidationError("nothing to back up: give at least one path, --files-from FILE, --stdin or --postgres URL")
        }
        if stdin {
            guard paths.isEmpty, filesFrom.isEmpty, filesFromVerbatim.isEmpty else { throw ValidationError("--stdin backs up standard input alone: give no paths") }
            guard !stdinFilename.isEmpty, !stdinFilename.contains("/"), stdinFilename != ".", stdinFilename != ".." else {
                throw ValidationError("--stdin-filename takes a file name without /")
            }
            if (filesFrom + filesFromVerbatim).contains("-") { throw ValidationError("--stdin and --files-from - both read standard input") }
        }
        if let excludeLargerThan, ByteSize.parse(excludeLargerThan) == nil {
            throw ValidationError("cannot read --exclude-larger-than '\(excludeLargerThan)'; use a size such as 500K, 10M or 1G")
        }
        if let time, TimeParser.parse(time) == nil {
            throw ValidationError("cannot read --time '\(time)'; use 2025-01-29T12:00:00Z or '2025-01-29 12:00:00'")
        }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            var options = BackupOptions(paths: paths + (try listedPaths()), host: host ?? Host.name)
            options.excludes = exclude
            for file in excludeFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw RepositoryError(.invalidArgument, "cannot read exclude file \(file)")
                }
                options.excludes += text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            }
            options.oneFileSystem = oneFileSystem
            options.excludeCaches = excludeCaches
            options.excludeIfPresent = excludeIfPresent
            options.excludeLargerThan = excludeLargerThan.flatMap(ByteSize.parse)
            options.dryRun = dryRun
            options.tags = tag
            options.force = force
            options.time = time.flatMap(TimeParser.parse)
            options.countTotals = output.showsProgress
            if let parent { options.parent = try SnapshotSelector().resolve(parent, in: repository).id }
            if !postgresSources.isEmpty {
                options.streams = try PostgresBackup.streams(for: postgresSources.map { try ConnectionTarget(url: $0) })
            }
            if stdin {
                // A terminal is not a stream anyone meant to back up; waiting on it looks like a hang.
                guard isatty(STDIN_FILENO) == 0 else { throw RepositoryError(.invalidArgument, "--stdin reads standard input, which is a terminal; pipe the data in") }
                options.streams.append(DescriptorStreamSource(path: "/" + stdinFilename, descriptor: STDIN_FILENO))
            }

            let progress = BackupProgress()
            let archiver = try Archiver(repository: repository, options: options, progress: progress) { warning in
                output.warning(warning.description)
            }
            if !archiver.missingPacks.isEmpty {
                output.warning("\(archiver.missingPacks.count) pack(s) named by the index are missing from the repository; their data is stored again. Run `silo check` to see which snapshots they affect, and `silo index rebuild` to take them out of the index")
            }
            if dryRun {
                let preview = try output.withProgress(progress, verb: "read") { try archiver.preview() }
                Self.reportDryRun(preview, output: output)
                return preview.warnings.isEmpty ? ExitCodes.success : ExitCodes.partial
            }
            let result = try output.withProgress(progress, verb: "backed up") { try archiver.run() }
            let s = result.snapshot.summary
            output.line("Files:       \(s.filesNew) new, \(s.filesChanged) changed, \(s.filesUnmodified) unmodified")
            output.line("Dirs:        \(s.directories), other entries: \(s.otherNodes)")
            output.line("Added:       \(Format.added(stored: s.bytesAdded, plaintext: s.rawBytesAdded)), \(s.chunksAdded) chunks")
            output.line("Processed:   \(Format.bytes(s.totalBytes)) in \(Format.duration(s.durationSeconds)) (\(String(format: "%.2f", s.durationSeconds)) s)")
            output.line("snapshot \(result.id.shortHex) saved\(result.warnings.isEmpty ? "" : ", with \(result.warnings.count) warning(s)")")
            // On a remote store every request costs time (and money): say how many this took.
            let requests = StoreFactory.requestCount(repository.store)
            if let requests { output.line("Requests:    \(requests) to \(repository.store.location)") }
            output.emit(BackupSummaryMessage(dryRun: false, snapshotId: result.id.hex, filesNew: s.filesNew, filesChanged: s.filesChanged,
                                             filesUnmodified: s.filesUnmodified, dirs: s.directories, totalBytes: s.totalBytes,
                                             bytesRead: s.bytesRead, dataAdded: s.rawBytesAdded, dataAddedStored: s.bytesAdded,
                                             chunksAdded: s.chunksAdded, warnings: result.warnings.count, durationSeconds: s.durationSeconds,
                                             storageRequests: requests))
            return result.warnings.isEmpty ? ExitCodes.success : ExitCodes.partial
        }
    }
}

extension BackupCommand {
    /// What a dry run would have done. Only the plaintext of what would be added is known:
    /// its stored size needs the compression and encryption that a dry run skips.
    static func reportDryRun(_ preview: Archiver.Preview, output: Output) {
        let s = preview.snapshot.summary
        output.line("Files:       \(s.filesNew) new, \(s.filesChanged) changed, \(s.filesUnmodified) unmodified")
        output.line("Dirs:        \(s.directories), other entries: \(s.otherNodes)")
        output.line("Read:        \(Format.bytes(s.bytesRead)) of \(Format.bytes(s.totalBytes))")
        output.line("Would add:   \(Format.bytes(s.rawBytesAdded)) before compression and encryption (\(s.chunksAdded) chunks)")
        output.line("dry run: nothing was written to the repository\(preview.warnings.isEmpty ? "" : ", \(preview.warnings.count) warning(s)")")
        output.emit(BackupSummaryMessage(dryRun: true, snapshotId: nil, filesNew: s.filesNew, filesChanged: s.filesChanged,
                                         filesUnmodified: s.filesUnmodified, dirs: s.directories, totalBytes: s.totalBytes, bytesRead: s.bytesRead,
                                         dataAdded: s.rawBytesAdded, dataAddedStored: nil, chunksAdded: s.chunksAdded,
                                         warnings: preview.warnings.count, durationSeconds: s.durationSeconds, storageRequests: nil))
    }

    /// The paths of `--files-from` (one a line; `#` comments, blank lines and the spaces around
    /// a line are dropped) and `--files-from-verbatim` (every line a path, as written but for
    /// its line ending).
    private func listedPaths() throws -> [String] {
        var listed: [String] = []
        for (file, verbatim) in filesFrom.map({ ($0, false) }) + filesFromVerbatim.map({ ($0, true) }) {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data, let text = String(data: data, encoding: .utf8) else {
                throw RepositoryError(.invalidArgument, "cannot read --files-from \(file)\(file == "-" ? "" : ": it does not exist, is unreadable or is not UTF-8")")
            }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let withoutEnding = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
                if verbatim {
                    if !withoutEnding.isEmpty { listed.append(withoutEnding) }
                } else {
                    let trimmed = withoutEnding.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty && !trimmed.hasPrefix("#") { listed.append(trimmed) }
                }
            }
        }
        return listed
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
