import ArgumentParser
import Foundation
import SiloConfig
import SiloMonitor
import SiloNotify
import SiloOps
import SiloRepository

/// `silo alerts`: the alert state of each monitor check (escalation's memory), the newest
/// sends, and `silo alerts ack CHECK`.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Show the alert state of each check, and acknowledge one.",
        discussion: Help.examples(["silo alerts", "silo alerts --json", "silo alerts ack freshness/database"],
                                  note: "States are kept in the run history (state directory) by `silo monitor --notify` and `silo run`. An acknowledged check sends no reminder and reaches no further tier until its state changes; its return to OK is still announced."),
        subcommands: [List.self, Ack.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the alert state of each check and the newest sends.",
                                                        discussion: Help.examples(["silo alerts list", "silo alerts list --json"]))
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("The state directory (or SILO_STATE_DIR).", valueName: "dir"))
        var stateDir: String?

        func run() throws {
            let output = global.output
            try runCommand(output) {
                guard let ledger = try AlertsCommand.ledger(global: global, stateDir: stateDir, creating: false) else {
                    output.line("no alert states recorded yet (`silo monitor --notify` or `silo run` record them)")
                    return ExitCodes.success
                }
                let alerts = try ledger.alerts().values.sorted { ($0.state, $1.check) > ($1.state, $0.check) }
                for alert in alerts {
                    var line = "\(alert.state.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0))  \(alert.check)  since \(Format.date(alert.since))"
                    if alert.tiersTold > 0 { line += ", tier \(alert.tiersTold) told" }
                    if alert.acknowledged { line += ", acknowledged" }
                    output.result(line)
                    output.emit(AlertMessage(alert))
                }
                for delivery in try ledger.deliveries(limit: 20) {
                    output.line("  \(Format.date(delivery.time))  \(delivery.event) \(delivery.check) → \(delivery.channel): "
                                + (delivery.succeeded ? "sent" : "FAILED after \(delivery.attempts) attempt(s): \(delivery.error ?? "")"))
                    output.emit(DeliveryMessage(delivery))
                }
                if alerts.isEmpty { output.line("no alert states recorded yet") }
                return ExitCodes.success
            }
        }
    }

    struct Ack: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Silence a check until its state changes.",
                                                        discussion: Help.examples(["silo alerts ack freshness/database", "silo alerts ack space/repository --json"]))
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The check, as `silo monitor` names it.", valueName: "check"))
        var check: String
        @Option(name: .long, help: ArgumentHelp("The state directory (or SILO_STATE_DIR).", valueName: "dir"))
        var stateDir: String?

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let ledger = try AlertsCommand.ledger(global: global, stateDir: stateDir, creating: false)
                let known = (try ledger?.alerts()) ?? [:]
                guard known[check] != nil else {
                    let names = known.keys.sorted()
                    let hint = Suggestion.closest(to: check, among: names).map { "; did you mean \($0)?" } ?? (names.isEmpty ? "; none is recorded yet" : "")
                    output.error("no alert state for check \(check)\(hint)", exitCode: ExitCodes.usage)
                    return ExitCodes.usage
                }
                guard let record = try ledger?.acknowledge(check) else {
                    output.error("\(check) is OK: nothing to acknowledge", exitCode: ExitCodes.usage)
                    return ExitCodes.usage
                }
                output.line("\(check) acknowledged: \(record.state.rawValue) since \(Format.date(record.since)); silent until its state changes")
                output.emit(AlertMessage(record))
                return ExitCodes.success
            }
        }
    }

    /// The ledger of the configuration's alerts; nil when no history exists and none is to be made.
    static func ledger(global: GlobalOptions, stateDir: String?, creating: Bool) throws -> AlertLedger? {
        let configuration = try? ConfigurationLoader.load(path: global.configurationPath, environment: global.environment)
        let directory = StateDirectory.resolve(explicit: stateDir, configured: configuration?.state.directory, environment: global.environment)
        guard creating || FileManager.default.fileExists(atPath: directory.file(RunHistory.fileName)) else { return nil }
        let clock = RunClock(environment: global.environment)
        let history = try RunHistory(directory: directory, now: clock.now)
        return AlertLedger(history: history, configuration: ConfigurationIdentity.key(for: configuration?.file ?? global.configurationPath))
    }

    /// Escalation's evaluation of `report` and the sends it decides, each printed and recorded.
    static func notify(_ report: MonitorReport, configuration: Configuration, ledger: AlertLedger, now: @escaping @Sendable () -> Date,
                       output: Output) throws {
        let settings = configuration.notifications
        let delivery = Delivery(attempts: settings.attempts)
        let outcome = try AlertCycle(settings: settings, ledger: ledger, delivery: delivery, host: Host.name).run(report, now: now)
        for record in outcome.deliveries {
            output.emit(DeliveryMessage(record))
            if record.succeeded {
                output.line("\(record.event) \(record.check) (\(record.severity.rawValue)) sent to \(record.channel)")
            } else {
                output.warning("\(record.event) \(record.check) could not be sent to \(record.channel) after \(record.attempts) attempt(s): \(record.error ?? "")")
            }
        }
    }
}
