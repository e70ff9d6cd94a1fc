import Foundation
import XCTest

/// Database-level properties (owner, ACL, comment, settings, role settings, connection limit,
/// encoding, locale, provider, tablespace, template flag) survive `restore --postgres` under a
/// new name, `--replace` and `--test` (issue 14, part 1).
final class PostgresPropertiesTests: PostgresCLITestCase {

    /// The database-level properties of `database` as the catalogs hold them, with its name
    /// left out: an independent reading, not the code under test.
    private func properties(_ database: String) -> [String] {
        let main = server.sql("postgres", """
            SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, d.datlocprovider,
                   coalesce(d.daticulocale, '-'), d.datconnlimit, t.spcname, d.datistemplate,
                   coalesce(shobj_description(d.oid, 'pg_database'), '-'),
                   coalesce(array(SELECT x::text FROM unnest(d.datacl) x ORDER BY 1)::text, 'default')
            FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = '\(database)'
            """)
        let settings = server.sql("postgres", """
            SELECT coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '*') || ' ' || c FROM pg_db_role_setting s
            JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c WHERE d.datname = '\(database)' ORDER BY 1
            """)
        return [main] + settings.split(separator: "\n").map(String.init)
    }

    /// What `pg_dump --create --schema-only` sets on the database itself, the name replaced.
    private func createStatements(_ database: String) -> [String] {
        let dump = PostgresTestServer.run("/usr/bin/pg_dump", ["--create", "--schema-only", "-d", database], environment: server.environment)
        XCTAssertEqual(dump.status, 0, dump.stderr)
        return dump.stdout.split(separator: "\n").filter { !$0.hasPrefix("--") && $0.contains("DATABASE \(database)") }
            .map { $0.replacingOccurrences(of: database, with: "DB") }.sorted()
    }

    private func makeTablespace(_ name: String) -> String {
        let directory = NSTemporaryDirectory() + name
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The server runs as postgres; its tablespace directory must be its own.
        _ = PostgresTestServer.run("/bin/chown", ["postgres:postgres", directory], environment: [:])
        server.sql("postgres", "CREATE TABLESPACE \(name) LOCATION '\(directory)'")
        return directory
    }

