import Foundation

/// The commented configuration `silo config init` writes, for a platform shaped like the seed's:
/// its `.env` files, uploads, built application and logs, its PostgreSQL database, a backup every
/// 4 hours and 7 daily / 4 weekly / 12 monthly kept. `silo config validate` accepts it as written.
public struct ConfigurationTemplate: Sendable {
    /// The seed's variables, which `--from-env` refers to as `${VAR}`.
    public static let seedVariables = ["BACKUP_DIR", "RETENTION_DAYS", "DB_PASSWORD", "ALERT_EMAIL", "SLACK_WEBHOOK"]
    /// The seed's platform and database, when no `--platform` is given.
    public static let seedPlatformRoot = "/home/ubuntu/o4o-platform"
    public static let seedDatabaseURL = "postgresql://postgres@localhost:5432/o4o_platform"

    public var platform: DiscoveredPlatform?
    /// Refer to the seed's variables; only those set in `environment` are used where a missing
    /// one would make the configuration invalid.
    public var fromEnvironment: Bool
    public var environment: [String: String]
    public var passwordFile: String

    public init(platform: DiscoveredPlatform?, fromEnvironment: Bool, environment: [String: String], passwordFile: String) {
        self.platform = platform
        self.fromEnvironment = fromEnvironment
        self.environment = environment
        self.passwordFile = passwordFile
    }

    public func render() -> String {
        var lines: [String] = [
            "# Silo configuration (docs/CONFIG.md). Check it with `silo config validate`;",
            "# `silo config show` prints what silo makes of it, secrets masked.",
            "# ${VAR} and ${VAR:-default} are taken from the environment when silo reads this file.",
            "",
            "repository:",
        ]
        if fromEnvironment {
            lines += ["  # BACKUP_DIR is where backup.sh wrote its archives; the repository goes beside them",
                      "  # (`silo import ${BACKUP_DIR}` moves those archives in as snapshots).",
                      "  location: ${BACKUP_DIR:-/backup/o4o-platform}/silo"]
        } else {
            lines += ["  location: /backup/silo"]
        }
        lines += [
            "  # The repository's password: mode 0600, and keep a copy off this machine.",
            "  password_file: \(passwordFile)",
            "",
            "# Off-site copies, each with its own password and cadence:",
            "# copies:",
            "#   - name: offsite",
            "#     location: s3:https://s3.eu-west-1.amazonaws.com/BUCKET/silo",
            "#     password_file: /etc/silo/offsite.password",
            "#     cadence: daily",
            "",
            "sources:",
        ]
        lines += sourceLines()
        lines += [
            "",
            "retention:",
            "  # Written out, these rules are the whole policy; per source or tag they can differ:",
            "  #   sources: { logs: { keep_daily: 14 } }",
            fromEnvironment ? "  keep_daily: ${RETENTION_DAYS:-7}" : "  keep_daily: 7",
            "  keep_weekly: 4",
            "  keep_monthly: 12",
            "  prune: weekly",
            "",
            "checks:",
            "  structure: daily",
            "  # 1/30 of the packs read back every day: every pack once a month.",
            "  read_data:",
            "    cadence: daily",
            "    share: 1/30",
            "",
            "# Commands around each run (and per source, under sources.NAME.hooks), each with a",
            "# timeout. A before hook that exits 75 skips the run without an error.",
            "# hooks:",
            "#   before:",
            "#     - command: /usr/local/bin/maintenance-window-closed",
            "#       timeout: 1m",
            "#   on_failure:",
            "#     - logger -t silo 'backup failed'",
            "",
            "state:",
            "  history_days: 400",
            "",
        ]
        lines += monitoringLines()
        lines += notificationLines()
        return lines.joined(separator: "\n") + "\n"
    }

