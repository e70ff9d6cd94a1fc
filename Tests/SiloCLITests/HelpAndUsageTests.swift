import Foundation
import XCTest

/// Help shows examples and the global options; usage errors are one line (JSON under --json).
final class HelpAndUsageTests: XCTestCase {
    /// Every command path (`["key", "passwd"]`), from the parser's own description of silo.
    private func commandPaths(_ env: CLIEnvironment) throws -> [[String]] {
        let dump = try env.expect(0, ["--experimental-dump-help"])
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        func walk(_ command: [String: Any], _ path: [String]) -> [[String]] {
            let children = (command["subcommands"] as? [[String: Any]]) ?? []
            return [path] + children.flatMap { child in
                let name = child["commandName"] as? String ?? ""
                return name == "help" ? [] : walk(child, path + [name])
            }
        }
        return walk(try XCTUnwrap(root["command"] as? [String: Any]), []).filter { !$0.isEmpty }
    }

    func testEveryCommandsHelpShowsExamples() throws {
        let env = try CLIEnvironment()
        let paths = try commandPaths(env)
        XCTAssertTrue(paths.contains(["key", "passwd"]) && paths.contains(["unlock"]) && paths.contains(["version"]), "\(paths)")
        for path in paths {
            let help = try env.expect(0, path + ["--help"])
            XCTAssertTrue(help.stdout.contains("Examples:\n  silo "), "silo \(path.joined(separator: " ")) --help:\n\(help.stdout)")
        }
    }

    func testRootHelpListsGlobalOptionsAndEnvironment() throws {
        let env = try CLIEnvironment()
        let help = try env.expect(0, ["--help"]).stdout
        for option in ["-r, --repo", "--password-file", "--password-command", "--cache-dir", "--cacert", "--json", "-q, --quiet"] {
            XCTAssertTrue(help.contains(option), "\(option) missing:\n\(help)")
        }
        for variable in ["SILO_REPOSITORY", "SILO_PASSWORD ", "SILO_PASSWORD_FILE", "SILO_PASSWORD_COMMAND", "SILO_CACHE_DIR", "SILO_STATE_DIR",
                         "AWS_ACCESS_KEY_ID", "AWS_CA_BUNDLE", "https_proxy"] {
            XCTAssertTrue(help.contains(variable), "\(variable) missing:\n\(help)")
        }
        XCTAssertFalse(help.contains("later"), help)
    }

    func testAMistypedCommandGetsADidYouMean() throws {
        let env = try CLIEnvironment()
        let typo = try env.expect(64, ["snapshts"])
        XCTAssertEqual(typo.stderr, "silo: unknown command 'snapshts'; did you mean 'snapshots'? (see 'silo --help')\n")
        let nested = try env.expect(64, ["key", "passwrd"])
        XCTAssertTrue(nested.stderr.contains("did you mean 'passwd'?"), nested.stderr)
        let far = try env.expect(64, ["frobnicate"])
        XCTAssertFalse(far.stderr.contains("did you mean"), far.stderr)
    }

    func testHelpOfAnUnknownCommandIsAUsageError() throws {
        let env = try CLIEnvironment()
        let unknown = try env.expect(64, ["help", "bakup"])
        XCTAssertEqual(unknown.stderr, "silo: unknown command 'bakup'; did you mean 'backup'? (see 'silo --help')\n")
        XCTAssertEqual(unknown.stdout, "")
        XCTAssertTrue(try env.expect(0, ["help", "key", "passwd"]).stdout.contains("silo key passwd"))
    }

    func testUsageErrorsAreOneLineStartingSilo() throws {
        let env = try CLIEnvironment()
        for arguments in [["backup", "--no-such-flag"], ["snapshots", "--jsno"], ["check", "--read-data-subset", "abc"], ["ls"]] {
            let result = try env.expect(64, arguments)
            XCTAssertTrue(result.stderr.hasPrefix("silo: "), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(arguments): \(result.stderr)")
        }
        XCTAssertTrue(try env.expect(64, ["snapshots", "--jsno"]).stderr.contains("did you mean '--json'?"))
    }

    /// Under --json every error is an `error` object with its exit code, usage errors too.
    func testErrorsUnderJsonAreJsonObjects() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        for (arguments, code, extra) in [(["--json", "backup", "--no-such-flag"], 64, [String: String]()),
                                         (["--json", "snapshts"], 64, [:]),
                                         (["snapshots", "--json"], 12, ["SILO_PASSWORD": "wrong"]),
                                         (["--json", "snapshots", "-r", env.path("nothing-here")], 10, [:])] {
            let result = try env.run(arguments, environment: extra)
            XCTAssertEqual(result.status, Int32(code), "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, result.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
            XCTAssertEqual(object?["message_type"] as? String, "error", result.stderr)
            XCTAssertEqual(object?["exit_code"] as? Int, code, result.stderr)
            XCTAssertFalse((object?["message"] as? String ?? "").isEmpty, result.stderr)
        }
    }

    func testVersionFromOneSource() throws {
        let env = try CLIEnvironment()
        let version = try env.expect(0, ["version"]).stdout
        XCTAssertTrue(version.hasPrefix("silo "), version)
        XCTAssertEqual(try env.expect(0, ["--version"]).stdout, version)
        XCTAssertEqual(try env.expect(0, ["version", "-q"]).stdout, version)
        let json = try env.expect(0, ["--json", "version"]).jsonLines.first
        XCTAssertEqual(json?["message_type"] as? String, "version")
        XCTAssertEqual("silo \(json?["version"] as? String ?? "")\n", version)
    }
}
