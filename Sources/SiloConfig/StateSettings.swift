/// `state`: the local database of what the repository cannot give back (run history, alert
/// states); `/var/lib/silo` for root, else `$XDG_STATE_HOME/silo` (`~/.local/state/silo`).
public struct StateSettings: Sendable, Equatable {
    /// Over a year: retention compliance (12 monthly snapshots) and trends are judged from it.
    public static let defaultHistoryDays = 400

    public var directory: String
    /// Run history older than this is deleted.
    public var historyDays: Int

    public init(directory: String, historyDays: Int = StateSettings.defaultHistoryDays) {
        self.directory = directory
        self.historyDays = historyDays
    }

    /// The default directory for this user and environment.
    public static func defaultDirectory(isRoot: Bool, environment: [String: String]) -> String {
        if isRoot { return "/var/lib/silo" }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/silo" }
        return (environment["HOME"] ?? "/tmp") + "/.local/state/silo"
    }
}
