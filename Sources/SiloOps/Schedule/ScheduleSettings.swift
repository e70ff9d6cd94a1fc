import Foundation
import SiloConfig

/// For whom a schedule is installed: the system (root's units in /etc/systemd/system,
/// /etc/cron.d) or the user running `silo schedule` (the user's systemd manager).
public enum ScheduleScope: String, Sendable, Equatable {
    case system
    case user
}

/// What a schedule unit runs and what it may write: everything the renderers need, taken
/// from a loaded configuration once, so that the renderers are pure.
public struct ScheduleSettings: Sendable, Equatable {
    /// Absolute path of the silo binary the units run.
    public var siloBinary: String
    /// Absolute path of the configuration file.
    public var configurationFile: String
    public var scope: ScheduleScope
    public var cadence: ScheduleCadence
    /// `ReadWritePaths=` entries as systemd reads them (`%h` allowed): the local
    /// repositories, the cache, the state directory and `monitoring.textfile`. `ProtectSystem=strict` makes
    /// everything else read-only.
    public var writablePaths: [String]
    /// The cache directory the configuration names; nil: silo's default for the scope.
    public var configuredCache: String?
    /// The state directory, for the failure unit (it writes only there).
    public var stateDirectory: String

    public init(siloBinary: String, configurationFile: String, scope: ScheduleScope, cadence: ScheduleCadence,
                writablePaths: [String], configuredCache: String?, stateDirectory: String) {
        self.siloBinary = siloBinary
        self.configurationFile = configurationFile
        self.scope = scope
        self.cadence = cadence
        self.writablePaths = writablePaths
        self.configuredCache = configuredCache
        self.stateDirectory = stateDirectory
    }

    /// The settings for `configuration` (loaded from `configuration.file`).
    public init(configuration: Configuration, siloBinary: String, scope: ScheduleScope) {
        let cache = configuration.repository.cacheDirectory
        var paths: [String] = []
        for location in [configuration.repository.location] + configuration.copies.map(\.location) {
            if let directory = ScheduleSettings.localDirectory(location) { paths.append(SystemdUnits.escapedPath(ScheduleSettings.absolute(directory))) }
        }
        if let cache {
            paths.append(SystemdUnits.escapedPath(ScheduleSettings.absolute(cache)))
        } else {
            // silo's default cache ($XDG_CACHE_HOME/silo, else ~/.cache/silo) as the unit runs it.
            paths.append(scope == .user ? "%h/.cache/silo" : "/root/.cache/silo")
        }
        paths.append(SystemdUnits.escapedPath(ScheduleSettings.absolute(configuration.state.directory)))
        if let textfile = configuration.monitoring.textfileDirectory {
            // silo run writes the Prometheus textfile there at its end; node_exporter's directory, never created here.
            paths.append(SystemdUnits.escapedPath(ScheduleSettings.absolute(textfile)))
        }
        if let scratch = configuration.drill.scratch {
            // The drill's sandbox, when it is not the state directory's drill/.
            paths.append(SystemdUnits.escapedPath(ScheduleSettings.absolute(scratch)))
        }
        var unique: [String] = []
        for path in paths where !unique.contains(path) { unique.append(path) }
        self.init(siloBinary: siloBinary, configurationFile: ScheduleSettings.absolute(configuration.file), scope: scope,
                  cadence: ScheduleCadence.shortest(in: configuration), writablePaths: unique,
                  configuredCache: cache.map(ScheduleSettings.absolute), stateDirectory: ScheduleSettings.absolute(configuration.state.directory))
        drillCalendar = ScheduleCalendar(cadence: configuration.drill.cadence)
        drillsSystem = !configuration.services.isEmpty
    }

    /// When the restore drill runs (`drill.cadence`).
    public var drillCalendar: ScheduleCalendar = .monthly
    /// `silo drill --system` when the configuration has services, else every source.
    public var drillsSystem = false

    /// The directory of a repository on this machine's file system (a path, or `local:PATH`);
    /// nil for `s3:` and any other `scheme:` location, which needs nothing writable here.
    public static func localDirectory(_ location: String) -> String? {
        if location.hasPrefix("local:") { return String(location.dropFirst("local:".count)) }
        if location.hasPrefix("/") || location.hasPrefix(".") { return location }
        guard let colon = location.firstIndex(of: ":") else { return location }
        return location[..<colon].contains("/") ? location : nil
    }

    public static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    /// The command line a firing runs.
    public var runArguments: [String] { [siloBinary, "run", "--config", configurationFile, "--scheduled"] }

    /// The command line of the monitor's firings: checks, and the alerts escalation decides.
    public var monitorArguments: [String] { [siloBinary, "monitor", "--config", configurationFile, "--notify", "--quiet"] }

    /// The command line of the drill's firings; `--quiet`: only a failure says anything (and cron mails it).
    public var drillArguments: [String] { [siloBinary, "drill", "--config", configurationFile, "--scheduled", "--quiet"] + (drillsSystem ? ["--system"] : []) }
}

/// The first line of every file `silo schedule install` writes: how `install` knows it may
/// replace a file and `remove` that it may delete it.
public enum ScheduleMarker {
    public static let prefix = "# Generated by silo schedule install"

    public static func header(_ settings: ScheduleSettings) -> String {
        "\(prefix) from \(settings.configurationFile); `silo schedule remove` deletes it.\n"
            + "# Edits are lost at the next install: change the configuration, then run `silo schedule install --force`.\n"
    }

    /// The text was written by `silo schedule install`.
    public static func isGenerated(_ text: String) -> Bool {
        text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).prefix(3).contains { $0.hasPrefix(prefix) }
    }
}
