import Foundation

/// Where silo keeps what the repository cannot give back (run history, alert states,
/// escalation timers, the system-restore journal): not a cache, never deleted by silo.
///
/// Resolution, first that applies: an explicit directory (`--state-dir`), `SILO_STATE_DIR`,
/// the configuration's `state.directory`, then `/var/lib/silo` for root, else
/// `$XDG_STATE_HOME/silo`, else `~/.local/state/silo`.
public struct StateDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static func resolve(explicit: String? = nil, configured: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               isRoot: Bool = geteuid() == 0) -> StateDirectory {
        if let explicit, !explicit.isEmpty { return StateDirectory(path: explicit) }
        if let variable = environment["SILO_STATE_DIR"], !variable.isEmpty { return StateDirectory(path: variable) }
        if let configured, !configured.isEmpty { return StateDirectory(path: configured) }
        if isRoot { return StateDirectory(path: "/var/lib/silo") }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return StateDirectory(path: xdg + "/silo") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return StateDirectory(path: home + "/.local/state/silo")
    }

    /// A file in the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public var exists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Creates the directory (and missing parents) with mode 0700. An existing directory
    /// keeps its mode: an administrator may have chosen it.
    public func create() throws {
        if exists { return }
        var missing: [String] = []
        var current = (path as NSString).standardizingPath
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw OpsError(.state, "cannot create the state directory \(directory): \(String(cString: strerror(errno)))")
            }
            // mkdir's mode is masked by the umask; 0700 is wanted whatever the umask.
            chmod(directory, 0o700)
        }
        guard exists else { throw OpsError(.state, "the state directory \(path) is not a directory") }
    }
}
