import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files of a snapshot.",
        discussion: Help.examples(["silo ls latest", "silo ls latest /etc -l"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshot: ID, ID prefix, or latest.")
    var snapshot: String

    @Argument(help: "Directory inside the snapshot (default /).")
    var path: String = "/"

    @Flag(name: [.short, .long], help: "Long listing: mode, owner, size, time.")
    var long = false

    @Flag(name: [.customShort("R"), .long], help: "List subdirectories recursively.")
    var recursive = false

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let (_, snap) = try filter.selector.resolve(snapshot, in: repository)
            let walker = TreeWalker(repository: repository)
            let start = Paths.absolute(path)
            guard let tree = try walker.tree(at: start, root: snap.tree) else {
                if let node = try walker.node(at: start, root: snap.tree) {
                    print(node, path: start, output: output)
                    return ExitCodes.success
                }
                throw RepositoryError(.notFound, "\(path) is not in the snapshot")
            }
            try walker.walk(tree, path: start == [47] ? [47] : start) { p, node in
                print(node, path: p, output: output)
                return recursive
            }
            return ExitCodes.success
        }
    }

    private func print(_ node: Node, path: ByteString, output: Output) {
        let name = path.displayString + (node.type == .dir ? "/" : "")
        if long {
            output.result("\(NodeFormat.modeString(node)) \(node.user ?? String(node.uid))/\(node.group ?? String(node.gid)) \(String(format: "%12llu", node.size ?? 0)) \(Format.date(Date(timeIntervalSince1970: Double(node.mtime) / 1e9))) \(name)\(node.linkTarget.map { " -> " + $0.displayString } ?? "")")
        } else {
            output.result(name)
        }
        output.emit(NodeMessage(node, path: path))
    }
}

enum NodeFormat {
    static func modeString(_ node: Node) -> String {
        let type: Character
        switch node.type {
        case .dir: type = "d"
        case .symlink: type = "l"
        case .fifo: type = "p"
        case .chardev: type = "c"
        case .blockdev: type = "b"
        case .socket: type = "s"
        case .file: type = "-"
        }
        var s = String(type)
        let m = node.mode
        let bits: [(UInt32, Character)] = [(0o400, "r"), (0o200, "w"), (0o100, "x"), (0o40, "r"), (0o20, "w"), (0o10, "x"), (0o4, "r"), (0o2, "w"), (0o1, "x")]
        for (bit, c) in bits { s.append(m & bit != 0 ? c : "-") }
        return s
    }
}
