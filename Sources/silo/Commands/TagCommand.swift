import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

/// restic's `tag`: a snapshot object cannot change, so a retagged snapshot is written anew
/// (new ID, same tree and time) and the old object removed after.
struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Add, remove or replace the tags of snapshots.",
        discussion: Help.examples(["silo tag --add keep 4f2a9c1e", "silo tag --remove daily --add monthly latest", "silo tag --set '' --host web1"],
            note: """
                Without SNAPSHOT, every snapshot that --host, --path and --tag select is changed: all of them when no filter \
                is given, as restic does. A changed snapshot gets a new ID; its `original` keeps the first ID. The new \
                snapshot is written before the old one is removed, so a crash in between leaves both (they differ only in \
                their tags; remove the unwanted one with `silo forget ID`); Ctrl-C waits for the pair. --set '' removes every tag.
                """))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshots to change (IDs, prefixes or latest); default: every snapshot the filters select.")
    var snapshots: [String] = []

    @Option(name: .customLong("add"), help: ArgumentHelp("Add this tag (repeatable).", valueName: "tag")) var add: [String] = []
    @Option(name: .customLong("remove"), help: ArgumentHelp("Remove this tag (repeatable).", valueName: "tag")) var remove: [String] = []
    @Option(name: .customLong("set"), help: ArgumentHelp("Replace all tags by these (repeatable; '' for none).", valueName: "tag")) var set: [String] = []

    func validate() throws {
        if !set.isEmpty && !(add.isEmpty && remove.isEmpty) { throw ValidationError("--set replaces every tag: it cannot be combined with --add or --remove") }
        if set.isEmpty && add.isEmpty && remove.isEmpty { throw ValidationError("nothing to change: give --add, --remove or --set") }
        if (add + remove).contains("") { throw ValidationError("--add and --remove take a non-empty tag") }
    }

    var change: TagChange { TagChange(add: add, remove: remove, set: set.isEmpty ? nil : set.filter { !$0.isEmpty }) }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            // Every reference resolved before anything is written: a typo changes nothing.
            let chosen = snapshots.isEmpty
                ? filter.selector.filter(try repository.snapshots())
                : try snapshots.map { try filter.selector.resolve($0, in: repository) }
            let lease = try repository.takeLease(.backup)
            lease.keepAlive()
            defer { lease.release() }
            var seen = Set<SnapshotID>()
            var changed = 0
            for (id, snapshot) in chosen where seen.insert(id).inserted {
                guard let (newID, retagged) = try change.apply(to: id, snapshot, in: repository, lease: lease) else { continue }
                changed += 1
                let tags = retagged.tags.isEmpty ? "no tags" : "[" + retagged.tags.joined(separator: ",") + "]"
                output.line("tagged \(id.shortHex) -> \(newID.shortHex)  \(tags)")
                output.emit(TaggedMessage(snapshotId: id.hex, newId: newID.hex, tags: retagged.tags))
            }
            output.line("\(changed) snapshot(s) changed, \(seen.count - changed) already as asked")
            output.emit(TagSummaryMessage(changed: changed, unchanged: seen.count - changed))
            return ExitCodes.success
        }
    }
}
