import Foundation
import SiloConfig
import SiloEngine
import SiloOps

/// Integrity, from the run history: the age and result of the last structure check and of the
/// last read of data, and the share of packs read back in the last 30 days (the rotation of
/// `checks.read_data` reads every pack once a month when it keeps up).
enum IntegrityCheck {
    static let window: TimeInterval = 30 * 86_400

    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        guard let history = facts.history else { return [] }
        do {
            return [try structure(history, facts), try readData(history, facts)]
        } catch {
            return [CheckResult(id: "integrity/check", category: .integrity, severity: .unknown, summary: "cannot read the run history: \(error)")]
        }
    }

    private static func structure(_ history: RunHistory, _ facts: MonitorFacts) throws -> CheckResult {
        let key = facts.configurationKey
        let maxAge = facts.configuration.monitoring.checkMaxAge.map(Age.seconds) ?? 2 * Age.seconds(facts.configuration.checks.structure.interval)
        // The read-data pass checks the structure too.
        let checks = [try history.lastStep(kind: .check, name: RunPlan.StepName.structureCheck, configuration: key),
                      try history.lastStep(kind: .check, name: RunPlan.StepName.readDataCheck, configuration: key)].compactMap { $0 }
        let successes = [try history.lastSuccess(kind: .check, name: RunPlan.StepName.structureCheck, configuration: key),
                         try history.lastSuccess(kind: .check, name: RunPlan.StepName.readDataCheck, configuration: key)].compactMap { $0 }
        let last = checks.max { $0.started < $1.started }
        let lastSuccess = successes.max { $0.started < $1.started }
        let errors = last.flatMap { Self.detail($0, "errors") } ?? 0
        var metrics = [Metric("silo_check_errors", Double(errors), help: "Errors the newest check of the repository found.",
                              perfdataUnit: "", warning: 0.5, critical: 0.5)]
        if let lastSuccess {
            metrics.append(Metric("silo_check_last_success_timestamp_seconds", lastSuccess.started.timeIntervalSince1970, labels: [("kind", "structure")],
                                  help: "When the newest check of this kind without errors started."))
        }
        if let last, last.status.isFailure {
            let found = errors > 0 ? "\(errors) error(s)" : "an error"
            return CheckResult(id: "integrity/check", category: .integrity, severity: errors > 0 ? .critical : .warning,
                               summary: "the check \(Age.text(facts.now.timeIntervalSince(last.started))) ago found \(found): \(last.error ?? "failed")",
                               advice: errors > 0 ? "run `silo check` for every error, then `silo repair` as it advises" : "run `silo check` and read its error",
                               metrics: metrics)
        }
        guard let lastSuccess else {
            return CheckResult(id: "integrity/check", category: .integrity, severity: .warning, summary: "the repository was never checked",
                               advice: "run `silo check`", metrics: metrics)
        }
        let age = facts.now.timeIntervalSince(lastSuccess.started)
        let state = severity(age, warningAbove: maxAge, criticalAbove: 2 * maxAge)
        return CheckResult(id: "integrity/check", category: .integrity, severity: state,
                           summary: "last check without errors \(Age.text(age)) ago" + (state == .ok ? "" : " (at most \(Age.text(maxAge)) expected)"),
                           advice: state == .ok ? nil : "run `silo check`; is `silo run` running its checks?", metrics: metrics)
    }

    private static func readData(_ history: RunHistory, _ facts: MonitorFacts) throws -> CheckResult {
        let key = facts.configurationKey
        let settings = facts.configuration.checks.readData
        let maxAge = facts.configuration.monitoring.readDataMaxAge.map(Age.seconds) ?? 2 * Age.seconds(settings.cadence.interval)
        let reads = try history.steps(kind: .check, name: RunPlan.StepName.readDataCheck, since: facts.now.addingTimeInterval(-window),
                                      configuration: key).filter { $0.status.isSuccess }
        // Each group read is a fixed share of the packs; groups of another count (the share changed) are ignored.
        let groups = reads.compactMap { Self.text($0, "group").flatMap(ReadDataGroup.init(parsing:)) }
        let count = groups.last?.count ?? 1
        let read = Set(groups.filter { $0.count == count }.map(\.index)).count
        let share = groups.isEmpty ? 0 : Double(read) / Double(count)
        var metrics = [Metric("silo_check_read_share_30d", share, help: "Share of the repository's packs read back by checks in the last 30 days.",
                              perfdataUnit: "")]
        guard let last = try history.lastSuccess(kind: .check, name: RunPlan.StepName.readDataCheck, configuration: key) else {
            return CheckResult(id: "integrity/read-data", category: .integrity, severity: .warning, summary: "no pack data was ever read back",
                               advice: "run `silo check --read-data-subset 1/30`", metrics: metrics)
        }
        metrics.append(Metric("silo_check_last_success_timestamp_seconds", last.started.timeIntervalSince1970, labels: [("kind", "read-data")],
                              help: "When the newest check of this kind without errors started."))
        let age = facts.now.timeIntervalSince(last.started)
        var state = severity(age, warningAbove: maxAge, criticalAbove: 2 * maxAge)
        // What the rotation should have read by now: its monthly coverage, over the history it had.
        let first = try history.steps(kind: .check, name: RunPlan.StepName.readDataCheck, since: .distantPast, configuration: key).first?.started ?? last.started
        let span = min(1, facts.now.timeIntervalSince(first) / window)
        let expected = min(1, settings.coveragePerMonth) * span
        var summary = "last read of data \(Age.text(age)) ago; \(SizeAnomalyCheck.percent(share)) of packs read in 30 days"
        if share < expected * 0.75 - 1.0 / Double(count) {
            state = max(state, AlertSeverity.warning)
            summary += " (about \(SizeAnomalyCheck.percent(expected)) expected)"
        }
        return CheckResult(id: "integrity/read-data", category: .integrity, severity: state, summary: summary,
                           advice: state == .ok ? nil : "run `silo check --read-data-subset 1/30`; is `silo run` running its checks?", metrics: metrics)
    }

    private static func object(_ step: StepRecord) -> [String: Any]? {
        step.details.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func detail(_ step: StepRecord, _ key: String) -> Int? { object(step)?[key] as? Int }
    static func text(_ step: StepRecord, _ key: String) -> String? { object(step)?[key] as? String }
}
