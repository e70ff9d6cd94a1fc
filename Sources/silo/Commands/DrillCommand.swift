import ArgumentParser
import Foundation
import SiloConfig
import SiloNotify
import SiloOps
import SiloSystem

/// `silo drill`: the monthly restore test, recorded where the monitor's drill check reads it.
struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill", abstract: "Restore the latest snapshots into a sandbox, verify them, run the smoke commands, measure RTO and RPO.",
        discussion: Help.examples(["silo drill", "silo drill --system", "silo drill database files"],
                                  note: "Files go under a scratch directory (drill.scratch, default the state directory's drill/) and databases under temporary names (silo_drill_NAME_TIME); both are removed at the end. Nothing live is touched. Exit 0 when the drill passed, 1 when it failed."))

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Drill what the configuration's services own (their paths and databases).")
    var system = false

    @Argument(help: ArgumentHelp("Drill these sources (all sources when none is named).", valueName: "source"))
    var sources: [String] = []

    @Flag(name: .long, help: ArgumentHelp("Record the drill as started by a schedule (the generated units pass it).", visibility: .hidden))
    var scheduled = false

    func validate() throws {
        if system && !sources.isEmpty { throw ValidationError("give --system or sources, not both") }
    }

    func run() throws {
        let output = global.output
        let configuration = try ConfigCommand.loadOrExit(global)
        let directory = StateDirectory.resolve(configured: configuration.state.directory, environment: global.environment)
        try runCommand(output) {
            let repository = try global.openRepository()
            let session = try RunSession.start(configuration: configuration.file, trigger: scheduled ? .schedule : .manual, command: .drill,
                                               takesLock: false, in: directory, retentionDays: configuration.state.historyDays)
            let drill = RestoreDrill(configuration: configuration, repository: repository, stateDirectory: directory.path,
                                     say: { output.line($0) }, recorder: StepRecorder(session: session))
            let report: DrillReport
            let check = try? session.beginStep(.check, name: "drill")
            do {
                report = try drill.run(system ? .system : .sources(sources))
            } catch {
                if let check { try? session.endStep(check, StepOutcome(status: .failed, error: String(describing: error))) }
                try? session.finish(status: .failed, exitCode: ExitCodes.fatal, error: String(describing: error))
                throw error
            }
            let details = StepDetails.json(["rto_seconds": report.rtoSeconds, "rpo_seconds": report.rpoSeconds, "items": report.items.count,
                                            "smoke": report.smoke.count, "leftovers": report.leftovers.count])
            if let check {
                try? session.endStep(check, StepOutcome(status: report.passed && report.leftovers.isEmpty ? .succeeded : .failed,
                                                       error: report.failure ?? report.leftovers.first, details: details))
            }
            try? session.finish(status: report.passed ? .succeeded : .failed, exitCode: report.passed ? ExitCodes.success : ExitCodes.fatal,
                                error: report.failure, summary: details)
            Self.print(report, output: output)
            Self.notify(report, configuration: configuration, output: output)
            output.emit(DrillSummaryMessage(report))
            return report.passed && report.leftovers.isEmpty ? ExitCodes.success : ExitCodes.fatal
        }
    }

    static func print(_ report: DrillReport, output: Output) {
        for item in report.items {
            output.line(String(format: "  %@ %@ of %@ (snapshot %@): %.2f s; %@", item.kind, item.name, item.source, String(item.snapshot.prefix(8)),
                               item.seconds, item.verified))
        }
        for smoke in report.smoke { output.line("  smoke \(smoke.command): \(smoke.result)") }
        for leftover in report.leftovers { output.error("drill left behind \(leftover)") }
        if let failure = report.failure {
            output.error("drill \(report.id) failed: \(failure)")
        } else {
            output.line(String(format: "drill %@ passed: RTO %.2f s, RPO %@; sandbox removed", report.id, report.rtoSeconds, Format.age(report.rpoSeconds)))
        }
    }

    /// A failed drill is critical; a passed one goes to the channels that take `ok` messages.
    static func notify(_ report: DrillReport, configuration: Configuration, output: Output) {
        let severity: AlertSeverity = report.passed ? .ok : .critical
        let channels = configuration.notifications.channels.filter {
            if case .healthchecks = $0.kind { return false }
            return $0.minSeverity <= severity
        }
        guard !channels.isEmpty else { return }
        let summary = report.passed ? String(format: "restore drill passed: RTO %.1f s, RPO %@", report.rtoSeconds, Format.age(report.rpoSeconds))
            : "restore drill failed: \(report.failure ?? "")"
        let notification = SiloNotify.Notification(event: report.passed ? .resolved : .problem, severity: severity, check: "drills/restore", summary: summary)
        for result in Delivery(attempts: configuration.notifications.attempts).send(notification, to: channels) where !result.succeeded {
            output.warning("the drill notification to \(result.channel) failed: \(result.error ?? "")")
        }
    }
}
