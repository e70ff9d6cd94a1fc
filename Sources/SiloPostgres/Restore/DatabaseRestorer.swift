import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

/// Restores a database from a snapshot into a fresh database made from `template0`, with
/// `pg_restore`, and verifies it against the manifest stored at backup time. The live database
/// is touched only by the final swap (`.replace`) or by adding one new table (`.table`), and
/// only after everything before succeeded; whatever this run created is dropped on failure.
public final class DatabaseRestorer {
    private let repository: Repository
    private let snapshot: Snapshot
    private let options: DatabaseRestoreOptions
    private let say: (String) -> Void
    private let warn: (String) -> Void
    private var report = DatabaseRestoreReport()

    /// `warn` gets what the restore could not reproduce (e.g. a grant to a role this server
    /// lacks); the same lines are in the report's `warnings`.
    public init(repository: Repository, snapshot: Snapshot, options: DatabaseRestoreOptions,
                say: @escaping (String) -> Void = { _ in }, warn: @escaping (String) -> Void = { _ in }) {
        self.repository = repository
        self.snapshot = snapshot
        self.options = options
        self.say = say
        self.warn = warn
    }

    private var stamp: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter.string(from: options.now)
    }

    public func run() throws -> DatabaseRestoreReport {
        // A pg_restore that stops reading must surface as an error from write(), not kill us.
        signal(SIGPIPE, SIG_IGN)
        let walker = TreeWalker(repository: repository)
        guard let dump = try walker.node(at: Paths.absolute(SnapshotLayout.dumpPath(options.database)), root: snapshot.tree) else {
            let root = try walker.node(at: Paths.absolute(SnapshotLayout.root), root: snapshot.tree)
            let names = try root?.subtree.map { try repository.loadTree($0).nodes.filter { $0.type == .dir }.map { $0.name.displayString } } ?? []
            throw PostgresError(.notFound, "the snapshot holds no database \(options.database)"
                                + (names.isEmpty ? " (it holds no database at all)" : " (it holds: \(names.joined(separator: ", ")))"))
        }
        // The manifest is read first: a damaged one stops everything before the server is touched.
        let backedUp = try loadManifest(walker)
        let admin = try PostgresConnection(options.server.with(database: "postgres"))
        if options.applyGlobals { try timed("globals") { try applyGlobals(walker, admin) } }
        // After the globals, which may create the roles the properties name.
        let manifest = try planProperties(backedUp, admin)

        switch options.mode {
        case .fresh:
            let name = options.newName ?? options.database
            try restoreVerified(dump, manifest, into: name, admin: admin)
        case .test:
            let name = try DatabaseSwap.generatedName("silo_test_\(options.database)", "_" + stamp)
            defer { try? dropDatabase(name, admin) }
            try restoreVerified(dump, manifest, into: name, admin: admin)
            try timed("drop") { try dropDatabase(name, admin) }
        case .replace:
            let live = options.newName ?? options.database
            let staging = try DatabaseSwap.generatedName(live, "_restore")
            try restoreVerified(dump, manifest, into: staging, admin: admin)
            do {
                try timed("swap") {
                    if try exists(live, admin) {
                        report.previous = try DatabaseSwap.replace(live: live, with: staging, stamp: stamp, admin: admin)
                    } else {
                        try admin.execute("ALTER DATABASE \(quoteIdentifier(staging)) RENAME TO \(quoteIdentifier(live))")
                    }
                }
            } catch {
                try? dropDatabase(staging, admin)
                throw error
            }
            report.database = live
        case .table(let schema, let table):
            try restoreTable(dump, manifest, schema: schema, table: table, admin: admin)
        }
        return report
    }

    // MARK: steps

    private func loadManifest(_ walker: TreeWalker) throws -> DatabaseManifest {
        guard let node = try walker.node(at: Paths.absolute(SnapshotLayout.manifestPath(options.database)), root: snapshot.tree) else {
            throw PostgresError(.notFound, "the snapshot holds no manifest for database \(options.database)")
        }
        let manifest = try JSONDecoder().decode(DatabaseManifest.self, from: try content(of: node))
        guard manifest.version <= DatabaseManifest.currentVersion else {
            throw RepositoryError(.unsupportedVersion, "the manifest of \(options.database) has version \(manifest.version); this silo reads up to \(DatabaseManifest.currentVersion): upgrade silo")
        }
        return manifest
    }

    /// The manifest with its database-level properties cut down to what this server can
    /// take (see `DatabasePropertiesPlan`), which is then both applied and verified.
    private func planProperties(_ manifest: DatabaseManifest, _ admin: PostgresConnection) throws -> DatabaseManifest {
        let restoresWholeDatabase: Bool
        if case .table = options.mode { restoresWholeDatabase = false } else { restoresWholeDatabase = true }
        guard let properties = manifest.properties else {
            if restoresWholeDatabase {
                note("the snapshot's manifest of \(options.database) (version \(manifest.version)) holds no database-level properties: the restored database gets the server's default ACL, no comment and no ALTER DATABASE/ROLE … SET; set them by hand, or restore from a snapshot taken by this version of silo")
            }
            return manifest
        }
        let plan = DatabasePropertiesPlan(properties, on: try DatabasePropertiesPlan.read(admin), database: options.database)
        if restoresWholeDatabase { plan.warnings.forEach(note) }
        var planned = manifest
        planned.properties = plan.properties
        return planned
    }

    private func note(_ warning: String) {
        report.warnings.append(warning)
        warn(warning)
    }

    private func content(of node: Node) throws -> Data {
        var data = Data()
        for id in node.content ?? [] { data.append(try repository.loadBlob(id)) }
        return data
    }

    /// Creates `name`, restores the dump into it and verifies it; drops it again on any failure.
    private func restoreVerified(_ dump: Node, _ manifest: DatabaseManifest, into name: String, admin: PostgresConnection) throws {
        if try exists(name, admin) {
            throw PostgresError(.invalidArgument, "database \(name) already exists; restore with --as NEW_NAME, use --replace, or drop it first")
        }
        try timed("create") { try createDatabase(name, manifest, admin: admin) }
        report.database = name
        do {
            try timed("pg_restore") { try pgRestore(dump, into: name, extra: []) }
            // Before verifying: the backup's checksums were taken under these settings (a
            // database-level timezone changes how timestamptz rows read as text).
            if let properties = manifest.properties {
                try timed("properties") { try DatabasePropertiesApplier.apply(properties, to: name, admin: admin) }
            }
            try timed("verify") {
                let restored = try ManifestReader(connection: try PostgresConnection(options.server.with(database: name)), snapshotID: nil)
                    .read(database: name)
                let problems = manifest.differences(from: restored)
                guard problems.isEmpty else {
                    throw PostgresError(.verification, "the restored database does not match the backup: " + problems.prefix(10).joined(separator: "; "))
                }
                report.tablesVerified = restored.tables.count
                report.rowsVerified = restored.tables.reduce(0) { $0 + $1.rows }
            }
        } catch {
            say("restore into \(name) failed; dropping it")
            try? dropDatabase(name, admin)
            throw error
        }
    }

    private func restoreTable(_ dump: Node, _ manifest: DatabaseManifest, schema: String, table: String, admin: PostgresConnection) throws {
        guard let expected = manifest.tables.first(where: { $0.schema == schema && $0.name == table }) else {
            throw PostgresError(.notFound, "table \(schema).\(table) is not in the backup of \(options.database)")
        }
        let scratch = try options.newName ?? DatabaseSwap.generatedName("silo_scratch_\(options.database)", "_" + stamp)
        if try exists(scratch, admin) { throw PostgresError(.invalidArgument, "database \(scratch) already exists; choose another with --as") }
        try timed("create") { try createDatabase(scratch, manifest, admin: admin) }
        let keepScratch = options.newName != nil
        defer { if !keepScratch { try? dropDatabase(scratch, admin) } }
        do {
            // Definitions without indexes and constraints, then the one table's rows.
            try timed("pg_restore") {
                try pgRestore(dump, into: scratch, extra: ["--section=pre-data"])
                try pgRestore(dump, into: scratch, extra: ["--data-only", "--schema=\(schema)", "--table=\(table)"])
            }
            let scratchConnection = try PostgresConnection(options.server.with(database: scratch))
            try timed("verify") { try verify(ManifestReader(connection: scratchConnection, snapshotID: nil).checksum(schema: schema, table: table), expected) }
            if keepScratch {
                report.database = scratch
                report.table = "\(schema).\(table)"
                return
            }
            // Into the live database under a new name: columns and rows, no constraints.
            let live = try PostgresConnection(options.server.with(database: options.database))
            let newName = try DatabaseSwap.generatedName(table, "_restored_" + stamp)
            let qualified = quoteIdentifier(schema) + "." + quoteIdentifier(newName)
            try timed("copy") {
                let columns = try scratchConnection.query("""
                    SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                    WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                    """, [quoteIdentifier(schema) + "." + quoteIdentifier(table)]).compactMap { $0[0] }
                try live.execute("BEGIN")
                do {
                    try live.execute("CREATE TABLE \(qualified) (\(columns.joined(separator: ", ")))")
                    try scratchConnection.copy("COPY \(quoteIdentifier(schema)).\(quoteIdentifier(table)) TO STDOUT", to: live, "COPY \(qualified) FROM STDIN")
                    try verify(ManifestReader(connection: live, snapshotID: nil).checksum(schema: schema, table: newName), expected)
                    try live.execute("COMMIT")
                } catch {
                    try? live.execute("ROLLBACK")
                    throw error
                }
            }
            report.database = options.database
            report.table = "\(schema).\(newName)"
        } catch {
            if keepScratch { try? dropDatabase(scratch, admin) }
            throw error
        }
    }

    private func verify(_ restored: DatabaseManifest.TableChecksum, _ expected: DatabaseManifest.TableChecksum) throws {
        guard restored.rows == expected.rows, restored.checksum == expected.checksum else {
            throw PostgresError(.verification, "table \(expected.qualifiedName) restored with \(restored.rows) rows / checksum \(restored.checksum), expected \(expected.rows) / \(expected.checksum)")
        }
        report.tablesVerified = 1
        report.rowsVerified = restored.rows
    }

    /// Feeds the stored dump to `pg_restore`: through a pipe, or with `jobs` > 1 through a
    /// temporary file (parallel restore needs to seek), removed afterwards.
    private func pgRestore(_ dump: Node, into database: String, extra: [String]) throws {
        var arguments = ["--no-password", "--exit-on-error", "--dbname=\(database)"] + extra
        let environment = options.server.with(database: database).toolEnvironment
        if options.jobs > 1 {
            let path = options.scratchDirectory + "/silo-restore-\(getpid())-\(database).pgc"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw PostgresError(.tool, "cannot create \(path): \(String(cString: strerror(errno)))") }
            defer { unlink(path) }
            do {
                try ContentStreamer.write(dump, from: repository, to: fd)
                close(fd)
            } catch {
                close(fd)
                throw error
            }
            arguments += ["--jobs=\(options.jobs)", path]
            let child = try ChildProcess(PostgresTools.path("pg_restore"), arguments, environment: environment, captureOutput: false)
            try child.checkSuccess("restoring into \(database)")
            return
        }
        let child = try ChildProcess(PostgresTools.path("pg_restore"), arguments, environment: environment, input: .pipe, captureOutput: false)
        do {
            try ContentStreamer.write(dump, from: repository, to: child.stdinDescriptor)
        } catch let error as RepositoryError where error.code != .storage {
            // Damaged data: stop pg_restore before it commits anything more, and say why.
            kill(child.pid, SIGTERM)
            child.wait()
            throw error
        } catch {
            // pg_restore stopped reading: its own error says why, or it had all it needed
            // (a `--section=pre-data` run ends after the definitions).
            try child.checkSuccess("restoring into \(database)")
            return
        }
        try child.checkSuccess("restoring into \(database)")
    }

    private func applyGlobals(_ walker: TreeWalker, _ admin: PostgresConnection) throws {
        guard let node = try walker.node(at: Paths.absolute(SnapshotLayout.globalsPath), root: snapshot.tree) else {
            throw PostgresError(.notFound, "the snapshot holds no roles and tablespaces (globals.sql)")
        }
        var applied = 0
        for statement in GlobalsScript.statements(String(decoding: try content(of: node), as: UTF8.self)) {
            do {
                try admin.execute(statement)
                applied += 1
            } catch let error as PostgresError where error.sqlState == "42710" {
                // The role or tablespace exists already: its attributes follow in an ALTER.
            }
        }
        say("applied \(applied) statement(s) of roles and tablespaces")
    }

    // MARK: helpers

    private func exists(_ name: String, _ admin: PostgresConnection) throws -> Bool {
        try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [name]) != nil
    }

    /// With the backed-up encoding, locale and owner; a version-1 manifest knows only the owner.
    private func createDatabase(_ name: String, _ manifest: DatabaseManifest, admin: PostgresConnection) throws {
        if let properties = manifest.properties {
            try DatabasePropertiesApplier.create(name, properties, admin: admin)
            return
        }
        var sql = "CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0"
        if let owner = manifest.owner, try admin.scalar("SELECT 1 FROM pg_roles WHERE rolname = $1", [owner]) != nil {
            sql += " OWNER \(quoteIdentifier(owner))"
        }
        try admin.execute(sql)
    }

    private func dropDatabase(_ name: String, _ admin: PostgresConnection) throws {
        // A restored template database cannot be dropped until it is no template.
        if try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate", [name]) != nil {
            try admin.execute("ALTER DATABASE \(quoteIdentifier(name)) IS_TEMPLATE false")
        }
        try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }

    private func timed(_ step: String, _ body: () throws -> Void) throws {
        let started = Date()
        try body()
        let seconds = Date().timeIntervalSince(started)
        report.timings.append((step, seconds))
        say(String(format: "%@: %.2f s", step, seconds))
    }
}

