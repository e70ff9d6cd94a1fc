import ArgumentParser
import Foundation
import SiloRepository

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "Repair the repository's index.",
        discussion: Help.examples(["silo index rebuild"]),
                                                    subcommands: [Rebuild.self])

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebuild",
            abstract: "Index every pack that no index file names, from the packs' own trailers (after lost or damaged index files), and take packs that no longer exist out of the index.",
            discussion: Help.examples(["silo index rebuild", "silo index rebuild --json"]))

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository(reportFindings: false)
                let result = try repository.indexUnindexedPacks()
                output.line("indexed \(result.packsIndexed) pack(s) in \(result.indexFilesWritten) new index file(s)")
                for key in result.damagedIndexFilesRemoved { output.line("removed the damaged index file \(key); its packs are indexed again") }
                let missing = try repository.dropMissingPacksFromIndex()
                if !missing.isEmpty {
                    output.line("took \(missing.count) missing pack(s) out of the index; the next backup stores their data again if the source still has it")
                }
                for pack in result.packsUnreadable { output.error("pack \(pack.hex) has no readable trailer; run `silo check --read-data`") }
                output.emit(IndexRebuildSummaryMessage(packsIndexed: result.packsIndexed, indexFilesWritten: result.indexFilesWritten,
                                                       damagedIndexFilesRemoved: result.damagedIndexFilesRemoved, packsMissing: missing.map(\.hex),
                                                       packsUnreadable: result.packsUnreadable.map(\.hex)))
                return result.packsUnreadable.isEmpty ? ExitCodes.success : ExitCodes.integrity
            }
        }
    }
}
