import XCTest
@testable import SiloConfig

/// `notifications`: channels of each type with their secrets given each way, tiers, the
/// defaults, and each mistake named at its position.
final class NotificationSettingsTests: XCTestCase {
    private let source = "sources:\n  etc:\n    paths: [/etc]\n"
    private let environment = ["SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x", "SMTP_PASSWORD": "pw", "HC_URL": "https://hc-ping.com/uuid"]

    /// The seed's escalation — DevOps team, then the development lead after 30 minutes critical,
    /// then the CTO after 2 hours — with one channel of every type.
    private let full = """
        notifications:
          hold: 2
          remind: 8h
          attempts: 5
          channels:
            - name: devops-slack
              type: slack
              webhook_url: ${SLACK_WEBHOOK}
              min_severity: critical
            - name: devops-mail
              type: email
              server: smtp://mail.example.com:587
              username: alerts
              password_file: smtp-password
              from: silo@example.com
              to: [devops@example.com, lead@example.com]
              ca_file: ca.pem
            - name: lead-mail
              type: email
              server: smtps://mail.example.com
              username: alerts
              password_command: pass show smtp
              from: silo@example.com
              to: lead@example.com
            - name: cto-mail
              type: email
              server: smtp://localhost
              security: none
              from: silo@example.com
              to: cto@example.com
              min_severity: unknown
            - name: pager
              type: webhook
              url: https://hooks.example.com/silo
              secret_file: hook-secret
            - name: ping
              type: healthchecks
              url_command: cat /etc/silo/hc-url
              send_body: true
          tiers:
            - { after: 0, channels: [devops-slack, devops-mail] }
            - { after: 30m, severity: critical, channels: lead-mail }
            - { after: 2h, severity: critical, channels: [cto-mail, pager] }
        """

    private func writeFullsFiles(_ scratch: ConfigScratch) throws {
        try scratch.write("smtp-password", "pw\n")
        try scratch.write("hook-secret", "key\n")
        try scratch.write("ca.pem", "-----BEGIN CERTIFICATE-----\n", mode: 0o644)
    }

    func testEveryKeyIsRead() throws {
        let scratch = try ConfigScratch()
        try writeFullsFiles(scratch)
        let file = try scratch.configuration(minimalRepository + source + full)
        let notifications = try ConfigurationLoader.load(path: file, environment: environment).notifications
        XCTAssertEqual(notifications.hold, 2)
        XCTAssertEqual(notifications.remind, .seconds(8 * 3_600))
        XCTAssertEqual(notifications.attempts, 5)
        XCTAssertEqual(notifications.channels, [
            ChannelSettings(name: "devops-slack", kind: .slack(webhookURL: .value("https://hooks.slack.com/services/T/B/x")), minSeverity: .critical),
            ChannelSettings(name: "devops-mail", kind: .email(EmailSettings(
                server: "smtp://mail.example.com:587", security: .starttls, username: "alerts", password: .file(scratch.path("smtp-password")),
                from: "silo@example.com", to: ["devops@example.com", "lead@example.com"], caFile: scratch.path("ca.pem")))),
            ChannelSettings(name: "lead-mail", kind: .email(EmailSettings(
                server: "smtps://mail.example.com", security: .tls, username: "alerts", password: .command("pass show smtp"),
                from: "silo@example.com", to: ["lead@example.com"]))),
            ChannelSettings(name: "cto-mail", kind: .email(EmailSettings(
                server: "smtp://localhost", security: .none, from: "silo@example.com", to: ["cto@example.com"])), minSeverity: .unknown),
            ChannelSettings(name: "pager", kind: .webhook(url: .value("https://hooks.example.com/silo"), secret: .file(scratch.path("hook-secret")))),
            ChannelSettings(name: "ping", kind: .healthchecks(url: .command("cat /etc/silo/hc-url"), sendBody: true)),
        ])
        XCTAssertEqual(notifications.tiers, [
            TierSettings(after: .zero, channels: ["devops-slack", "devops-mail"]),
            TierSettings(after: .seconds(30 * 60), severity: .critical, channels: ["lead-mail"]),
            TierSettings(after: .seconds(2 * 3_600), severity: .critical, channels: ["cto-mail", "pager"]),
        ])
        XCTAssertEqual(notifications.channel(named: "pager")?.typeName, "webhook")
    }

