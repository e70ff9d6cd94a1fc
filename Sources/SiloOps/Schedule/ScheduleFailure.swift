import Foundation

/// What `silo schedule failed` (started by systemd's `OnFailure=` when silo.service fails)
/// records: a failed scheduled run, so that the history — and monitoring, which reads it —
/// shows a run that failed before silo could record anything (a missing binary, a unit
/// error, a kill). An outcome silo run recorded itself (a failure, a partial run) is not doubled.
public enum ScheduleFailure {
    /// A failure of the configuration that ended this recently is taken to be the one
    /// systemd reports (a run records its failure just before it exits).
    public static let sameFailureWindow: TimeInterval = 15 * 60

    public enum Outcome: Sendable, Equatable {
        case recorded(run: Int64)
        /// The newest run already is this failure.
        case alreadyRecorded(run: Int64)
    }

    /// The error the history records for `unit`.
    public static func message(unit: String, scope: ScheduleScope) -> String {
        "systemd unit \(unit) failed; see journalctl\(scope == .user ? " --user" : "") -u \(unit)"
    }

    /// A run's own record of an outcome that fails the unit: every status but a success, a
    /// skip (both exit 0) and a live run (someone else's, still going). `partial` counts: its
    /// exit code 3 fails the unit, though the run's snapshots exist.
    static func recordsAFailedUnit(_ status: RunStatus) -> Bool {
        status != .succeeded && status != .skipped && status != .running
    }

    /// Records the failure of `unit` for the configuration `file`, unless the newest run of
    /// that configuration recorded a failing outcome itself (`recordsAFailedUnit`) and ended
    /// (or, crashed, was last heard of) within `sameFailureWindow` before `now`.
    public static func record(configurationFile file: String, unit: String, scope: ScheduleScope, in history: RunHistory,
                              now: Date = Date()) throws -> Outcome {
        let key = ConfigurationIdentity.key(for: file)
        if let last = try history.lastRun(configuration: key), recordsAFailedUnit(last.status),
           now.timeIntervalSince(last.ended ?? last.updated) < sameFailureWindow {
            return .alreadyRecorded(run: last.id)
        }
        let run = try history.recordFailedRun(configuration: key, trigger: .schedule, status: .failed, exitCode: nil,
                                              error: message(unit: unit, scope: scope))
        return .recorded(run: run)
    }
}
