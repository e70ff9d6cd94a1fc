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
        for reference in ["${BACKUP_DIR:-/backup/o4o-platform}/silo", "${RETENTION_DAYS:-7}", "password: ${DB_PASSWORD}", "to: ${ALERT_EMAIL}", "webhook: ${SLACK_WEBHOOK}"] {
            XCTAssertTrue(text.contains(reference), "\(reference) missing:\n\(text)")
        }
        let configuration = try render(template, in: scratch, environment: environment)
        XCTAssertEqual(configuration.repository.location, "/backup/o4o-platform/silo")
        XCTAssertEqual(configuration.retention.policy.daily, 10)
        XCTAssertEqual(configuration.reserved.first?.value["email"]?["to"], .string("admin@example.com"))
        guard case .postgres(let postgres) = configuration.source(named: "database")?.kind else { return XCTFail("no database") }
        XCTAssertEqual(postgres.password, .value("pw"))

        // Without the variables set, what it writes still validates (and names DB_PASSWORD to read at run time).
        let bare = ConfigurationTemplate(platform: nil, fromEnvironment: true, environment: [:], passwordFile: scratch.path("repository.password"))
        let fallback = try render(bare, in: scratch, environment: [:])
        XCTAssertEqual(fallback.retention.policy.daily, 7)
        guard case .postgres(let unset) = fallback.source(named: "database")?.kind else { return XCTFail("no database") }
        XCTAssertEqual(unset.password, .environment("DB_PASSWORD"))
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
