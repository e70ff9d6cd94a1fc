import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dump", abstract: "Write one file of a snapshot to standard output.")

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
            let (_, snap) = try filter.selector.resolve(snapshot, in: repository)
            guard let node = try TreeWalker(repository: repository).node(at: Paths.absolute(path), root: snap.tree) else {
                throw RepositoryError(.notFound, "\(path) is not in the snapshot")
            }
            guard node.type == .file else { throw RepositoryError(.invalidArgument, "\(path) is a \(node.type.rawValue), not a file") }
            for id in node.content ?? [] {
                let data = try repository.loadBlob(id)
                let ok = data.withUnsafeBytes { raw -> Bool in
                    var done = 0
                    while done < raw.count {
                        let n = write(STDOUT_FILENO, raw.baseAddress! + done, raw.count - done)
                        if n < 0 { if errno == EINTR { continue }; return false }
                        done += n
                    }
                    return true
                }
                if !ok { throw RepositoryError(.storage, "cannot write to standard output: \(String(cString: strerror(errno)))") }
            }
            return ExitCodes.success
        }
    }
}
