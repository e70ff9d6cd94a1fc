import Foundation
import SiloConfig

/// Space: free space on a local repository's file system and the days until it is full at the
/// 30-day growth rate; on S3, the bytes stored against an optional quota.
enum SpaceCheck {
    static let window: TimeInterval = 30 * 86_400

    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        guard let space = facts.space else {
            return [CheckResult(id: "space/repository", category: .space, severity: .unknown, summary: "the repository's space could not be read")]
        }
        let thresholds = facts.configuration.monitoring.space
        let growth = growthPerDay(facts)
        var metrics = [
            Metric("silo_repository_stored_bytes", Double(space.storedBytes), help: "Bytes the repository's packs hold.", perfdataUnit: "B"),
            Metric("silo_repository_growth_bytes_per_second", growth / 86_400, help: "Bytes added per second, averaged over the last 30 days."),
        ]
        var findings: [(AlertSeverity, String)] = []
        var room: Double?
        if let free = space.freeBytes, let total = space.fileSystemBytes, total > 0 {
            let share = Double(free) / Double(total)
            room = Double(free)
            metrics.append(Metric("silo_repository_free_bytes", Double(free), help: "Free bytes on the repository's file system.", perfdataUnit: "B",
                                  warning: nil, critical: thresholds.freeBytesCritical.map(Double.init)))
            metrics.append(Metric("silo_repository_filesystem_bytes", Double(total), help: "Size of the repository's file system."))
            let byShare = severity(share, warningBelow: thresholds.freeWarning, criticalBelow: thresholds.freeCritical)
            let byBytes: AlertSeverity = thresholds.freeBytesCritical.map { free < $0 ? .critical : .ok } ?? .ok
            let state = max(byShare, byBytes)
            findings.append((state, "\(Bytes.text(free)) free of \(Bytes.text(total)) (\(SizeAnomalyCheck.percent(share)))"))
        }
        if let quota = thresholds.quotaBytes {
            let used = Double(space.storedBytes) / Double(max(1, quota))
            room = Double(quota) - Double(space.storedBytes)
            metrics.append(Metric("silo_repository_quota_bytes", Double(quota), help: "The configured quota of the repository."))
            let state = severity(1 - used, warningBelow: thresholds.freeWarning, criticalBelow: thresholds.freeCritical)
            findings.append((state, "\(Bytes.text(space.storedBytes)) stored of a \(Bytes.text(quota)) quota (\(SizeAnomalyCheck.percent(used)))"))
        }
        if let room {
            if growth > 0 {
                let days = max(0, room) / growth
                metrics.append(Metric("silo_repository_seconds_until_full", (days * 86_400).rounded(),
                                      help: "Seconds until the repository's space runs out at the 30-day growth rate.",
                                      perfdataUnit: "s", warning: thresholds.daysToFullWarning * 86_400, critical: thresholds.daysToFullCritical * 86_400))
                let state = severity(days, warningBelow: thresholds.daysToFullWarning, criticalBelow: thresholds.daysToFullCritical)
                findings.append((state, "full in \(Int(days)) days at \(Bytes.text(growth))/day"))
            } else {
                findings.append((.ok, "not growing"))
            }
        } else if space.isRemote {
            findings.append((.ok, "\(Bytes.text(space.storedBytes)) stored (no quota set)"))
        }
        let state = findings.map(\.0).max() ?? .ok
        return [CheckResult(id: "space/repository", category: .space, severity: state, summary: findings.map(\.1).joined(separator: "; "),
                            advice: state == .ok ? nil : "free space, or keep fewer snapshots (retention) and run `silo prune`", metrics: metrics)]
    }

    /// Bytes the snapshots of the last 30 days added (as stored), per day of the time they span.
    static func growthPerDay(_ facts: MonitorFacts) -> Double {
        let since = facts.now.addingTimeInterval(-window)
        let recent = facts.snapshots.filter { $0.snapshot.date >= since }
        guard let first = facts.snapshots.first?.snapshot.date, !recent.isEmpty else { return 0 }
        let days = max(1, facts.now.timeIntervalSince(max(first, since)) / 86_400)
        return Double(recent.reduce(UInt64(0)) { $0 + $1.snapshot.summary.bytesAdded }) / days
    }
}
