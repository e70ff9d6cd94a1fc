import Foundation
import XCTest

/// `silo config init`, `validate` and `show` end to end: what init writes validates, errors are
/// one line each at their positions with exit 64, secrets never print.
final class ConfigCommandTests: XCTestCase {
    private let seedEnvironment = ["BACKUP_DIR": "/backup/o4o-platform", "RETENTION_DAYS": "7", "DB_PASSWORD": "db-secret",
                                   "ALERT_EMAIL": "admin@example.com", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/xyz"]

    func testInitThenValidateThenShow() throws {
        let env = try CLIEnvironment()
        let config = env.path("etc/silo.yaml")
        let written = try env.expect(0, ["config", "init", "--from-env", "--output", config], environment: seedEnvironment)
        XCTAssertTrue(written.stdout.contains("wrote \(config)"), written.stdout)
        XCTAssertTrue(written.stdout.contains("repository.password"), written.stdout)
        for file in [config, env.path("etc/repository.password")] {
            let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o600, file)
        }
        let text = try String(contentsOfFile: config, encoding: .utf8)
        for reference in ["${BACKUP_DIR", "${RETENTION_DAYS", "${DB_PASSWORD}", "${ALERT_EMAIL}", "${SLACK_WEBHOOK}"] {
            XCTAssertTrue(text.contains(reference), reference)
        }

        let valid = try env.expect(0, ["--config", config, "config", "validate"], environment: seedEnvironment)
        XCTAssertTrue(valid.stdout.hasPrefix("configuration OK"), valid.stdout)
        // SILO_CONFIG names the file too.
        try env.expect(0, ["config", "validate"], environment: seedEnvironment.merging(["SILO_CONFIG": config]) { $1 })

        let shown = try env.expect(0, ["config", "show", "--config", config], environment: seedEnvironment)
        XCTAssertFalse(shown.stdout.contains("db-secret") || shown.stdout.contains("hooks.slack.com"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("keep_daily: 7") && shown.stdout.contains("location: /backup/o4o-platform/silo"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("password: '***'") && shown.stdout.contains("webhook_url: '***'"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("- name: devops-mail") && shown.stdout.contains("- admin@example.com"), shown.stdout)
        let json = try env.expect(0, ["--json", "config", "show", "--config", config], environment: seedEnvironment)
        let object = try XCTUnwrap(json.jsonLines.first)
        XCTAssertEqual(object["message_type"] as? String, "configuration")
        XCTAssertFalse(json.stdout.contains("db-secret") || json.stdout.contains("hooks.slack.com"), json.stdout)
        // Thresholds are numbers in JSON, not the text of the YAML.
        let configuration = try XCTUnwrap(object["configuration"] as? [String: Any])
        let freshness = (configuration["monitoring"] as? [String: Any])?["freshness"] as? [String: Any]
        XCTAssertEqual(freshness?["warning"] as? Double, 1.5)
        let channels = (configuration["notifications"] as? [String: Any])?["channels"] as? [[String: Any]]
        XCTAssertEqual(channels?.map { $0["type"] as? String }, ["email", "slack"])
    }

    func testInitRefusesToOverwrite() throws {
        let env = try CLIEnvironment()
        let config = env.path("silo.yaml")
        try env.expect(0, ["config", "init", "--output", config])
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: config))
        let refused = try env.expect(1, ["config", "init", "--output", config])
        XCTAssertEqual(refused.stderr, "silo: \(config) already exists: not overwritten (use --force to replace it, or --output FILE)\n")
        XCTAssertEqual(try String(contentsOfFile: config, encoding: .utf8), "mine\n")
        try env.expect(0, ["config", "init", "--output", config, "--force"])
        try env.expect(0, ["config", "validate", "--config", config])
    }

    func testInitFromThePlatformFixture() throws {
        let env = try CLIEnvironment()
        let platform = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/fixtures/platform"
        let config = env.path("silo.yaml")
        try env.expect(0, ["config", "init", "--platform", platform, "--output", config])
        let shown = try env.expect(0, ["config", "show", "--config", config]).stdout
        for path in ["\(platform)/.env", "\(platform)/.env.production", "\(platform)/uploads", "\(platform)/app/dist", "\(platform)/logs"] {
            XCTAssertTrue(shown.contains("- \(path)\n"), "\(path) missing:\n\(shown)")
        }
        let missing = try env.expect(64, ["config", "init", "--platform", env.path("nowhere"), "--output", env.path("other.yaml")])
        XCTAssertEqual(missing.stderr, "silo: --platform \(env.path("nowhere")): no such directory\n")
    }

    func testValidateNamesEachErrorOnItsLine() throws {
        let env = try CLIEnvironment()
        let config = env.path("silo.yaml")
        try env.write("pw", Data("secret\n".utf8))
        chmod(env.path("pw"), 0o644)
        try env.write("silo.yaml", Data("""
            repository:
              location: /backup/silo
              password_file: pw
            sources:
              uploads:
                paths: [/srv/uploads, 7]
                cadense: 4h
              logs:
                paths: [/var/log]
                cadence: sometimes
            """.utf8))
        let result = try env.expect(64, ["config", "validate", "--config", config])
        XCTAssertEqual(result.stderr, """
            \(config):3:18: repository.password_file: password file \(env.path("pw")) has mode 0644: others can read it; run chmod 600 \(env.path("pw"))
            \(config):7:5: sources.uploads.cadense: unknown key 'cadense'; did you mean 'cadence'?
            \(config):10:14: sources.logs.cadence: 'sometimes' is not a cadence: expected a duration such as 30m, 4h, 1d or 2w, or one of hourly, daily, weekly, monthly

            """)
        XCTAssertEqual(result.stdout, "")

        let json = try env.expect(64, ["config", "validate", "--config", config, "--json"])
        let errors = json.jsonLines.filter { $0["message_type"] as? String == "config_error" }
        XCTAssertEqual(errors.count, 3)
        XCTAssertEqual(errors[1]["key_path"] as? String, "sources.uploads.cadense")
        XCTAssertEqual(errors[1]["line"] as? Int, 7)
        XCTAssertEqual(errors[1]["column"] as? Int, 5)
        XCTAssertTrue(json.stderr.contains("\"exit_code\":64"), json.stderr)

        // Other commands refuse a bad configuration the same way: no crash, exit 64.
        let shown = try env.expect(64, ["config", "show", "--config", config])
        XCTAssertEqual(shown.stderr, result.stderr)
        let absent = try env.expect(64, ["config", "validate", "--config", env.path("absent.yaml")])
        XCTAssertTrue(absent.stderr.hasPrefix("\(env.path("absent.yaml")): cannot read the configuration: no such file"), absent.stderr)
    }
}
