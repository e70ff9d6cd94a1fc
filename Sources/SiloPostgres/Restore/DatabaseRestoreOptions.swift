import Foundation

public struct DatabaseRestoreOptions: Sendable {
    public enum Mode: Sendable {
        /// Into a new database (the backed-up name, or `--as`); refuses an existing one.
        case fresh
        /// Into `NAME_restore`, verified, then swapped with the live `NAME` (kept as `NAME_old_<time>`).
        case replace
        /// Into a scratch database that is verified and dropped: the monthly drill.
        case test
        /// One table: into the live database under a new name, or into a scratch database kept as `--as`.
        case table(schema: String, name: String)
    }

    /// The database's name in the snapshot.
    public var database: String
    /// The server to restore to (its database part is ignored).
    public var server: ConnectionTarget
    public var mode: Mode = .fresh
    /// `--as`: the name to restore under instead of the backed-up one.
    public var newName: String?
    /// Apply the snapshot's roles and tablespaces first.
    public var applyGlobals = false
    /// `pg_restore -j`: > 1 writes the dump to a file in `scratchDirectory` first (parallel
    /// restore needs a seekable archive).
    public var jobs = 1
    public var scratchDirectory = NSTemporaryDirectory()
    /// For tests: the time used in generated names.
    public var now = Date()

    public init(database: String, server: ConnectionTarget) {
        self.database = database
        self.server = server
    }
}

public struct DatabaseRestoreReport: Sendable {
    /// The database that holds the result (dropped again with `.test`).
    public var database = ""
    /// With `.replace`: the previous live database, kept.
    public var previous: String?
    /// With `.table`: the restored table, schema-qualified.
    public var table: String?
    public var tablesVerified = 0
    public var rowsVerified: Int64 = 0
    /// What could not be reproduced (roles or tablespaces the server lacks, a manifest
    /// without database-level properties): the restore is partial.
    public var warnings: [String] = []
    /// Named steps and their seconds, in order.
    public var timings: [(step: String, seconds: Double)] = []
}
