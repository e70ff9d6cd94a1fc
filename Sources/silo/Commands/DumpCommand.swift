import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dump", abstract: "Write one file of a snapshot to standard output.",
        discussion: Help.examples(["silo dump latest /etc/fstab", "silo dump latest /srv/app/config.yml > config.yml"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshot: ID, ID prefix, or latest.")
    var snapshot: String
    @Argument(help: "Path of the file inside the snapshot.")
    var path: String

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let (_, snap) = try filter.selector.resolve(snapshot, in: repository, covering: [path])
            guard let node = try TreeWalker(repository: repository).node(at: Paths.absolute(path), root: snap.tree) else {
                throw RepositoryError(.notFound, "\(path) is not in the snapshot")
            }
            guard node.type == .file else { throw RepositoryError(.invalidArgument, "\(path) is a \(node.type.rawValue), not a file") }
            try ContentStreamer.write(node, from: repository, to: STDOUT_FILENO)
            return ExitCodes.success
        }
    }
}