    func testTheDefaults() throws {
        let scratch = try ConfigScratch()
        let absent = try ConfigurationLoader.load(path: try scratch.configuration(minimalRepository + source), environment: [:])
        XCTAssertEqual(absent.notifications, NotificationSettings())
        XCTAssertEqual(NotificationSettings(), NotificationSettings(channels: [], tiers: [], hold: 1, remind: .seconds(4 * 3_600), attempts: 3))
        let empty = try ConfigurationLoader.load(path: try scratch.configuration(minimalRepository + source + "notifications:\n"), environment: [:])
        XCTAssertEqual(empty.notifications, NotificationSettings())

        // The security follows the scheme; no user is fine for a relay; send_body is off; "never" reminds never.
        let file = try scratch.configuration(minimalRepository + source + """
            notifications:
              remind: never
              channels:
                - { name: tls, type: email, server: "smtps://mail.example.com:465", from: s@example.com, to: "a@example.com,b@example.com" }
                - { name: starttls, type: email, server: "smtp://mail.example.com", from: s@example.com, to: o@example.com }
                - { name: ping, type: healthchecks, url: "${HC_URL}" }
                - { name: hook, type: webhook, url: "http://127.0.0.1:8080/silo" }
            """)
        let notifications = try ConfigurationLoader.load(path: file, environment: environment).notifications
        XCTAssertNil(notifications.remind)
        XCTAssertEqual(notifications.hold, 1)
        XCTAssertEqual(notifications.attempts, 3)
        XCTAssertEqual(notifications.tiers, [])
        XCTAssertEqual(notifications.channels, [
            ChannelSettings(name: "tls", kind: .email(EmailSettings(server: "smtps://mail.example.com:465", security: .tls, from: "s@example.com",
                                                                    to: ["a@example.com", "b@example.com"]))),
            ChannelSettings(name: "starttls", kind: .email(EmailSettings(server: "smtp://mail.example.com", security: .starttls, from: "s@example.com",
                                                                         to: ["o@example.com"]))),
            ChannelSettings(name: "ping", kind: .healthchecks(url: .value("https://hc-ping.com/uuid"), sendBody: false)),
            ChannelSettings(name: "hook", kind: .webhook(url: .value("http://127.0.0.1:8080/silo"), secret: nil)),
        ])
        XCTAssertEqual(notifications.channels.map(\.minSeverity), [.warning, .warning, .warning, .warning])
    }