    /// A source database that sets every property, restored under a new name, in place with
    /// `--replace`, and drilled with `--test`: each time equal to the source.
    func testEveryDatabasePropertySurvivesRestoreReplaceAndTest() throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        let owner = "silo_dbo_\(id)", app = "silo_dbapp_\(id)", reader = "silo_dbread_\(id)", space = "silo_ts_\(id)"
        let source = "silo_props_\(id)", copy = "silo_props_copy_\(id)", latin = "silo_latin_\(id)", latinCopy = "silo_latin_copy_\(id)"
        let directory = makeTablespace(space)
        defer {
            for database in [source, copy, latin, latinCopy] + server.databases(like: "silo\\_props\\_\(id)\\_%") {
                server.sql("postgres", "UPDATE pg_database SET datistemplate = false WHERE datname = '\(database)'")
                server.drop([database])
            }
            server.sql("postgres", "DROP TABLESPACE IF EXISTS \(space)")
            try? FileManager.default.removeItem(atPath: directory)
            server.sql("postgres", "DROP ROLE IF EXISTS \(reader); DROP ROLE IF EXISTS \(app); DROP ROLE IF EXISTS \(owner)")
        }
        server.sql("postgres", "CREATE ROLE \(owner) LOGIN; CREATE ROLE \(app) LOGIN; CREATE ROLE \(reader) LOGIN")
        server.sql("postgres", """
            CREATE DATABASE \(source) OWNER \(owner) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.utf8' LC_CTYPE 'C'
                LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TABLESPACE \(space) CONNECTION LIMIT 25
            """)
        for statement in [
            "REVOKE ALL ON DATABASE \(source) FROM PUBLIC",
            "GRANT CONNECT, TEMPORARY ON DATABASE \(source) TO \(app)",
            "GRANT CREATE ON DATABASE \(source) TO \(app) WITH GRANT OPTION",
            "SET ROLE \(app); GRANT CREATE ON DATABASE \(source) TO \(reader); RESET ROLE",
            "COMMENT ON DATABASE \(source) IS 'the shop''s data: ünïcode, \"quotes\"'",
            "ALTER DATABASE \(source) SET work_mem = '64MB'",
            "ALTER DATABASE \(source) SET search_path = \"$user\", public, \"Shop Data\"",
            "ALTER DATABASE \(source) SET timezone = 'Europe/Berlin'",
            "ALTER DATABASE \(source) SET statement_timeout = '30s'",
            "ALTER ROLE \(app) IN DATABASE \(source) SET work_mem = '8MB'",
            "ALTER ROLE \(app) IN DATABASE \(source) SET search_path = shop",
            "ALTER DATABASE \(source) IS_TEMPLATE true",
        ] { server.sql("postgres", statement) }
        // timestamptz rows read differently under the database's timezone: the checksums must
        // be taken and verified under the same one.
        server.sql(source, "CREATE TABLE events (id int PRIMARY KEY, at timestamptz, name text); INSERT INTO events SELECT i, '2024-03-31 00:30:00+00'::timestamptz + i * interval '17 minutes', 'é' || i FROM generate_series(1, 500) i;")
        server.sql("postgres", "CREATE DATABASE \(latin) TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
        server.sql(latin, "CREATE TABLE words (w text); INSERT INTO words VALUES ('café'), ('naïve');")
        let expected = properties(source), expectedCreate = createStatements(source)
        XCTAssertTrue(expectedCreate.contains { $0.contains("LOCALE_PROVIDER = icu") }, "\(expectedCreate)")

        try env.expect(0, ["backup", "--postgres", server.url(source), "--postgres", server.url(latin)])
        let manifest = try env.expect(0, ["dump", "latest", "/postgres/\(source)/manifest.json"]).stdout
        XCTAssertTrue(manifest.contains("\"properties\""), manifest)

        let restored = try env.expect(0, ["restore", "latest", "--postgres", source, "--as", copy])
        XCTAssertTrue(restored.stdout.contains("rows verified"), restored.stdout)
        XCTAssertFalse(restored.stderr.contains("warning"), restored.stderr)
        XCTAssertEqual(properties(copy), expected)
        XCTAssertEqual(createStatements(copy), expectedCreate)
        XCTAssertEqual(server.sql(copy, "SELECT current_setting('TimeZone') || ' ' || current_setting('work_mem')"), "Europe/Berlin 64MB")
        try env.expect(0, ["restore", "latest", "--postgres", latin, "--as", latinCopy])
        XCTAssertEqual(server.sql("postgres", "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '\(latinCopy)'"), "LATIN1")
        XCTAssertEqual(server.sql(latinCopy, "SELECT string_agg(w, ',' ORDER BY w) FROM words"), "café,naïve")

        // In place: the database swapped in carries the same properties as the one moved aside.
        server.sql("postgres", "ALTER DATABASE \(source) RESET work_mem; GRANT CONNECT ON DATABASE \(source) TO PUBLIC; COMMENT ON DATABASE \(source) IS NULL")
        let replaced = try env.expect(0, ["restore", "latest", "--postgres", source, "--replace"])
        XCTAssertTrue(replaced.stdout.contains("db rollback"), replaced.stdout)
        XCTAssertEqual(properties(source), expected)
        XCTAssertEqual(createStatements(source), expectedCreate)

        let drill = try env.expect(0, ["restore", "latest", "--postgres", source, "--test", "--json"])
        let summary = drill.jsonLines.last ?? [:]
        XCTAssertEqual(summary["warnings"] as? Int, 0, drill.stdout)
        XCTAssertNotNil((summary["timings"] as? [String: Any])?["properties"], drill.stdout)
        XCTAssertTrue(server.databases(like: "silo\\_test\\_\(source)%").isEmpty, "the drill's scratch database (a template) is dropped")
    }

    /// Roles the target server lacks: a clear warning per omission and a partial exit code, not
    /// a failure; and PUBLIC still does not get CONNECT back.
    func testMissingRolesAreWarnedAndPublicStaysRevoked() throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        let owner = "silo_gone_owner_\(id)", app = "silo_gone_app_\(id)", database = "silo_gone_\(id)"
        defer {
            server.drop([database])
            server.sql("postgres", "DROP ROLE IF EXISTS \(app); DROP ROLE IF EXISTS \(owner)")
        }
        server.sql("postgres", "CREATE ROLE \(owner); CREATE ROLE \(app)")
        server.sql("postgres", "CREATE DATABASE \(database) OWNER \(owner)")
        server.sql("postgres", """
            REVOKE CONNECT ON DATABASE \(database) FROM PUBLIC; GRANT CONNECT ON DATABASE \(database) TO \(app);
            ALTER ROLE \(app) IN DATABASE \(database) SET work_mem = '8MB'; ALTER DATABASE \(database) SET work_mem = '16MB';
            """)
        server.sql(database, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10);")
        try env.expect(0, ["backup", "--postgres", server.url(database)])
        server.drop([database])
        server.sql("postgres", "DROP ROLE \(app); DROP ROLE \(owner)")

        let result = try env.expect(3, ["restore", "latest", "--postgres", database])
        XCTAssertTrue(result.stderr.contains("warning: role \(owner), the owner of \(database), does not exist"), result.stderr)
        XCTAssertTrue(result.stderr.contains("role \(app) does not exist on this server: its CONNECT privilege"), result.stderr)
        XCTAssertTrue(result.stderr.contains("its setting work_mem=8MB"), result.stderr)
        XCTAssertEqual(properties(database), [
            "postgres|UTF8|C|C|c|-|-1|pg_default|f|-|{=T/postgres,postgres=CTc/postgres}", "* work_mem=16MB",
        ])
    }
}
