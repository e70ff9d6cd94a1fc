import Foundation

/// The run history: every `silo run` and each of its steps, in `history.sqlite` in the state
/// directory. Written by the run; read by `silo history`, and designed for the readers to come
/// (monitoring: last run and last success kept apart, per source; escalation: consecutive
/// failures; drills and due-ness: when a step kind last succeeded for a target).
///
/// Several processes may use one file at once (a run writing, `silo history` reading): SQLite's
/// WAL mode and a busy timeout serialize them.
public final class RunHistory: @unchecked Sendable {
    public static let fileName = "history.sqlite"
    /// How long a run of another host may stay silent (no step begun or ended, no `touch`)
    /// before it reads as crashed; a run of this host is judged by its process instead.
    public static let defaultStaleAfter: TimeInterval = 24 * 3600
    /// Days of history kept when the configuration does not say.
    public static let defaultRetentionDays = 90

    public let path: String
    /// Shared with the alert ledger (same file, same migrations).
    let db: StateDatabase
    let now: @Sendable () -> Date
    private let staleAfter: TimeInterval

    /// Opens (creating and migrating) the history in `directory`, creating the directory 0700.
    /// `now` is for tests (a simulated clock); the default is the system clock.
    public convenience init(directory: StateDirectory, staleAfter: TimeInterval = RunHistory.defaultStaleAfter,
                            now: @escaping @Sendable () -> Date = { Date() }) throws {
        try directory.create()
        try self.init(path: directory.file(RunHistory.fileName), staleAfter: staleAfter, now: now)
    }

    /// Opens (creating and migrating) the history file at `path`. `now` is for tests.
    public init(path: String, staleAfter: TimeInterval = RunHistory.defaultStaleAfter,
                now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.path = path
        self.now = now
        self.staleAfter = staleAfter
        db = try StateDatabase(path: path)
        try db.migrate(Self.migrations, now: now())
    }

    /// The names of the migrations applied, in order (for tests and `silo history --json`'s readers).
    public func appliedMigrations() throws -> [String] {
        try db.query("SELECT name FROM migrations ORDER BY name").map { $0.text(0) }
    }

    // MARK: Writing

    /// Records the start of a run; its status is `running` until `endRun`.
    public func beginRun(configuration: String, trigger: RunTrigger, command: RunCommand = .run, process: ProcessIdentity = .current) throws -> Int64 {
        let time = Self.milliseconds(now())
        return try db.transaction {
            try db.query("""
                INSERT INTO runs(configuration, trigger, host, pid, pid_start, started, updated, status, command)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 'running', ?7)
                """, [.text(configuration), .text(trigger.rawValue), .text(process.host), .int(Int64(process.pid)),
                      .optional(process.startTicks), .int(time), .text(command.rawValue)])
            return db.lastInsertRowID
        }
    }

    /// Records a run that ended before doing anything — a bad configuration, a held lock, a
    /// wrong password — in one call: started and ended now.
    @discardableResult
    public func recordFailedRun(configuration: String, trigger: RunTrigger, status: RunStatus, exitCode: Int32?,
                                error: String, process: ProcessIdentity = .current) throws -> Int64 {
        guard status != .running, status != .crashed else {
            throw OpsError(.invalidArgument, "a run recorded as failed before it began cannot be \(status.rawValue)")
        }
        let time = Self.milliseconds(now())
        return try db.transaction {
            try db.query("""
                INSERT INTO runs(configuration, trigger, host, pid, pid_start, started, ended, updated, status, exit_code, error)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6, ?7, ?8, ?9)
                """, [.text(configuration), .text(trigger.rawValue), .text(process.host), .int(Int64(process.pid)),
                      .optional(process.startTicks), .int(time), .text(status.rawValue), .optional(exitCode.map(Int64.init)), .text(error)])
            return db.lastInsertRowID
        }
    }

