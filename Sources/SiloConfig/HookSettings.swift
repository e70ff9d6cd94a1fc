/// `hooks`: commands around a run (top level) or around one source's backup (`sources.X.hooks`).
///
/// A `before` hook that exits 75 (EX_TEMPFAIL) skips the run, or that source, without an error
/// (borgmatic's convention: "nothing to do now", e.g. a maintenance window). Any other non-zero
/// exit of a `before` hook fails the run and runs the `on_failure` hooks. `after` hooks run only
/// after success, `on_failure` hooks only after a failure.
public struct HookSettings: Sendable, Equatable {
    public var before: [Hook] = []
    public var after: [Hook] = []
    public var onFailure: [Hook] = []

    public init(before: [Hook] = [], after: [Hook] = [], onFailure: [Hook] = []) {
        self.before = before
        self.after = after
        self.onFailure = onFailure
    }

    public var isEmpty: Bool { before.isEmpty && after.isEmpty && onFailure.isEmpty }
}

/// One command, run with `/bin/sh -c`, killed when it outlives its timeout.
public struct Hook: Sendable, Equatable {
    public static let defaultTimeout = "10m"
    /// The exit status by which a `before` hook asks to skip without an error.
    public static let skipExitStatus: Int32 = 75

    public var command: String
    public var timeout: Duration
    /// The spelling of `timeout`, for output.
    public var timeoutSpelling: String

    public init(command: String, timeout: String = Hook.defaultTimeout) {
        self.command = command
        self.timeoutSpelling = timeout
        self.timeout = Cadence.duration(timeout) ?? .seconds(600)
    }
}
