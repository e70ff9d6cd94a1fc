import Foundation
import SiloConfig

/// Freshness, per source: the age of its newest good snapshot against its cadence, read from
/// the repository itself — so it holds from another host, and when the scheduled job never ran.
enum FreshnessCheck {
    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        let factors = facts.configuration.monitoring.freshness
        return facts.configuration.sources.map { source in
            let cadence = Age.seconds(source.cadence.interval)
            let warning = cadence * factors.warning
            let critical = cadence * factors.critical
            let series = facts.series(source)
            let labels = [("source", source.name)]
            var metrics = [Metric("silo_snapshots", Double(series.count), labels: labels, help: "Snapshots of the source in the repository.")]
            // A snapshot whose files were partly unreadable is a snapshot, but not the good one
            // a restore wants.
            guard let newest = series.last(where: { $0.snapshot.summary.warnings == 0 }) ?? series.last else {
                return CheckResult(id: "freshness/\(source.name)", category: .freshness, source: source.name, severity: .critical,
                                   summary: "no snapshot of \(source.name) in the repository", advice: "run `silo run \(source.name)` and read its error",
                                   metrics: metrics)
            }
            let age = facts.now.timeIntervalSince(newest.snapshot.date)
            metrics += [
                Metric("silo_backup_last_success_timestamp_seconds", newest.snapshot.date.timeIntervalSince1970, labels: labels,
                       help: "When the newest good snapshot of the source was taken (read from the repository)."),
                Metric("silo_backup_age_seconds", age.rounded(), labels: labels, help: "Age of the newest good snapshot of the source.",
                       perfdataUnit: "s", warning: warning.rounded(), critical: critical.rounded()),
            ]
            var state = severity(age, warningAbove: warning, criticalAbove: critical)
            var summary = "newest snapshot \(Age.text(age)) old (cadence \(source.cadence))"
            if newest.snapshot.summary.warnings > 0 {
                state = max(state, AlertSeverity.warning)
                summary += "; \(newest.snapshot.summary.warnings) file(s) of it could not be read"
            }
            let advice = state == .ok ? nil
                : "check `silo history --source \(source.name)` and the timer (`systemctl list-timers silo.timer`); `silo run \(source.name)` backs it up now"
            return CheckResult(id: "freshness/\(source.name)", category: .freshness, source: source.name, severity: state,
                               summary: summary, advice: advice, metrics: metrics)
        }
    }
}
