import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Free the data no snapshot needs: mark unneeded packs now, delete packs marked by an earlier prune.",
        discussion: "Safe beside running backups: a marked pack is deleted only by a later prune, once no backup that started before the mark is still running (docs/FORMAT.md §11).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: PruneArguments

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            try PruneArguments.run(options.pruneOptions, repository: repository, output: output)
            return ExitCodes.success
        }
    }
}

/// Prune's options, shared with `forget --prune`.
struct PruneArguments: ParsableArguments {
    @Option(name: .long, help: "Repack packs with less than this share of live data (0-1).") var repackThreshold = 0.8
    @Option(name: .long, help: "Stop repacking when unused data is at most this share of all pack data, e.g. 5%.") var maxUnused = "5%"
    @Option(name: .long, help: "Minutes a mark must age, and must predate running backups by, before its packs are deleted.") var graceMinutes = 10.0
    @Flag(name: .customLong("prune-dry-run"), help: "Compute what prune would do; change nothing.") var pruneDryRun = false

    func validate() throws {
        guard (0...1).contains(repackThreshold) else { throw ValidationError("--repack-threshold takes a number between 0 and 1") }
        guard Self.share(maxUnused) != nil else { throw ValidationError("--max-unused takes a percentage such as 5%") }
        guard graceMinutes >= 0 else { throw ValidationError("--grace-minutes cannot be negative") }
    }

    static func share(_ text: String) -> Double? {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number), (0...100).contains(value) else { return nil }
        return value / 100
    }

    var pruneOptions: PruneOptions {
        var options = PruneOptions()
        options.repackThreshold = repackThreshold
        options.maxUnused = Self.share(maxUnused) ?? 0.05
        options.grace = graceMinutes * 60
        options.dryRun = pruneDryRun
        return options
    }

    static func run(_ options: PruneOptions, repository: Repository, output: Output) throws {
        let report = try Pruner(repository: repository, options: options) { message in
            if message.hasPrefix("warning: ") { output.warning(String(message.dropFirst(9))) } else { output.line(message) }
        }.run()
        output.line("live chunks: \(report.liveChunks)")
        output.line("deleted \(report.packsDeleted) pack(s), \(Format.bytes(report.bytesFreed)) freed"
                    + (report.packsDeletedAtOnce > 0 ? " (\(report.packsDeletedAtOnce) marked by this run: no backup is running)" : "")
                    + "; \(report.indexFilesRewritten) index file(s) rewritten")
        if report.packsWaiting > 0 { output.line("\(report.packsWaiting) marked pack(s) wait for a later prune: \(report.waitReason ?? "a backup may use them")") }
        if report.leftoversRemoved > 0 { output.line("removed \(report.leftoversRemoved) temporary file(s) of interrupted runs, \(Format.bytes(report.leftoverBytes))") }
        if report.packsRevived > 0 { output.line("\(report.packsRevived) marked pack(s) are in use again and were kept") }
        output.line("marked \(report.packsMarked) pack(s), \(Format.bytes(report.bytesMarked)) unused" + (report.packsDeletedAtOnce > 0 ? "" : ", for deletion by a later prune") + "; repacked \(report.packsRepacked) pack(s)")
        output.line(String(format: "done in %.2f s%@", report.seconds, options.dryRun ? " (dry run: nothing changed)" : ""))
        output.emit(["message_type": "summary", "live_chunks": report.liveChunks, "packs_deleted": report.packsDeleted, "bytes_freed": report.bytesFreed,
                     "index_files_rewritten": report.indexFilesRewritten, "packs_marked": report.packsMarked, "bytes_marked": report.bytesMarked,
                     "packs_repacked": report.packsRepacked, "bytes_repacked": report.bytesRepacked, "packs_waiting": report.packsWaiting,
                     "wait_reason": report.waitReason ?? "", "packs_deleted_at_once": report.packsDeletedAtOnce,
                     "packs_revived": report.packsRevived, "packs_missing": report.packsMissing.map(\.hex),
                     "leftovers_removed": report.leftoversRemoved, "leftover_bytes": report.leftoverBytes, "duration_seconds": report.seconds, "dry_run": options.dryRun])
    }
}
