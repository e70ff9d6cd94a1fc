import Foundation
import SiloConfig
import SiloOps

/// Notifications: a channel whose newest send failed. A monitor that cannot notify is itself a
/// problem, and the one place it can still say so is here.
enum DeliveryCheck {
    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        let channels = facts.configuration.notifications.channels
        guard !channels.isEmpty else { return [] }
        let last = (try? facts.ledger?.lastDeliveries()) ?? [:]
        let failing = channels.compactMap { channel in last[channel.name].flatMap { $0.succeeded ? nil : (channel.name, $0) } }
        let metrics = channels.map { channel in
            Metric("silo_notification_last_failed", last[channel.name].map { $0.succeeded ? 0 : 1 } ?? 0, labels: [("channel", channel.name)],
                   help: "1 when the newest send to the channel failed.")
        }
        guard !failing.isEmpty else {
            return [CheckResult(id: "notifications/delivery", category: .notifications, severity: .ok,
                                summary: "\(channels.count) channel(s); no failed send", metrics: metrics)]
        }
        let text = failing.map { name, record in
            "\(name) failed \(Age.text(facts.now.timeIntervalSince(record.time))) ago after \(record.attempts) attempt(s): \(record.error ?? "no detail")"
        }.joined(separator: "; ")
        return [CheckResult(id: "notifications/delivery", category: .notifications, severity: .warning, summary: text,
                            advice: "`silo notify test` tries every channel; check its address and credentials", metrics: metrics)]
    }
}
