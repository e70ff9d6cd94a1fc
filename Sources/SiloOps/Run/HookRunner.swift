import CLinux
import Foundation
import SiloConfig
import SiloStorage

/// How a hook ended.
public enum HookResult: Sendable, Equatable {
    case succeeded
    /// Exit 75 (EX_TEMPFAIL): a `before` hook's way of saying "skip this, it is not an error".
    case skipRequested
    /// Any other non-zero exit, or killed by a signal (128 + the signal).
    case failed(status: Int32)
    /// Outlived its timeout and was killed, with everything it started.
    case timedOut
    /// The hook could not be started at all.
    case notStarted(String)

    public var description: String {
        switch self {
        case .succeeded: "succeeded"
        case .skipRequested: "exited \(Hook.skipExitStatus): skip requested"
        case .failed(let status): status > 128 ? "was killed by signal \(status - 128)" : "exited with status \(status)"
        case .timedOut: "timed out"
        case .notStarted(let reason): "could not be started: \(reason)"
        }
    }
}

/// Runs hooks with `/bin/sh -c`, in a process group of their own: on a timeout the whole group
/// gets SIGTERM and, 5 s later, SIGKILL (a hook's `sleep` or `pg_ctl` dies with its shell). Its
/// standard output goes to silo's standard error, so that `--json` output stays parsable.
public enum HookRunner {
    /// How long a hook has between SIGTERM and SIGKILL.
    static let killGrace: TimeInterval = 5

    /// `environment` is added to silo's own (e.g. `SILO_SOURCE`, `SILO_ERROR`).
    public static func run(_ hook: Hook, environment: [String: String]) -> HookResult {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO)
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        silo_spawnattr_hook(&attributes)

        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        // A hook is the user's own command, but silo's password never reaches it.
        let visible = merged.filter { !["SILO_PASSWORD", "SILO_TO_PASSWORD", "SILO_FROM_PASSWORD"].contains($0.key) }
        let words: [String] = ["/bin/sh", "-c", hook.command]
        let argv = words.map { strdup($0) } + [nil]
        let envp = visible.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard spawned == 0 else { return .notStarted(String(cString: strerror(spawned))) }
        // An interrupted run ends its hook too: the hook's group does not get the terminal's Ctrl-C.
        let group = pid
        let token = InterruptCleanup.shared.register(.leases) { kill(-group, SIGKILL) }
        defer { InterruptCleanup.shared.unregister(token) }

        let deadline = Date().addingTimeInterval(Double(hook.timeout.components.seconds))
        var status: Int32 = 0
        var killedAt: Date?
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { return .failed(status: 1) }
            let now = Date()
            if let killedAt {
                if now.timeIntervalSince(killedAt) > killGrace { kill(-group, SIGKILL) }
            } else if now >= deadline {
                kill(-group, SIGTERM)
                killedAt = now
            }
            usleep(20_000)
        }
        if killedAt != nil { kill(-group, SIGKILL) }
        // A hook that ended by itself keeps what it started in the background (a daemon it
        // launched on purpose); only a timed-out hook's group is killed whole.
        if killedAt != nil { return .timedOut }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        switch code {
        case 0: return .succeeded
        case Hook.skipExitStatus: return .skipRequested
        default: return .failed(status: code)
        }
    }
}