/// Splits `pg_dumpall --globals-only` output into statements (it writes one per line).
enum GlobalsScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in script.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("--") || line.hasPrefix("\\") { continue }
            current += (current.isEmpty ? "" : "\n") + line
            if line.hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { statements.append(current) }
        return statements
    }
}

/// `silo db rollback NAME`.
public enum DatabaseRollback {
    public static func run(_ name: String, server: ConnectionTarget, now: Date = Date()) throws -> (failed: String, restored: String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        let admin = try PostgresConnection(server.with(database: "postgres"))
        return try DatabaseSwap.rollback(name, stamp: formatter.string(from: now), admin: admin)
    }
}

/// What `silo restore --system` needs beyond a restore: to know what exists, to undo its own
/// swap by name (not "the newest _old_", which another restore may have made), and to drop the
/// half-restored staging database a killed restore left.
public enum DatabaseSwapBack {
    public static func exists(_ name: String, server: ConnectionTarget) throws -> Bool {
        let admin = try PostgresConnection(server.with(database: "postgres"))
        return try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [name]) != nil
    }

    /// `live` becomes `failed` and, when given, `previous` becomes `live`: in one transaction.
    public static func undo(live: String, previous: String?, failed: String, server: ConnectionTarget) throws {
        let admin = try PostgresConnection(server.with(database: "postgres"))
        let liveExists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [live]) != nil
        var renames: [(from: String, to: String)] = liveExists ? [(live, failed)] : []
        if let previous { renames.append((previous, live)) }
        guard !renames.isEmpty else { return }
        try DatabaseSwap.swap(renames, blocking: renames.map(\.from), admin: admin)
    }

    /// Drops `name` (a staging database silo made), terminating its sessions first.
    public static func dropStaging(_ name: String, server: ConnectionTarget) throws {
        let admin = try PostgresConnection(server.with(database: "postgres"))
        try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }

    /// Drops a kept copy (`--cleanup`).
    public static func dropKept(_ name: String, server: ConnectionTarget) throws {
        try dropStaging(name, server: server)
    }
}
