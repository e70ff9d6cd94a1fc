import Foundation

/// The body of a generic JSON webhook (documented in docs/NOTIFICATIONS.md). Every key is always
/// present, null when it has no value, so a receiver's schema does not depend on the message.
struct WebhookPayload: Encodable {
    var notification: Notification
    /// Unix seconds of sending, the same as the `X-Silo-Timestamp` header; inside the signed body
    /// so a receiver can refuse replays of an old signed message.
    var timestamp: Int
    var siloVersion: String?

    private enum Key: String, CodingKey {
        case event, severity, check, host, source, summary, since, advice, tier, timestamp
        case siloVersion = "silo_version"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(notification.event.rawValue, forKey: .event)
        try container.encode(notification.severity.rawValue, forKey: .severity)
        try container.encode(notification.check, forKey: .check)
        try container.encode(notification.host, forKey: .host)
        try container.encode(notification.source, forKey: .source)
        try container.encode(notification.summary, forKey: .summary)
        try container.encode(notification.since.map(TimeFormats.rfc3339), forKey: .since)
        try container.encode(notification.advice, forKey: .advice)
        try container.encode(notification.tier, forKey: .tier)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(siloVersion, forKey: .siloVersion)
    }
}
