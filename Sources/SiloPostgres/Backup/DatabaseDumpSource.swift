import Foundation
import SiloEngine
import SiloFormat

/// One database, dumped with `pg_dump -Fc -Z0` straight into the chunker (no temporary file),
/// in an exported snapshot that a second connection reads at the same time to compute the
/// verification manifest of exactly the dumped state.
///
/// `-Z0`: compressed dumps do not deduplicate (every later byte changes); Silo compresses
/// chunks itself. The snapshot stays open until the dump and the manifest are both done.
final class DatabaseDumpSource: StreamSource, @unchecked Sendable {
    let path: String
    let profile = ContentProfile.database
    private let target: ConnectionTarget
    private let database: String
    private var exporter: PostgresConnection?
    private var snapshotID = ""
    private var dump: ChildProcess?
    private var sequencesBefore: [(schema: String, name: String, value: Int64?)] = []
    private let manifestDone = DispatchSemaphore(value: 0)
    private var manifestResult: Result<DatabaseManifest, Error>?
    private var finished: DatabaseManifest?

    init(target: ConnectionTarget, database: String) {
        self.target = target.with(database: database)
        self.database = database
        path = SnapshotLayout.dumpPath(database)
    }

    func start() throws -> StreamContent {
        let connection = try PostgresConnection(target)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        guard let id = try connection.scalar("SELECT pg_export_snapshot()") else {
            throw PostgresError(.query, "the server did not export a snapshot")
        }
        exporter = connection
        snapshotID = id
        sequencesBefore = try ManifestReader(connection: connection, snapshotID: id).sequenceValues()
        let child = try ChildProcess(PostgresTools.path("pg_dump"), ["--format=custom", "--compress=0", "--no-password", "--snapshot=\(id)"],
                                     environment: target.toolEnvironment, captureOutput: true)
        dump = child
        let target = self.target, database = self.database
        Thread.detachNewThread { [self] in
            let result = Result {
                let reader = try PostgresConnection(target)
                try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                try reader.execute("SET TRANSACTION SNAPSHOT \(quoteLiteral(id))")
                let manifest = try ManifestReader(connection: reader, snapshotID: id).read(database: database)
                try reader.execute("COMMIT")
                return manifest
            }
            manifestResult = result
            manifestDone.signal()
        }
        return .descriptor(child.stdoutDescriptor)
    }

    func finish() throws {
        guard let dump, let exporter else { throw PostgresError(.tool, "the dump of \(database) was never started") }
        try dump.checkSuccess("dumping database \(database)")
        manifestDone.wait()
        var manifest = try manifestResult!.get()
        let after = Dictionary(try ManifestReader(connection: exporter, snapshotID: nil).sequenceValues().map { ("\($0.schema).\($0.name)", $0.value) },
                               uniquingKeysWith: { a, _ in a })
        manifest.sequences = sequencesBefore.map {
            DatabaseManifest.SequenceState(schema: $0.schema, name: $0.name, lastValueBefore: $0.value,
                                           lastValueAfter: after["\($0.schema).\($0.name)"] ?? $0.value)
        }
        try exporter.execute("COMMIT")
        self.exporter = nil
        finished = manifest
    }

    /// The manifest as stored: JSON, keys sorted.
    func manifestData() throws -> Data {
        guard let finished else { throw PostgresError(.tool, "the manifest of \(database) is not ready: its dump did not finish") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(finished)
    }
}

/// `pg_dumpall --globals-only`: roles and tablespaces, which a database dump does not hold.
final class GlobalsSource: StreamSource, @unchecked Sendable {
    let path = SnapshotLayout.globalsPath
    let profile = ContentProfile.database
    private let target: ConnectionTarget
    private var child: ChildProcess?

    init(target: ConnectionTarget) { self.target = target }

    func start() throws -> StreamContent {
        let child = try ChildProcess(PostgresTools.path("pg_dumpall"), ["--globals-only", "--no-password", "--database=\(target.database ?? "postgres")"],
                                     environment: target.toolEnvironment, captureOutput: true)
        self.child = child
        return .descriptor(child.stdoutDescriptor)
    }

    func finish() throws { try child?.checkSuccess("dumping roles and tablespaces") }
}

/// Where database content lives inside a snapshot (docs/FORMAT.md §13).
public enum SnapshotLayout {
    public static let root = "/postgres"
    public static let globalsPath = root + "/globals.sql"
    public static func dumpPath(_ database: String) -> String { "\(root)/\(database)/dump.pgc" }
    public static func manifestPath(_ database: String) -> String { "\(root)/\(database)/manifest.json" }
}

/// The streams a backup of PostgreSQL sources reads: per database its dump then its manifest,
/// then the server's globals. A URL without a database means every database that accepts
/// connections except templates and `postgres`.
public enum PostgresBackup {
    public static func streams(for targets: [ConnectionTarget]) throws -> [StreamSource] {
        var streams: [StreamSource] = []
        var seen = Set<String>()
        var globalsFor: ConnectionTarget?
        for target in targets {
            for database in try databases(of: target) {
                guard !database.contains("/"), database != "." , database != "..", !database.isEmpty else {
                    throw PostgresError(.invalidArgument, "database name '\(database)' cannot be stored as a path; rename it or leave it out")
                }
                guard seen.insert(database).inserted else {
                    throw PostgresError(.invalidArgument, "database \(database) is named twice")
                }
                let dump = DatabaseDumpSource(target: target, database: database)
                streams.append(dump)
                streams.append(DataStreamSource(path: SnapshotLayout.manifestPath(database), produce: dump.manifestData))
                globalsFor = globalsFor ?? target.with(database: database)
            }
        }
        if let globalsFor { streams.append(GlobalsSource(target: globalsFor)) }
        return streams
    }

    static func databases(of target: ConnectionTarget) throws -> [String] {
        if let database = target.database {
            // Connecting now gives a clear error (wrong password, no such database) before any dump.
            _ = try PostgresConnection(target)
            return [database]
        }
        let connection = try PostgresConnection(target.with(database: "postgres"))
        return try connection.query("""
            SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY datname
            """).compactMap { $0[0] }
    }
}
