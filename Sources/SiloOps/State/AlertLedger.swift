import Foundation
import SiloConfig

/// The alert state of one monitor check of one configuration: what escalation remembers
/// between evaluations (docs/ARCHITECTURE.md, "The run history").
public struct AlertRecord: Sendable, Equatable {
    public var check: String
    /// The state last confirmed (held for `hold` evaluations): what the channels were told.
    public var state: AlertSeverity
    /// When `state` was confirmed.
    public var since: Date
    /// When the check left OK (nil while it is OK): the clock of tiers at warning.
    public var problemSince: Date?
    /// A different state seen, and for how many evaluations in a row.
    public var pending: AlertSeverity?
    public var pendingCount: Int
    /// How many tiers have been told about this problem.
    public var tiersTold: Int
    public var lastNotified: Date?
    /// `silo alerts ack`: no reminder and no further tier until the state changes.
    public var acknowledged: Bool
    public var summary: String?
    public var evaluated: Date

    public init(check: String, state: AlertSeverity, since: Date, problemSince: Date? = nil, pending: AlertSeverity? = nil,
                pendingCount: Int = 0, tiersTold: Int = 0, lastNotified: Date? = nil, acknowledged: Bool = false,
                summary: String? = nil, evaluated: Date) {
        self.check = check
        self.state = state
        self.since = since
        self.problemSince = problemSince
        self.pending = pending
        self.pendingCount = pendingCount
        self.tiersTold = tiersTold
        self.lastNotified = lastNotified
        self.acknowledged = acknowledged
        self.summary = summary
        self.evaluated = evaluated
    }
}

/// One send of a notification to one channel, as it went.
public struct DeliveryRecord: Sendable, Equatable {
    public var time: Date
    public var check: String
    public var event: String
    public var severity: AlertSeverity
    public var channel: String
    public var succeeded: Bool
    public var attempts: Int
    /// Already redacted by the sender: never a URL's secret part or a password.
    public var error: String?

    public init(time: Date, check: String, event: String, severity: AlertSeverity, channel: String, succeeded: Bool, attempts: Int,
                error: String? = nil) {
        self.time = time
        self.check = check
        self.event = event
        self.severity = severity
        self.channel = channel
        self.succeeded = succeeded
        self.attempts = attempts
        self.error = error
    }
}

/// Alert states and deliveries, kept in the run history's database beside the runs (the
/// same file and migrations): the monitor reads both, and a run's failure and its alert are
/// one place to look.
public struct AlertLedger: Sendable {
    private let history: RunHistory
    private let configuration: String

    public init(history: RunHistory, configuration: String) {
        self.history = history
        self.configuration = configuration
    }

