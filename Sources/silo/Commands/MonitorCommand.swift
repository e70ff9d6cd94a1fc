import ArgumentParser
import Foundation
import SiloConfig
import SiloMonitor
import SiloOps
import SiloRepository

/// `silo monitor`: the checks of SiloMonitor on the configuration's repository and run
/// history, for people (a table), scripts (`--json`), Prometheus and Nagios.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor", abstract: "Check the backups: freshness, runs, size, integrity, space, retention, copies and hygiene.",
        discussion: Help.examples(["silo monitor", "silo monitor --format nagios", "silo monitor --format prometheus --textfile /var/lib/prometheus/node-exporter",
                                   "silo monitor --notify --quiet"],
                                  note: "Freshness is read from the repository itself, so the check works from another host and when the scheduled job never ran; runs, integrity and copies come from the run history in the state directory. Exit codes, as a monitoring plugin's: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the repository or configuration could not be read); with --format prometheus, 0 whenever the metrics were written. --notify sends what changed to the configured channels (escalation tiers, reminders, resolved) and records each send."))

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, prometheus, nagios
    }

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("table (for people), prometheus or nagios; --json prints objects.", valueName: "format"))
    var format: Format = .table

    @Option(name: .long, help: ArgumentHelp("Write the Prometheus metrics to DIR/silo.prom atomically (node_exporter's textfile collector).", valueName: "dir"))
    var textfile: String?

    @Flag(name: .long, help: "Send the alerts that are due (state changes, escalations, reminders) and record them.")
    var notify = false

    @Option(name: .long, help: ArgumentHelp("Only snapshots of this host count (default: any host's).", valueName: "host"))
    var host: String?

    @Option(name: .long, help: ArgumentHelp("The state directory (or SILO_STATE_DIR).", valueName: "dir"))
    var stateDir: String?

    func run() throws {
        let output = global.output
        let clock = RunClock(environment: global.environment)
        let configuration: Configuration
        do throws(ConfigurationError) {
            configuration = try ConfigurationLoader.load(path: global.configurationPath, environment: global.environment)
        } catch {
            if format == .nagios {
                print("SILO UNKNOWN - the configuration \(global.configurationPath) is invalid: \(error.issues.first?.description ?? "")")
                throw ExitCode(3)
            }
            ConfigCommand.report(error, output: output)
            throw ExitCode(ExitCodes.usage)
        }
        let report: MonitorReport
        let ledger: AlertLedger?
        do {
            (report, ledger) = try evaluate(configuration, now: clock.now())
        } catch {
            let failure = SiloError(classifying: error)
            if format == .nagios {
                print("SILO UNKNOWN - \(failure.message)")
                throw ExitCode(3)
            }
            output.error(failure.message, exitCode: 3)
            throw ExitCode(3)
        }
        try runCommand(output) {
            if notify, let ledger {
                try AlertsCommand.notify(report, configuration: configuration, ledger: ledger, now: clock.now, output: output)
            }
            let metrics = PrometheusRendering.render(report)
            if let textfile { try PrometheusTextfile.write(metrics, directory: textfile) }
            for check in report.checks { output.emit(MonitorCheckMessage(check)) }
            output.emit(MonitorSummaryMessage(report))
            switch format {
            case .prometheus:
                if textfile == nil { output.result(String(metrics.dropLast())) }
                return ExitCodes.success
            case .nagios:
                output.result(NagiosRendering.render(report))
            case .table:
                Self.printTable(report, output: output)
            }
            return NagiosRendering.code(report.severity)
        }
    }

    /// The facts, the checks, and the ledger alerts are kept in (nil without a run history).
    private func evaluate(_ configuration: Configuration, now: Date) throws -> (MonitorReport, AlertLedger?) {
        let directory = StateDirectory.resolve(explicit: stateDir, configured: configuration.state.directory, environment: global.environment)
        let key = ConfigurationIdentity.key(for: configuration.file)
        // A read creates no history; --notify needs one to keep its alert states in.
        let exists = FileManager.default.fileExists(atPath: directory.file(RunHistory.fileName))
        let history = exists || notify ? try RunHistory(directory: directory, now: { now }) : nil
        let repository = try ConfiguredRepositoryOpener(global: global).open(location: configuration.repository.location,
                                                                             password: configuration.repository.password,
                                                                             cacheDirectory: configuration.repository.cacheDirectory)
        let facts = try MonitorFactsGathering.gather(configuration: configuration, configurationKey: key, repository: repository,
                                                     history: history, now: now, host: host)
        return (Monitor.evaluate(facts), facts.ledger)
    }

    static func printTable(_ report: MonitorReport, output: Output) {
        let width = max(5, report.checks.map(\.id.count).max() ?? 5)
        output.result("STATUS    " + "CHECK".padding(toLength: width, withPad: " ", startingAt: 0) + "  SUMMARY")
        for check in report.checks {
            let status = check.severity.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
            output.result("\(status)  \(check.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(check.summary)")
        }
        let problems = report.problems
        output.result("")
        output.result(problems.isEmpty ? "all \(report.checks.count) checks OK" : "\(report.severity.rawValue.uppercased()): \(problems.count) of \(report.checks.count) checks need attention")
        for problem in problems {
            if let advice = problem.advice { output.result("  \(problem.id): \(advice)") }
        }
    }
}
