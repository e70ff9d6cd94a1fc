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

    @Argument(help: "Directory inside the snapshot (default: the snapshot's source paths; / lists the root).")
    var path: String?

    @Flag(name: [.short, .long], help: "Long listing: mode, owner, size, time.")
    var long = false

    @Flag(name: [.customShort("R"), .long], help: "List subdirectories recursively.")
    var recursive = false

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let (_, snap) = try filter.selector.resolve(snapshot, in: repository, covering: path.map { [$0] } ?? [])
            let walker = TreeWalker(repository: repository)
            // Without a path the sources are what the snapshot holds: `backup /a/x /b/y` lists
            // both, where the root alone would show only their first directory, `/a`.
            let starts = path.map { [$0] } ?? (recursive ? ["/"] : snap.paths)
            for start in starts { try list(Paths.absolute(start), given: path ?? start, root: snap.tree, walker: walker, output: output) }
            return ExitCodes.success
        }
    }

    private func list(_ start: ByteString, given: String, root: ChunkID, walker: TreeWalker, output: Output) throws {
        let isRoot = start == [UInt8(ascii: "/")]
        guard let tree = try walker.tree(at: start, root: root) else {
            guard let node = try walker.node(at: start, root: root) else {
                guard path == nil else { throw RepositoryError(.notFound, "\(given) is not in the snapshot") }
                // A source that vanished while it was backed up: the others are still listed.
                output.warning("source \(given) is not in the snapshot")
                return
            }
            print(node, path: start, output: output)
            return
        }
        if path == nil && !isRoot, let node = try walker.node(at: start, root: root) {
            // A source directory is named itself, not listed: `ls` shows what was backed up.
            print(node, path: start, output: output)
            return
        }
        try walker.walk(tree, path: start) { p, node in
            print(node, path: p, output: output)
            return recursive
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
        let m = node.mode
        // As GNU ls: setuid, setgid and sticky take the place of the x they go with, lower
        // case when that x is set too, upper case when it is not.
        func triple(shift: UInt32, special: UInt32, letter: Character) -> String {
            let r: Character = m & (0o4 << shift) != 0 ? "r" : "-"
            let w: Character = m & (0o2 << shift) != 0 ? "w" : "-"
            let executable = m & (0o1 << shift) != 0
            let x: Character = m & special != 0 ? (executable ? letter : Character(letter.uppercased())) : (executable ? "x" : "-")
            return String([r, w, x])
        }
        return String(type) + triple(shift: 6, special: 0o4000, letter: "s") + triple(shift: 3, special: 0o2000, letter: "s")
            + triple(shift: 0, special: 0o1000, letter: "t")
    }
}
