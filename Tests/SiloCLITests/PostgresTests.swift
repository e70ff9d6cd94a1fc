import Foundation
import XCTest

/// `silo backup --postgres` and `silo restore --postgres` against a real PostgreSQL 15 server,
/// with the real pg_dump and pg_restore.
final class PostgresTests: PostgresCLITestCase {

    private func snapshotCount() throws -> Int {
        try env.expect(0, ["snapshots", "--json"]).jsonLines.count
    }

    /// An independent fingerprint of a database: schema text and, per table, rows and an md5
    /// of all rows in a fixed order; large objects; sequences. Not the code under test.
    private func fingerprint(_ database: String) -> [String] {
        var lines: [String] = []
        let schema = PostgresTestServer.run("/usr/bin/pg_dump", ["--schema-only", "-d", database], environment: server.environment)
        XCTAssertEqual(schema.status, 0, schema.stderr)
        lines += schema.stdout.split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") && !$0.hasPrefix("-- Dumped") }.map(String.init)
        let tables = server.sql(database, """
            SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
            """).split(separator: "\n")
        for table in tables {
            lines.append("\(table) " + server.sql(database, "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \(table) t"))
        }
        lines.append("lo " + server.sql(database, "SELECT coalesce(string_agg(oid::text || ':' || md5(lo_get(oid)), ',' ORDER BY oid), '') FROM pg_largeobject_metadata"))
        lines.append("seq " + server.sql(database, "SELECT coalesce(string_agg(sequencename || '=' || coalesce(last_value::text, '-'), ',' ORDER BY sequencename), '') FROM pg_sequences"))
        return lines
    }

