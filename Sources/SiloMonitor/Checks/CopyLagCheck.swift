import Foundation
import SiloConfig
import SiloOps

/// Copies: how far each off-site copy lags behind the primary — the time since its last
/// successful copy, once the primary holds snapshots that copy did not see.
enum CopyLagCheck {
    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        guard let history = facts.history else { return [] }
        let newestPrimary = facts.snapshots.last?.snapshot.date
        return facts.configuration.copies.map { copy in
            let id = "copies/\(copy.name)"
            let cadence = Age.seconds(copy.cadence.interval)
            let warning = facts.configuration.monitoring.copyLag.map(Age.seconds) ?? 1.5 * cadence
            let critical = facts.configuration.monitoring.copyLag.map { Age.seconds($0) * 2.5 / 1.5 } ?? 2.5 * cadence
            let labels = [("copy", copy.name)]
            let last: StepRecord?
            do {
                last = try history.lastSuccess(kind: .copy, name: copy.name, configuration: facts.configurationKey)
            } catch {
                return CheckResult(id: id, category: .copies, severity: .unknown, summary: "cannot read the run history: \(error)")
            }
            guard let last else {
                guard let oldest = facts.snapshots.first?.snapshot.date else {
                    return CheckResult(id: id, category: .copies, severity: .ok, summary: "nothing to copy yet")
                }
                let waiting = facts.now.timeIntervalSince(oldest)
                return CheckResult(id: id, category: .copies, severity: severity(waiting, warningAbove: 0, criticalAbove: critical),
                                   summary: "never copied to \(copy.name); the oldest snapshot waits \(Age.text(waiting))",
                                   advice: "run `silo run --force` or `silo copy --to \(copy.name)`; `silo history` shows the copy's error")
            }
            // A copy that has nothing newer to take does not lag, however long ago it ran.
            let lag = (newestPrimary.map { $0 > last.started } ?? false) ? facts.now.timeIntervalSince(last.started) : 0
            let state = severity(lag, warningAbove: warning, criticalAbove: critical)
            return CheckResult(id: id, category: .copies, severity: state,
                               summary: lag == 0 ? "up to date (last copy \(Age.text(facts.now.timeIntervalSince(last.started))) ago)"
                                   : "\(Age.text(lag)) behind the primary (copies every \(copy.cadence))",
                               advice: state == .ok ? nil : "`silo history --failed` shows why the copy fails; `silo copy` retries it",
                               metrics: [Metric("silo_copy_last_success_timestamp_seconds", last.started.timeIntervalSince1970, labels: labels,
                                                help: "When the newest successful copy to this repository started."),
                                         Metric("silo_copy_lag_seconds", lag.rounded(), labels: labels, help: "How far the copy lags behind the primary.",
                                                perfdataUnit: "s", warning: warning, critical: critical)])
        }
    }
}
