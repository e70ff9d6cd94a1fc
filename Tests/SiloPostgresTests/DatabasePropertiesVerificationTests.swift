import Foundation
import XCTest
@testable import SiloPostgres

/// Against the real test server (scripts/postgres-test-server.sh): the manifest read from a
/// database whose properties were applied by silo matches the source's, and each property
/// changed or removed afterwards makes the verification fail with its name.
final class DatabasePropertiesVerificationTests: XCTestCase {
    private func admin() throws -> (PostgresConnection, ConnectionTarget) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let start = Process()
        start.executableURL = URL(fileURLWithPath: "/bin/bash")
        start.arguments = [root + "/scripts/postgres-test-server.sh", "start"]
        start.standardOutput = FileHandle.nullDevice
        try start.run()
        start.waitUntilExit()
        XCTAssertEqual(start.terminationStatus, 0, "cannot start the test PostgreSQL server")
        let directory = ProcessInfo.processInfo.environment["SILO_TEST_PG_DIR"] ?? "/tmp/silo-pg-test"
        let password = try String(contentsOfFile: directory + "/password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let target = ConnectionTarget(host: "127.0.0.1", port: ProcessInfo.processInfo.environment["SILO_TEST_PG_PORT"] ?? "55432",
                                      user: "postgres", database: "postgres", environment: ["PGPASSWORD": password])
        return (try PostgresConnection(target), target)
    }

    func testVerificationFailsWhenAPropertyIsChangedOrMissing() throws {
        let (admin, target) = try admin()
        let id = UUID().uuidString.prefix(8).lowercased()
        let owner = "silo_vo_\(id)", app = "silo_va_\(id)", source = "silo_vsrc_\(id)", copy = "silo_vcopy_\(id)"
        defer {
            for database in [source, copy] { try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
            try? admin.execute("DROP ROLE IF EXISTS \(app)")
            try? admin.execute("DROP ROLE IF EXISTS \(owner)")
        }
        try admin.execute("CREATE ROLE \(owner)")
        try admin.execute("CREATE ROLE \(app)")
        try admin.execute("CREATE DATABASE \(source) OWNER \(owner) CONNECTION LIMIT 7")
        for statement in ["REVOKE ALL ON DATABASE \(source) FROM PUBLIC", "GRANT CONNECT, TEMPORARY ON DATABASE \(source) TO \(app)",
                          "COMMENT ON DATABASE \(source) IS 'shop'", "ALTER DATABASE \(source) SET work_mem = '64MB'",
                          "ALTER ROLE \(app) IN DATABASE \(source) SET work_mem = '8MB'"] {
            try admin.execute(statement)
        }
        let expected = try ManifestReader(connection: PostgresConnection(target.with(database: source)), snapshotID: nil).read(database: source)
        let properties = try XCTUnwrap(expected.properties)
        try DatabasePropertiesApplier.create(copy, properties, admin: admin)
        try DatabasePropertiesApplier.apply(properties, to: copy, admin: admin)
        let copyConnection = try PostgresConnection(target.with(database: copy))
        func problems() throws -> [String] {
            expected.differences(from: try ManifestReader(connection: copyConnection, snapshotID: nil).read(database: copy))
        }
        XCTAssertEqual(try problems(), [], "applied properties verify")

        let tampering: [(String, String)] = [
            ("ALTER DATABASE \(copy) RESET work_mem", "database setting work_mem=64MB is missing"),
            ("ALTER DATABASE \(copy) SET statement_timeout = '1s'", "database setting statement_timeout=1s was not in the backup"),
            ("GRANT CONNECT ON DATABASE \(copy) TO PUBLIC", "database privilege CONNECT for PUBLIC granted by \(owner) was not in the backup"),
            ("REVOKE TEMPORARY ON DATABASE \(copy) FROM \(app)", "database privilege TEMPORARY for \(app) granted by \(owner) is missing"),
            ("COMMENT ON DATABASE \(copy) IS NULL", "database comment is unset, expected 'shop'"),
            ("ALTER ROLE \(app) IN DATABASE \(copy) RESET ALL", "database role setting \(app): work_mem=8MB is missing"),
            ("ALTER DATABASE \(copy) CONNECTION LIMIT -1", "database connection limit is -1, expected 7"),
            ("ALTER DATABASE \(copy) OWNER TO postgres", "database owner is postgres, expected \(owner)"),
        ]
        for (statement, message) in tampering {
            try admin.execute(statement)
            let found = try problems()
            XCTAssertTrue(found.contains(message), "after \(statement): \(found)")
        }
    }
}
