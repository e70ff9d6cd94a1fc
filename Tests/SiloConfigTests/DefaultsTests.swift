import XCTest
@testable import SiloConfig

/// What a short file means: the seed's policy, every default written out.
final class DefaultsTests: XCTestCase {
    func testAMinimalFileGetsTheSeedsDefaults() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + "sources:\n  uploads:\n    paths: [uploads]\n")
        let configuration = try ConfigurationLoader.parse(try String(contentsOfFile: file, encoding: .utf8), file: file,
                                                          environment: ["HOME": "/home/ops"], isRoot: false)
        XCTAssertEqual(configuration.repository, RepositorySettings(location: "/backup/silo", password: .file(scratch.path("repository.password")), cacheDirectory: nil))
        let uploads = try XCTUnwrap(configuration.source(named: "uploads"))
        XCTAssertEqual(uploads.cadence.interval, .seconds(4 * 3_600))
        XCTAssertEqual(uploads.kind, .paths(PathSource(paths: [scratch.path("uploads")])))
        XCTAssertEqual(configuration.retention.policy, KeepPolicy(daily: 7, weekly: 4, monthly: 12))
        XCTAssertEqual(configuration.retention.policy(for: uploads), .seedDefault)
        XCTAssertEqual(configuration.retention.prune.spelling, "weekly")
        XCTAssertEqual(configuration.checks, CheckSettings())
        XCTAssertEqual(configuration.state, StateSettings(directory: "/home/ops/.local/state/silo", historyDays: StateSettings.defaultHistoryDays))
        XCTAssertEqual(StateSettings.defaultDirectory(isRoot: true, environment: [:]), "/var/lib/silo")
        XCTAssertEqual(StateSettings.defaultDirectory(isRoot: false, environment: ["XDG_STATE_HOME": "/x"]), "/x/silo")
    }

    func testOverridesAndReservedSections() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              logs:
                paths: [/var/log/app]
                tags: [logs]
                hooks:
                  before:
                    - command: systemctl is-active app
                      timeout: 30s
              media:
                paths: [/srv/uploads]
                tags: [media]
            retention:
              keep_last: 3
              keep_daily: 7
              sources:
                logs: { keep_daily: 2 }
              tags:
                media: { keep_monthly: 24 }
            hooks:
              after:
                - echo done
            notifications:
              channels:
                - { name: devops-slack, type: slack, webhook_url: "${SLACK_WEBHOOK}" }
            recovery:
              api:
                restart: systemctl restart api
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: ["SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x"])
        XCTAssertEqual(configuration.retention.policy, KeepPolicy(last: 3, daily: 7))
        XCTAssertEqual(configuration.retention.policy(for: configuration.source(named: "logs")!), KeepPolicy(last: 3, daily: 2))
        XCTAssertEqual(configuration.retention.policy(for: configuration.source(named: "media")!), KeepPolicy(last: 3, daily: 7, monthly: 24))
        XCTAssertEqual(configuration.source(named: "logs")?.hooks.before, [Hook(command: "systemctl is-active app", timeout: "30s")])
        XCTAssertEqual(configuration.hooks.after.first?.timeout, .seconds(600))
        XCTAssertEqual(configuration.notifications.channels, [ChannelSettings(name: "devops-slack", kind: .slack(webhookURL: .value("https://hooks.slack.com/services/T/B/x")))])
        XCTAssertEqual(configuration.reserved.map(\.name), ["recovery"])
        XCTAssertEqual(configuration.reserved.first?.value["api"]?["restart"], .string("systemctl restart api"))
    }

    /// What `config show` prints is itself a valid configuration meaning the same.
    func testTheEffectiveConfigurationReadsBackTheSame() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              etc:
                paths: [/etc]
                exclude: ["*.tmp"]
                one_file_system: true
              db:
                postgres:
                  url: postgresql://app@localhost:5432/app
                  password_env: DB_PASSWORD
            copies:
              - name: offsite
                location: s3:https://s3.example.com/bucket/silo
                password_command: pass show silo
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: [:])
        let shown = try scratch.write("shown.yaml", configuration.yaml(masked: false))
        var again = try ConfigurationLoader.load(path: shown, environment: [:])
        again.file = configuration.file
        XCTAssertEqual(again, configuration, configuration.yaml())
    }
}
