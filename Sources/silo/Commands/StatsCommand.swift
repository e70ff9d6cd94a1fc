import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show repository size, deduplication and compression.",
        discussion: Help.examples(["silo stats", "silo stats --host web1"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let snapshots = filter.selector.filter(try repository.snapshots())
            let statistics = try RepositoryStatistics(snapshots: snapshots, repository: repository)
            let totals = statistics.index
            let logical = statistics.logicalBytes
            let dedup = statistics.deduplicationRatio
            let compression = statistics.compressionRatio
            output.line("Snapshots:              \(snapshots.count)")
            output.line("Data in snapshots:      \(Format.bytes(logical))")
            output.line("Unique data:            \(Format.bytes(totals.rawBytes)) in \(totals.chunks) chunks")
            output.line("Stored (compressed):    \(Format.bytes(totals.storedBytes)) in \(totals.packs) packs (\(Format.bytes(totals.packBytes)) on disk)")
            output.line("Deduplication ratio:    \(String(format: "%.2f", dedup))x")
            output.line("Compression ratio:      \(String(format: "%.2f", compression))x")
            output.line("Growth (stored bytes added per snapshot):")
            for (id, s) in snapshots {
                output.line("  \(id.shortHex)  \(Format.date(s.date))  +\(Format.bytes(s.summary.bytesAdded))")
            }
            output.emit(StatsMessage(snapshots: snapshots.count, totalSize: logical, uniqueSize: totals.rawBytes, storedSize: totals.storedBytes,
                                     packBytes: totals.packBytes, chunks: totals.chunks, packs: totals.packs, dedupRatio: dedup,
                                     compressionRatio: compression))
            return ExitCodes.success
        }
    }
}
