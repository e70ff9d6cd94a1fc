import ArgumentParser
import Foundation
import SiloEngine
import SiloPostgres
import SiloRepository

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore a snapshot, or parts of it, into a directory.",
        discussion: Help.examples(["silo restore latest --target /tmp/restore", "silo restore latest --target / --include /etc/nginx", "silo restore latest --postgres shop --test"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshot: ID, ID prefix, or latest.")
    var snapshot: String

    @Option(name: [.short, .long], help: "Directory to restore into (created if missing).")
    var target: String?

    @Option(name: [.short, .long], help: "Restore only this path of the snapshot (repeatable).")
    var include: [String] = []

    @OptionGroup var database: DatabaseRestoreArguments

    func validate() throws {
        if database.postgres == nil && target == nil { throw ValidationError("give --target DIR (files) or --postgres DBNAME (a database)") }
        if database.postgres != nil && (target != nil || !include.isEmpty) {
            throw ValidationError("restore files (--target) and a database (--postgres) in separate commands")
        }
        try database.validate()
    }

    func run() throws {
        let output = global.output
        if let name = database.postgres {
            try runCommand(output) {
                let repository = try global.openRepository()
                let (id, snap) = try filter.selector.resolve(snapshot, in: repository)
                return try database.restore(name, snapshotID: id, snapshot: snap, repository: repository, output: output)
            }
            return
        }
        let target = self.target!
        try runCommand(output) {
            let repository = try global.openRepository()
            let (id, snap) = try filter.selector.resolve(snapshot, in: repository)
            var options = RestoreOptions(target: target)
            options.includes = include
            let restorer = Restorer(repository: repository, snapshot: snap, options: options) { problem in
                output.error(problem.description)
            }
            let started = Date()
            let summary = try output.withProgress(restorer.progress, verb: "restored") { try restorer.run() }
            let seconds = Date().timeIntervalSince(started)
            output.line("restored snapshot \(id.shortHex): \(summary.files) files, \(summary.directories) dirs, \(summary.others) other, \(Format.bytes(summary.bytes)) in \(String(format: "%.2f", seconds)) s"
                        + (summary.filesNotRestored > 0 ? "; \(summary.filesNotRestored) file(s) NOT restored (named above)" : ""))
            var json: [String: Any] = ["message_type": "summary", "snapshot_id": id.hex, "files": summary.files, "dirs": summary.directories,
                                       "others": summary.others, "bytes": summary.bytes, "errors": summary.problems.count, "files_not_restored": summary.filesNotRestored, "duration_seconds": seconds]
            if let requests = StoreFactory.requestCount(repository.store) { json["storage_requests"] = requests }
            output.emit(json)
            if summary.problems.contains(where: \.isIntegrityFailure) {
                output.error("some files were NOT restored because their stored data is damaged; run `silo check --read-data`")
                return ExitCodes.integrity
            }
            return summary.problems.isEmpty ? ExitCodes.success : ExitCodes.partial
        }
    }
}
