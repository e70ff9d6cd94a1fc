import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloOps

/// Retention compliance, per source: every daily, weekly and monthly snapshot the policy
/// expects is there (a gap is named by its date), and nothing is kept beyond the policy
/// (which means forget is not running).
enum RetentionComplianceCheck {
    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = facts.timeZone
        return facts.configuration.sources.map { source in
            let id = "retention/\(source.name)"
            let series = facts.series(source)
            let keep = facts.configuration.retention.policy(for: source)
            guard let first = series.first?.snapshot.date else {
                return CheckResult(id: id, category: .retention, source: source.name, severity: .ok, summary: "no snapshot yet")
            }
            let gaps = missing(series.map(\.snapshot.date), keep: keep, cadence: Age.seconds(source.cadence.interval), first: first,
                               now: facts.now, calendar: calendar)
            let excess = beyondPolicy(series, keep: keep, cadence: Age.seconds(source.cadence.interval), facts: facts)
            let labels = [("source", source.name)]
            let metrics = [
                Metric("silo_retention_gaps", Double(gaps.count), labels: labels, help: "Daily, weekly and monthly snapshots the policy expects that are missing.",
                       perfdataUnit: "", warning: 0.5),
                Metric("silo_retention_excess_snapshots", Double(excess), labels: labels, help: "Snapshots kept beyond the retention policy.",
                       perfdataUnit: "", warning: 0.5),
            ]
            var findings: [String] = []
            if !gaps.isEmpty {
                let shown = gaps.prefix(5).joined(separator: ", ") + (gaps.count > 5 ? " and \(gaps.count - 5) more" : "")
                findings.append("missing: \(shown)")
            }
            if excess > 0 { findings.append("\(excess) snapshot(s) kept beyond the policy: is forget running?") }
            let state: AlertSeverity = findings.isEmpty ? .ok : .warning
            let summary = findings.isEmpty ? "\(series.count) snapshot(s), as the policy (\(describe(keep))) expects" : findings.joined(separator: "; ")
            return CheckResult(id: id, category: .retention, source: source.name, severity: state, summary: summary,
                               advice: excess > 0 ? "run `silo forget` (silo run forgets after each backup: look at `silo history`)"
                                   : gaps.isEmpty ? nil : "the backups of those days did not happen or were forgotten: see `silo history`",
                               metrics: metrics)
        }
    }

    /// The periods the policy keeps one snapshot of that have none: the previous `n - 1`
    /// days, weeks and months (the current one may not have its last snapshot yet), from the
    /// series' first snapshot on, for a source backed up at least that often.
    static func missing(_ dates: [Date], keep: KeepPolicy, cadence: TimeInterval, first: Date, now: Date, calendar: Calendar) -> [String] {
        var gaps: [String] = []
        let periods: [(count: Int, component: Calendar.Component, length: TimeInterval, name: (Date) -> String)] = [
            (keep.monthly, .month, 31 * 86_400, { label($0, "yyyy-MM", calendar) }),
            (keep.weekly, .weekOfYear, 7 * 86_400, { "week of " + label($0, "yyyy-MM-dd", calendar) }),
            (keep.daily, .day, 86_400, { label($0, "yyyy-MM-dd", calendar) }),
        ]
        for period in periods where period.count > 1 && cadence <= period.length {
            guard let current = calendar.dateInterval(of: period.component, for: now) else { continue }
            for k in 1..<period.count {
                guard let start = calendar.date(byAdding: period.component, value: -k, to: current.start),
                      let end = calendar.date(byAdding: period.component, value: 1, to: start) else { continue }
                if end <= first { break }
                if !dates.contains(where: { $0 >= start && $0 < end }) { gaps.append(period.name(start)) }
            }
        }
        return gaps
    }

    /// Snapshots the policy would forget that have been there for longer than a day and two
    /// cadences (the forget after each backup would have removed them).
    static func beyondPolicy(_ series: [(id: SnapshotID, snapshot: Snapshot)], keep: KeepPolicy, cadence: TimeInterval, facts: MonitorFacts) -> Int {
        guard keep.keepsSomething else { return 0 }
        let grace = 86_400 + 2 * cadence
        return keep.retentionPolicy.apply(to: series, timeZone: facts.timeZone)
            .filter { !$0.keep && facts.now.timeIntervalSince($0.snapshot.date) > grace }.count
    }

    private static func label(_ date: Date, _ format: String, _ calendar: Calendar) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    private static func describe(_ keep: KeepPolicy) -> String {
        let parts = [("last", keep.last), ("hourly", keep.hourly), ("daily", keep.daily), ("weekly", keep.weekly), ("monthly", keep.monthly),
                     ("yearly", keep.yearly)].filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
        return parts.isEmpty ? (keep.within.map { "within \($0)" } ?? "keep all") : parts.joined(separator: ", ")
    }
}