    /// `pgbench -i -s 20` plus jsonb, bytea, arrays, large objects, a view, a trigger, an
    /// extension and two roles: backed up, restored under a new name, equal in every respect.
    func testLargeRichDatabaseRoundTrip() throws {
        try server.ensureBigDatabase()
        let source = PostgresTestServer.bigDatabase
        let copy = "silo_rich_copy_" + UUID().uuidString.prefix(8).lowercased()
        defer { server.drop([copy]) }
        let backup = try env.expect(0, ["backup", "--postgres", server.url(source)])
        XCTAssertTrue(backup.stdout.contains("saved"))
        let listing = try env.expect(0, ["ls", "latest", "/postgres", "--recursive"]).stdout
        for path in ["/postgres/globals.sql", "/postgres/\(source)/dump.pgc", "/postgres/\(source)/manifest.json"] {
            XCTAssertTrue(listing.contains(path), "\(path) missing from:\n\(listing)")
        }
        // Roles come back from the snapshot's globals.
        let globals = try env.expect(0, ["dump", "latest", "/postgres/globals.sql"]).stdout
        XCTAssertTrue(globals.contains("CREATE ROLE silo_app_owner"))

        let restore = try env.expect(0, ["restore", "latest", "--postgres", source, "--as", copy, "--globals", "--jobs", "2"])
        XCTAssertTrue(restore.stdout.contains("rows verified"), restore.stdout)
        XCTAssertEqual(fingerprint(copy), fingerprint(source))
        XCTAssertEqual(server.sql(copy, "SELECT count(*) FROM pgbench_accounts"), "2000000")
        XCTAssertEqual(server.sql(copy, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'shop.products'::regclass"), "silo_app_owner")
        XCTAssertEqual(server.sql(copy, "SELECT has_table_privilege('silo_app_reader', 'shop.products', 'SELECT')"), "t")
    }

    /// Files and a database in one snapshot; the monthly drill restores, verifies and drops.
    func testFilesAndDatabaseInOneSnapshotAndDrill() throws {
        let database = server.createDatabase("silo_both")
        defer { server.drop([database]) }
        server.sql(database, "CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) SELECT md5(i::text) FROM generate_series(1, 5000) i;")
        try env.write("site/index.html", Data("<h1>hello</h1>".utf8))
        try env.expect(0, ["backup", env.path("site"), "--postgres", server.url(database)])
        let snapshot = try env.expect(0, ["snapshots", "--json"]).jsonLines[0]
        let paths = snapshot["paths"] as? [String] ?? []
        XCTAssertEqual(Set(paths), [env.path("site"), "/postgres"])
        XCTAssertEqual(try env.expect(0, ["dump", "latest", env.path("site/index.html")]).stdout, "<h1>hello</h1>")
        let manifest = try env.expect(0, ["dump", "latest", "/postgres/\(database)/manifest.json"]).stdout
        XCTAssertTrue(manifest.contains("\"rows\" : 5000"), manifest)

        let drill = try env.expect(0, ["restore", "latest", "--postgres", database, "--test"])
        XCTAssertTrue(drill.stdout.contains("test-restored"), drill.stdout)
        XCTAssertTrue(drill.stdout.contains("5000 rows verified"), drill.stdout)
        XCTAssertTrue(server.databases(like: "silo_test_%").isEmpty, "the drill's scratch database is dropped")

        // A second backup after traffic stores little: the database profile deduplicates dumps.
        server.sql(database, "UPDATE notes SET body = 'changed' WHERE id % 100 = 0")
        // This time the database comes from the configuration (SILO_POSTGRES), not the command line.
        let again = try env.expect(0, ["backup", env.path("site"), "--json"], environment: ["SILO_POSTGRES": server.url(database)]).jsonLines.last ?? [:]
        XCTAssertEqual(again["files_new"] as? Int, 4, "dump, manifest and globals are streams; index.html is unchanged")
        // An existing database is never overwritten by a plain restore.
        let refused = try env.expect(1, ["restore", "latest", "--postgres", database])
        XCTAssertTrue(refused.stderr.contains("already exists"), refused.stderr)
    }

    /// Updates spread over the whole table change every chunk of the dump; the next backup
    /// stores them as deltas against the previous dump's chunks, and restores verified.
    func testSpreadUpdatesAreStoredAsDeltas() throws {
        let database = server.createDatabase("silo_delta")
        let copy = "silo_delta_copy"
        defer { server.drop([database, copy]) }
        server.sql(database, """
            CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
            INSERT INTO accounts SELECT i, i / 10000 + 1, 0, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 100000) i;
            """)
        let first = try env.expect(0, ["backup", "--postgres", server.url(database), "--json"]).jsonLines.last ?? [:]
        server.sql(database, "UPDATE accounts SET abalance = abalance + aid % 977 WHERE aid % 50 = 7")
        let second = try env.expect(0, ["backup", "--postgres", server.url(database), "--json"]).jsonLines.last ?? [:]
        let firstBytes = first["data_added_stored"] as? Int ?? 0, secondBytes = second["data_added_stored"] as? Int ?? .max
        XCTAssertGreaterThan(firstBytes, 0)
        XCTAssertLessThan(secondBytes * 3, firstBytes, "second backup \(secondBytes) bytes, first \(firstBytes)")
        try env.expect(0, ["restore", "latest", "--postgres", database, "--as", copy])
        XCTAssertEqual(fingerprint(copy), fingerprint(database))
        try env.expect(0, ["check", "--read-data"])
    }

    /// --replace swaps in a verified copy while clients are connected, keeps the old database,
    /// and `db rollback` swaps it back.
    func testReplaceWithOpenConnectionsAndRollback() throws {
        let live = server.createDatabase("silo_live")
        defer { server.drop([live] + server.databases(like: "\(live)_%")) }
        server.sql(live, "CREATE TABLE orders (id serial PRIMARY KEY, total int); INSERT INTO orders (total) SELECT i FROM generate_series(1, 1000) i;")
        try env.expect(0, ["backup", "--postgres", server.url(live)])
        server.sql(live, "DELETE FROM orders WHERE id > 10")  // the 3 a.m. accident

        // A client holding a connection to the live database.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        client.arguments = ["-X", "-q", "-d", live, "-c", "SELECT pg_sleep(120)"]
        client.environment = ProcessInfo.processInfo.environment.merging(server.environment) { _, new in new }
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        defer { if client.isRunning { client.terminate() } }
        for _ in 0..<50 where server.sql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(live)'") == "0" { usleep(100_000) }

        let replaced = try env.expect(0, ["restore", "latest", "--postgres", live, "--replace"])
        XCTAssertTrue(replaced.stdout.contains("db rollback"), replaced.stdout)
        client.waitUntilExit()
        XCTAssertNotEqual(client.terminationStatus, 0, "the client's session was terminated by the swap")
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM orders"), "1000")
        let old = server.databases(like: "\(live)_old_%")
        XCTAssertEqual(old.count, 1)
        XCTAssertEqual(server.sql(old[0], "SELECT count(*) FROM orders"), "10", "the replaced database is kept as it was")
        XCTAssertTrue(server.databases(like: "\(live)_restore").isEmpty)

        try env.expect(0, ["db", "rollback", live])
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM orders"), "10")
        XCTAssertEqual(server.databases(like: "\(live)_failed_%").count, 1)
        try env.expect(1, ["db", "rollback", "silo_no_such_db"])
    }

    /// One table: into the live database under a new name, or into a kept scratch database.
    func testTableRestore() throws {
        let live = server.createDatabase("silo_tbl")
        let scratch = "silo_tbl_scratch_" + UUID().uuidString.prefix(8).lowercased()
        defer { server.drop([live, scratch]) }
        server.sql(live, """
            CREATE SCHEMA app; CREATE TABLE app.users (id serial PRIMARY KEY, email text UNIQUE, profile jsonb);
            INSERT INTO app.users (email, profile) SELECT 'u' || i || '@example.org', jsonb_build_object('n', i) FROM generate_series(1, 3000) i;
            CREATE TABLE app.other (x int); INSERT INTO app.other VALUES (1);
            """)
        try env.expect(0, ["backup", "--postgres", server.url(live)])
        server.sql(live, "DELETE FROM app.users WHERE id % 2 = 0")

        let result = try env.expect(0, ["restore", "latest", "--postgres", live, "--table", "app.users"])
        XCTAssertTrue(result.stdout.contains("3000 rows verified"), result.stdout)
        let restoredName = server.sql(live, "SELECT tablename FROM pg_tables WHERE schemaname = 'app' AND tablename LIKE 'users_restored_%'")
        XCTAssertFalse(restoredName.isEmpty)
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM app.\(restoredName)"), "3000")
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM app.users"), "1500", "the live table is untouched")
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM app.\(restoredName) r JOIN app.users u USING (id) WHERE r.email <> u.email"), "0")
        XCTAssertTrue(server.databases(like: "silo_scratch_%").isEmpty, "the scratch database is dropped")

        try env.expect(0, ["restore", "latest", "--postgres", live, "--table", "app.users", "--as", scratch])
        XCTAssertEqual(server.sql(scratch, "SELECT count(*) FROM app.users"), "3000")
        let missing = try env.expect(1, ["restore", "latest", "--postgres", live, "--table", "app.nope"])
        XCTAssertTrue(missing.stderr.contains("not in the backup"), missing.stderr)
    }

    /// Wrong password, unreachable server, missing database: a clear error, no snapshot, and
    /// the password appears nowhere.
    func testConnectionFaults() throws {
        let wrong = try env.expect(1, ["backup", "--postgres", server.url("postgres")], environment: ["DB_PASSWORD": "not-the-password", "PGPASSWORD": "not-the-password"])
        XCTAssertTrue(wrong.stderr.contains("password authentication failed"), wrong.stderr)
        XCTAssertFalse(wrong.stderr.contains("not-the-password"))
        let inURL = try env.expect(1, ["backup", "--postgres", "postgresql://postgres:hunter2secret@127.0.0.1:\(server.port)/postgres"], environment: ["DB_PASSWORD": "", "PGPASSWORD": ""])
        XCTAssertFalse(inURL.stderr.contains("hunter2secret"), inURL.stderr)
        let unreachable = try env.expect(1, ["backup", "--postgres", "postgresql://postgres@127.0.0.1:1/postgres"])
        XCTAssertTrue(unreachable.stderr.contains("cannot connect"), unreachable.stderr)
        let missing = try env.expect(1, ["backup", "--postgres", server.url("silo_does_not_exist")])
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
        XCTAssertEqual(try snapshotCount(), 0)
        let notPostgres = try env.expect(1, ["backup", "--postgres", "mysql://x/y"])
        XCTAssertTrue(notPostgres.stderr.contains("not a PostgreSQL URL"), notPostgres.stderr)
    }

    /// pg_dump killed in the middle of the stream: the backup fails, no snapshot is committed,
    /// and pg_dump's command line never held the password.
    func testKilledDumpCommitsNoSnapshot() throws {
        try server.ensureBigDatabase()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = ["backup", "--postgres", server.url(PostgresTestServer.bigDatabase)]
        process.environment = env.environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var killed = false
        for _ in 0..<300 {
            let pids = PostgresTestServer.run("/usr/bin/pgrep", ["-f", "pg_dump --format=custom"], environment: [:]).stdout
                .split(separator: "\n").compactMap { Int32($0) }
            if let pid = pids.first {
                let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
                XCTAssertFalse(String(decoding: cmdline, as: UTF8.self).contains(server.password), "password on pg_dump's command line")
                usleep(300_000)  // let it stream for a while
                kill(pid, SIGKILL)
                killed = true
                break
            }
            usleep(20_000)
        }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(killed, "pg_dump was never seen running")
        XCTAssertEqual(process.terminationStatus, 1, stderr)
        XCTAssertTrue(stderr.contains("killed by signal 9"), stderr)
        XCTAssertEqual(try snapshotCount(), 0, "no snapshot from a killed dump")
        try env.expect(0, ["check"])
    }

    /// A restore that fails half-way (a role the dump needs is gone): the live database is
    /// untouched and the staging database removed.
    func testRestoreFailingHalfwayLeavesLiveUntouched() throws {
        let live = server.createDatabase("silo_half")
        let role = "silo_gone_" + UUID().uuidString.prefix(6).lowercased()
        defer {
            server.drop([live] + server.databases(like: "\(live)_%"))
            server.sql("postgres", "DROP ROLE IF EXISTS \(role)")
        }
        server.sql("postgres", "CREATE ROLE \(role)")
        server.sql(live, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100); ALTER TABLE t OWNER TO \(role);")
        try env.expect(0, ["backup", "--postgres", server.url(live)])
        server.sql(live, "ALTER TABLE t OWNER TO postgres; INSERT INTO t VALUES (101);")
        server.sql("postgres", "DROP ROLE \(role)")

        let failed = try env.expect(1, ["restore", "latest", "--postgres", live, "--replace"])
        XCTAssertTrue(failed.stderr.contains("pg_restore"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains(role), failed.stderr)
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM t"), "101", "the live database is untouched")
        XCTAssertTrue(server.databases(like: "\(live)_%").isEmpty, "no staging or old database is left")
        // With the snapshot's roles applied first, the same restore succeeds.
        try env.expect(0, ["restore", "latest", "--postgres", live, "--replace", "--globals"])
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM t"), "100")
    }

    /// Damaged chunks: the restore fails loudly (integrity exit code) and the live database is
    /// never touched.
    func testDamagedDumpNeverTouchesLive() throws {
        let live = server.createDatabase("silo_dmg")
        defer { server.drop([live] + server.databases(like: "\(live)_%")) }
        server.sql(live, "CREATE TABLE t (x text); INSERT INTO t SELECT md5(i::text) FROM generate_series(1, 20000) i;")
        try env.expect(0, ["backup", "--postgres", server.url(live)])
        // Flip one byte in the middle of every pack file.
        let packs = FileManager.default.enumerator(atPath: env.repo + "/packs")!.compactMap { $0 as? String }
            .map { env.repo + "/packs/" + $0 }.filter { (try? FileManager.default.attributesOfItem(atPath: $0)[.type] as? FileAttributeType) == .typeRegular }
        XCTAssertFalse(packs.isEmpty)
        for pack in packs {
            var data = try Data(contentsOf: URL(fileURLWithPath: pack))
            data[data.count / 2] ^= 0x40
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pack)
            try data.write(to: URL(fileURLWithPath: pack))
        }
        server.sql(live, "INSERT INTO t VALUES ('after backup')")
        let failed = try env.expect(13, ["restore", "latest", "--postgres", live, "--replace"])
        XCTAssertFalse(failed.stderr.isEmpty)
        XCTAssertEqual(server.sql(live, "SELECT count(*) FROM t"), "20001")
        XCTAssertTrue(server.databases(like: "\(live)_%").isEmpty)
    }
}