    /// Records the start of a step of a running run.
    public func beginStep(run: Int64, kind: StepKind, name: String) throws -> Int64 {
        let time = Self.milliseconds(now())
        return try db.transaction {
            try db.query("INSERT INTO steps(run, kind, name, started, status) VALUES (?1, ?2, ?3, ?4, 'running')",
                         [.int(run), .text(kind.rawValue), .text(name), .int(time)])
            let step = db.lastInsertRowID
            try db.query("UPDATE runs SET updated = ?2 WHERE id = ?1", [.int(run), .int(time)])
            guard db.changes == 1 else { throw OpsError(.invalidArgument, "no run \(run) in \(path)") }
            return step
        }
    }

    public func endStep(_ step: Int64, _ outcome: StepOutcome) throws {
        guard outcome.status != .running, outcome.status != .crashed else {
            throw OpsError(.invalidArgument, "a step cannot end as \(outcome.status.rawValue)")
        }
        try Self.checkJSON(outcome.details, "step details")
        let time = Self.milliseconds(now())
        try db.transaction {
            try db.query("""
                UPDATE steps SET ended = ?2, status = ?3, snapshot = ?4, bytes_added = ?5, bytes_added_stored = ?6,
                                 storage_requests = ?7, error = ?8, details = ?9
                WHERE id = ?1
                """, [.int(step), .int(time), .text(outcome.status.rawValue), .optional(outcome.snapshot), .optional(outcome.bytesAdded),
                      .optional(outcome.bytesAddedStored), .optional(outcome.storageRequests), .optional(outcome.error), .optional(outcome.details)])
            guard db.changes == 1 else { throw OpsError(.invalidArgument, "no step \(step) in \(path)") }
            try db.query("UPDATE runs SET updated = ?2 WHERE id = (SELECT run FROM steps WHERE id = ?1)", [.int(step), .int(time)])
        }
    }

    /// Records the end of a run. `summary` is a JSON object's text (the run's `--json` summary).
    public func endRun(_ run: Int64, status: RunStatus, exitCode: Int32?, error: String? = nil, summary: String? = nil) throws {
        guard status != .running, status != .crashed else {
            throw OpsError(.invalidArgument, "a run cannot end as \(status.rawValue)")
        }
        try Self.checkJSON(summary, "run summary")
        let time = Self.milliseconds(now())
        try db.transaction {
            try db.query("""
                UPDATE runs SET ended = ?2, updated = ?2, status = ?3, exit_code = ?4, error = ?5, summary = ?6 WHERE id = ?1
                """, [.int(run), .int(time), .text(status.rawValue), .optional(exitCode.map(Int64.init)), .optional(error), .optional(summary)])
            guard db.changes == 1 else { throw OpsError(.invalidArgument, "no run \(run) in \(path)") }
            // A step the run never ended (it failed in between) ends with the run.
            try db.query("UPDATE steps SET ended = ?2, status = ?3 WHERE run = ?1 AND status = 'running'",
                         [.int(run), .int(time), .text(status == .interrupted ? StepStatus.interrupted.rawValue : StepStatus.failed.rawValue)])
        }
    }

    /// The whole history as a database file's bytes, consistent even while runs write to it
    /// (`VACUUM INTO` reads one snapshot of the database): what a run saves into the repository.
    /// `excluding`: the run doing the saving, still `running`, which a restored history would
    /// otherwise show as crashed.
    public func consistentCopy(excluding run: Int64? = nil) throws -> Data {
        let copy = path + ".copy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { for suffix in ["", "-wal", "-shm"] { unlink(copy + suffix) } }
        try db.query("VACUUM INTO ?1", [.text(copy)])
        if let run {
            let copied = try StateDatabase(path: copy, scratch: true)
            try copied.transaction {
                try copied.query("DELETE FROM steps WHERE run = ?1", [.int(run)])
                try copied.query("DELETE FROM runs WHERE id = ?1", [.int(run)])
            }
        }
        guard let data = FileManager.default.contents(atPath: copy) else {
            throw OpsError(.state, "cannot read the copy of the run history made at \(copy)")
        }
        return data
    }

