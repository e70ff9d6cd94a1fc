import Foundation
import SiloConfig
import SiloOps

/// Runs, from the run history: the last run's status and the failures in a row, and the runs
/// that should have happened and did not (the timer stopped, the machine was off).
enum RunChecks {
    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        guard let history = facts.history else {
            let note = "no run history on this machine: runs are judged where `silo run` runs (freshness is read from the repository)"
            return [CheckResult(id: "runs/last", category: .runs, severity: .ok, summary: note)]
        }
        do {
            return [try last(history, facts), try missed(history, facts)] + (try perSource(history, facts))
        } catch {
            return [CheckResult(id: "runs/last", category: .runs, severity: .unknown, summary: "cannot read the run history: \(error)")]
        }
    }

    private static func last(_ history: RunHistory, _ facts: MonitorFacts) throws -> CheckResult {
        let key = facts.configurationKey
        guard let run = try history.lastRun(configuration: key) else {
            return CheckResult(id: "runs/last", category: .runs, severity: facts.configuration.sources.isEmpty ? .ok : .warning,
                               summary: "no run of this configuration recorded yet", advice: "run `silo run`, then `silo schedule install`")
        }
        let failures = try history.consecutiveFailedRuns(configuration: key)
        let thresholds = facts.configuration.monitoring.failures
        var metrics = [
            Metric("silo_run_last_timestamp_seconds", run.started.timeIntervalSince1970, help: "When the newest run of the configuration started."),
            Metric("silo_run_consecutive_failures", Double(failures), help: "Runs in a row that failed, since the last successful one.",
                   perfdataUnit: "", warning: Double(thresholds.warning) - 0.5, critical: Double(thresholds.critical) - 0.5),
        ]
        if let duration = run.duration { metrics.append(Metric("silo_run_duration_seconds", duration, help: "How long the newest run took.")) }
        if let success = try history.lastSuccessfulRun(configuration: key) {
            metrics.append(Metric("silo_run_last_success_timestamp_seconds", success.started.timeIntervalSince1970,
                                  help: "When the newest successful (or partial) run started."))
        }
        let state: AlertSeverity
        var summary = "run #\(run.id) \(run.status.rawValue) \(Age.text(facts.now.timeIntervalSince(run.ended ?? run.started))) ago"
        if failures >= thresholds.critical {
            state = .critical
        } else if failures >= thresholds.warning || run.status == .partial {
            state = .warning
        } else {
            state = .ok
        }
        if failures > 0 { summary += "; \(failures) failed run(s) in a row" }
        if let error = run.error, run.status != .succeeded { summary += ": \(error)" }
        return CheckResult(id: "runs/last", category: .runs, severity: state, summary: summary,
                           advice: state == .ok ? nil : "`silo history --failed` shows what failed; fix it and run `silo run`", metrics: metrics)
    }

    /// The timer fires every shortest cadence; a quarter of it is allowed for a late start.
    private static func missed(_ history: RunHistory, _ facts: MonitorFacts) throws -> CheckResult {
        guard let interval = facts.configuration.sources.map({ Age.seconds($0.cadence.interval) }).min(),
              let run = try history.lastRun(configuration: facts.configurationKey) else {
            return CheckResult(id: "runs/missed", category: .runs, severity: .ok, summary: "no schedule to judge yet")
        }
        let gap = facts.now.timeIntervalSince(run.started)
        let count = gap / interval >= 1.25 ? Int((gap - 0.25 * interval) / interval) : 0
        let thresholds = facts.configuration.monitoring.failures
        let state: AlertSeverity = count == 0 ? .ok : count >= max(2, thresholds.critical) ? .critical : .warning
        let summary = count == 0 ? "the last run started \(Age.text(gap)) ago (runs every \(Age.text(interval)))"
            : "\(count) run(s) did not happen: the last started \(Age.text(gap)) ago, runs are due every \(Age.text(interval))"
        return CheckResult(id: "runs/missed", category: .runs, severity: state, summary: summary,
                           advice: state == .ok ? nil : "is the timer active? `systemctl list-timers silo.timer` (or `silo schedule install`)",
                           metrics: [Metric("silo_run_missed", Double(count), help: "Scheduled runs that did not happen since the last run.",
                                            perfdataUnit: "", warning: 0.5, critical: Double(max(2, thresholds.critical)) - 0.5)])
    }

    /// Per source: when it last ran and succeeded, how long it took, failures in a row.
    private static func perSource(_ history: RunHistory, _ facts: MonitorFacts) throws -> [CheckResult] {
        let key = facts.configurationKey
        let lastSteps = try history.lastBackups(configuration: key)
        let successes = try history.lastSuccessfulBackups(configuration: key)
        let thresholds = facts.configuration.monitoring.failures
        return try facts.configuration.sources.map { source in
            let labels = [("source", source.name)]
            var metrics: [Metric] = []
            if let step = lastSteps[source.name] {
                metrics.append(Metric("silo_backup_last_run_timestamp_seconds", step.started.timeIntervalSince1970, labels: labels,
                                      help: "When the newest backup or dump of the source started, whatever its outcome."))
            }
            if let success = successes[source.name], let duration = success.duration {
                metrics.append(Metric("silo_backup_duration_seconds", duration, labels: labels, help: "How long the newest successful backup of the source took."))
            }
            let failures = try history.consecutiveFailures(source: source.name, configuration: key)
            metrics.append(Metric("silo_backup_consecutive_failures", Double(failures), labels: labels,
                                  help: "Backups of the source in a row that failed."))
            let state: AlertSeverity = failures >= thresholds.critical ? .critical : failures >= thresholds.warning ? .warning : .ok
            var summary = failures == 0 ? "no failed backup since the last success" : "\(failures) failed backup(s) in a row"
            if failures > 0, let error = lastSteps[source.name]?.error { summary += ": \(error)" }
            return CheckResult(id: "runs/\(source.name)", category: .runs, source: source.name, severity: state, summary: summary,
                               advice: state == .ok ? nil : "`silo history --source \(source.name) --failed`", metrics: metrics)
        }
    }
}
