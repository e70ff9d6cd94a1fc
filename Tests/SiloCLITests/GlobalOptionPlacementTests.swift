import Foundation
import XCTest

/// Global options before the command, as restic users type them (`silo -r REPO snapshots`),
/// as well as after it; the same option in both places is a usage error.
final class GlobalOptionPlacementTests: XCTestCase {
    private func repository() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.write("src/a.txt", Data("hello".utf8))
        // Nothing from the environment: the options must do it.
        env.environment["SILO_REPOSITORY"] = nil
        return env
    }

    func testRepoJsonAndQuietBeforeTheCommand() throws {
        let env = try repository()
        let backup = try env.expect(0, ["-r", env.repo, "--json", "-q", "backup", env.path("src")])
        XCTAssertEqual(backup.jsonLines.last?["message_type"] as? String, "summary", backup.stdout)
        let listed = try env.expect(0, ["--repo=\(env.repo)", "--json", "snapshots"])
        XCTAssertEqual(listed.jsonLines.filter { $0["message_type"] as? String == "snapshot" }.count, 1, listed.stdout)
        // After the command, as before.
        XCTAssertEqual(try env.expect(0, ["snapshots", "-r", env.repo, "--json"]).jsonLines.count, listed.jsonLines.count)
        // A command with subcommands: the options go after its full name.
        XCTAssertEqual(try env.expect(0, ["-r", env.repo, "--json", "key", "list"]).jsonLines.first?["message_type"] as? String, "key")
    }

    func testPasswordFileCacheDirAndCacertBeforeTheCommand() throws {
        let env = try repository()
        env.environment["SILO_PASSWORD"] = nil
        try env.write("pw", Data("correct horse\n".utf8))
        try env.write("ca.pem", Data("not used by a local repository".utf8))
        let cache = env.path("other-cache")
        try env.expect(0, ["--password-file", env.path("pw"), "--cache-dir", cache, "--cacert", env.path("ca.pem"),
                           "-r", env.repo, "snapshots", "-q"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache), "the catalog is cached where --cache-dir says")
    }

    func testAnOptionBeforeAndAfterIsAUsageError() throws {
        let env = try repository()
        for arguments in [["-r", env.repo, "snapshots", "--repo", env.repo], ["--json", "snapshots", "--json"],
                          ["-q", "-r", env.repo, "snapshots", "-q"], ["-r", env.repo, "-r", env.repo, "snapshots"]] {
            let result = try env.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("give it once"), result.stderr)
        }
        let missing = try env.run(["snapshots", "-r"])
        XCTAssertEqual(missing.status, 64, missing.stderr)
        XCTAssertEqual(try env.run(["-r"]).status, 64)
    }
}