    func testChannelMistakes() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + source + """
            notifications:
              hold: 0
              remind: sometimes
              attempts: 11
              channels:
                - name: chat
                  type: slak
                  webhook_url: https://hooks.slack.com/services/T/B/x
                - name: chat
                  type: slack
                  webhook_url: ${SLACK_WEBHOOK}
                  webhook_url_file: /etc/silo/slack-url
                - name: Dev Ops
                  type: webhook
                  url: ftp://hooks.example.com/silo
                  min_severity: high
                - type: healthchecks
                  url: https:///no-host
                  sendbody: true
                - name: hook
                  type: webhook
                - just a name
            """)
        XCTAssertEqual(issues(of: file, environment: environment).map(\.description), [
            "\(file):8:9: notifications.hold: must be at least 1, found 0",
            "\(file):9:11: notifications.remind: 'sometimes' is not a reminder interval: expected never or a number and a unit, one of s, m, h, d, w (30s, 10m, 1h)",
            "\(file):10:13: notifications.attempts: must be at most 10, found 11",
            "\(file):13:13: notifications.channels[0].type: 'slak' is not a channel type: expected one of slack, email, webhook, healthchecks; did you mean 'slack'?",
            "\(file):15:13: notifications.channels[1].name: channel 'chat' is named twice: names must be unique",
            "\(file):18:7: notifications.channels[1].webhook_url_file: webhook_url and webhook_url_file exclude each other; give one",
            "\(file):19:13: notifications.channels[2].name: 'Dev Ops' is not a valid name for a channel: use lower-case letters, digits, _ and - only",
            "\(file):21:12: notifications.channels[2].url: a URL with scheme 'ftp': expected http:// or https://",
            "\(file):22:21: notifications.channels[2].min_severity: 'high' is not a severity: expected one of ok, warning, critical, unknown",
            "\(file):23:7: notifications.channels[3].name: missing required key 'name'",
            "\(file):24:12: notifications.channels[3].url: a URL without a host: expected https://HOST/…",
            "\(file):25:7: notifications.channels[3].sendbody: unknown key 'sendbody'; did you mean 'send_body'?",
            "\(file):26:7: notifications.channels[4].url: missing required key 'url' (or url_file, url_command)",
            "\(file):28:7: notifications.channels[5]: expected a mapping (a channel: name, type and its settings), found a scalar",
        ])
    }

    func testEmailMistakes() throws {
        let scratch = try ConfigScratch()
        try scratch.write("ca.pem", "-----BEGIN CERTIFICATE-----\n", mode: 0o644)
        let file = try scratch.configuration(minimalRepository + source + """
            notifications:
              channels:
                - name: a
                  type: email
                  server: http://mail.example.com
                  from: silo
                  to: []
                - name: b
                  type: email
                  server: smtp://mail.example.com
                  security: tls
                  username: alerts
                  from: silo@example.com
                  to: [ops@example.com, "x@example.com, not an address"]
                - name: c
                  type: email
                  server: smtp://localhost:25
                  security: none
                  username: alerts
                  password: ${SMTP_PASSWORD}
                  from: silo@example.com
                  to: ops@example.com
                  ca_file: ca.pem
                - name: d
                  type: email
                  server: smtps://user:hunter2@mail.example.com
                  password_command: pass show smtp
                  from: [a@example.com]
                - name: e
                  type: email
                  server: smtps://mail.example.com
                  security: starttls
                  from: silo@example.com, ops@example.com
                  to: ops@example.com
                - name: f
                  type: email
                  server: smtp://mail.example.com:0/relay
                  from: silo@example.com
                  to: ops@example.com
            """)
        let found = issues(of: file, environment: environment).map(\.description)
        XCTAssertFalse(found.joined().contains("hunter2"), "a password in the server URL is never printed")
        XCTAssertEqual(found, [
            "\(file):11:15: notifications.channels[0].server: 'http://mail.example.com' is not a mail server: expected smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT] (TLS)",
            "\(file):12:13: notifications.channels[0].from: 'silo' is not an email address: expected NAME@DOMAIN",
            "\(file):13:11: notifications.channels[0].to: is an empty list: give at least one",
            "\(file):17:17: notifications.channels[1].security: smtp:// starts in plain text: for TLS from the first byte use smtps:// (port 465)",
            "\(file):18:17: notifications.channels[1].username: a username needs a password: give password, password_file or password_command",
            "\(file):20:29: notifications.channels[1].to[1]: 'not an address' is not an email address: expected NAME@DOMAIN",
            "\(file):25:17: notifications.channels[2].username: security none would send the password in the clear: silo refuses AUTH without TLS; use starttls, or no username for a relay that needs none",
            "\(file):29:16: notifications.channels[2].ca_file: ca_file applies to TLS, not to security none",
            "\(file):30:7: notifications.channels[3].to: missing required key 'to'",
            "\(file):32:15: notifications.channels[3].server: a mail server with a user inside: give it as username, and the password as password_file (or password, password_command)",
            "\(file):33:7: notifications.channels[3].password_command: a password needs a username",
            "\(file):34:13: notifications.channels[3].from: expected one address, found a list",
            "\(file):38:17: notifications.channels[4].security: smtps:// is TLS from the first byte: security tls (or leave it out), or use smtp:// for starttls",
            "\(file):39:13: notifications.channels[4].from: 'silo@example.com, ops@example.com' is more than one address: give one",
            "\(file):43:15: notifications.channels[5].server: port 0 is not a TCP port (1 to 65535)",
        ])
    }

    func testTierMistakes() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + source + """
            notifications:
              channels:
                - { name: devops-mail, type: email, server: "smtp://localhost", security: none, from: silo@example.com, to: ops@example.com }
                - { name: devops-slack, type: slack, webhook_url: "${SLACK_WEBHOOK}" }
              tiers:
                - { after: 30m, channels: [devops-mail, devops-slak] }
                - { after: 30m, severity: critical, channels: [lead-mail] }
                - { after: 10m, severity: ok, channels: devops-mail }
                - { after: 1h }
                - { after: 2h, channels: [] }
                - devops-mail
              tier: []
            """)
        XCTAssertEqual(issues(of: file, environment: environment).map(\.description), [
            "\(file):12:45: notifications.tiers[0].channels[1]: no channel is named 'devops-slak'; did you mean 'devops-slack'?",
            "\(file):13:16: notifications.tiers[1].after: 30m is not later than the tier before (30m): each tier takes over after the one before it",
            "\(file):13:52: notifications.tiers[1].channels[0]: no channel is named 'lead-mail' (channels: devops-mail, devops-slack)",
            "\(file):14:16: notifications.tiers[2].after: 10m is not later than the tier before (30m): each tier takes over after the one before it",
            "\(file):14:31: notifications.tiers[2].severity: 'ok' is not a tier's severity: expected one of warning, unknown, critical",
            "\(file):15:7: notifications.tiers[3].channels: missing required key 'channels'",
            "\(file):16:30: notifications.tiers[4].channels: is an empty list: give at least one",
            "\(file):17:7: notifications.tiers[5]: expected a mapping (a tier: after, severity and channels), found a scalar",
            "\(file):18:3: notifications.tier: unknown key 'tier'; did you mean 'tiers'?",
        ])
        let wrongShapes = try scratch.configuration(minimalRepository + source + "notifications:\n  channels: {chat: slack}\n  tiers: devops\n")
        XCTAssertEqual(issues(of: wrongShapes).map(\.description), [
            "\(wrongShapes):8:13: notifications.channels: expected a list of channels, found a mapping",
            "\(wrongShapes):9:10: notifications.tiers: expected a list of tiers, found a scalar",
        ])
        let untyped = try scratch.configuration(minimalRepository + source + "notifications:\n  channels:\n    - { name: chat, webhook_url: \"${SLACK_WEBHOOK}\" }\n")
        XCTAssertEqual(issues(of: untyped, environment: environment).map(\.description), [
            "\(untyped):9:7: notifications.channels[0].type: missing required key 'type'",
        ])
        let notAMapping = try scratch.configuration(minimalRepository + source + "notifications: [chat]\nmonitoring: 3\n")
        XCTAssertEqual(issues(of: notAMapping).map(\.description), [
            "\(notAMapping):7:16: notifications: expected a mapping, found a list",
            "\(notAMapping):8:13: monitoring: expected a mapping, found a scalar",
        ])
    }

    /// A file holding a channel's secret is 0600 like a password file; a CA file must exist.
    func testSecretFilesMustBePrivate() throws {
        let scratch = try ConfigScratch()
        let url = try scratch.write("slack-url", "https://hooks.slack.com/services/T/B/x\n", mode: 0o644)
        let file = try scratch.configuration(minimalRepository + source + """
            notifications:
              channels:
                - { name: chat, type: slack, webhook_url_file: slack-url }
                - name: mail
                  type: email
                  server: smtps://mail.example.com
                  username: alerts
                  password_file: missing-password
                  from: silo@example.com
                  to: ops@example.com
                  ca_file: missing-ca.pem
            """)
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):9:52: notifications.channels[0].webhook_url_file: secret file \(url) has mode 0644: others can read it; run chmod 600 \(url)",
            "\(file):14:22: notifications.channels[1].password_file: secret file \(scratch.path("missing-password")) cannot be used: no such file or directory",
            "\(file):17:16: notifications.channels[1].ca_file: CA file \(scratch.path("missing-ca.pem")) cannot be used: no such file or directory",
        ])
    }

    /// An inline URL written out (not `${VAR}`) is a secret in the file, which must then be 0600:
    /// a Healthchecks `url` counts as much as a Slack `webhook_url`.
    func testALiteralChannelSecretNeedsAPrivateFile() throws {
        let scratch = try ConfigScratch()
        let yaml = minimalRepository + source + """
            notifications:
              channels:
                - { name: ping, type: healthchecks, url: "https://hc-ping.com/uuid" }
            """
        let open = try scratch.configuration(yaml, mode: 0o644)
        XCTAssertEqual(issues(of: open).map(\.description), [
            "\(open):9:46: notifications.channels[0].url: holds a secret written out, but \(open) has mode 0644: run chmod 600 \(open), or refer to an environment variable as ${VAR}",
        ])
        let referring = try scratch.configuration(yaml.replacingOccurrences(of: "https://hc-ping.com/uuid", with: "${HC_URL}"), mode: 0o644)
        XCTAssertNoThrow(try ConfigurationLoader.load(path: referring, environment: environment))
    }

    /// What `config show` prints of the section reads back as the same settings.
    func testTheEffectiveSectionReadsBackTheSame() throws {
        let scratch = try ConfigScratch()
        try writeFullsFiles(scratch)
        let configuration = try ConfigurationLoader.load(path: try scratch.configuration(minimalRepository + source + full), environment: environment)
        let shown = configuration.yaml(masked: false)
        for line in ["remind: 8h", "- after: 0\n", "after: 30m", "security: starttls", "min_severity: unknown", "send_body: true",
                     "url_command: cat /etc/silo/hc-url", "secret_file: \(scratch.path("hook-secret"))"] {
            XCTAssertTrue(shown.contains(line), "\(line) missing:\n\(shown)")
        }
        var again = try ConfigurationLoader.load(path: try scratch.write("shown.yaml", shown), environment: [:])
        again.file = configuration.file
        XCTAssertEqual(again.notifications, configuration.notifications)
        XCTAssertEqual(again, configuration)
    }
}
