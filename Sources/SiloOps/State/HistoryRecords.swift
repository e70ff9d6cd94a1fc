import Foundation

/// What started a run.
public enum RunTrigger: String, Sendable, CaseIterable {
    case manual
    case schedule
}

/// What a run was: stored by name in `runs.command`.
public enum RunCommand: String, Sendable, CaseIterable {
    /// `silo run`: backups, retention, copies, checks.
    case run
    /// `silo restore --system` (and its `--resume`, `--rollback`).
    case restore
    /// `silo drill`.
    case drill
}

/// How a run ended (or that it has not): stored by name in `runs.status`.
public enum RunStatus: String, Sendable, CaseIterable {
    case running
    case succeeded
    /// Finished, but some source files could not be read (exit 3): the snapshots exist.
    case partial
    case failed
    /// A before-hook asked to skip the run (exit 75); neither a success nor a failure.
    case skipped
    /// Stopped by SIGINT or SIGTERM.
    case interrupted
    /// Another run of the same configuration held the run lock (exit 11); nothing was done.
    case lockHeld = "lock_held"
    /// The configuration could not be read or is invalid; nothing was done.
    case configError = "config_error"
    /// Left `running` by a process that is gone (killed, machine lost). Never written by the
    /// run itself: derived when read, or written by `RunHistory.markCrashed`.
    case crashed

    /// A snapshot (or whatever the run was for) came of it: succeeded or partial.
    public var isSuccess: Bool { self == .succeeded || self == .partial }
    /// Counts towards consecutive failures: failed, interrupted, lock_held, config_error,
    /// crashed. `skipped` and `running` count neither way.
    public var isFailure: Bool { [.failed, .interrupted, .lockHeld, .configError, .crashed].contains(self) }
}

/// The kind of a step of a run: stored by name in `steps.kind`.
public enum StepKind: String, Sendable, CaseIterable {
    case hook, backup, dump, forget, prune, copy, check
    /// A step of a system restore or a drill (plan, verify, stop, databases, files, start, smoke).
    case restore
    /// The configuration (secrets removed) and the run history saved into the repository, for
    /// `silo config recover` on a bare machine.
    case configuration

    /// The kinds whose `name` is a source of the configuration (a file source or a database).
    public static let sourceKinds: [StepKind] = [.backup, .dump]
}

/// How a step ended: stored by name in `steps.status`.
public enum StepStatus: String, Sendable, CaseIterable {
    case running, succeeded, partial, failed, skipped, interrupted
    /// Left `running` in a run that crashed (derived when read, or written by `markCrashed`).
    case crashed

    public var isSuccess: Bool { self == .succeeded || self == .partial }
    public var isFailure: Bool { self == .failed || self == .interrupted || self == .crashed }
}

/// One run as recorded.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64
    /// The configuration file's path (absolute) or name.
    public var configuration: String
    public var trigger: RunTrigger
    public var process: ProcessIdentity
    public var started: Date
    public var ended: Date?
    /// The last time the run wrote to the history (begin/end of a step, `touch`).
    public var updated: Date
    /// As read: a `running` run whose process is gone reads as `crashed`.
    public var status: RunStatus
    public var exitCode: Int32?
    public var error: String?
    /// The run's summary, a JSON object's text, as the run wrote it.
    public var summary: String?
    public var command: RunCommand = .run

    public var duration: TimeInterval? { ended.map { $0.timeIntervalSince(started) } }
}

/// One step of a run as recorded.
public struct StepRecord: Sendable, Equatable {
    public var id: Int64
    public var run: Int64
    public var kind: StepKind
    /// The source's name (backup, dump), the target's (copy, check, prune, forget: the
    /// repository's or off-site copy's name) or the hook's; empty when there is none.
    public var name: String
    public var started: Date
    public var ended: Date?
    /// As read: a `running` step of a crashed run reads as `crashed`.
    public var status: StepStatus
    public var snapshot: String?
    /// Plaintext bytes added to the repository.
    public var bytesAdded: Int64?
    /// Bytes added as stored (compressed, encrypted).
    public var bytesAddedStored: Int64?
    public var storageRequests: Int64?
    public var error: String?
    /// Details, a JSON object's text, as the step wrote them.
    public var details: String?

    public var duration: TimeInterval? { ended.map { $0.timeIntervalSince(started) } }
}

/// What a step ended with.
public struct StepOutcome: Sendable, Equatable {
    public var status: StepStatus
    public var snapshot: String?
    public var bytesAdded: Int64?
    public var bytesAddedStored: Int64?
    public var storageRequests: Int64?
    public var error: String?
    /// A JSON object's text (validated when written).
    public var details: String?

    public init(status: StepStatus, snapshot: String? = nil, bytesAdded: Int64? = nil, bytesAddedStored: Int64? = nil,
                storageRequests: Int64? = nil, error: String? = nil, details: String? = nil) {
        self.status = status
        self.snapshot = snapshot
        self.bytesAdded = bytesAdded
        self.bytesAddedStored = bytesAddedStored
        self.storageRequests = storageRequests
        self.error = error
        self.details = details
    }
}

/// Which runs `RunHistory.runs(_:)` returns. Every field narrows; the default is every run.
public struct RunQuery: Sendable, Equatable {
    public var configuration: String?
    /// Runs started at or after this time.
    public var from: Date?
    /// Runs started before this time.
    public var until: Date?
    /// Only runs with a backup or dump step of this source.
    public var source: String?
    /// Only runs that did not fully succeed: a failure status or `partial`; with `source`,
    /// only runs whose step for that source failed or was partial.
    public var failedOnly = false
    /// The newest this many (still returned oldest first); nil for all.
    public var limit: Int?

    public init(configuration: String? = nil, from: Date? = nil, until: Date? = nil, source: String? = nil,
                failedOnly: Bool = false, limit: Int? = nil) {
        self.configuration = configuration
        self.from = from
        self.until = until
        self.source = source
        self.failedOnly = failedOnly
        self.limit = limit
    }
}
