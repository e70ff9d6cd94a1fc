import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Show what changed between two snapshots (+ added, - removed, M modified, U metadata, T type).",
        discussion: Help.examples(["silo diff 4f2a9c1e latest"]))

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The older snapshot.")
    var first: String
    @Argument(help: "The newer snapshot.")
    var second: String

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let a = try SnapshotSelector().resolve(first, in: repository)
            let b = try SnapshotSelector().resolve(second, in: repository)
            let changes = try SnapshotDiff(repository: repository).changes(from: a.snapshot.tree, to: b.snapshot.tree)
            for change in changes {
                output.result("\(change.kind)    \(change.path)")
                output.emit(ChangeMessage(modifier: String(change.kind), path: change.path))
            }
            var counts: [Character: Int] = [:]
            for change in changes { counts[change.kind, default: 0] += 1 }
            output.line("\(counts["+"] ?? 0) added, \(counts["-"] ?? 0) removed, \(counts["M"] ?? 0) modified, \(counts["U"] ?? 0) metadata only, \(counts["T"] ?? 0) type changed")
            return ExitCodes.success
        }
    }
}
