import Foundation
import SiloMonitor
import SiloOps
import SiloRepository

/// One check of `silo monitor`.
struct MonitorCheckMessage: JSONMessage {
    static let messageType = "monitor_check"
    static let commands = ["monitor"]
    static var sample: Self {
        Self(id: "freshness/database", category: "freshness", source: "database", status: "warning", summary: "newest snapshot 7h old (cadence 4h)",
             advice: "run `silo run database`", metrics: ["silo_backup_age_seconds": 25_200])
    }

    let id: String
    let category: String
    let source: String?
    let status: String
    let summary: String
    let advice: String?
    /// The check's figures by metric name (labels left out: the check names the source).
    let metrics: [String: Double]
}

extension MonitorCheckMessage {
    init(_ check: CheckResult) {
        var metrics: [String: Double] = [:]
        for metric in check.metrics { metrics[metric.name] = metric.value }
        self.init(id: check.id, category: check.category.rawValue, source: check.source, status: check.severity.rawValue,
                  summary: check.summary, advice: check.advice, metrics: metrics)
    }
}

/// The end of `silo monitor`: the worst state and the checks not OK.
struct MonitorSummaryMessage: JSONMessage {
    static let messageType = "monitor_summary"
    static let commands = ["monitor"]
    static var sample: Self { Self(status: "warning", checks: 12, problems: ["freshness/database"], time: "2026-01-02T03:04:05Z") }

    let status: String
    let checks: Int
    let problems: [String]
    let time: String
}

extension MonitorSummaryMessage {
    init(_ report: MonitorReport) {
        self.init(status: report.severity.rawValue, checks: report.checks.count, problems: report.problems.map(\.id),
                  time: Timestamp.iso8601(report.generated))
    }
}

/// The alert state of one check (`silo alerts`, `silo alerts ack`).
struct AlertMessage: JSONMessage {
    static let messageType = "alert"
    static let commands = ["alerts", "alerts ack"]
    static var sample: Self {
        Self(check: "freshness/database", state: "critical", since: "2026-01-02T03:04:05Z", problemSince: "2026-01-02T01:00:00Z",
             tiersTold: 2, acknowledged: false, lastNotified: "2026-01-02T03:34:05Z", summary: "newest snapshot 11h old (cadence 4h)")
    }

    let check: String
    let state: String
    let since: String
    let problemSince: String?
    let tiersTold: Int
    let acknowledged: Bool
    let lastNotified: String?
    let summary: String?
}

extension AlertMessage {
    init(_ record: AlertRecord) {
        self.init(check: record.check, state: record.state.rawValue, since: Timestamp.iso8601(record.since),
                  problemSince: record.problemSince.map(Timestamp.iso8601), tiersTold: record.tiersTold, acknowledged: record.acknowledged,
                  lastNotified: record.lastNotified.map(Timestamp.iso8601), summary: record.summary)
    }
}

/// One send to one channel, as it went (`silo monitor --notify`, `silo alerts`, `silo notify test`, `silo run`).
struct DeliveryMessage: JSONMessage {
    static let messageType = "delivery"
    static let commands = ["monitor", "alerts", "notify test", "run"]
    static var sample: Self {
        Self(time: "2026-01-02T03:04:05Z", check: "freshness/database", event: "problem", severity: "critical", channel: "devops-slack",
             succeeded: false, attempts: 3, error: "devops-slack: hooks.slack.com answered 500")
    }

    let time: String
    let check: String
    let event: String
    let severity: String
    let channel: String
    let succeeded: Bool
    let attempts: Int
    let error: String?
}

extension DeliveryMessage {
    init(_ record: DeliveryRecord) {
        self.init(time: Timestamp.iso8601(record.time), check: record.check, event: record.event, severity: record.severity.rawValue,
                  channel: record.channel, succeeded: record.succeeded, attempts: record.attempts, error: record.error)
    }
}
