import Foundation
import XCTest

/// The real PostgreSQL 15 server the tests use: `scripts/postgres-test-server.sh` starts it
/// (idempotent) on loopback with password authentication. SQL goes through the real `psql`.
final class PostgresTestServer: @unchecked Sendable {
    static let shared = PostgresTestServer()

    let host = "127.0.0.1"
    let port = ProcessInfo.processInfo.environment["SILO_TEST_PG_PORT"] ?? "55432"
    let user = "postgres"
    private(set) var password = ""
    private var startError: String?
    private let lock = NSLock()
    private var started = false
    private var bigDatabaseReady = false

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Starts the server once; fails the calling test with the script's message if it cannot.
    func start(file: StaticString = #filePath, line: UInt = #line) throws {
        try lock.withLock {
            if !started {
                started = true
                let result = Self.run("/bin/bash", [Self.packageRoot + "/scripts/postgres-test-server.sh", "start"], environment: [:])
                if result.status != 0 { startError = "cannot start the test PostgreSQL server: \(result.stderr)" }
                let directory = ProcessInfo.processInfo.environment["SILO_TEST_PG_DIR"] ?? "/tmp/silo-pg-test"
                password = (try? String(contentsOfFile: directory + "/password", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            }
            if let startError { throw TestServerError(startError) }
        }
    }

    /// libpq settings for `silo` and `psql`, password included (environment only, as users do).
    var environment: [String: String] {
        ["PGHOST": host, "PGPORT": port, "PGUSER": user, "DB_PASSWORD": password, "PGPASSWORD": password]
    }

    func url(_ database: String) -> String { "postgresql://\(user)@\(host):\(port)/\(database)" }

    /// Runs SQL with psql, stopping at the first error; returns unaligned, tuples-only output.
    @discardableResult
    func sql(_ database: String, _ script: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let result = Self.run("/usr/bin/psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", script], environment: environment)
        XCTAssertEqual(result.status, 0, "psql: \(script)\n\(result.stderr)", file: file, line: line)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func databaseExists(_ name: String) -> Bool {
        sql("postgres", "SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == "1"
    }

    func databases(like pattern: String) -> [String] {
        sql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE '\(pattern)' ORDER BY 1").split(separator: "\n").map(String.init)
    }

    /// A fresh, empty database with a unique name.
    func createDatabase(_ prefix: String) -> String {
        let name = prefix + "_" + UUID().uuidString.prefix(8).lowercased()
        sql("postgres", "CREATE DATABASE \(name)")
        return name
    }

    func drop(_ names: [String]) {
        for name in names { sql("postgres", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }

    /// `pgbench -i -s 20` plus web-application tables, made once per test run and kept.
    static let bigDatabase = "silo_pgbench20"
    func ensureBigDatabase() throws {
        try lock.withLock {
            if bigDatabaseReady { return }
            let exists = Self.run("/usr/bin/psql", ["-X", "-At", "-d", "postgres", "-c", "SELECT count(*) FROM pg_database WHERE datname = '\(Self.bigDatabase)'"],
                                  environment: environment).stdout.hasPrefix("1")
            if !exists {
                _ = Self.run("/usr/bin/psql", ["-X", "-q", "-d", "postgres", "-c", "CREATE DATABASE \(Self.bigDatabase)"], environment: environment)
                let bench = Self.run("/usr/lib/postgresql/15/bin/pgbench", ["-i", "-q", "-s", "20", Self.bigDatabase], environment: environment)
                guard bench.status == 0 else { throw TestServerError("pgbench -i failed: \(bench.stderr)") }
                let rich = Self.run("/usr/bin/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", Self.bigDatabase, "-c", Self.richSchema], environment: environment)
                guard rich.status == 0 else { throw TestServerError("cannot create the test schema: \(rich.stderr)") }
            }
            bigDatabaseReady = true
        }
    }

    /// jsonb, bytea, arrays, large objects, a view, a trigger, an extension, two roles.
    static let richSchema = """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'silo_app_owner') THEN CREATE ROLE silo_app_owner LOGIN; END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'silo_app_reader') THEN CREATE ROLE silo_app_reader LOGIN; END IF;
        END $$;
        CREATE EXTENSION IF NOT EXISTS pgcrypto;
        CREATE SCHEMA shop AUTHORIZATION silo_app_owner;
        CREATE TABLE shop.products (id serial PRIMARY KEY, name text NOT NULL, attrs jsonb, photo bytea,
                                    tags text[], price numeric(10,2), updated timestamptz DEFAULT now());
        ALTER TABLE shop.products OWNER TO silo_app_owner;
        INSERT INTO shop.products (name, attrs, photo, tags, price)
          SELECT 'product ' || i, jsonb_build_object('color', i % 7, 'sizes', jsonb_build_array(i % 3, i % 5)),
                 digest(i::text, 'sha256'), ARRAY['tag' || (i % 10), 'x'], (i % 1000) / 10.0
          FROM generate_series(1, 20000) i;
        CREATE TABLE shop.audit (id bigserial PRIMARY KEY, product int, at timestamptz DEFAULT now(), note text);
        ALTER TABLE shop.audit OWNER TO silo_app_owner;
        CREATE FUNCTION shop.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO shop.audit (product, note) VALUES (NEW.id, 'changed'); RETURN NEW; END $$;
        CREATE TRIGGER products_audit AFTER UPDATE ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.log_change();
        UPDATE shop.products SET price = price + 1 WHERE id <= 100;
        CREATE VIEW shop.cheap AS SELECT id, name FROM shop.products WHERE price < 10;
        GRANT USAGE ON SCHEMA shop TO silo_app_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA shop TO silo_app_reader;
        SELECT lo_from_bytea(0, convert_to(repeat('large object ' || i, 1000), 'UTF8')) FROM generate_series(1, 5) i;
        """

    /// Not a skip: under `make test` the server must be there, and a missing one is a failure.
    struct TestServerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return Run(status: 127, stdout: "", stderr: "\(error)") }
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// CLI tests against the real PostgreSQL server: each gets a new repository and the server's
/// connection settings in its environment.
class PostgresCLITestCase: XCTestCase {
    let server = PostgresTestServer.shared
    var env: CLIEnvironment!

    override func setUpWithError() throws {
        try server.start()
        env = try CLIEnvironment()
        for (key, value) in server.environment { env.environment[key] = value }
        try env.expect(0, ["init", "-q"])
    }

    // XCTest keeps every test case object until the run ends: drop the scratch directory now.
    override func tearDown() {
        env = nil
        super.tearDown()
    }
}
