import Foundation
import SiloConfig
import SiloNotify
import SiloSystem

/// The text of `restore --system`: the plan before, the steps and the state after.
enum SystemRestoreReport {
    static func printPlan(_ plan: SystemRestorePlan, output: Output) {
        output.line("system restore \(plan.id) on \(plan.host): \(plan.services.count) service(s), \(Format.bytes(plan.bytes)), about \(seconds(plan.estimatedSeconds))")
        for service in plan.services {
            output.line("  \(service.name) (\(service.priority))\(service.keepRunning ? ", kept running" : "")")
            for item in plan.databases where item.service == service.name {
                output.line("    database \(item.database) from snapshot \(item.snapshot.prefix(8)) of \(item.source) (\(time(item.snapshotTime))), \(Format.bytes(item.bytes)) dump")
            }
            for item in plan.paths where item.service == service.name {
                output.line("    \(item.path) from snapshot \(item.snapshot.prefix(8)) of \(item.source) (\(time(item.snapshotTime))), \(item.files) files, \(Format.bytes(item.bytes))"
                            + (item.existed ? "" : " (missing now)"))
            }
        }
        output.line("order: stop \(plan.stopOrder.map(\.name).joined(separator: ", ").nonEmpty ?? "none"); databases; files; start "
                    + plan.startTiers.map { $0.map(\.name).joined(separator: "+") }.joined(separator: " → "))
    }

    static func printResult(_ journal: RestoreJournal, output: Output) {
        for timing in journal.timings { output.line(String(format: "  %-10@ %8.2f s", timing.step as NSString, timing.seconds)) }
        for outcome in journal.health {
            output.line("  health \(outcome.service): \(outcome.check) \(outcome.passed ? "passed" : "FAILED") after \(outcome.attempts) tr\(outcome.attempts == 1 ? "y" : "ies") (\(outcome.message))")
        }
        for warning in journal.warnings { output.warning(warning) }
        let id = journal.plan.id
        switch journal.phase {
        case .succeeded:
            output.line(String(format: "system restore %@ succeeded: every service healthy; RTO %.2f s", id, journal.recoverySeconds))
            output.line("kept copies: " + (journal.plan.paths.filter { SystemRestoreRun.exists($0.kept(id)) }.map { $0.kept(id) }
                        + journal.plan.databases.filter { journal.databaseExisted[$0.database] == true }.map { $0.kept(id) })
                        .joined(separator: ", ").nonEmptyOr("none")
                        + "; undo with `silo restore --system --rollback`")
        case .rolledBack:
            output.error("system restore \(id) \(journal.failure.map { "failed: \($0)" } ?? "was rolled back")")
            for note in journal.rollbackNotes { output.line("  rollback: \(note)") }
            output.line("the system is back as it was before the restore; services started: \(journal.started.joined(separator: ", ").nonEmptyOr("none"))")
        case .rollbackFailed:
            output.error("system restore \(id) failed: \(journal.failure ?? "unknown"); the rollback could not undo everything")
            for note in journal.rollbackNotes { output.line("  rollback: \(note)") }
            output.line("journal: see the state directory's restores/\(id).json; kept copies end in .silo-old-\(id) and _old_\(id)")
        default:
            output.error("system restore \(id) stopped at \(journal.phase.rawValue): run `silo restore --system --resume` or `--rollback`")
        }
    }

    static func seconds(_ value: Double) -> String { value < 60 ? String(format: "%.0f s", value.rounded(.up)) : String(format: "%.1f min", value / 60) }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}

/// A system restore that did not succeed is critical: every alert channel hears at once.
enum SystemRestoreAlert {
    static func send(_ journal: RestoreJournal, configuration: Configuration, output: Output) {
        let channels = configuration.notifications.channels.filter {
            if case .healthchecks = $0.kind { return false }
            return $0.minSeverity <= .critical
        }
        guard !channels.isEmpty else { return }
        let state = journal.phase == .rolledBack ? "rolled back, system as before" : "state: \(journal.phase.rawValue)"
        let notification = SiloNotify.Notification(severity: .critical, check: "restore/system",
                                                   summary: "system restore \(journal.plan.id) failed: \(journal.failure ?? "unknown") (\(state))",
                                                   advice: "read `silo history` and the journal restores/\(journal.plan.id).json")
        for result in Delivery(attempts: configuration.notifications.attempts).send(notification, to: channels) where !result.succeeded {
            output.warning("the alert to \(result.channel) failed: \(result.error ?? "")")
        }
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
    func nonEmptyOr(_ fallback: String) -> String { isEmpty ? fallback : self }
}