    /// Shows that a run is alive during a long step (a run of another host that stays silent
    /// for `staleAfter` reads as crashed).
    public func touch(_ run: Int64) throws {
        try db.query("UPDATE runs SET updated = ?2 WHERE id = ?1", [.int(run), .int(Self.milliseconds(now()))])
    }

    /// Writes `crashed` into every run that reads as crashed (and into its unfinished steps),
    /// with the time it was last heard of as its end; returns their IDs. `silo run` calls it
    /// once it holds the run lock, so the history says what happened to the run before.
    @discardableResult
    public func markCrashed() throws -> [Int64] {
        try db.transaction {
            let crashed = try db.query("SELECT \(Self.runColumns) FROM runs WHERE status = 'running'").map(readRun)
                .filter { $0.status == .crashed }
            for run in crashed {
                let message = "the run's process (pid \(run.process.pid) on \(run.process.host)) is gone: killed, or its machine stopped"
                try db.query("UPDATE runs SET status = 'crashed', ended = updated, error = coalesce(error, ?2) WHERE id = ?1",
                             [.int(run.id), .text(message)])
                try db.query("UPDATE steps SET status = 'crashed', ended = ?2 WHERE run = ?1 AND status = 'running'",
                             [.int(run.id), .int(Self.milliseconds(run.updated))])
            }
            return crashed.map(\.id)
        }
    }

    /// Deletes the runs (and their steps) that started more than `days` days ago, except what
    /// the readers still need however old it is: a run still running, the last successful run
    /// of each configuration, and the run of the last success of each (configuration, step
    /// kind, name) — the last backup of each source, the last prune, check and copy of each
    /// target, which decide what is due. Deliveries older than the cutoff go too. Returns how many
    /// runs were deleted.
    @discardableResult
    public func deleteRuns(olderThanDays days: Int) throws -> Int {
        guard days >= 0 else { throw OpsError(.invalidArgument, "the history's retention must be 0 days or more, not \(days)") }
        let cutoff = Self.milliseconds(now()) - Int64(days) * 86_400_000
        return try db.transaction {
            try db.query("CREATE TEMP TABLE IF NOT EXISTS kept(id INTEGER PRIMARY KEY)")
            try db.query("DELETE FROM temp.kept")
            try db.query("""
                INSERT OR IGNORE INTO temp.kept
                SELECT run FROM (SELECT s.run, row_number() OVER (PARTITION BY r.configuration, s.kind, s.name
                                                                   ORDER BY s.ended DESC, s.id DESC) AS n
                                 FROM steps s JOIN runs r ON r.id = s.run
                                 WHERE s.status IN ('succeeded', 'partial') AND s.kind != 'hook')
                WHERE n = 1
                """)
            try db.query("""
                INSERT OR IGNORE INTO temp.kept
                SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY configuration ORDER BY started DESC, id DESC) AS n
                                FROM runs WHERE status IN ('succeeded', 'partial'))
                WHERE n = 1
                """)
            let doomed = "SELECT id FROM runs WHERE started < ?1 AND status != 'running' AND id NOT IN (SELECT id FROM temp.kept)"
            try db.query("DELETE FROM steps WHERE run IN (\(doomed))", [.int(cutoff)])
            try db.query("DELETE FROM runs WHERE id IN (\(doomed))", [.int(cutoff)])
            let deleted = db.changes
            // Sends age out with the runs; alert states are current state, never old.
            try db.query("DELETE FROM deliveries WHERE time < ?1", [.int(cutoff)])
            try db.query("DELETE FROM temp.kept")
            return deleted
        }
    }

    // MARK: Reading

