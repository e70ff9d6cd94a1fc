/// `notifications`: the channels alerts go to, and how they escalate. A check notifies when
/// its state changes (after holding it for `hold` evaluations), reminds every `remind` while it
/// stays a problem, and says "resolved" on its way back to OK; each tier's channels take over
/// once a problem has lasted its `after`.
public struct NotificationSettings: Sendable, Equatable {
    /// In the file's order.
    public var channels: [ChannelSettings]
    /// In the file's order; empty: every channel is tier 1 (`after` 0).
    public var tiers: [TierSettings]
    /// Evaluations a new state must hold before it notifies (flapping stays quiet).
    public var hold: Int
    /// How often a problem that stays is announced again; nil: never.
    public var remind: Duration?
    /// Send attempts per message and channel (retried with backoff).
    public var attempts: Int

    public init(channels: [ChannelSettings] = [], tiers: [TierSettings] = [], hold: Int = 1, remind: Duration? = .seconds(4 * 3600),
                attempts: Int = 3) {
        self.channels = channels
        self.tiers = tiers
        self.hold = hold
        self.remind = remind
        self.attempts = attempts
    }

    public func channel(named name: String) -> ChannelSettings? { channels.first { $0.name == name } }
}

/// One escalation tier: after a problem has lasted `after` at `severity` or worse, its channels
/// are told too (the seed's 1st DevOps, 2nd development lead, 3rd CTO).
public struct TierSettings: Sendable, Equatable {
    public var after: Duration
    public var severity: AlertSeverity
    public var channels: [String]

    public init(after: Duration, severity: AlertSeverity = .warning, channels: [String]) {
        self.after = after
        self.severity = severity
        self.channels = channels
    }
}

/// How bad a check's state is, in order.
public enum AlertSeverity: String, Sendable, Equatable, Comparable, CaseIterable {
    case ok, warning, critical, unknown

    private var rank: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .unknown: 2
        case .critical: 3
        }
    }

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// One of `notifications.channels`, named (`[a-z0-9_-]+`) so tiers, history and `silo notify test` can say which.
public struct ChannelSettings: Sendable, Equatable {
    public var name: String
    public var kind: Kind
    /// The least severe state this channel is told about ("resolved" follows what it was told).
    public var minSeverity: AlertSeverity

    public init(name: String, kind: Kind, minSeverity: AlertSeverity = .warning) {
        self.name = name
        self.kind = kind
        self.minSeverity = minSeverity
    }

    public enum Kind: Sendable, Equatable {
        /// A Slack incoming webhook (a secret: the URL is the credential).
        case slack(webhookURL: Secret)
        case email(EmailSettings)
        /// A generic JSON webhook; with `secret`, each request carries `X-Silo-Signature: sha256=HEX`
        /// (HMAC-SHA-256 of the body).
        case webhook(url: Secret, secret: Secret?)
        /// Healthchecks-style pings by `silo run`: `URL/start`, `URL` (success), `URL/fail`; the
        /// run's summary as the body only when `sendBody` (capped at 100 kB).
        case healthchecks(url: Secret, sendBody: Bool)
    }

    public var typeName: String {
        switch kind {
        case .slack: "slack"
        case .email: "email"
        case .webhook: "webhook"
        case .healthchecks: "healthchecks"
        }
    }
}

/// A secret value given inline (after interpolation), in a file (0600), or printed by a command.
/// An inline value is never empty, except in a configuration whose secrets were removed
/// (`Configuration.removingSecrets()`), where an empty one stands for a secret left out.
public enum Secret: Sendable, Equatable {
    case value(String)
    case file(String)
    case command(String)
}

public struct EmailSettings: Sendable, Equatable {
    public enum Security: String, Sendable, Equatable {
        /// `smtp://`: plain connection upgraded with STARTTLS (required unless `none`).
        case starttls
        /// `smtps://`: TLS from the first byte (port 465).
        case tls
        /// No TLS at all (a local relay); AUTH is refused over it.
        case none
    }

    /// `smtp://host[:port]` or `smtps://host[:port]`.
    public var server: String
    public var security: Security
    public var username: String?
    public var password: Secret?
    public var from: String
    public var to: [String]
    /// A CA bundle to trust instead of the system's (a private relay).
    public var caFile: String?

    public init(server: String, security: Security, username: String? = nil, password: Secret? = nil, from: String, to: [String],
                caFile: String? = nil) {
        self.server = server
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.to = to
        self.caFile = caFile
    }
}
