import Foundation
import XCTest

/// `key passwd` replaces the key in use; `key_removed` names the full key ID.
final class KeyPasswdTests: XCTestCase {
    private func keyFiles(_ env: CLIEnvironment) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: env.repo + "/keys").filter { !$0.hasPrefix(".") }.sorted()
    }

    func testKeyPasswdChangesThePasswordOfTheKeyInUse() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        let before = try keyFiles(env)
        XCTAssertEqual(before.count, 1)
        let changed = try env.expect(0, ["key", "passwd", "--json"], environment: ["SILO_NEW_PASSWORD": "new horse"]).jsonLines.first
        XCTAssertEqual(changed?["message_type"] as? String, "key_changed")
        let added = try XCTUnwrap(changed?["id"] as? String)
        XCTAssertEqual(added.count, 64)
        XCTAssertEqual(changed?["removed_id"] as? String, before.first)
        XCTAssertEqual(try keyFiles(env), [added], "the old key file is gone, the new one there")
        try env.expect(12, ["snapshots", "-q"])
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD": "new horse"])

        // From a file, and the other key in the repository stays.
        try env.write("newer", Data("newest horse\n".utf8))
        try env.expect(0, ["key", "add", "-q"], environment: ["SILO_PASSWORD": "new horse", "SILO_NEW_PASSWORD": "second"])
        try env.expect(0, ["key", "passwd", "--new-password-file", env.path("newer")], environment: ["SILO_PASSWORD": "new horse"])
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD": "newest horse"])
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD": "second"])
        try env.expect(12, ["snapshots", "-q"], environment: ["SILO_PASSWORD": "new horse"])
        XCTAssertEqual(try keyFiles(env).count, 2)
    }

    /// Where the new key cannot be made or written, the old one stays: never no key.
    func testAFailedPasswdKeepsTheOldKey() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        let before = try keyFiles(env)
        try env.expect(1, ["key", "passwd"], environment: ["SILO_NEW_PASSWORD": ""])
        XCTAssertEqual(try keyFiles(env), before)
        if getuid() != 0 {  // root writes into a read-only directory
            XCTAssertEqual(chmod(env.repo + "/keys", 0o500), 0)
            defer { chmod(env.repo + "/keys", 0o700) }
            XCTAssertNotEqual(try env.run(["key", "passwd"], environment: ["SILO_NEW_PASSWORD": "new horse"]).status, 0)
            XCTAssertEqual(try keyFiles(env), before)
        }
        try env.expect(0, ["snapshots", "-q"])
    }

    /// The worst moments of `key passwd`: the old key's removal fails (EIO) or the process is
    /// killed right at it (strace stops just that unlink). Both passwords then open the
    /// repository, and the error says so: a repository never ends up with no key.
    func testPasswdFailingOrKilledAtTheOldKeysRemovalLeavesBothKeys() throws {
        for injected in ["error=EIO", "signal=SIGKILL"] {
            let env = try CLIEnvironment()
            try env.expect(0, ["init", "-q"])
            let old = try XCTUnwrap(try keyFiles(env).first)
            let run = PostgresTestServer.run("/usr/bin/strace", ["-f", "-o", "/dev/null", "-P", env.repo + "/keys/" + old,
                                                                 "-e", "trace=unlink,unlinkat", "-e", "inject=unlink,unlinkat:\(injected)",
                                                                 CLIEnvironment.binary, "key", "passwd"],
                                             environment: env.environment.merging(["SILO_NEW_PASSWORD": "new horse"]) { _, new in new })
            XCTAssertNotEqual(run.status, 0, injected)
            if injected.hasPrefix("error") { XCTAssertTrue(run.stderr.contains("both passwords open the repository"), run.stderr) }
            XCTAssertEqual(try keyFiles(env).count, 2, injected)
            try env.expect(0, ["snapshots", "-q"])
            try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD": "new horse"])
        }
    }

    func testKeyRemovedNamesTheFullID() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        let added = try XCTUnwrap(try env.expect(0, ["key", "add", "--json"], environment: ["SILO_NEW_PASSWORD": "second"]).jsonLines.first?["id"] as? String)
        let removed = try env.expect(0, ["key", "remove", String(added.prefix(8)), "--json"]).jsonLines.first
        XCTAssertEqual(removed?["message_type"] as? String, "key_removed")
        XCTAssertEqual(removed?["id"] as? String, added)
    }
}