    /// The newest run (of `configuration`, or of any), whatever its status.
    public func lastRun(configuration: String? = nil) throws -> RunRecord? {
        try db.query("SELECT \(Self.runColumns) FROM runs WHERE (?1 IS NULL OR configuration = ?1) AND command = 'run' ORDER BY started DESC, id DESC LIMIT 1",
                     [.optional(configuration)]).first.map(readRun)
    }

    /// The newest run that succeeded (or was partial: its snapshots exist), kept apart from
    /// the last run: what "time since the last success" is measured from.
    public func lastSuccessfulRun(configuration: String? = nil) throws -> RunRecord? {
        try db.query("""
            SELECT \(Self.runColumns) FROM runs WHERE (?1 IS NULL OR configuration = ?1) AND status IN ('succeeded', 'partial') AND command = 'run'
            ORDER BY started DESC, id DESC LIMIT 1
            """, [.optional(configuration)]).first.map(readRun)
    }

    /// For each source (backup and dump steps by name), its last successful step: when it
    /// ended and the snapshot it made.
    public func lastSuccessfulBackups(configuration: String? = nil) throws -> [String: StepRecord] {
        let rows = try db.query("""
            SELECT * FROM (SELECT \(Self.stepColumns), row_number() OVER (PARTITION BY s.name ORDER BY s.ended DESC, s.id DESC) AS n
                           FROM steps s JOIN runs r ON r.id = s.run
                           WHERE s.kind IN ('backup', 'dump') AND s.status IN ('succeeded', 'partial')
                             AND (?1 IS NULL OR r.configuration = ?1))
            WHERE n = 1
            """, [.optional(configuration)])
        var result: [String: StepRecord] = [:]
        for step in rows.map(readStep) { result[step.name] = step }
        return result
    }

    /// For each source, its newest backup or dump step, whatever its status: when it last ran.
    public func lastBackups(configuration: String? = nil) throws -> [String: StepRecord] {
        let rows = try db.query("""
            SELECT * FROM (SELECT \(Self.stepColumns), row_number() OVER (PARTITION BY s.name ORDER BY s.started DESC, s.id DESC) AS n
                           FROM steps s JOIN runs r ON r.id = s.run
                           WHERE s.kind IN ('backup', 'dump') AND (?1 IS NULL OR r.configuration = ?1))
            WHERE n = 1
            """, [.optional(configuration)])
        var result: [String: StepRecord] = [:]
        for step in rows.map(readStep) { result[step.name] = step }
        return result
    }

    /// The steps of `kind` (and `name`, when given) that began at or after `since`, oldest first.
    public func steps(kind: StepKind, name: String? = nil, since: Date, configuration: String? = nil) throws -> [StepRecord] {
        try db.query("""
            SELECT \(Self.stepColumns) FROM steps s JOIN runs r ON r.id = s.run
            WHERE s.kind = ?1 AND (?2 IS NULL OR s.name = ?2) AND s.started >= ?3 AND (?4 IS NULL OR r.configuration = ?4)
            ORDER BY s.started, s.id
            """, [.text(kind.rawValue), .optional(name), .int(Self.milliseconds(since)), .optional(configuration)]).map(readStep)
    }

    /// The newest step of `kind` for `name`, whatever its status.
    public func lastStep(kind: StepKind, name: String?, configuration: String? = nil) throws -> StepRecord? {
        try db.query("""
            SELECT \(Self.stepColumns) FROM steps s JOIN runs r ON r.id = s.run
            WHERE s.kind = ?1 AND (?2 IS NULL OR s.name = ?2) AND s.status != 'running' AND (?3 IS NULL OR r.configuration = ?3)
            ORDER BY s.started DESC, s.id DESC LIMIT 1
            """, [.text(kind.rawValue), .optional(name), .optional(configuration)]).first.map(readStep)
    }

