import Foundation
import XCTest
@testable import SiloPostgres

/// silo's secrets never reach `pg_dump`, `pg_dumpall` or `pg_restore`: a child started the way
/// they are (`ChildProcess`) prints its environment.
final class ChildEnvironmentTests: XCTestCase {
    private let planted = [
        "SILO_PASSWORD": "repository-secret", "SILO_FROM_PASSWORD": "from-secret", "SILO_TO_PASSWORD": "to-secret",
        "SILO_NEW_PASSWORD": "new-secret", "SILO_LEGACY_PASSWORD": "legacy-secret", "DB_PASSWORD": "db-secret",
        "AWS_SECRET_ACCESS_KEY": "aws-secret", "AWS_SESSION_TOKEN": "aws-token", "PGSERVICE": "kept",
    ]

    override func setUp() {
        super.setUp()
        for (name, value) in planted { setenv(name, value, 1) }
    }

    override func tearDown() {
        for name in planted.keys { unsetenv(name) }
        super.tearDown()
    }

    func testSecretsStayOutOfTheChildsEnvironment() throws {
        let output = try ChildProcess.output("/usr/bin/env", [], environment: ["PGPASSWORD": "for-the-child"])
        let lines = Set(String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init))
        for (name, value) in planted where name != "PGSERVICE" {
            XCTAssertFalse(lines.contains { $0.hasPrefix(name + "=") || $0.contains(value) }, "\(name) reached the child")
        }
        XCTAssertTrue(lines.contains("PGPASSWORD=for-the-child"), "the child's own password must reach it")
        XCTAssertTrue(lines.contains("PGSERVICE=kept"), "libpq's own variables pass unchanged")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PATH=") }, "the rest of the environment passes unchanged")
    }
}
