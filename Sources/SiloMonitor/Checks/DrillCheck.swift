import Foundation
import SiloConfig
import SiloOps

/// Restore drills: when a restore was last proven — the newest passed `silo drill` (its `check`
/// step named `drill`). Never drilled is a warning only when `monitoring.drill_max_age` asks for
/// drills.
enum DrillCheck {
    static let stepName = "drill"

    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        let maxAge = facts.configuration.monitoring.drillMaxAge.map(Age.seconds)
        let last = try? facts.history?.lastSuccess(kind: .check, name: stepName, configuration: facts.configurationKey)
        guard let last else {
            return [CheckResult(id: "drills/restore", category: .drills, severity: maxAge == nil ? .ok : .warning,
                                summary: "no restore drill recorded", advice: maxAge == nil ? nil : "run a restore drill")]
        }
        let age = facts.now.timeIntervalSince(last.started)
        let state: AlertSeverity = maxAge.map { age > $0 ? AlertSeverity.warning : .ok } ?? .ok
        return [CheckResult(id: "drills/restore", category: .drills, severity: state, summary: "last restore drill \(Age.text(age)) ago",
                            advice: state == .ok ? nil : "run a restore drill",
                            metrics: [Metric("silo_drill_last_success_timestamp_seconds", last.started.timeIntervalSince1970,
                                             help: "When the newest successful restore drill started.")])]
    }
}
