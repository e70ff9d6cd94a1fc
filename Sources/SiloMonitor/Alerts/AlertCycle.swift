import Foundation
import SiloConfig
import SiloNotify
import SiloOps

/// One evaluation of the alerts: the previous states from the ledger, escalation's decisions,
/// the sends, and the new states and every delivery written back in one transaction. A
/// channel that fails is recorded and never stops the others (nor the run that called this).
public struct AlertCycle: Sendable {
    public let settings: NotificationSettings
    public let ledger: AlertLedger
    public let delivery: Delivery
    public let host: String

    public init(settings: NotificationSettings, ledger: AlertLedger, delivery: Delivery, host: String) {
        self.settings = settings
        self.ledger = ledger
        self.delivery = delivery
        self.host = host
    }

    public struct Outcome: Sendable {
        public var dispatches: [Dispatch]
        public var deliveries: [DeliveryRecord]
        public var failures: [DeliveryRecord] { deliveries.filter { !$0.succeeded } }
    }

    public func run(_ report: MonitorReport, now: @Sendable () -> Date) throws -> Outcome {
        try ledger.exclusively { try evaluate(report, now: now) }
    }

    private func evaluate(_ report: MonitorReport, now: @Sendable () -> Date) throws -> Outcome {
        let previous = try ledger.alerts()
        let (records, dispatches) = Escalation(settings: settings).evaluate(report, previous: previous, now: now())
        var deliveries: [DeliveryRecord] = []
        for dispatch in dispatches {
            let notification = SiloNotify.Notification(event: Self.event(dispatch.event), severity: dispatch.severity, check: dispatch.check.id, host: host,
                                            source: dispatch.check.source, summary: dispatch.check.summary, since: dispatch.since,
                                            advice: dispatch.check.advice, tier: dispatch.tier)
            for result in delivery.send(notification, to: dispatch.channels) {
                deliveries.append(DeliveryRecord(time: now(), check: dispatch.check.id, event: dispatch.event.rawValue, severity: dispatch.severity,
                                                 channel: result.channel, succeeded: result.succeeded, attempts: result.attempts, error: result.error))
            }
        }
        try ledger.save(records, deliveries: deliveries)
        return Outcome(dispatches: dispatches, deliveries: deliveries)
    }

    static func event(_ event: Dispatch.Event) -> SiloNotify.Notification.Event {
        switch event {
        case .problem: .problem
        case .escalation: .escalation
        case .reminder: .reminder
        case .resolved: .resolved
        }
    }
}
