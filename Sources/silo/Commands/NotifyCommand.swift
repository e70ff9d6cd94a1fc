import ArgumentParser
import Foundation
import SiloConfig
import SiloMonitor
import SiloNotify
import SiloOps
import SiloRepository

/// `silo notify test`: one test message to every configured channel (or the named ones), each
/// send recorded like an alert's, so that a channel that cannot be reached shows in `silo monitor`.
struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Send notifications by hand.",
        discussion: Help.examples(["silo notify test", "silo notify test --channel devops-mail"]),
        subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Send a test message to every configured channel.",
            discussion: Help.examples(["silo notify test", "silo notify test --channel devops-mail", "silo notify test --json"],
                                      note: "Healthchecks channels get a success ping. Exit code 0 when every channel took the message, 1 when one did not (each failure is printed, and recorded for `silo monitor`)."))

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Only this channel (repeatable).", valueName: "name"))
        var channel: [String] = []

        @Option(name: .long, help: ArgumentHelp("The state directory (or SILO_STATE_DIR).", valueName: "dir"))
        var stateDir: String?

        func run() throws {
            let output = global.output
            let configuration = try ConfigCommand.loadOrExit(global)
            let settings = configuration.notifications
            if let unknown = channel.first(where: { settings.channel(named: $0) == nil }) {
                let names = settings.channels.map(\.name)
                let hint = Suggestion.closest(to: unknown, among: names).map { "; did you mean \($0)?" } ?? ""
                output.error("no channel \(unknown) in \(configuration.file)\(hint)", exitCode: ExitCodes.usage)
                throw ExitCode(ExitCodes.usage)
            }
            let channels = channel.isEmpty ? settings.channels : settings.channels.filter { channel.contains($0.name) }
            guard !channels.isEmpty else {
                output.error("no notification channels in \(configuration.file): add some under notifications.channels", exitCode: ExitCodes.usage)
                throw ExitCode(ExitCodes.usage)
            }
            try runCommand(output) {
                let clock = RunClock(environment: global.environment)
                let delivery = Delivery(attempts: settings.attempts)
                let notification = SiloNotify.Notification(event: .test, severity: .warning, check: "notify/test", host: Host.name, source: nil,
                                                summary: "a test message from silo notify test", since: clock.now(),
                                                advice: "nothing to do: this channel works", tier: 1)
                let results = delivery.send(notification, to: channels)
                    + delivery.ping(.success, body: "silo notify test from \(Host.name)", to: channels)
                let records = results.map {
                    DeliveryRecord(time: clock.now(), check: "notify/test", event: "test", severity: .warning, channel: $0.channel,
                                   succeeded: $0.succeeded, attempts: $0.attempts, error: $0.error)
                }
                let directory = StateDirectory.resolve(explicit: stateDir, configured: configuration.state.directory, environment: global.environment)
                if let history = try? RunHistory(directory: directory, now: clock.now) {
                    try? AlertLedger(history: history, configuration: ConfigurationIdentity.key(for: configuration.file)).record(records)
                }
                for record in records {
                    output.emit(DeliveryMessage(record))
                    if record.succeeded {
                        output.line("\(record.channel): sent")
                    } else {
                        output.error("\(record.channel): not sent after \(record.attempts) attempt(s): \(record.error ?? "")")
                    }
                }
                return records.allSatisfy(\.succeeded) ? ExitCodes.success : ExitCodes.fatal
            }
        }
    }
}