    /// When a step of `kind` for `name` last succeeded (or was partial): what decides whether a
    /// prune, a check or a copy is due. `name` nil matches any name.
    public func lastSuccess(kind: StepKind, name: String?, configuration: String? = nil) throws -> StepRecord? {
        try db.query("""
            SELECT \(Self.stepColumns) FROM steps s JOIN runs r ON r.id = s.run
            WHERE s.kind = ?1 AND (?2 IS NULL OR s.name = ?2) AND s.status IN ('succeeded', 'partial')
              AND (?3 IS NULL OR r.configuration = ?3)
            ORDER BY s.ended DESC, s.id DESC LIMIT 1
            """, [.text(kind.rawValue), .optional(name), .optional(configuration)]).first.map(readStep)
    }

    /// How many of the source's newest backup or dump steps failed (failed, interrupted,
    /// crashed) since its last success; skipped and running steps count neither way.
    public func consecutiveFailures(source: String, configuration: String? = nil) throws -> Int {
        let steps = try db.query("""
            SELECT \(Self.stepColumns) FROM steps s JOIN runs r ON r.id = s.run
            WHERE s.kind IN ('backup', 'dump') AND s.name = ?1 AND (?2 IS NULL OR r.configuration = ?2)
              AND s.started >= coalesce((SELECT max(s2.started) FROM steps s2 JOIN runs r2 ON r2.id = s2.run
                                         WHERE s2.kind IN ('backup', 'dump') AND s2.name = ?1
                                           AND s2.status IN ('succeeded', 'partial') AND (?2 IS NULL OR r2.configuration = ?2)), 0)
            ORDER BY s.started DESC, s.id DESC
            """, [.text(source), .optional(configuration)]).map(readStep)
        var count = 0
        for step in steps {
            if step.status.isSuccess { break }
            if step.status.isFailure { count += 1 }
        }
        return count
    }

    /// How many of the newest runs failed (failed, interrupted, lock_held, config_error,
    /// crashed) since the last successful or partial one; skipped and running runs count
    /// neither way. What escalation counts.
    public func consecutiveFailedRuns(configuration: String? = nil) throws -> Int {
        let runs = try db.query("""
            SELECT \(Self.runColumns) FROM runs WHERE (?1 IS NULL OR configuration = ?1) AND command = 'run'
              AND started >= coalesce((SELECT max(started) FROM runs WHERE status IN ('succeeded', 'partial') AND command = 'run'
                                         AND (?1 IS NULL OR configuration = ?1)), 0)
            ORDER BY started DESC, id DESC
            """, [.optional(configuration)]).map(readRun)
        var count = 0
        for run in runs {
            if run.status.isSuccess { break }
            if run.status.isFailure { count += 1 }
        }
        return count
    }

    /// The runs `query` selects, oldest first.
    public func runs(_ query: RunQuery = RunQuery()) throws -> [RunRecord] {
        var conditions = ["(?1 IS NULL OR configuration = ?1)", "(?2 IS NULL OR started >= ?2)", "(?3 IS NULL OR started < ?3)"]
        if query.source != nil {
            let stepStatus = query.failedOnly ? "AND (s.status IN ('failed', 'partial', 'interrupted', 'crashed') OR (s.status = 'running' AND runs.status = 'running'))" : ""
            conditions.append("EXISTS (SELECT 1 FROM steps s WHERE s.run = runs.id AND s.kind IN ('backup', 'dump') AND s.name = ?4 \(stepStatus))")
        } else if query.failedOnly {
            // A `running` run may read as crashed: decided below, once read.
            conditions.append("status NOT IN ('succeeded', 'skipped')")
        }
        // With failedOnly the filter finishes below, once statuses are derived: limit after it.
        let limit = query.failedOnly ? "" : query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        var runs: [RunRecord] = try db.query("""
            SELECT \(Self.runColumns) FROM runs WHERE \(conditions.joined(separator: " AND "))
            ORDER BY started DESC, id DESC\(limit)
            """, [.optional(query.configuration), .optional(query.from.map(Self.milliseconds)),
                  .optional(query.until.map(Self.milliseconds)), .optional(query.source)]).map(readRun)
        if query.failedOnly {
            if let source = query.source {
                // A running step of a run that reads as crashed is a failure; of a live run, not yet.
                runs = try runs.filter { run in
                    try steps(of: run.id).contains { [.backup, .dump].contains($0.kind) && $0.name == source && ($0.status.isFailure || $0.status == .partial) }
                }
            } else {
                runs = runs.filter { $0.status != .running }
            }
        }
        if let n = query.limit { runs = Array(runs.prefix(max(0, n))) }
        return runs.reversed()
    }