    /// Runs `body` holding an exclusive lock beside the history (`history.sqlite.alerts-lock`):
    /// the end of a run and the 5-minute monitor may evaluate at once, and each must read the
    /// states the other wrote, or both would announce the same change. A lock file rather than
    /// a transaction, because sends happen inside and may take seconds; the kernel releases it
    /// if the process dies.
    public func exclusively<T>(_ body: () throws -> T) throws -> T {
        let path = history.path + ".alerts-lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OpsError(.state, "cannot open the alert lock \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw OpsError(.state, "cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    public func alerts() throws -> [String: AlertRecord] {
        let rows = try history.db.query("""
            SELECT check_id, state, since, problem_since, pending, pending_count, tiers_told, last_notified, acked, summary, evaluated
            FROM alerts WHERE configuration = ?1
            """, [.text(configuration)])
        var result: [String: AlertRecord] = [:]
        for row in rows {
            let record = AlertRecord(check: row.text(0), state: AlertSeverity(rawValue: row.text(1)) ?? .unknown, since: RunHistory.date(row.int(2)),
                                     problemSince: row.optionalInt(3).map(RunHistory.date), pending: row.optionalText(4).flatMap(AlertSeverity.init(rawValue:)),
                                     pendingCount: Int(row.int(5)), tiersTold: Int(row.int(6)), lastNotified: row.optionalInt(7).map(RunHistory.date),
                                     acknowledged: row.int(8) != 0, summary: row.optionalText(9), evaluated: RunHistory.date(row.int(10)))
            result[record.check] = record
        }
        return result
    }

    /// Writes the records of one evaluation and its deliveries in one transaction, and forgets
    /// the checks that no longer exist (a source removed from the configuration).
    public func save(_ records: [AlertRecord], deliveries: [DeliveryRecord], removingOthers: Bool = true) throws {
        let db = history.db
        try db.transaction {
            if removingOthers {
                let kept = Set(records.map(\.check))
                for row in try db.query("SELECT check_id FROM alerts WHERE configuration = ?1", [.text(configuration)]) where !kept.contains(row.text(0)) {
                    try db.query("DELETE FROM alerts WHERE configuration = ?1 AND check_id = ?2", [.text(configuration), .text(row.text(0))])
                }
            }
            for r in records {
                try db.query("""
                    INSERT OR REPLACE INTO alerts(configuration, check_id, state, since, problem_since, pending, pending_count, tiers_told,
                                                  last_notified, acked, summary, evaluated)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                    """, [.text(configuration), .text(r.check), .text(r.state.rawValue), .int(RunHistory.milliseconds(r.since)),
                          .optional(r.problemSince.map(RunHistory.milliseconds)), .optional(r.pending?.rawValue), .int(Int64(r.pendingCount)),
                          .int(Int64(r.tiersTold)), .optional(r.lastNotified.map(RunHistory.milliseconds)), .int(r.acknowledged ? 1 : 0),
                          .optional(r.summary), .int(RunHistory.milliseconds(r.evaluated))])
            }
            for d in deliveries { try insert(d) }
        }
    }

    public func record(_ deliveries: [DeliveryRecord]) throws {
        try history.db.transaction { for d in deliveries { try insert(d) } }
    }

    private func insert(_ d: DeliveryRecord) throws {
        try history.db.query("""
            INSERT INTO deliveries(configuration, time, check_id, event, severity, channel, succeeded, attempts, error)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """, [.text(configuration), .int(RunHistory.milliseconds(d.time)), .text(d.check), .text(d.event), .text(d.severity.rawValue),
                  .text(d.channel), .int(d.succeeded ? 1 : 0), .int(Int64(d.attempts)), .optional(d.error)])
    }

    /// `silo alerts ack CHECK`: silences a check that is not OK until its state changes.
    /// Returns the record, or nil when the check has no problem to acknowledge.
    public func acknowledge(_ check: String) throws -> AlertRecord? {
        guard var record = try alerts()[check], record.state != .ok else { return nil }
        record.acknowledged = true
        try history.db.query("UPDATE alerts SET acked = 1 WHERE configuration = ?1 AND check_id = ?2", [.text(configuration), .text(check)])
        return record
    }

    /// The newest delivery to each channel: a channel whose newest send failed is failing.
    public func lastDeliveries() throws -> [String: DeliveryRecord] {
        let rows = try history.db.query("""
            SELECT time, check_id, event, severity, channel, succeeded, attempts, error FROM
              (SELECT *, row_number() OVER (PARTITION BY channel ORDER BY time DESC, id DESC) AS n FROM deliveries WHERE configuration = ?1)
            WHERE n = 1
            """, [.text(configuration)])
        var result: [String: DeliveryRecord] = [:]
        for row in rows.map(Self.readDelivery) { result[row.channel] = row }
        return result
    }

    /// Deliveries, newest last (`limit` newest).
    public func deliveries(limit: Int = 100) throws -> [DeliveryRecord] {
        try history.db.query("""
            SELECT time, check_id, event, severity, channel, succeeded, attempts, error FROM deliveries WHERE configuration = ?1
            ORDER BY time DESC, id DESC LIMIT ?2
            """, [.text(configuration), .int(Int64(max(0, limit)))]).map(Self.readDelivery).reversed()
    }

    private static func readDelivery(_ row: StateDatabase.Row) -> DeliveryRecord {
        DeliveryRecord(time: RunHistory.date(row.int(0)), check: row.text(1), event: row.text(2), severity: AlertSeverity(rawValue: row.text(3)) ?? .unknown,
                       channel: row.text(4), succeeded: row.int(5) != 0, attempts: Int(row.int(6)), error: row.optionalText(7))
    }
}
