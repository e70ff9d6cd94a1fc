import Foundation
import XCTest

/// Where a slip of the user's could lose data or mislead: each gets a clear error and its
/// documented exit code (docs/CLI.md), and nothing is written.
final class SafeDefaultsTests: XCTestCase {
    func testUnknownSchemeIsNamedNotTakenForAPath() throws {
        let env = try CLIEnvironment()
        for location in ["sftp:host:/srv/backup", "rest:http://127.0.0.1:8000/", "b2:bucket"] {
            let result = try env.run(["init"], environment: ["SILO_REPOSITORY": location])
            XCTAssertNotEqual(result.status, 0, location)
            XCTAssertTrue(result.stderr.contains("repository scheme \(location.split(separator: ":")[0]): is not supported"), result.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: env.root).filter { $0.contains(":") }, [], "no directory named like a URL")
        // A path with a colon after a slash is a path.
        try env.expect(0, ["init", "-q"], environment: ["SILO_REPOSITORY": env.path("dir/with:colon")])
    }

    func testEmptyRepositoryAndARepositoryThatIsAFile() throws {
        let env = try CLIEnvironment()
        let empty = try env.run(["snapshots"], environment: ["SILO_REPOSITORY": ""])
        XCTAssertEqual(empty.status, 64, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("SILO_REPOSITORY is set but empty"), empty.stderr)
        try env.write("afile", Data("x".utf8))
        let file = try env.run(["snapshots"], environment: ["SILO_REPOSITORY": env.path("afile")])
        XCTAssertEqual(file.status, 10, file.stderr)
        XCTAssertTrue(file.stderr.contains("is a file, not a Silo repository"), file.stderr)
        // init there, or anything below a file: the same, not "stat: Not a directory" (exit 1).
        for (arguments, location) in [(["init"], "afile"), (["init"], "afile/repo"), (["snapshots"], "afile/repo")] {
            let result = try env.run(arguments, environment: ["SILO_REPOSITORY": env.path(location)])
            XCTAssertEqual(result.status, 10, "\(arguments) \(location): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(location == "afile" ? "is a file" : "lies under \(env.path("afile")), which is a file"), result.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: env.path("afile"), encoding: .utf8), "x")
    }

    func testPasswordFileMissingIsExit12AndCRLFIsStripped() throws {
        let env = try CLIEnvironment()
        try env.write("pw-lf", Data("file password\n".utf8))
        try env.expect(0, ["init", "-q", "--password-file", env.path("pw-lf")], environment: ["SILO_PASSWORD": ""])
        try env.write("pw-crlf", Data("file password\r\n".utf8))
        try env.expect(0, ["snapshots", "-q", "--password-file", env.path("pw-crlf")])
        let missing = try env.run(["snapshots", "--password-file", env.path("no-such-file")])
        XCTAssertEqual(missing.status, 12, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("cannot read password file \(env.path("no-such-file")): no such file"), missing.stderr)
        // The reason is the one the read met (a directory was "Permission denied"); an empty
        // file is named as such, not taken for no password at all.
        try env.write("pw-empty", Data())
        for (file, reason) in [(env.root, "cannot read password file \(env.root): is a directory"), (env.path("pw-empty"), "password file \(env.path("pw-empty")) is empty")] {
            let result = try env.run(["snapshots", "--password-file", file])
            XCTAssertEqual(result.status, 12, result.stderr)
            XCTAssertTrue(result.stderr.contains(reason), result.stderr)
        }
    }

    func testInitRefusesANonEmptyDirectoryThatIsNotARepository() throws {
        let env = try CLIEnvironment()
        try env.write("repo/notes.txt", Data("mine".utf8))
        let result = try env.run(["init"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("is not empty and is not a Silo repository"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: env.repo), ["notes.txt"])
    }

    /// On a terminal (a pseudo-terminal from util-linux's `script`): the password twice; two
    /// that differ create nothing; a weak one is warned about.
    func testInitOnATerminalAsksTwiceAndWarnsOfAWeakPassword() throws {
        let env = try CLIEnvironment()
        // Each line typed after a pause, as a person would: the prompt sets the terminal up
        // (discarding what was typed before it) before each line is read.
        func initOnTerminal(_ lines: [String], repo: String) throws -> (Int32, String) {
            let typing = lines.map { "sleep 1; printf '%s\\n' '\($0)'" }.joined(separator: "; ")
            let log = env.path("log-\(UUID().uuidString)")
            let command = "env -u SILO_PASSWORD SILO_REPOSITORY='\(repo)' SILO_CACHE_DIR='\(env.path("cache"))' SILO_TEST_SCRYPT_N=1024 '\(CLIEnvironment.binary)' init"
            let status = try env.shell("(\(typing); sleep 2) | script -qec \"\(command)\" /dev/null > '\(log)' 2>&1")
            return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        let (differ, differLog) = try initOnTerminal(["first password 1", "second password 2"], repo: env.path("r1"))
        XCTAssertNotEqual(differ, 0, differLog)
        XCTAssertTrue(differLog.contains("the two passwords differ"), differLog)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("r1/config")))

        let (weak, weakLog) = try initOnTerminal(["abc", "abc"], repo: env.path("r2"))
        XCTAssertEqual(weak, 0, weakLog)
        XCTAssertTrue(weakLog.contains("the password is weak"), weakLog)
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_REPOSITORY": env.path("r2"), "SILO_PASSWORD": "abc"])

        let (strong, strongLog) = try initOnTerminal(["Correct-Horse-Battery-9", "Correct-Horse-Battery-9"], repo: env.path("r3"))
        XCTAssertEqual(strong, 0, strongLog)
        XCTAssertFalse(strongLog.contains("weak"), strongLog)
    }
}
