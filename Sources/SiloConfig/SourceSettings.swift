/// One of `sources`: what one snapshot series holds, and how often it is taken.
public struct SourceSettings: Sendable, Equatable {
    /// The seed's promise: a backup every 4 hours.
    public static let defaultCadence = Cadence("4h")!

    /// `[a-z0-9_-]+`: it names the source in history, metrics, retention overrides and alerts.
    public var name: String
    public var kind: Kind
    public var tags: [String]
    public var cadence: Cadence
    /// Hooks around this source's backup only.
    public var hooks: HookSettings

    public enum Kind: Sendable, Equatable {
        case paths(PathSource)
        case postgres(PostgresSource)
    }

    public init(name: String, kind: Kind, tags: [String] = [], cadence: Cadence = SourceSettings.defaultCadence, hooks: HookSettings = HookSettings()) {
        self.name = name
        self.kind = kind
        self.tags = tags
        self.cadence = cadence
        self.hooks = hooks
    }
}

/// Files and directories, with `silo backup`'s selection options.
public struct PathSource: Sendable, Equatable {
    /// Absolute (a relative path in the file is taken from the file's directory).
    public var paths: [String]
    public var exclude: [String] = []
    public var excludeFiles: [String] = []
    public var oneFileSystem = false
    /// Directories holding a file of one of these names are left out (borg's `--exclude-if-present`).
    public var excludeIfPresent: [String] = []
    /// Leave out directories tagged with a `CACHEDIR.TAG` file.
    public var excludeCaches = false

    public init(paths: [String]) { self.paths = paths }
}

/// A PostgreSQL server's database (or, without `/DB`, every database), dumped consistently.
public struct PostgresSource: Sendable, Equatable {
    /// `postgresql://USER@HOST:PORT/DB`, as `backup --postgres` takes it.
    public var url: String
    public var password: DatabasePassword?

    public init(url: String, password: DatabasePassword?) {
        self.url = url
        self.password = password
    }
}

/// How the database password reaches `pg_dump`; never through argv.
public enum DatabasePassword: Sendable, Equatable {
    /// The value itself, normally `${DB_PASSWORD}` in the file (interpolated at load).
    case value(String)
    /// A file holding it; mode 0600 or stricter.
    case file(String)
    /// The name of an environment variable read when the dump runs (the seed's `DB_PASSWORD`).
    case environment(String)
}
