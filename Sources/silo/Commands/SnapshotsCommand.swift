import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "List snapshots, oldest first.",
        discussion: Help.examples(["silo snapshots", "silo snapshots --host web1 --json", "silo snapshots --latest 1"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Option(name: .long, help: ArgumentHelp("Only the N newest snapshots of each group (see --group-by).", valueName: "N"))
    var latest: Int?
    @Option(name: .long, help: "The groups of --latest: any of host,paths,tags, or '' for one group (as forget's).")
    var groupBy = "host,paths"

    func validate() throws {
        if let latest, latest < 1 { throw ValidationError("--latest takes a count of at least 1") }
        guard SnapshotGrouping(parsing: groupBy) != nil else { throw ValidationError("--group-by takes host, paths, tags or ''") }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let all = try repository.snapshots()
            var snapshots = filter.selector.filter(all)
            if let latest { snapshots = SnapshotGrouping(parsing: groupBy)!.newest(latest, of: snapshots) }
            func row(_ cells: [String]) -> String {
                let widths = [8, 19, 12, 11, 11]
                return zip(cells, widths).enumerated().map { i, pair in
                    let (text, width) = pair
                    let pad = String(repeating: " ", count: max(0, width - text.count))
                    return i >= 3 ? pad + text : text + pad
                }.joined(separator: "  ") + "  " + cells[5]
            }
            output.result(row(["ID", "Time", "Host", "Size", "Added", "Paths"]))
            for (id, s) in snapshots {
                let tags = s.tags.isEmpty ? "" : "  [" + s.tags.joined(separator: ",") + "]"
                output.result(row([id.shortHex, Format.date(s.date), s.host, Format.bytes(s.summary.totalBytes),
                                   Format.bytes(s.summary.bytesAdded), s.paths.joined(separator: ", ") + tags]))
                output.emit(SnapshotMessage(id, s))
            }
            // The column is the stored size, as `backup`'s "Added:" line puts first.
            output.line("Added: the bytes each backup added as stored (compressed and encrypted); `--json` gives both, data_added_stored and data_added (before compression and encryption)")
            guard snapshots.count == all.count else {
                // What the repository stores is shared by all its snapshots: a part of the list
                // is described by its own figures only.
                let total = snapshots.reduce(UInt64(0)) { $0 + $1.snapshot.summary.totalBytes }
                let added = snapshots.reduce(UInt64(0)) { $0 + $1.snapshot.summary.bytesAdded }
                output.line("\(snapshots.count) of \(all.count) snapshot(s) listed; \(Format.bytes(total)) of data in them; their backups added \(Format.bytes(added)) to the repository (stored)")
                return ExitCodes.success
            }
            let statistics = try RepositoryStatistics(snapshots: snapshots, repository: repository)
            output.line("\(snapshots.count) snapshot(s); \(Format.bytes(statistics.logicalBytes)) of data in them stored in \(Format.bytes(statistics.index.packBytes)) (deduplication and compression ratio \(String(format: "%.1f", statistics.overallRatio))x)")
            return ExitCodes.success
        }
    }
}
