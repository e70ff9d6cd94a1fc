import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloPostgres
import SiloRepository

/// `silo restore SNAPSHOT --postgres DBNAME …`: the database half of `restore`.
struct DatabaseRestoreArguments: ParsableArguments {
    @Option(name: .customLong("postgres"), help: ArgumentHelp("Restore this database of the snapshot instead of files.", valueName: "dbname"))
    var postgres: String?

    @Option(name: .long, help: ArgumentHelp("Server to restore to (default: libpq's PGHOST/PGPORT/PGUSER).", valueName: "url"))
    var server: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("Restore under this name (with --table: a scratch database kept with the table).", valueName: "name"))
    var newName: String?

    @Flag(name: .long, help: "Restore into NAME_restore, verify, then swap it in for the live NAME (kept as NAME_old_<time>).")
    var replace = false

    @Option(name: .long, help: ArgumentHelp("Restore one table, into the live database as TABLE_restored_<time>.", valueName: "schema.table"))
    var table: String?

    @Flag(name: .long, help: "Restore into a scratch database, verify, drop it and print timings.")
    var test = false

    @Flag(name: .long, help: "Create the snapshot's roles and tablespaces first.")
    var globals = false

    @Option(name: .long, help: "pg_restore jobs (more than 1 writes the dump to a temporary file first).")
    var jobs = 1

    @Option(name: .long, help: ArgumentHelp("Directory for that temporary file.", valueName: "dir"))
    var scratchDir: String?

    func validate() throws {
        guard postgres != nil else {
            if replace || test || table != nil || newName != nil || globals || server != nil {
                throw ValidationError("--replace, --test, --table, --as, --globals and --server go with --postgres DBNAME")
            }
            return
        }
        if [replace, test, table != nil].filter({ $0 }).count > 1 { throw ValidationError("choose one of --replace, --test and --table") }
        if let table, table.split(separator: ".").count != 2 { throw ValidationError("--table wants SCHEMA.TABLE, e.g. public.users") }
        if test && newName != nil { throw ValidationError("--test picks its own scratch name; leave out --as") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func restore(_ name: String, snapshotID: SnapshotID, snapshot: Snapshot, repository: Repository, output: Output) throws -> Int32 {
        let target = try server.map { try ConnectionTarget(url: $0) } ?? ConnectionTarget()
        var options = DatabaseRestoreOptions(database: name, server: target)
        options.newName = newName
        options.applyGlobals = globals
        options.jobs = jobs
        if let scratchDir { options.scratchDirectory = scratchDir }
        if replace { options.mode = .replace }
        if test { options.mode = .test }
        if let table {
            let parts = table.split(separator: ".").map(String.init)
            options.mode = .table(schema: parts[0], name: parts[1])
        }
        let report = try DatabaseRestorer(repository: repository, snapshot: snapshot, options: options,
                                       say: { output.line($0) }, warn: { output.warning($0) }).run()
        let total = report.timings.reduce(0) { $0 + $1.seconds }
        let what = report.table.map { "table \($0) in database \(report.database)" } ?? "database \(report.database)"
        let verb = test ? "test-restored (and dropped)" : "restored"
        output.line("\(verb) \(what) from snapshot \(snapshotID.shortHex): \(report.tablesVerified) table(s), \(report.rowsVerified) rows verified against the backup's manifest")
        if let previous = report.previous { output.line("the previous database is kept as \(previous); `silo db rollback \(report.database)` swaps it back") }
        output.line("timings: " + report.timings.map { String(format: "%@ %.2f s", $0.step, $0.seconds) }.joined(separator: ", ")
                    + String(format: "; total %.2f s", total))
        output.emit(DatabaseRestoreSummaryMessage(snapshotId: snapshotID.hex, database: report.database, tablesVerified: report.tablesVerified,
                                                  rowsVerified: report.rowsVerified, durationSeconds: total, test: test,
                                                  warnings: report.warnings.count,
                                                  timings: Dictionary(report.timings.map { ($0.step, $0.seconds) }, uniquingKeysWith: { $0 + $1 }),
                                                  previousDatabase: report.previous, table: report.table))
        // Restored and verified, but without what the warnings name: a partial restore.
        return report.warnings.isEmpty ? ExitCodes.success : ExitCodes.partial
    }
}