    private func sourceLines() -> [String] {
        let root = platform?.root ?? Self.seedPlatformRoot
        var lines: [String] = []
        if platform == nil {
            lines.append("  # The seed's layout under \(root): adjust the paths, or run `silo config init --platform DIR`.")
        }
        func paths(_ found: [String]?, default fallback: [String]) -> [String] { found ?? fallback.map { root + "/" + $0 } }
        func source(_ name: String, _ comment: String, _ list: [String], tags: [String], cadence: String, extra: [String] = []) {
            guard !list.isEmpty else {
                lines.append("  # (no \(comment.lowercased()) found under \(root))")
                return
            }
            lines.append("  # \(comment)")
            lines.append("  \(name):")
            lines.append("    paths:")
            lines += list.map { "      - \(quoted($0))" }
            lines += extra
            lines.append("    tags: [\(tags.joined(separator: ", "))]")
            lines.append("    cadence: \(cadence)")
        }
        source("env", "Environment files (.env): small, and needed first in a restore.",
               paths(platform?.environmentFiles, default: [".env"]), tags: ["config"], cadence: "4h")
        source("uploads", "Uploaded media.", paths(platform?.uploads, default: ["uploads"]), tags: ["media"], cadence: "4h",
               extra: ["    exclude_caches: true"])
        source("app", "The built application.", paths(platform?.builtApplications, default: ["dist"]), tags: ["app"], cadence: "daily")
        source("logs", "Logs.", paths(platform?.logs, default: ["logs"]), tags: ["logs"], cadence: "daily",
               extra: ["    exclude:", "      - \"*.tmp\""])
        lines += [
            "  # The PostgreSQL database, dumped consistently before the files.",
            "  database:",
            "    postgres:",
            "      url: \(Self.seedDatabaseURL)",
        ]
        if fromEnvironment, environment["DB_PASSWORD"] != nil {
            lines.append("      password: ${DB_PASSWORD}")
        } else {
            lines.append("      # Read from the environment when the dump runs (or password_file, or ~/.pgpass).")
            lines.append("      password_env: DB_PASSWORD")
        }
        lines += ["    tags: [database]", "    cadence: 4h"]
        return lines
    }

    /// The thresholds, commented out: the defaults follow the schedule, so most files need none.
    private func monitoringLines() -> [String] {
        [
            "# Thresholds of `silo monitor`; these are the defaults (docs/CONFIG.md):",
            "# monitoring:",
            "#   freshness: { warning: 1.5, critical: 2.5 }   # the newest snapshot's age, in each source's cadences",
            "#   failures: { warning: 1, critical: 3 }        # consecutive failed runs",
            "#   space: { free_warning: 15%, free_critical: 5%, days_to_full_warning: 30, days_to_full_critical: 7 }",
            "#   textfile: /var/lib/prometheus/node-exporter  # silo run writes silo.prom there for node_exporter",
            "",
        ]
    }

    /// Channels for the seed's ALERT_EMAIL and SLACK_WEBHOOK (with `--from-env`, those set), and
    /// the seed's escalation as tiers: the first tier written, the other two commented out until
    /// their channels exist. Without either variable the whole section is an example in comments,
    /// since a channel needs an address or a URL to validate.
    private func notificationLines() -> [String] {
        let email = fromEnvironment && environment["ALERT_EMAIL"] != nil
        let slack = fromEnvironment && environment["SLACK_WEBHOOK"] != nil
        let active = email || slack
        var lines = ["notifications:", "  channels:"]
        var names: [String] = []
        if email || !active {
            lines += [
                "    # ALERT_EMAIL through the local mail relay. For another server, edit server and from:",
                "    # smtps://HOST (TLS) or smtp://HOST:587 (STARTTLS), with username and password_file.",
                "    - name: devops-mail",
                "      type: email",
                "      server: smtp://localhost:25",
                "      security: none",
                "      from: silo@localhost",
                "      to: ${ALERT_EMAIL}",
            ]
            names.append("devops-mail")
        }
        if slack || !active {
            lines += ["    - name: devops-slack", "      type: slack", "      webhook_url: ${SLACK_WEBHOOK}"]
            names.append("devops-slack")
        }
        lines += [
            "  # The seed's escalation: 1st the DevOps team; 2nd the development lead once a problem has",
            "  # been critical for 30 minutes; 3rd the CTO after 2 hours. Add their channels, then the tiers.",
            "  tiers:",
            "    - { after: 0, channels: [\(names.joined(separator: ", "))] }",
        ]
        let later = ["- { after: 30m, severity: critical, channels: [lead-mail] }", "- { after: 2h, severity: critical, channels: [cto-mail] }"]
        let header = "# Alerts: the channels `silo monitor` tells of a problem, and when it escalates (docs/CONFIG.md)."
        guard active else { return [header] + (lines + later.map { "    " + $0 }).map { "# " + $0 } + [""] }
        return [header] + lines + later.map { "    # " + $0 } + [""]
    }

    /// A path as a YAML scalar: quoted when it holds characters YAML would read otherwise.
    private func quoted(_ path: String) -> String {
        let plain = path.allSatisfy { $0.isLetter || $0.isNumber || "/._-".contains($0) } && !path.hasPrefix("-")
        return plain ? path : "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
