import Foundation
import XCTest

/// SILO_PASSWORD_FILE, --password-command and SILO_PASSWORD_COMMAND, in restic's order: a file
/// or a command (each flag before its variable; the two exclude each other), else SILO_PASSWORD.
final class PasswordSourceTests: XCTestCase {
    private func repository() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        env.environment["SILO_PASSWORD"] = nil
        try env.write("right", Data("correct horse\n".utf8))
        try env.write("wrong", Data("battery staple\n".utf8))
        return env
    }

    func testPasswordFileVariable() throws {
        let env = try repository()
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD_FILE": env.path("right")])
        try env.expect(12, ["snapshots", "-q"], environment: ["SILO_PASSWORD_FILE": env.path("wrong")])
        // The flag comes before the variable, and the file before SILO_PASSWORD.
        try env.expect(0, ["snapshots", "-q", "--password-file", env.path("right")], environment: ["SILO_PASSWORD_FILE": env.path("wrong")])
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD_FILE": env.path("right"), "SILO_PASSWORD": "wrong"])
    }

    func testPasswordCommand() throws {
        let env = try repository()
        try env.expect(0, ["snapshots", "-q", "--password-command", "cat '\(env.path("right"))'"])
        try env.expect(0, ["--password-command", "printf 'correct horse\\r\\nsecond line\\n'", "snapshots", "-q"])
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD_COMMAND": "echo correct horse"])
        try env.expect(12, ["snapshots", "-q"], environment: ["SILO_PASSWORD_COMMAND": "echo battery staple"])
        // The flag before the variable, the command before SILO_PASSWORD.
        try env.expect(0, ["snapshots", "-q", "--password-command", "echo correct horse"], environment: ["SILO_PASSWORD_COMMAND": "false"])
        try env.expect(0, ["snapshots", "-q"], environment: ["SILO_PASSWORD_COMMAND": "echo correct horse", "SILO_PASSWORD": "wrong"])
    }

    func testAFailingCommandIsExit12WithOneLine() throws {
        let env = try repository()
        let failed = try env.expect(12, ["snapshots", "--password-command", "exit 3"])
        XCTAssertEqual(failed.stderr, "silo: the password command exited with status 3\n")
        let silent = try env.expect(12, ["snapshots", "--password-command", "true"])
        XCTAssertEqual(silent.stderr, "silo: the password command printed no password\n")
    }

    func testAFileAndACommandExcludeEachOther() throws {
        let env = try repository()
        let both = try env.expect(64, ["snapshots", "--password-file", env.path("right"), "--password-command", "echo correct horse"])
        XCTAssertTrue(both.stderr.hasPrefix("silo: a password file"), both.stderr)
        try env.expect(64, ["snapshots", "--password-file", env.path("right")], environment: ["SILO_PASSWORD_COMMAND": "echo correct horse"])
    }

    /// The command gets no password of silo's through its environment or argv.
    func testTheCommandSeesNoPasswordOfSilos() throws {
        let env = try repository()
        let seen = env.path("seen")
        try env.expect(0, ["snapshots", "-q", "--password-command", "{ env; cat /proc/$$/cmdline; } > '\(seen)'; cat '\(env.path("right"))'"],
                       environment: ["SILO_FROM_PASSWORD": "other-secret-1", "SILO_NEW_PASSWORD": "other-secret-2"])
        let text = try String(contentsOfFile: seen, encoding: .utf8)
        XCTAssertFalse(text.contains("other-secret"), text)
        XCTAssertFalse(text.contains("correct horse"), text)
    }
}
