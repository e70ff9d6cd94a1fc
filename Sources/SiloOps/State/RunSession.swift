import Foundation

/// What `silo run` does around its work, in the order that keeps the history honest:
/// take the run lock (a held lock is recorded as a `lock_held` run and rethrown), mark runs
/// left `running` by dead processes as crashed (only the lock holder may say so for sure),
/// begin the run; at the end, end it, apply the history's retention, release the lock.
public final class RunSession: @unchecked Sendable {
    public let history: RunHistory
    public let run: Int64
    /// The configuration's key in the history (`ConfigurationIdentity.key`).
    public let configurationKey: String
    /// The runs `start` found crashed (their processes gone) and marked so.
    public let crashed: [Int64]
    private let lock: RunLock?
    private let retentionDays: Int
    private var finished = false

    private init(history: RunHistory, run: Int64, configurationKey: String, crashed: [Int64], lock: RunLock?, retentionDays: Int) {
        self.history = history
        self.run = run
        self.configurationKey = configurationKey
        self.crashed = crashed
        self.lock = lock
        self.retentionDays = retentionDays
    }

    /// Starts a run of `configuration`. Throws `RunLockHeld` (after recording the attempt as
    /// `lock_held` with `lockHeldExitCode`) when another run of it holds the lock. `now` is
    /// for tests.
    /// A drill (`takesLock` false) runs beside backups: it touches nothing live.
    public static func start(configuration: String, trigger: RunTrigger, command: RunCommand = .run, takesLock: Bool = true,
                             in directory: StateDirectory,
                             retentionDays: Int = RunHistory.defaultRetentionDays, lockHeldExitCode: Int32 = 11,
                             process: ProcessIdentity = .current,
                             now: @escaping @Sendable () -> Date = { Date() }) throws -> RunSession {
        let key = ConfigurationIdentity.key(for: configuration)
        let history = try RunHistory(directory: directory, now: now)
        var lock: RunLock?
        if takesLock {
            do {
                lock = try RunLock.acquire(configuration: key, in: directory, process: process, now: now)
            } catch let held as RunLockHeld {
                if command == .run {
                    try history.recordFailedRun(configuration: key, trigger: trigger, status: .lockHeld, exitCode: lockHeldExitCode,
                                                error: held.description, process: process)
                }
                throw held
            }
        }
        // Only the lock holder may say for sure that a run's process is gone.
        let crashed = lock == nil ? [] : try history.markCrashed()
        let run = try history.beginRun(configuration: key, trigger: trigger, command: command, process: process)
        return RunSession(history: history, run: run, configurationKey: key, crashed: crashed, lock: lock, retentionDays: retentionDays)
    }

    public func beginStep(_ kind: StepKind, name: String) throws -> Int64 {
        try history.beginStep(run: run, kind: kind, name: name)
    }

    public func endStep(_ step: Int64, _ outcome: StepOutcome) throws {
        try history.endStep(step, outcome)
    }

    /// Records the run as interrupted by `signal` (SIGINT, SIGTERM), from the signal thread while
    /// the run's own thread may still be writing: on a connection of its own, so the two never
    /// share a transaction. The lock goes with the process.
    public func recordInterruption(signal: Int32, now: @escaping @Sendable () -> Date) {
        guard let history = try? RunHistory(path: history.path, now: now) else { return }
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        try? history.endRun(run, status: .interrupted, exitCode: 128 + signal, error: "interrupted by \(name)")
    }

    /// Ends the run, deletes history older than the retention (never the last successes),
    /// and releases the lock — the lock even when writing the history fails.
    public func finish(status: RunStatus, exitCode: Int32?, error: String? = nil, summary: String? = nil) throws {
        guard !finished else { return }
        finished = true
        defer { lock?.release() }
        try history.endRun(run, status: status, exitCode: exitCode, error: error, summary: summary)
        try history.deleteRuns(olderThanDays: retentionDays)
    }
}
