/// `services`: what runs on this server, in the seed's tiers, how to stop, start and probe each
/// one, and which backed-up paths and databases belong to it. `silo restore --system` stops
/// them lowest tier first, restores what they own, and starts them highest tier first, each tier
/// healthy before the next (docs/RESTORE.md).
public struct ServiceSettings: Sendable, Equatable {
    /// The seed's tiers, most important first.
    public enum Priority: String, Sendable, CaseIterable, Comparable {
        case critical, high, medium, low

        /// 0 for critical: lower ranks start first and stop last.
        public var rank: Int { Priority.allCases.firstIndex(of: self)! }
        public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
    }

    /// How silo stops, starts and asks about the service.
    public enum Control: Sendable, Equatable {
        /// `systemctl stop|start|is-active UNIT`.
        case systemd(unit: String)
        /// `pm2 stop|restart NAME`, and `pm2 jlist` for its status.
        case pm2(process: String)
        /// The user's own commands (`/bin/sh -c`); without `status`, the health checks say.
        case commands(start: String, stop: String, status: String?)
    }

    public static let defaultTimeout = "2m"

    /// `[a-z0-9_-]+`, like a source's name.
    public var name: String
    public var priority: Priority
    public var control: Control
    /// How long a stop or a start may take before it counts as failed.
    public var timeout: Duration
    public var health: [HealthCheckSettings]
    /// Absolute paths, each inside a paths source: restored with the service.
    public var paths: [String]
    /// Database names, each dumped by a postgres source: restored with the service.
    public var databases: [String]
    /// Never stopped by a restore: the database server, which the databases are restored
    /// through. It is still started (when it is not running) and checked in its tier.
    public var keepRunning: Bool

    public init(name: String, priority: Priority, control: Control, timeout: Duration = .seconds(120),
                health: [HealthCheckSettings] = [], paths: [String] = [], databases: [String] = [], keepRunning: Bool = false) {
        self.name = name
        self.priority = priority
        self.control = control
        self.timeout = timeout
        self.health = health
        self.paths = paths
        self.databases = databases
        self.keepRunning = keepRunning
    }
}

/// One probe of a service's health, tried `retries` more times (the waits growing from 0.1 s to
/// `interval`), each try given `timeout`: the whole check ends within (retries + 1) × (timeout + interval).
public struct HealthCheckSettings: Sendable, Equatable {
    public enum Probe: Sendable, Equatable {
        /// A GET that must answer `status` and, when given, contain `body`.
        case http(url: String, status: Int, body: String?)
        /// A TCP connection that must be accepted.
        case tcp(host: String, port: Int)
        /// A command that must exit 0.
        case command(String)
    }

    public var probe: Probe
    public var timeout: Duration
    public var retries: Int
    public var interval: Duration

    public init(probe: Probe, timeout: Duration = .seconds(5), retries: Int = 10, interval: Duration = .seconds(2)) {
        self.probe = probe
        self.timeout = timeout
        self.retries = retries
        self.interval = interval
    }

    /// For messages: `http http://…`, `tcp host:port`, `command …`.
    public var label: String {
        switch probe {
        case .http(let url, _, _): "http \(url)"
        case .tcp(let host, let port): "tcp \(host):\(port)"
        case .command(let command): "command \(command)"
        }
    }
}

/// `drill`: the monthly restore test (`silo drill`): where its sandbox goes, how often it is
/// scheduled, and the smoke commands run against what it restored.
public struct DrillSettings: Sendable, Equatable {
    public static let defaultCadence = Cadence("monthly")!

    public var cadence: Cadence
    /// The sandbox's parent; nil: the state directory's `drill/`.
    public var scratch: String?
    /// Run in order after the restore and its verification, with `SILO_DRILL_ROOT` and
    /// `SILO_DRILL_DB_<NAME>` in their environment; any failure fails the drill.
    public var smoke: [Hook]

    public init(cadence: Cadence = DrillSettings.defaultCadence, scratch: String? = nil, smoke: [Hook] = []) {
        self.cadence = cadence
        self.scratch = scratch
        self.smoke = smoke
    }
}
