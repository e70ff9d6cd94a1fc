import ArgumentParser
import Foundation
import SiloConfig
import SiloOps
import SiloRepository

extension ConfigCommand {
    /// `silo config recover -r REPO`: the first step of a bare-metal restore. `silo run` saves
    /// the configuration it followed (secrets removed) and the run history into the repository;
    /// this writes them back.
    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recover", abstract: "Write out the configuration (and optionally the run history) the last silo run saved into the repository.",
            discussion: Help.examples(["silo config recover -r /backup/o4o-platform/silo --password-file repo.pw",
                                       "silo config recover -r s3:https://s3.example.com/offsite/silo --output /etc/silo/silo.yaml --history"],
                                      note: "The saved configuration has no secrets: give the repository's password_file or password_command and any database password again before `silo run`. Without --output it is printed."))
        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Write the configuration to this file (mode 0600) instead of printing it.", valueName: "file"))
        var output: String?

        @Option(name: .long, help: ArgumentHelp("The configuration saved by this host (default: this machine's name, else the newest of any host).", valueName: "host"))
        var host: String?

        @Flag(name: .long, help: "Also write the saved run history into the state directory (SILO_STATE_DIR, /var/lib/silo or $XDG_STATE_HOME/silo).")
        var history = false

        @Flag(name: .long, help: "Replace an existing configuration file or run history.")
        var force = false

        func run() throws {
            let printer = global.output
            try runCommand(printer) {
                let repository = try global.openRepository()
                let saved = try ConfigurationArchive.latest(in: repository, host: host ?? Host.name)
                if host != nil && saved.snapshot.host != host {
                    throw RepositoryError(.notFound, "no configuration saved by host \(host!) in \(repository.store.location)")
                }
                if let output {
                    try ConfigCommand.writePrivately(saved.text, to: output, replace: force)
                    printer.line("wrote \(output): the configuration of \(saved.snapshot.host) saved \(Format.date(saved.snapshot.date)) (snapshot \(saved.id.shortHex))")
                } else if !printer.json {
                    Output.raw(saved.text, STDOUT_FILENO)
                }
                var historyFile: String?
                if history {
                    let directory = StateDirectory.resolve(environment: global.environment)
                    let target = directory.file(RunHistory.fileName)
                    if FileManager.default.fileExists(atPath: target) && !force {
                        throw SiloError(.fatal, "\(target) already exists: not overwritten (use --force to replace it)")
                    }
                    try directory.create()
                    let data = try ConfigurationArchive.file(ConfigurationArchive.historyPath, of: saved.snapshot, in: repository)
                    // A history left by the old machine's WAL would not match the file put back.
                    for suffix in ["-wal", "-shm"] { unlink(target + suffix) }
                    try ConfigCommand.writePrivately(data: data, to: target, replace: true)
                    historyFile = target
                    printer.line("wrote \(target): the run history as of that run")
                }
                printer.emit(ConfigRecoveredMessage(snapshotId: saved.id.hex, host: saved.snapshot.host, time: Timestamp.iso8601(saved.snapshot.date),
                                                    file: output, historyFile: historyFile))
                return ExitCodes.success
            }
        }
    }
}
