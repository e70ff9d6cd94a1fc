import ArgumentParser
import Foundation
import SiloEngine
import SiloPostgres
import SiloRepository

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore a snapshot, or parts of it, into a directory.",
        discussion: Help.examples(["silo restore latest --target /tmp/restore", "silo restore latest --target / --include /etc/nginx", "silo restore latest --postgres shop --test",
                                   "silo restore --system --dry-run", "silo restore --system --yes", "silo restore --system --rollback"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshot: ID, ID prefix, or latest (with --system: optional, each source's latest by default).")
    var snapshot: String?

    @Option(name: [.short, .long], help: "Directory to restore into (created if missing).")
    var target: String?

    @Option(name: [.short, .long], help: "Restore only this path of the snapshot (repeatable).")
    var include: [String] = []

    @Option(name: [.short, .long], help: "Leave out paths matching a pattern (a name, or a full path when it contains /; repeatable).")
    var exclude: [String] = []

    @Flag(name: [.customShort("n"), .long], help: "Say what would be restored; write nothing in the target.")
    var dryRun = false

    @Flag(name: .long, help: "After restoring, read the restored files back and compare them with the snapshot's content hashes.")
    var verify = false

    @OptionGroup var database: DatabaseRestoreArguments
    @OptionGroup var systemRestore: SystemRestoreArguments

    func validate() throws {
        try systemRestore.validate(snapshot: snapshot, dryRun: dryRun)
        if systemRestore.system {
            if database.postgres != nil || target != nil || !include.isEmpty || !exclude.isEmpty || verify {
                throw ValidationError("--system restores what the configuration's services name: give no --target, --include, --exclude, --verify or --postgres")
            }
            return
        }
        guard snapshot != nil else { throw ValidationError("give a snapshot: an ID, an ID prefix, or latest") }
        if database.postgres == nil && target == nil { throw ValidationError("give --target DIR (files) or --postgres DBNAME (a database)") }
        if database.postgres != nil && (target != nil || !include.isEmpty || !exclude.isEmpty || dryRun || verify) {
            throw ValidationError("restore files (--target, --include, --exclude, --dry-run, --verify) and a database (--postgres) in separate commands")
        }
        if dryRun && verify { throw ValidationError("--dry-run writes nothing, so there is nothing to --verify") }
        try database.validate()
    }

    func run() throws {
        let output = global.output
        if systemRestore.system {
            try SystemRestoreCommand(arguments: systemRestore, global: global, snapshot: snapshot, dryRun: dryRun).run()
            return
        }
        let snapshot = self.snapshot!
        if let name = database.postgres {
            try runCommand(output) {
                let repository = try global.openRepository()
                // `latest` is the newest snapshot holding dumps, whichever source came after it.
                let (id, snap) = try filter.selector.resolve(snapshot, in: repository, covering: [SnapshotLayout.root])
                return try database.restore(name, snapshotID: id, snapshot: snap, repository: repository, output: output)
            }
            return
        }
        let target = self.target!
        try runCommand(output) {
            let repository = try global.openRepository()
            let (id, snap) = try filter.selector.resolve(snapshot, in: repository, covering: include)
            var options = RestoreOptions(target: target)
            options.includes = include
            options.excludes = exclude
            if dryRun {
                let preview = try RestorePreview(repository: repository, snapshot: snap, options: options)
                output.line("would restore snapshot \(id.shortHex) into \(target): \(preview.files) files, \(preview.directories) dirs, \(preview.others) other, \(Format.bytes(preview.bytes))")
                output.line("dry run: nothing was written")
                output.emit(RestoreSummaryMessage(dryRun: true, snapshotId: id.hex, files: preview.files, dirs: preview.directories,
                                                  others: preview.others, bytes: preview.bytes, errors: nil, filesNotRestored: nil,
                                                  durationSeconds: nil, storageRequests: nil, verifiedFiles: nil, verifiedBytes: nil,
                                                  verifyMismatches: nil))
                return ExitCodes.success
            }
            let restorer = Restorer(repository: repository, snapshot: snap, options: options) { problem in
                output.error(problem.description)
            }
            let started = Date()
            let summary = try output.withProgress(restorer.progress, verb: "restored") { try restorer.run() }
            let seconds = Date().timeIntervalSince(started)
            output.line("restored snapshot \(id.shortHex): \(summary.files) files, \(summary.directories) dirs, \(summary.others) other, \(Format.bytes(summary.bytes)) in \(String(format: "%.2f", seconds)) s"
                        + (summary.filesNotRestored > 0 ? "; \(summary.filesNotRestored) file(s) NOT restored (named above)" : ""))
            var verified: RestoreVerifier.Report?
            if verify {
                let report = try RestoreVerifier(repository: repository, snapshot: snap, options: options).run()
                for mismatch in report.mismatches { output.error("verify: \(mismatch.description)") }
                output.line("verified \(report.filesChecked) file(s), \(Format.bytes(report.bytesChecked)): "
                            + (report.mismatches.isEmpty ? "all match the snapshot" : "\(report.mismatches.count) differ from the snapshot (named above)"))
                verified = report
            }
            output.emit(RestoreSummaryMessage(dryRun: false, snapshotId: id.hex, files: summary.files, dirs: summary.directories,
                                              others: summary.others, bytes: summary.bytes, errors: summary.problems.count,
                                              filesNotRestored: summary.filesNotRestored, durationSeconds: seconds,
                                              storageRequests: StoreFactory.requestCount(repository.store),
                                              verifiedFiles: verified?.filesChecked, verifiedBytes: verified?.bytesChecked,
                                              verifyMismatches: verified?.mismatches.count))
            if summary.problems.contains(where: \.isIntegrityFailure) {
                output.error("some files were NOT restored because their stored data is damaged; run `silo check --read-data`")
                return ExitCodes.integrity
            }
            if let verified, !verified.mismatches.isEmpty {
                output.error("\(verified.mismatches.count) restored file(s) differ from the snapshot")
                return ExitCodes.integrity
            }
            return summary.problems.isEmpty ? ExitCodes.success : ExitCodes.partial
        }
    }
}
