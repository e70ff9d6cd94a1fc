import XCTest
@testable import SiloConfig

/// Secrets are masked for display and removed for storage; where they come from stays.
final class SecretTests: XCTestCase {
    private func load() throws -> (ConfigScratch, Configuration) {
        let scratch = try ConfigScratch()
        try scratch.write("smtp.password", "smtp-file-secret\n")
        let file = try scratch.configuration(minimalRepository + """
            sources:
              db:
                postgres:
                  url: postgresql://app:${DB_PASSWORD}@localhost:5432/app
                  password: ${DB_PASSWORD}
            notifications:
              channels:
                - name: mail
                  type: email
                  server: smtps://mail.example.com
                  username: alerts
                  password: ${SMTP_PASSWORD}
                  from: silo@example.com
                  to: admin@example.com
                - name: relay
                  type: email
                  server: smtp://mail.example.com:587
                  username: alerts
                  password_file: smtp.password
                  from: silo@example.com
                  to: admin@example.com
                - name: chat
                  type: slack
                  webhook_url: ${SLACK_WEBHOOK}
                - name: pager
                  type: webhook
                  url: https://events.example.com/hook/abc
                  secret: ${TOKEN}
                - name: ping
                  type: healthchecks
                  url: https://hc-ping.example.com/ping-uuid
            recovery:
              pager:
                url: https://events.example.com/webhook/abc
                api_token: ${TOKEN}
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: [
            "DB_PASSWORD": "hunter2", "SMTP_PASSWORD": "smtp-secret", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x", "TOKEN": "tok",
        ])
        return (scratch, configuration)
    }

    private let secrets = ["hunter2", "smtp-secret", "hooks.slack.com", "events.example.com", "hc-ping.example.com", "tok\n"]

    func testShowMasksEverySecret() throws {
        let (scratch, configuration) = try load()
        let shown = configuration.yaml(masked: true)
        for secret in secrets {
            XCTAssertFalse(shown.contains(secret), "\(secret) in:\n\(shown)")
        }
        XCTAssertTrue(shown.contains("url: postgresql://app:***@localhost:5432/app"), shown)
        for masked in ["password: '***'", "webhook_url: '***'", "url: '***'", "secret: '***'", "api_token: '***'"] {
            XCTAssertTrue(shown.contains(masked), "\(masked) missing:\n\(shown)")
        }
        XCTAssertTrue(shown.contains("password_file: \(scratch.path("smtp.password"))"), shown)
        XCTAssertTrue(shown.contains("- admin@example.com"), shown)
        XCTAssertTrue(shown.contains("server: smtps://mail.example.com"), shown)
        // The JSON form of `config show` is masked from the same value.
        let value = configuration.effectiveValue.maskingSecrets()
        guard case .list(let channels)? = value["notifications"]?["channels"] else { return XCTFail("no channels") }
        XCTAssertEqual(channels.map { $0["url"] ?? $0["webhook_url"] ?? $0["password"] ?? $0["password_file"] }, [
            .string("***"), .string(scratch.path("smtp.password")), .string("***"), .string("***"), .string("***"),
        ])
    }

    func testRemovingSecretsKeepsWhereTheyComeFrom() throws {
        let (scratch, configuration) = try load()
        let stored = configuration.removingSecrets()
        let text = stored.yaml(masked: false)
        for secret in secrets + ["***"] {
            XCTAssertFalse(text.contains(secret), "\(secret) in:\n\(text)")
        }
        guard case .postgres(let postgres) = stored.source(named: "db")?.kind else { return XCTFail("not a postgres source") }
        XCTAssertEqual(postgres.url, "postgresql://app@localhost:5432/app")
        XCTAssertNil(postgres.password)
        XCTAssertEqual(stored.repository, configuration.repository)
        XCTAssertTrue(text.contains("password_file: \(scratch.path("smtp.password"))"), text)
        XCTAssertNil(stored.reserved.first?.value["pager"]?["api_token"])
        XCTAssertEqual(SecretPolicy.replacingURLPassword("s3:https://k:s@h/b", with: nil), "s3:https://k@h/b")

        let channels = stored.notifications.channels
        XCTAssertEqual(channels.map(\.name), ["mail", "relay", "chat", "pager", "ping"])
        guard case .email(let mail) = channels[0].kind, case .email(let relay) = channels[1].kind else { return XCTFail("not email") }
        XCTAssertNil(mail.password)
        XCTAssertEqual(relay.password, .file(scratch.path("smtp.password")))
        XCTAssertEqual(channels[2].kind, .slack(webhookURL: .value("")))
        XCTAssertEqual(channels[3].kind, .webhook(url: .value(""), secret: nil))
        XCTAssertEqual(channels[4].kind, .healthchecks(url: .value(""), sendBody: false))
        // A required secret removed is a key left out: validating the recovered copy names it.
        let recovered = try scratch.write("recovered.yaml", text)
        let missing = issues(of: recovered).map(\.message)
        XCTAssertEqual(missing, ["a username needs a password: give password, password_file or password_command",
                                 "missing required key 'webhook_url' (or webhook_url_file, webhook_url_command)",
                                 "missing required key 'url' (or url_file, url_command)",
                                 "missing required key 'url' (or url_file, url_command)"])
    }

    /// A channel's `url` is a secret for the channel types whose URL is the credential, and only there.
    func testAChannelURLIsASecretByItsType() {
        XCTAssertTrue(SecretPolicy.isSecretKey("url", inMappingOfType: "healthchecks"))
        XCTAssertTrue(SecretPolicy.isSecretKey("url", inMappingOfType: "webhook"))
        XCTAssertFalse(SecretPolicy.isSecretKey("url", inMappingOfType: "email"))
        XCTAssertFalse(SecretPolicy.isSecretKey("url", inMappingOfType: nil))
        XCTAssertTrue(SecretPolicy.isSecretKey("webhook_url", inMappingOfType: nil))
        XCTAssertFalse(SecretPolicy.isSecretKey("url_file", inMappingOfType: "webhook"))
        XCTAssertFalse(SecretPolicy.isSecretKey("secret_command", inMappingOfType: "webhook"))
        // Whatever shape a secret key's value has, it is masked or removed whole.
        let nested = ConfigValue.mapping([("webhook", .mapping([("url", .string("https://example.com/x")), ("retries", .integer(3))])), ("name", .string("n"))])
        XCTAssertEqual(nested.maskingSecrets(), .mapping([("webhook", .string("***")), ("name", .string("n"))]))
        XCTAssertEqual(nested.removingSecrets(), .mapping([("name", .string("n"))]))
    }
}
