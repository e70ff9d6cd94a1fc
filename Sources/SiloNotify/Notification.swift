import Foundation
import SiloConfig

/// One alert to deliver: what the escalation layer decided to say, before any channel's format.
/// Plain values only, so that the monitoring side can build one without knowing any channel.
public struct Notification: Sendable, Equatable {
    /// Why this message is sent now; channels word their titles after it.
    public enum Event: String, Sendable {
        /// A check has just become a problem.
        case problem
        /// A problem lasted long enough to reach another tier's channels.
        case escalation
        /// A problem that stays, announced again (`notifications.remind`).
        case reminder
        /// A problem is over.
        case resolved
        /// `silo notify test`: proves a channel works, nothing is wrong.
        case test
    }

    public var event: Event
    public var severity: AlertSeverity
    /// The check's name, e.g. "freshness/database".
    public var check: String
    public var host: String
    public var source: String?
    /// One line: what is wrong.
    public var summary: String
    /// When the problem began.
    public var since: Date?
    /// What to do about it.
    public var advice: String?
    /// The escalation tier this message is for, from 1.
    public var tier: Int

    public init(event: Event = .problem, severity: AlertSeverity, check: String, host: String = localHostName(), source: String? = nil,
                summary: String, since: Date? = nil, advice: String? = nil, tier: Int = 1) {
        self.event = event
        self.severity = severity
        self.check = check
        self.host = host
        self.source = source
        self.summary = summary
        self.since = since
        self.advice = advice
        self.tier = tier
    }

    /// The title every channel shows first: event, severity, check and host.
    var title: String {
        let state = severity.rawValue.uppercased()
        switch event {
        case .problem: return "\(state): \(check) on \(host)"
        case .escalation: return "\(state) (escalated, tier \(tier)): \(check) on \(host)"
        case .reminder: return "\(state) (still): \(check) on \(host)"
        case .resolved: return "RESOLVED: \(check) on \(host)"
        case .test: return "TEST (\(state)): \(check) on \(host)"
        }
    }

    /// `summary` on one line: a newline in it would break a subject header or a Slack header.
    var oneLineSummary: String {
        summary.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// This machine's name (gethostname), the default `host` of a notification. Not
/// `ProcessInfo.hostName`, which may ask DNS and so wait on a network that is the problem.
public func localHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return name.isEmpty ? "localhost" : name
}