    /// The run with this ID.
    public func run(_ id: Int64) throws -> RunRecord? {
        try db.query("SELECT \(Self.runColumns) FROM runs WHERE id = ?1", [.int(id)]).first.map(readRun)
    }

    /// The steps of a run, in the order they began.
    public func steps(of run: Int64) throws -> [StepRecord] {
        try db.query("SELECT \(Self.stepColumns) FROM steps s JOIN runs r ON r.id = s.run WHERE s.run = ?1 ORDER BY s.started, s.id",
                     [.int(run)]).map(readStep)
    }

    // MARK: Rows

    private static let runColumns = "id, configuration, trigger, host, pid, pid_start, started, ended, updated, status, exit_code, error, summary, command"
    private static let stepColumns = """
        s.id, s.run, s.kind, s.name, s.started, s.ended, s.status, s.snapshot, s.bytes_added, s.bytes_added_stored,
        s.storage_requests, s.error, s.details, r.status, r.host, r.pid, r.pid_start, r.updated
        """

    private func readRun(_ row: StateDatabase.Row) -> RunRecord {
        let process = ProcessIdentity(host: row.text(3), pid: Int32(truncatingIfNeeded: row.int(4)), startTicks: row.optionalInt(5))
        let updated = Self.date(row.int(8))
        var status = RunStatus(rawValue: row.text(9)) ?? .failed
        if status == .running && isGone(process, updated: updated) { status = .crashed }
        return RunRecord(id: row.int(0), configuration: row.text(1), trigger: RunTrigger(rawValue: row.text(2)) ?? .manual,
                         process: process, started: Self.date(row.int(6)), ended: row.optionalInt(7).map(Self.date),
                         updated: updated, status: status, exitCode: row.optionalInt(10).map { Int32(truncatingIfNeeded: $0) },
                         error: row.optionalText(11), summary: row.optionalText(12), command: RunCommand(rawValue: row.text(13)) ?? .run)
    }

    private func readStep(_ row: StateDatabase.Row) -> StepRecord {
        var status = StepStatus(rawValue: row.text(6)) ?? .failed
        if status == .running && row.text(13) == RunStatus.running.rawValue {
            let process = ProcessIdentity(host: row.text(14), pid: Int32(truncatingIfNeeded: row.int(15)), startTicks: row.optionalInt(16))
            if isGone(process, updated: Self.date(row.int(17))) { status = .crashed }
        }
        return StepRecord(id: row.int(0), run: row.int(1), kind: StepKind(rawValue: row.text(2)) ?? .hook, name: row.text(3),
                          started: Self.date(row.int(4)), ended: row.optionalInt(5).map(Self.date), status: status,
                          snapshot: row.optionalText(7), bytesAdded: row.optionalInt(8), bytesAddedStored: row.optionalInt(9),
                          storageRequests: row.optionalInt(10), error: row.optionalText(11), details: row.optionalText(12))
    }

    /// A run's process is gone: on this host, when the pid is dead or now another process's;
    /// on another host, when the run has been silent for `staleAfter`.
    private func isGone(_ process: ProcessIdentity, updated: Date) -> Bool {
        if let alive = process.isAliveHere { return !alive }
        return now().timeIntervalSince(updated) > staleAfter
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    private static func checkJSON(_ text: String?, _ what: String) throws {
        guard let text else { return }
        guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
            throw OpsError(.invalidArgument, "the \(what) must be a JSON object")
        }
    }
}
