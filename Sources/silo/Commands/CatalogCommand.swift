import ArgumentParser
import Foundation
import SiloRepository

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "Manage the local catalog (a cache of the repository).",
        discussion: Help.examples(["silo catalog rebuild"]),
                                                    subcommands: [Rebuild.self])

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rebuild", abstract: "Recreate the catalog from the repository alone.",
        discussion: Help.examples(["silo catalog rebuild"]))

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository(reportFindings: false)
                let started = Date()
                try repository.rebuildCatalog()
                // It completes whatever is damaged; what it left out is said, with what to do.
                for finding in repository.findings { output.warning("skipped: " + finding.advice) }
                let totals = try repository.indexTotals()
                let snapshots = try repository.snapshots().count
                output.line("catalog rebuilt: \(snapshots) snapshots, \(totals.packs) packs, \(totals.chunks) chunks in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
                output.emit(CatalogRebuildSummaryMessage(snapshots: snapshots, packs: totals.packs, chunks: totals.chunks,
                                                         skipped: repository.findings.map { .init(kind: $0.kind.rawValue, key: $0.key, message: $0.message) }))
                return ExitCodes.success
            }
        }
    }
}
