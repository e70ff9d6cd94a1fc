import Foundation

/// The history's schema: named migrations, applied in order, never edited once released (as
/// the catalog's). Times are INTEGER milliseconds since the Unix epoch (UTC); JSON columns hold
/// one object's text; statuses and kinds are the raw values of `RunStatus`, `StepStatus` and
/// `StepKind`. docs/ARCHITECTURE.md ("The run history") describes it for its readers.
extension RunHistory {
    static let migrations: [(name: String, sql: String)] = [
        ("0001-runs-and-steps", """
            CREATE TABLE runs(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                configuration TEXT NOT NULL,
                trigger TEXT NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                pid_start INTEGER,
                started INTEGER NOT NULL,
                ended INTEGER,
                updated INTEGER NOT NULL,
                status TEXT NOT NULL,
                exit_code INTEGER,
                error TEXT,
                summary TEXT);
            CREATE INDEX runs_by_started ON runs(configuration, started);
            CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
            CREATE TABLE steps(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run INTEGER NOT NULL REFERENCES runs(id),
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                started INTEGER NOT NULL,
                ended INTEGER,
                status TEXT NOT NULL,
                snapshot TEXT,
                bytes_added INTEGER,
                bytes_added_stored INTEGER,
                storage_requests INTEGER,
                error TEXT,
                details TEXT);
            CREATE INDEX steps_by_run ON steps(run);
            CREATE INDEX steps_by_kind_name ON steps(kind, name, ended);
            """),
        // The monitor's alert state per check (escalation, reminders, acks) and every send to
        // a channel, failed or not (a monitor that cannot notify is itself a problem).
        ("0002-alerts-and-deliveries", """
            CREATE TABLE alerts(
                configuration TEXT NOT NULL,
                check_id TEXT NOT NULL,
                state TEXT NOT NULL,
                since INTEGER NOT NULL,
                problem_since INTEGER,
                pending TEXT,
                pending_count INTEGER NOT NULL DEFAULT 0,
                tiers_told INTEGER NOT NULL DEFAULT 0,
                last_notified INTEGER,
                acked INTEGER NOT NULL DEFAULT 0,
                summary TEXT,
                evaluated INTEGER NOT NULL,
                PRIMARY KEY (configuration, check_id));
            CREATE TABLE deliveries(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                configuration TEXT NOT NULL,
                time INTEGER NOT NULL,
                check_id TEXT NOT NULL,
                event TEXT NOT NULL,
                severity TEXT NOT NULL,
                channel TEXT NOT NULL,
                succeeded INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                error TEXT);
            CREATE INDEX deliveries_by_channel ON deliveries(configuration, channel, time);
            """),
        // What a run was: `silo run` (the backups), a system restore or a drill. The monitor's
        // run checks read `run` only: a drill is not a backup.
        ("0003-run-commands", """
            ALTER TABLE runs ADD COLUMN command TEXT NOT NULL DEFAULT 'run';
            """),
    ]
}
