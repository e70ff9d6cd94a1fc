import Foundation
import SiloConfig
import SiloOps

/// What escalation decided to send: one event about one check, to some channels.
public struct Dispatch: Sendable, Equatable {
    public enum Event: String, Sendable {
        /// The check's state changed to a problem (or to another problem).
        case problem
        /// A problem lasted long enough for the next tier.
        case escalation
        /// A problem stays; said again every `remind`.
        case reminder
        /// Back to OK.
        case resolved
    }

    public var event: Event
    public var check: CheckResult
    /// The state the event is about (for `resolved`, the state that ended).
    public var severity: AlertSeverity
    /// The problem's start (when it left OK).
    public var since: Date?
    /// 1-based: the highest tier the channels belong to.
    public var tier: Int
    public var channels: [ChannelSettings]
}

/// The escalation state machine, one evaluation at a time (pure: the clock and the previous
/// records come in, the new records and what to send go out). docs/MONITORING.md has the rules:
/// - a new state must be seen `hold` evaluations in a row before it counts (flapping stays quiet);
/// - a change to a problem goes to tier 1, a change back to OK ("resolved") to every tier told;
/// - while a problem stays, tier N is told once it has lasted its `after` at its `severity` or
///   worse (a tier at warning counts from when the check left OK; a tier at critical, from when
///   it became critical), and everyone told is reminded every `remind`;
/// - `silo alerts ack` stops reminders and further tiers until the state changes;
/// - each channel hears only of states at its `min_severity` or worse, and of their resolution.
public struct Escalation: Sendable {
    public let settings: NotificationSettings

    public init(settings: NotificationSettings) {
        self.settings = settings
    }

    /// Tiers as configured; none configured: every channel is tier 1, at once.
    var tiers: [TierSettings] {
        settings.tiers.isEmpty ? [TierSettings(after: .zero, severity: .warning, channels: settings.channels.map(\.name))] : settings.tiers
    }

    public func evaluate(_ report: MonitorReport, previous: [String: AlertRecord], now: Date) -> (records: [AlertRecord], dispatches: [Dispatch]) {
        var records: [AlertRecord] = []
        var dispatches: [Dispatch] = []
        for check in report.checks {
            let (record, sent) = step(check, previous: previous[check.id], now: now)
            records.append(record)
            dispatches += sent
        }
        return (records, dispatches)
    }

    func step(_ check: CheckResult, previous: AlertRecord?, now: Date) -> (AlertRecord, [Dispatch]) {
        // A check seen for the first time starts from OK: a problem found at once is news.
        var record = previous ?? AlertRecord(check: check.id, state: .ok, since: now, evaluated: now)
        record.evaluated = now
        record.summary = check.summary
        var sent: [Dispatch] = []
        if check.severity == record.state {
            record.pending = nil
            record.pendingCount = 0
        } else {
            record.pendingCount = record.pending == check.severity ? record.pendingCount + 1 : 1
            record.pending = check.severity
            if record.pendingCount >= max(1, settings.hold) {
                let old = record.state
                record.state = check.severity
                record.since = now
                record.pending = nil
                record.pendingCount = 0
                record.acknowledged = false
                if check.severity == .ok {
                    sent += send(.resolved, check, severity: old, since: record.problemSince, toTiers: record.tiersTold)
                    record.problemSince = nil
                    record.tiersTold = 0
                } else if old == .ok {
                    // A new problem: the tiers below tell it, tier 1 at once unless it waits.
                    record.problemSince = now
                    record.tiersTold = 0
                } else {
                    // Worse or better, still a problem: the tiers already told hear of the change.
                    sent += send(.problem, check, severity: check.severity, since: record.problemSince, toTiers: record.tiersTold)
                }
                if !sent.isEmpty { record.lastNotified = now }
            }
        }
        guard record.state != .ok, !record.acknowledged else { return (record, sent) }
        // Later tiers, by their delays.
        for (index, tier) in tiers.enumerated() where index + 1 > record.tiersTold {
            guard record.state >= tier.severity else { break }
            let start = tier.severity > .warning ? record.since : (record.problemSince ?? record.since)
            guard now.timeIntervalSince(start) >= Age.seconds(tier.after) else { break }
            let channels = channels(of: [tier], for: record.state)
            if !channels.isEmpty {
                sent.append(Dispatch(event: index == 0 ? .problem : .escalation, check: check, severity: record.state, since: record.problemSince,
                                     tier: index + 1, channels: channels))
            }
            record.tiersTold = index + 1
            record.lastNotified = now
        }
        if sent.isEmpty, let remind = settings.remind, let last = record.lastNotified, now.timeIntervalSince(last) >= Age.seconds(remind) {
            sent += send(.reminder, check, severity: record.state, since: record.problemSince, toTiers: record.tiersTold)
            record.lastNotified = now
        }
        return (record, sent)
    }

    /// One dispatch to the channels of tiers 1…`count` that hear of `severity`.
    private func send(_ event: Dispatch.Event, _ check: CheckResult, severity: AlertSeverity, since: Date?, toTiers count: Int) -> [Dispatch] {
        let told = Array(tiers.prefix(max(0, count)))
        let channels = channels(of: told, for: severity)
        guard !channels.isEmpty else { return [] }
        return [Dispatch(event: event, check: check, severity: severity, since: since, tier: told.count, channels: channels)]
    }

    private func channels(of tiers: [TierSettings], for severity: AlertSeverity) -> [ChannelSettings] {
        var names: [String] = []
        for name in tiers.flatMap(\.channels) where !names.contains(name) { names.append(name) }
        return names.compactMap(settings.channel(named:)).filter { channel in
            // Healthchecks pings are for runs, not alerts.
            if case .healthchecks = channel.kind { return false }
            return severity >= channel.minSeverity
        }
    }
}
