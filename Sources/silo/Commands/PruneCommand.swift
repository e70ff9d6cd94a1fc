import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Free the data no snapshot needs: mark unneeded packs, and delete them at once when no backup is running.",
        discussion: "Safe beside running backups: a marked pack is deleted in the same run only when no backup lease is live (on a local repository), else by a later prune, once no backup that started before the mark is still running (docs/FORMAT.md §11).\n\n" + Help.examples(["silo prune", "silo prune --max-unused 10% --dry-run"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: PruneArguments
    // Here and not in PruneArguments: `forget --prune` shares those, and forget's own
    // -n/--dry-run already means "remove no snapshot".
    @Flag(name: [.customShort("n"), .long], help: "Compute what prune would do; change nothing.") var dryRun = false

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            var pruneOptions = options.pruneOptions
            pruneOptions.dryRun = pruneOptions.dryRun || dryRun
            try PruneArguments.run(pruneOptions, repository: repository, output: output)
            return ExitCodes.success
        }
    }
}

/// Prune's options, shared with `forget --prune`.
struct PruneArguments: ParsableArguments {
    @Option(name: .long, help: "Repack packs with less than this share of live data (0-1).") var repackThreshold = 0.8
    @Option(name: .long, help: "Stop repacking when unused data is at most this share of all pack data, e.g. 5%.") var maxUnused = "5%"
    @Option(name: .long, help: "Minutes a mark must age, and must predate running backups by, before a later prune deletes its packs (not needed when nothing runs beside the prune on a local repository).") var graceMinutes = 10.0
    /// The old spelling of `prune --dry-run`, kept so that scripts using it still work.
    @Flag(name: .customLong("prune-dry-run"), help: ArgumentHelp("Compute what prune would do; change nothing.", visibility: .hidden)) var pruneDryRun = false

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

    /// `afterForget`: under `forget --prune`, whose own `summary` comes first.
    static func run(_ options: PruneOptions, repository: Repository, output: Output, afterForget: Bool = false) throws {
        let report = try Pruner(repository: repository, options: options) { message in
            if message.hasPrefix("warning: ") { output.warning(String(message.dropFirst(9))) } else { output.line(message) }
        }.run()
        for line in summaryLines(report) { output.line(line) }
        output.line(String(format: "done in %.2f s%@", report.seconds, options.dryRun ? " (dry run: nothing changed)" : ""))
        let summary = PruneSummaryMessage(report, dryRun: options.dryRun)
        if afterForget { output.emit(ForgetPruneSummaryMessage(prune: summary)) } else { output.emit(summary) }
    }

    /// The summary: what was freed now, what was moved, and what waits and why.
    static func summaryLines(_ report: PruneReport) -> [String] {
        var lines = ["live chunks: \(report.liveChunks)"]
        let earlier = report.packsDeleted - report.packsDeletedNow
        lines.append("freed \(Format.bytes(report.bytesFreed)): deleted \(report.packsDeleted) pack(s) (\(earlier) marked by an earlier prune, "
                     + "\(report.packsDeletedNow) marked by this one); \(report.indexFilesRewritten) index file(s) rewritten")
        if report.packsRepacked > 0 {
            lines.append("repacked \(report.packsRepacked) pack(s) of \(Format.bytes(report.bytesRepacked)): moved \(Format.bytes(report.bytesMoved)) of live data "
                         + "into new packs, \(Format.bytes(report.bytesRepackedUnused)) unused"
                         + (report.packsRepackedForDeadDeltas > 0 ? " (\(report.packsRepackedForDeadDeltas) for dead deltas whose bases go)" : ""))
        }
        lines.append("marked \(report.packsMarked) pack(s), \(Format.bytes(report.bytesMarked))"
                     + (report.packsMarked > 0 && report.packsDeletedNow > 0 ? ", deleted at once: no backup was running" : ""))
        if report.packsWaiting > 0 {
            let reasons = PruneReport.WaitReason.allCases.filter { report.waitReasons.contains($0) }.map(describe).joined(separator: "; ")
            lines.append("\(report.packsWaiting) marked pack(s), \(Format.bytes(report.bytesWaiting)), wait for a later prune: \(reasons)")
        }
        if report.leftoversRemoved > 0 { lines.append("removed \(report.leftoversRemoved) temporary file(s) of interrupted runs, \(Format.bytes(report.leftoverBytes))") }
        if report.packsRevived > 0 { lines.append("\(report.packsRevived) marked pack(s) are in use again and were kept") }
        if report.packsKeptAsBases > 0 { lines.append("\(report.packsKeptAsBases) marked pack(s) hold bases of deltas still indexed and were kept") }
        return lines
    }

    private static func describe(_ reason: PruneReport.WaitReason) -> String {
        switch reason {
        case .backupRunning: "a backup is running (its lease is live) and may have started before the mark"
        case .markedRecently: "marked less than --grace-minutes ago by a prune that could not delete at once"
        case .listingNotConsistent: "this store's listing may miss recent writes, so only --grace-minutes protects a backup"
        }
    }
}
