/// The whole configuration file (docs/CONFIG.md), as loaded: interpolated, defaults filled in,
/// paths absolute. `ConfigurationLoader` makes one; nothing else needs the YAML.
public struct Configuration: Sendable, Equatable {
    /// Where it was read from (for messages and `config show`).
    public var file: String
    public var repository: RepositorySettings
    public var copies: [CopySettings]
    /// In the file's order.
    public var sources: [SourceSettings]
    public var retention: RetentionSettings
    public var checks: CheckSettings
    /// Hooks around the whole run.
    public var hooks: HookSettings
    public var state: StateSettings
    /// Thresholds of `silo monitor`; the check ages filled from `checks` when loaded.
    public var monitoring: MonitoringSettings
    /// Where alerts go, and how they escalate; no channels when the section is absent.
    public var notifications: NotificationSettings
    /// In the file's order (docs/RESTORE.md).
    public var services: [ServiceSettings]
    public var drill: DrillSettings
    /// Sections later layers read (`recovery`): accepted as mappings, kept as
    /// written (interpolated).
    public var reserved: [(name: String, value: ConfigValue)]

    public static let reservedSections = ["recovery"]

    public init(file: String, repository: RepositorySettings, copies: [CopySettings] = [], sources: [SourceSettings] = [],
                retention: RetentionSettings = RetentionSettings(), checks: CheckSettings = CheckSettings(),
                hooks: HookSettings = HookSettings(), state: StateSettings, monitoring: MonitoringSettings = MonitoringSettings(),
                notifications: NotificationSettings = NotificationSettings(), services: [ServiceSettings] = [],
                drill: DrillSettings = DrillSettings(), reserved: [(name: String, value: ConfigValue)] = []) {
        self.file = file
        self.repository = repository
        self.copies = copies
        self.sources = sources
        self.retention = retention
        self.checks = checks
        self.hooks = hooks
        self.state = state
        self.monitoring = monitoring
        self.notifications = notifications
        self.services = services
        self.drill = drill
        self.reserved = reserved
    }

    public func source(named name: String) -> SourceSettings? { sources.first { $0.name == name } }
    public func service(named name: String) -> ServiceSettings? { services.first { $0.name == name } }

    public static func == (lhs: Configuration, rhs: Configuration) -> Bool {
        lhs.file == rhs.file && lhs.repository == rhs.repository && lhs.copies == rhs.copies && lhs.sources == rhs.sources
            && lhs.retention == rhs.retention && lhs.checks == rhs.checks && lhs.hooks == rhs.hooks && lhs.state == rhs.state
            && lhs.monitoring == rhs.monitoring && lhs.notifications == rhs.notifications
            && lhs.services == rhs.services && lhs.drill == rhs.drill
            && lhs.reserved.map(\.name) == rhs.reserved.map(\.name) && lhs.reserved.map(\.value) == rhs.reserved.map(\.value)
    }
}
