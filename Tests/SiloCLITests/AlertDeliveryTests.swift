import Foundation
import XCTest

/// Alerts end to end with the real binary and real receivers (scripts/notify-test-servers.sh:
/// an HTTP receiver that records every request, aiosmtpd for mail): a run that fails reaches a
/// signed webhook, critical escalates to tier 2 after 30 minutes of the test clock, the recovery
/// is announced to both tiers, healthchecks pings follow the runs, a channel that cannot be
/// reached is recorded and shown by `silo monitor`, and no secret appears anywhere.
final class AlertDeliveryTests: XCTestCase {
    private var env: CLIEnvironment!
    private let receiverDirectory = "/tmp/silo-notify-test"
    private let tag = UUID().uuidString.prefix(8).lowercased()

    override func setUpWithError() throws {
        let started = PostgresTestServer.run("/bin/bash", [PostgresTestServer.packageRoot + "/scripts/notify-test-servers.sh", "start"], environment: [:])
        guard started.status == 0 else { throw PostgresTestServer.TestServerError("cannot start the notification receivers: \(started.stderr)") }
        env = try CLIEnvironment()
        env.environment["TZ"] = "UTC"
        try env.write("platform/uploads/a.jpg", text(40_000, seed: 1))
        try env.expect(0, ["init", "-q"])
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    private var configPath: String { env.path("silo.yaml") }
    private var flag: String { env.path("maintenance") }
    private let hmacKey = "hmac-key-not-for-logs"
    private var leakToken: String { "leak-token-\(tag)" }

    private func configure() throws {
        let yaml = """
            repository:
              location: \(env.repo)
            sources:
              files:
                paths: [\(env.path("platform/uploads"))]
                cadence: 4h
            hooks:
              before:
                - test ! -e \(flag)
            notifications:
              attempts: 2
              remind: never
              channels:
                - name: devops
                  type: webhook
                  url: http://127.0.0.1:18590/devops-\(tag)
                  secret: \(hmacKey)
                - name: lead
                  type: webhook
                  url: http://127.0.0.1:18590/lead-\(tag)
                  min_severity: critical
                - name: broken
                  type: webhook
                  url: http://127.0.0.1:18590/status/503/\(leakToken)
                - name: ping
                  type: healthchecks
                  url: http://127.0.0.1:18590/ping-\(tag)
                  send_body: true
              tiers:
                - { after: 0, channels: [devops, broken] }
                - { after: 30m, severity: critical, channels: [lead] }
            """
        try env.write("silo.yaml", Data(yaml.utf8))
        chmod(configPath, 0o600)
    }

    /// Every output of every command, kept for the secret check at the end.
    private var outputs: [String] = []

    @discardableResult
    private func silo(_ status: Int32?, _ arguments: [String], at clock: String) throws -> CLIResult {
        let result = try env.run(arguments + ["--config", configPath], environment: ["SILO_TEST_CLOCK": clock])
        outputs.append(result.stdout + result.stderr)
        if let status { XCTAssertEqual(result.status, status, "silo \(arguments.joined(separator: " ")):\n\(result.stdout)\(result.stderr)") }
        return result
    }

    private struct Request {
        let path: String
        let method: String
        let headers: [String: String]
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    /// The requests the HTTP receiver recorded whose path starts with `prefix`, oldest first.
    private func requests(_ prefix: String) throws -> [Request] {
        let directory = receiverDirectory + "/http"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
            .compactMap { name -> Request? in
                let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let path = object["path"] as? String,
                      path.hasPrefix(prefix) else { return nil }
                var headers: [String: String] = [:]
                for pair in object["headers"] as? [[String]] ?? [] where pair.count == 2 { headers[pair[0].lowercased()] = pair[1] }
                return Request(path: path, method: object["method"] as? String ?? "", headers: headers,
                               body: Data(base64Encoded: object["body_base64"] as? String ?? "") ?? Data())
            }
    }

    /// `EVENT SEVERITY CHECK` of each alert a channel received about `check`.
    private func alerts(_ channel: String, check: String) throws -> [String] {
        try requests("/\(channel)-\(tag)").map(\.json).filter { $0["check"] as? String == check }
            .map { "\($0["event"] as? String ?? "?") \($0["severity"] as? String ?? "?")" }
    }

    func testAFailedRunEscalatesAndItsRecoveryIsAnnouncedWithPingsAndNoSecretLeaks() throws {
        try configure()
        try silo(0, ["run", "-q"], at: "2026-12-01T00:00:00Z")
        XCTAssertEqual(try alerts("devops", check: "runs/last"), [], "a good run announces nothing")
        XCTAssertEqual(try requests("/ping-\(tag)").map(\.path), ["/ping-\(tag)/start", "/ping-\(tag)"])
        XCTAssertTrue(String(decoding: try requests("/ping-\(tag)")[1].body, as: UTF8.self).hasPrefix("run #1 succeeded"))

        // The before hook fails from now on: one failed run is a warning, sent to tier 1 only.
        XCTAssertTrue(FileManager.default.createFile(atPath: flag, contents: Data()))
        try silo(1, ["run", "-q"], at: "2026-12-01T04:00:00Z")
        XCTAssertEqual(try alerts("devops", check: "runs/last"), ["problem warning"])
        XCTAssertEqual(try requests("/ping-\(tag)").last?.path, "/ping-\(tag)/fail")
        let problem = try XCTUnwrap(try requests("/devops-\(tag)").last { $0.json["check"] as? String == "runs/last" })
        XCTAssertEqual(problem.method, "POST")
        XCTAssertEqual(problem.json["tier"] as? Int, 1)
        XCTAssertTrue((problem.json["summary"] as? String ?? "").contains("failed"), "\(problem.json)")
        // The signature is HMAC-SHA-256 of the body under the channel's secret, computed here by openssl.
        let bodyFile = env.path("body-\(UUID().uuidString)")
        try problem.body.write(to: URL(fileURLWithPath: bodyFile))
        XCTAssertEqual(try env.shell("openssl dgst -sha256 -hmac '\(hmacKey)' -r '\(bodyFile)' | cut -d' ' -f1 > '\(bodyFile).mac'"), 0)
        let expected = try String(contentsOfFile: bodyFile + ".mac", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(problem.headers["x-silo-signature"], "sha256=" + expected)

        // Two more: three in a row is critical — told to tier 1 again; tier 2 waits 30 minutes of critical.
        try silo(1, ["run", "-q"], at: "2026-12-01T08:00:00Z")
        try silo(1, ["run", "-q"], at: "2026-12-01T12:00:00Z")
        XCTAssertEqual(try alerts("devops", check: "runs/last"), ["problem warning", "problem critical"])
        XCTAssertEqual(try alerts("lead", check: "runs/last"), [])
        try silo(nil, ["monitor", "--notify", "-q"], at: "2026-12-01T12:20:00Z")
        XCTAssertEqual(try alerts("lead", check: "runs/last"), [])
        try silo(nil, ["monitor", "--notify", "-q"], at: "2026-12-01T12:31:00Z")
        XCTAssertEqual(try alerts("lead", check: "runs/last"), ["escalation critical"])

        // The channel that cannot take anything: recorded, shown by the monitor, never blocking the others.
        let monitor = try silo(nil, ["monitor", "--json"], at: "2026-12-01T12:32:00Z")
        let delivery = try XCTUnwrap(monitor.jsonLines.first { $0["id"] as? String == "notifications/delivery" })
        XCTAssertEqual(delivery["status"] as? String, "warning")
        XCTAssertTrue((delivery["summary"] as? String ?? "").contains("broken failed"), "\(delivery)")
        XCTAssertEqual(try requests("/status/503/\(leakToken)").filter { $0.json["check"] as? String == "runs/last" }.count, 2 * 2,
                       "two alerts of runs/last, two attempts each")

        // An acknowledgement: no reminders, no new tier — until the state changes.
        let ack = try silo(0, ["alerts", "ack", "runs/last", "--json"], at: "2026-12-01T12:33:00Z")
        XCTAssertEqual(ack.jsonLines.first?["acknowledged"] as? Bool, true)
        try silo(64, ["alerts", "ack", "runs/lsat"], at: "2026-12-01T12:33:00Z")
        XCTAssertTrue(outputs.last?.contains("did you mean runs/last?") == true, outputs.last ?? "")

        // Recovery: resolved goes to both tiers.
        try FileManager.default.removeItem(atPath: flag)
        try silo(0, ["run", "-q"], at: "2026-12-01T13:00:00Z")
        XCTAssertEqual(try alerts("devops", check: "runs/last"), ["problem warning", "problem critical", "resolved critical"])
        XCTAssertEqual(try alerts("lead", check: "runs/last"), ["escalation critical", "resolved critical"])
        let states = try silo(0, ["alerts", "--json"], at: "2026-12-01T13:01:00Z")
        XCTAssertEqual(states.jsonLines.first { $0["check"] as? String == "runs/last" && $0["message_type"] as? String == "alert" }?["state"] as? String, "ok")

        // No secret anywhere: outputs, the history (and its deliveries), its JSON.
        try silo(0, ["history", "--json"], at: "2026-12-01T13:02:00Z")
        var stored = Data()
        for suffix in ["", "-wal"] { stored += (try? Data(contentsOf: URL(fileURLWithPath: env.path("state/history.sqlite") + suffix))) ?? Data() }
        for secret in [leakToken, hmacKey] {
            for text in outputs { XCTAssertFalse(text.contains(secret), "\(secret) in: \(text)") }
            XCTAssertNil(stored.range(of: Data(secret.utf8)), "\(secret) in the history")
        }
    }

    /// The end of a run and the 5-minute monitor may evaluate at the same moment: the alert lock
    /// makes the second see what the first announced, so a new problem is announced once.
    func testEvaluationsAtOnceAnnounceAProblemOnce() throws {
        try configure()
        try env.expect(0, ["backup", "-q", "--time", "2026-11-30T00:00:00Z", "--tag", "source:files", env.path("platform/uploads")])
        let processes = (0..<4).map { _ -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
            process.arguments = ["monitor", "--notify", "-q", "--config", configPath]
            process.environment = env.environment.merging(["SILO_TEST_CLOCK": "2026-12-01T12:00:00Z"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        XCTAssertEqual(try alerts("devops", check: "freshness/files"), ["problem critical"], "four evaluations at once, one announcement")
    }

    /// systemd's `OnFailure=` unit: a run that never started is recorded, pinged as a failure and
    /// alerted through escalation like a run's own failure; a second report of it sends nothing.
    func testARunThatNeverStartedIsAlertedBySiloScheduleFailed() throws {
        try configure()
        try silo(0, ["run", "-q"], at: "2026-12-01T00:00:00Z")
        let failed = try silo(0, ["schedule", "failed", "--unit", "silo.service", "--json"], at: "2026-12-01T04:05:00Z")
        XCTAssertEqual(failed.jsonLines.first?["recorded"] as? Bool, true, failed.stdout)
        XCTAssertEqual(try alerts("devops", check: "runs/last"), ["problem warning"])
        let problem = try XCTUnwrap(try requests("/devops-\(tag)").last { $0.json["check"] as? String == "runs/last" })
        XCTAssertTrue((problem.json["summary"] as? String ?? "").contains("systemd unit silo.service failed"), "\(problem.json)")
        XCTAssertEqual(try requests("/ping-\(tag)").last?.path, "/ping-\(tag)/fail")
        XCTAssertTrue(String(decoding: try requests("/ping-\(tag)").last?.body ?? Data(), as: UTF8.self).contains("silo.service failed before silo run could record it"))
        try silo(0, ["schedule", "failed", "--unit", "silo.service"], at: "2026-12-01T04:06:00Z")
        XCTAssertEqual(try alerts("devops", check: "runs/last"), ["problem warning"], "already recorded: nothing sent twice")
    }

    func testNotifyTestSendsToEveryChannelAndMailArrivesOverSTARTTLSWithAuth() throws {
        let password = try String(contentsOfFile: receiverDirectory + "/smtp-password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let passwordFile = env.path("smtp-password")
        XCTAssertTrue(FileManager.default.createFile(atPath: passwordFile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]))
        let yaml = """
            repository:
              location: \(env.repo)
            sources:
              files:
                paths: [\(env.path("platform/uploads"))]
            notifications:
              attempts: 1
              channels:
                - name: mail
                  type: email
                  server: smtp://127.0.0.1:18526
                  username: silo
                  password_file: \(passwordFile)
                  from: silo@example.com
                  to: [devops-\(tag)@example.com, lead-\(tag)@example.com]
                  ca_file: \(receiverDirectory)/tls/ca.pem
                - name: hook
                  type: webhook
                  url: http://127.0.0.1:18590/test-\(tag)
                - name: closed
                  type: webhook
                  url: http://127.0.0.1:9/\(leakToken)
            """
        try env.write("silo.yaml", Data(yaml.utf8))
        chmod(configPath, 0o600)
        let result = try silo(1, ["notify", "test", "--json"], at: "2026-12-01T00:00:00Z")
        let sent = result.jsonLines.filter { $0["message_type"] as? String == "delivery" }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: sent.map { ($0["channel"] as? String ?? "", $0["succeeded"] as? Bool ?? false) }),
                       ["mail": true, "hook": true, "closed": false])
        XCTAssertEqual(try requests("/test-\(tag)").first?.json["event"] as? String, "test")
        // The message aiosmtpd recorded: over TLS, authenticated, to both recipients.
        let mails = try FileManager.default.contentsOfDirectory(atPath: receiverDirectory + "/mail").filter { $0.hasSuffix(".json") }.compactMap { name -> [String: Any]? in
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: receiverDirectory + "/mail/" + name))) as? [String: Any]
            return (object?["rcpt_tos"] as? [String] ?? []).contains("devops-\(tag)@example.com") ? object : nil
        }
        let mail = try XCTUnwrap(mails.first)
        XCTAssertEqual(mail["tls"] as? Bool, true)
        XCTAssertEqual(mail["auth_login"] as? String, "silo")
        XCTAssertEqual(Set(mail["rcpt_tos"] as? [String] ?? []), ["devops-\(tag)@example.com", "lead-\(tag)@example.com"])
        let raw = String(decoding: Data(base64Encoded: mail["data_base64"] as? String ?? "") ?? Data(), as: UTF8.self)
        XCTAssertTrue(raw.contains("\r\nMessage-ID: <") || raw.hasPrefix("Message-ID: <"), raw)
        XCTAssertTrue(raw.contains("Date: "), raw)
        // Only one channel (the closed port) failed: exit 1, its error names no secret.
        for text in outputs { XCTAssertFalse(text.contains(leakToken) || text.contains(password), text) }
        XCTAssertEqual(try silo(64, ["notify", "test", "--channel", "mial"], at: "2026-12-01T00:00:00Z").stderr,
                       "silo: no channel mial in \(configPath); did you mean mail?\n")
    }
}
