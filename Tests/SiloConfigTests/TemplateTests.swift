import XCTest
@testable import SiloConfig

/// What `config init` writes is accepted by validation, with and without the seed's variables.
final class TemplateTests: XCTestCase {
    private func render(_ template: ConfigurationTemplate, in scratch: ConfigScratch, environment: [String: String]) throws -> Configuration {
        try scratch.write("repository.password", "secret\n")
        let file = try scratch.write("silo.yaml", template.render())
        return try ConfigurationLoader.load(path: file, environment: environment)
    }

    func testTheSeedLayoutValidates() throws {
        let scratch = try ConfigScratch()
        let template = ConfigurationTemplate(platform: nil, fromEnvironment: false, environment: [:], passwordFile: scratch.path("repository.password"))
        let configuration = try render(template, in: scratch, environment: [:])
        XCTAssertEqual(configuration.sources.map(\.name), ["env", "uploads", "app", "logs", "database"])
        XCTAssertEqual(configuration.retention.policy, .seedDefault)
        XCTAssertEqual(configuration.source(named: "uploads")?.cadence.interval, .seconds(4 * 3_600))
    }

    func testFromEnvRefersToTheSeedsVariables() throws {
        let scratch = try ConfigScratch()
        let environment = ["BACKUP_DIR": "/backup/o4o-platform", "RETENTION_DAYS": "10", "DB_PASSWORD": "pw",
                           "ALERT_EMAIL": "admin@example.com", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x"]
        let template = ConfigurationTemplate(platform: nil, fromEnvironment: true, environment: environment, passwordFile: scratch.path("repository.password"))
        let text = template.render()
        for reference in ["${BACKUP_DIR:-/backup/o4o-platform}/silo", "${RETENTION_DAYS:-7}", "password: ${DB_PASSWORD}", "to: ${ALERT_EMAIL}",
                          "webhook_url: ${SLACK_WEBHOOK}", "# - { after: 30m, severity: critical, channels: [lead-mail] }"] {
            XCTAssertTrue(text.contains(reference), "\(reference) missing:\n\(text)")
        }
        let configuration = try render(template, in: scratch, environment: environment)
        XCTAssertEqual(configuration.repository.location, "/backup/o4o-platform/silo")
        XCTAssertEqual(configuration.retention.policy.daily, 10)
        XCTAssertEqual(configuration.notifications.channels, [
            ChannelSettings(name: "devops-mail", kind: .email(EmailSettings(server: "smtp://localhost:25", security: .none, from: "silo@localhost",
                                                                            to: ["admin@example.com"]))),
            ChannelSettings(name: "devops-slack", kind: .slack(webhookURL: .value("https://hooks.slack.com/services/T/B/x"))),
        ])
        XCTAssertEqual(configuration.notifications.tiers, [TierSettings(after: .zero, channels: ["devops-mail", "devops-slack"])])
        XCTAssertEqual(configuration.monitoring, MonitoringSettings().following(configuration.checks))
        guard case .postgres(let postgres) = configuration.source(named: "database")?.kind else { return XCTFail("no database") }
        XCTAssertEqual(postgres.password, .value("pw"))

        // Without the variables set, what it writes still validates (and names DB_PASSWORD to read at run time).
        let bare = ConfigurationTemplate(platform: nil, fromEnvironment: true, environment: [:], passwordFile: scratch.path("repository.password"))
        let fallback = try render(bare, in: scratch, environment: [:])
        XCTAssertEqual(fallback.retention.policy.daily, 7)
        guard case .postgres(let unset) = fallback.source(named: "database")?.kind else { return XCTFail("no database") }
        XCTAssertEqual(unset.password, .environment("DB_PASSWORD"))
        XCTAssertEqual(fallback.notifications, NotificationSettings())
    }

    /// Each of the seed's alert variables makes its channel alone; without either, the section
    /// is an example in comments, which validates once uncommented and its variables are set.
    func testEachAlertVariableMakesItsChannel() throws {
        let scratch = try ConfigScratch()
        let password = scratch.path("repository.password")
        let mail = try render(ConfigurationTemplate(platform: nil, fromEnvironment: true, environment: ["ALERT_EMAIL": "a@example.com, b@example.com"],
                                                    passwordFile: password), in: scratch, environment: ["ALERT_EMAIL": "a@example.com, b@example.com"])
        XCTAssertEqual(mail.notifications.channels.map(\.name), ["devops-mail"])
        guard case .email(let email) = mail.notifications.channels.first?.kind else { return XCTFail("no email channel") }
        XCTAssertEqual(email.to, ["a@example.com", "b@example.com"])
        XCTAssertEqual(mail.notifications.tiers.map(\.channels), [["devops-mail"]])

        let slackEnvironment = ["SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x"]
        let slack = try render(ConfigurationTemplate(platform: nil, fromEnvironment: true, environment: slackEnvironment, passwordFile: password),
                               in: scratch, environment: slackEnvironment)
        XCTAssertEqual(slack.notifications.channels.map(\.typeName), ["slack"])
        XCTAssertEqual(slack.notifications.tiers.map(\.channels), [["devops-slack"]])

        let text = ConfigurationTemplate(platform: nil, fromEnvironment: false, environment: slackEnvironment, passwordFile: password).render()
        XCTAssertTrue(text.contains("# notifications:\n#   channels:\n"), text)
        XCTAssertTrue(text.contains("# monitoring:\n"), text)
        var inExample = false
        let uncommented = text.components(separatedBy: "\n").map { line in
            if line == "# monitoring:" || line == "# notifications:" { inExample = true }
            if line.isEmpty { inExample = false }
            return inExample ? String(line.dropFirst(2)) : line
        }.joined(separator: "\n")
        let environment = ["ALERT_EMAIL": "admin@example.com"].merging(slackEnvironment) { $1 }
        // The commented tiers 2 and 3 name the lead's and the CTO's channels, which the example does not define.
        XCTAssertEqual(issues(of: try scratch.write("uncommented.yaml", uncommented), environment: environment).map(\.message), [
            "no channel is named 'lead-mail' (channels: devops-mail, devops-slack)",
            "no channel is named 'cto-mail' (channels: devops-mail, devops-slack)",
        ])
    }

    func testThePlatformFixtureIsDiscovered() throws {
        let root = fixturePlatform
        let found = DiscoveredPlatform.discover(root)
        XCTAssertEqual(found.environmentFiles, [root + "/.env", root + "/.env.production"])
        XCTAssertEqual(found.uploads, [root + "/uploads"])
        XCTAssertEqual(found.builtApplications, [root + "/app/dist"])
        XCTAssertEqual(found.logs, [root + "/logs"])
        let scratch = try ConfigScratch()
        let template = ConfigurationTemplate(platform: found, fromEnvironment: false, environment: [:], passwordFile: scratch.path("repository.password"))
        let configuration = try render(template, in: scratch, environment: [:])
        guard case .paths(let uploads) = configuration.source(named: "uploads")?.kind else { return XCTFail("no uploads") }
        XCTAssertEqual(uploads.paths, [root + "/uploads"])
    }

    /// fixtures/platform/silo.yaml describes the fixture and validates (git keeps no 0600, so
    /// the test copies the fixture's files and makes them private first).
    func testThePlatformFixturesConfigurationValidates() throws {
        let scratch = try ConfigScratch()
        let copy = scratch.path("platform")
        try FileManager.default.copyItem(atPath: fixturePlatform, toPath: copy)
        for name in ["silo.yaml", "repository.password"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy + "/" + name)
        }
        let configuration = try ConfigurationLoader.load(path: copy + "/silo.yaml", environment: ["DB_PASSWORD": "pw"])
        XCTAssertEqual(configuration.sources.map(\.name), ["env", "uploads", "app", "logs", "database"])
        guard case .paths(let env) = configuration.source(named: "env")?.kind else { return XCTFail("no env") }
        XCTAssertEqual(env.paths, [copy + "/.env", copy + "/.env.production"])
    }
}

/// The repository's directory, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let fixturePlatform = repositoryRoot + "/fixtures/platform"
