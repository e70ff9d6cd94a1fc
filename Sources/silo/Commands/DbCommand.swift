import ArgumentParser
import Foundation
import SiloPostgres

struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "Manage databases replaced by `restore --postgres --replace`.",
        discussion: Help.examples(["silo db rollback shop"]),
                                                    subcommands: [DbRollbackCommand.self])
}

struct DbRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Swap back the database a --replace restore moved aside: NAME becomes NAME_failed_<time>, the newest NAME_old_* becomes NAME.",
        discussion: Help.examples(["silo db rollback shop", "silo db rollback shop --server postgresql://postgres@db1:5432"]))

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The live database's name.")
    var name: String

    @Option(name: .long, help: ArgumentHelp("Server (default: libpq's PGHOST/PGPORT/PGUSER).", valueName: "url"))
    var server: String?

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let target = try server.map { try ConnectionTarget(url: $0) } ?? ConnectionTarget()
            let (failed, restored) = try DatabaseRollback.run(name, server: target)
            output.line(failed.isEmpty ? "\(restored) is \(name) again" : "\(name) moved aside as \(failed); \(restored) is \(name) again")
            output.emit(RollbackSummaryMessage(database: name, failedDatabase: failed, restoredFrom: restored))
            return ExitCodes.success
        }
    }
}
