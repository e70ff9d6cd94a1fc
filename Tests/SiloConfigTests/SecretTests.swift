import XCTest
@testable import SiloConfig

/// Secrets are masked for display and removed for storage; where they come from stays.
final class SecretTests: XCTestCase {
    private func load() throws -> (ConfigScratch, Configuration) {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              db:
                postgres:
                  url: postgresql://app:${DB_PASSWORD}@localhost:5432/app
                  password: ${DB_PASSWORD}
            notifications:
              email:
                to: admin@example.com
                smtp_password: ${SMTP_PASSWORD}
                smtp_password_file: /etc/silo/smtp.password
              slack:
                webhook: ${SLACK_WEBHOOK}
              pager:
                url: https://events.example.com/webhook/abc
                api_token: ${TOKEN}
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: [
            "DB_PASSWORD": "hunter2", "SMTP_PASSWORD": "smtp-secret", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x", "TOKEN": "tok",
        ])
        return (scratch, configuration)
    }

    func testShowMasksEverySecret() throws {
        let (_, configuration) = try load()
        let shown = configuration.yaml(masked: true)
        for secret in ["hunter2", "smtp-secret", "hooks.slack.com", "events.example.com", "tok\n"] {
            XCTAssertFalse(shown.contains(secret), "\(secret) in:\n\(shown)")
        }
        XCTAssertTrue(shown.contains("url: postgresql://app:***@localhost:5432/app"), shown)
        XCTAssertTrue(shown.contains("password: '***'"), shown)
        XCTAssertTrue(shown.contains("smtp_password_file: /etc/silo/smtp.password"), shown)
        XCTAssertTrue(shown.contains("to: admin@example.com"), shown)
    }

    func testRemovingSecretsKeepsWhereTheyComeFrom() throws {
        let (_, configuration) = try load()
        let stored = configuration.removingSecrets()
        let text = stored.yaml(masked: false)
        for secret in ["hunter2", "smtp-secret", "hooks.slack.com", "events.example.com", "***", "tok\n"] {
            XCTAssertFalse(text.contains(secret), "\(secret) in:\n\(text)")
        }
        guard case .postgres(let postgres) = stored.source(named: "db")?.kind else { return XCTFail("not a postgres source") }
        XCTAssertEqual(postgres.url, "postgresql://app@localhost:5432/app")
        XCTAssertNil(postgres.password)
        XCTAssertEqual(stored.repository, configuration.repository)
        XCTAssertTrue(text.contains("smtp_password_file: /etc/silo/smtp.password"), text)
        XCTAssertNil(stored.reserved.first?.value["slack"]?["webhook"])
        XCTAssertEqual(SecretPolicy.replacingURLPassword("s3:https://k:s@h/b", with: nil), "s3:https://k@h/b")
    }
}
