import ArgumentParser
import Foundation
import SiloRepository

/// restic's `repair` family: removes what is damaged beyond use, so that later commands stop
/// reporting it. `index rebuild` is the index's repair.
struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repair", abstract: "Remove damaged objects that cannot be recovered.",
        discussion: Help.examples(["silo repair snapshots"]),
                                                    subcommands: [Snapshots.self])

    struct Snapshots: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snapshots",
            abstract: "Delete snapshot objects that are damaged (they do not match their ID or do not authenticate); the data they shared with other snapshots stays.",
            discussion: Help.examples(["silo -r /srv/backup repair snapshots", "silo repair snapshots --json"]))

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository(reportFindings: false)
                let removed = try repository.removeDamagedSnapshots()
                for key in removed { output.line("removed damaged snapshot \(key)") }
                output.line(removed.isEmpty ? "no damaged snapshot found" : "removed \(removed.count) damaged snapshot(s); `silo prune` collects the data only they needed")
                output.emit(RepairSnapshotsSummaryMessage(removed: removed))
                return ExitCodes.success
            }
        }
    }
}
