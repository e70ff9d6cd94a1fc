import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

struct FindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "find", abstract: "Find files by name pattern in all (or selected) snapshots.",
        discussion: Help.examples(["silo find '*.conf'", "silo find /etc/nginx/'*' --host web1"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Shell pattern matched against names (or full paths when it contains /).")
    var pattern: String

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let walker = TreeWalker(repository: repository)
            var hits = 0
            for (id, snap) in filter.selector.filter(try repository.snapshots()) {
                try walker.walk(snap.tree) { path, node in
                    let target = pattern.contains("/") ? path : node.name
                    if Paths.withCPath(target, { fnmatch(pattern, $0, 0) }) == 0 {
                        hits += 1
                        output.result("\(id.shortHex)  \(Format.date(snap.date))  \(path.displayString)\(node.type == .dir ? "/" : "")")
                        output.emit(MatchMessage(node: NodeMessage(node, path: path), snapshot: id.hex))
                    }
                    return true
                }
            }
            output.line("\(hits) match(es)")
            return ExitCodes.success
        }
    }
}
