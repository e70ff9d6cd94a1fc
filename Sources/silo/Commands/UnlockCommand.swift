import ArgumentParser
import Foundation
import SiloRepository

struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock", abstract: "Remove stale leases (locks) and say which.",
        discussion: Help.examples(["silo unlock", "silo unlock --remove-all"],
                                  note: "A lease is stale when not refreshed for \(Int(Lease.staleAfter / 60)) minutes, or when its process on this host is gone. Prune and backup already ignore stale leases; unlock tidies them away. --remove-all removes live leases too: only when no silo runs anywhere on this repository."))

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Also remove leases that are live (only when no backup or prune runs anywhere).")
    var removeAll = false

    func run() throws {
        let output = global.output
        try runCommand(output) {
            // Not `openRepository`: a hung backup may hold the local catalog's lock (LeaseRemoval).
            let store = try global.store()
            let password = try Repository.needsPassword(store: store) ? try global.password() : nil
            if removeAll {
                output.warning("--remove-all removes live leases too: a backup or prune still running can then lose data to a prune")
            }
            let removed = try Repository.removeLeases(store: store, password: password, all: removeAll)
            for lease in removed {
                output.line("removed \(lease.reason.rawValue) lease \(lease.key)\(lease.lease.map { " (\(describe($0)))" } ?? "")")
                output.emit(LeaseRemovedMessage(lease))
            }
            output.line(removed.isEmpty ? "no stale leases" : "removed \(removed.count) lease(s)")
            output.emit(UnlockSummaryMessage(removed: removed.count))
            return ExitCodes.success
        }
    }

    private func describe(_ lease: Lease) -> String {
        "\(lease.purpose.rawValue) by pid \(lease.pid) on \(lease.host), last refreshed \(Format.date(Date(timeIntervalSince1970: lease.refreshed)))"
    }
}
