import Foundation

/// What tells a process apart beyond its PID: the boot (PIDs start again at every boot), the
/// PID namespace (a container's PID 32001 names nothing, or someone else, on its host) and the
/// process's start time (PIDs are reused). A lease's PID is trusted to say "its holder is gone"
/// only when all of these match the reader's own (`Lease.isStale`).
public struct ProcessIdentity: Sendable, Equatable {
    public var bootID: String
    public var pidNamespace: String
    public var pid: Int32
    /// Clock ticks after boot at which the process started (`/proc/PID/stat`, field 22).
    public var startTicks: UInt64?

    /// This process; nil where `/proc` does not tell the boot or the namespace.
    public static let current: ProcessIdentity? = {
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !boot.isEmpty,
            let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") else { return nil }
        return ProcessIdentity(bootID: boot, pidNamespace: namespace, pid: getpid(),
                               startTicks: procShowsOwnNamespace ? startTicks(of: getpid()) : nil)
    }()

    /// Whether `/proc` is mounted for this process's PID namespace: after `unshare --pid`
    /// without `--mount-proc` it still shows the host's processes, whose numbers differ.
    static let procShowsOwnNamespace: Bool = {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let pid = Int32(stat.prefix { $0 != " " }) else { return false }
        return pid == getpid()
    }()

    /// The start time of process `pid`, nil when it does not exist.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses) come fields 3, 4, …
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Whether the process this identity was taken from is gone. Asked only of identities from
    /// the same boot and PID namespace; a reused PID counts as gone.
    func isGone() -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        if let startTicks, Self.procShowsOwnNamespace, let now = Self.startTicks(of: pid), now != startTicks { return true }
        return false
    }
}
