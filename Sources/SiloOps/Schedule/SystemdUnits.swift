import Foundation

/// The systemd units of a schedule: `silo.timer` fires `silo.service`, which runs
/// `silo run --scheduled`; when the service fails (whatever the reason, even before silo
/// starts: a missing binary, a unit error), `OnFailure=` starts `silo-failure@silo.service`,
/// which records the failure in the run history so that monitoring sees a run that never ran.
/// `silo-monitor.timer` fires `silo-monitor.service` every 5 minutes: `silo monitor --notify`,
/// so that escalation's delays (tier 2 after 30 minutes) are kept between 4-hourly runs.
/// `silo-drill.timer` fires `silo-drill.service` at `drill.cadence` (monthly): `silo drill`,
/// the seed's `restore.sh --test`, recorded where the monitor's drill check reads it.
public enum SystemdUnits {
    public static let service = "silo.service"
    public static let timer = "silo.timer"
    public static let failureTemplate = "silo-failure@.service"
    public static let monitorService = "silo-monitor.service"
    public static let monitorTimer = "silo-monitor.timer"
    public static let drillService = "silo-drill.service"
    public static let drillTimer = "silo-drill.timer"
    public static let names = [service, timer, failureTemplate, monitorService, monitorTimer, drillService, drillTimer]
    public static let timers = [timer, monitorTimer, drillTimer]
    /// How often the monitor evaluates the checks and escalation.
    public static let monitorCalendar = ScheduleCalendar.minutes(5)

    /// The units by name, in `names`' order.
    public static func render(_ settings: ScheduleSettings) -> [(name: String, text: String)] {
        [(service, serviceUnit(settings)), (timer, timerUnit(settings)), (failureTemplate, failureUnit(settings)),
         (monitorService, monitorServiceUnit(settings)), (monitorTimer, monitorTimerUnit(settings)),
         (drillService, drillServiceUnit(settings)), (drillTimer, drillTimerUnit(settings))]
    }

    public static func drillServiceUnit(_ settings: ScheduleSettings) -> String {
        var lines = [
            "[Unit]",
            "Description=silo restore drill of \(escapedPath(settings.configurationFile)): restore into a sandbox, verify, measure RTO",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=\(commandLine(settings.drillArguments))",
            "Nice=10",
            "IOSchedulingClass=idle",
        ]
        lines += hardening(settings)
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    public static func drillTimerUnit(_ settings: ScheduleSettings) -> String {
        let lines = [
            "[Unit]",
            "Description=silo restore drill, \(settings.drillCalendar) (drill.cadence)",
            "",
            "[Timer]",
            "OnCalendar=\(settings.drillCalendar.onCalendar)",
            "Persistent=true",
            "RandomizedDelaySec=1h",
            "FixedRandomDelay=true",
            "Unit=\(drillService)",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    /// The cache's environment and the file-system protection of every unit that opens the
    /// repository: read-only everywhere except what silo writes.
    static func hardening(_ settings: ScheduleSettings) -> [String] {
        var lines: [String] = []
        if settings.scope == .system && settings.configuredCache == nil {
            // System services get no $HOME; without it silo's default cache would land in the private /tmp and be lost.
            lines.append("Environment=XDG_CACHE_HOME=/root/.cache")
        }
        lines.append("ProtectSystem=strict")
        lines += settings.writablePaths.map { "ReadWritePaths=\(quoted("-" + $0))" }
        lines += [privateTmp(settings.writablePaths), "NoNewPrivileges=true"]
        return lines
    }

    public static func monitorServiceUnit(_ settings: ScheduleSettings) -> String {
        var lines: [String] = [
            "[Unit]",
            "Description=silo monitor of \(escapedPath(settings.configurationFile)): checks and alerts",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=\(commandLine(settings.monitorArguments))",
            // monitor exits as a Nagios plugin does: WARNING, CRITICAL and UNKNOWN are findings, not failures of the unit.
            "SuccessExitStatus=1 2 3",
            "Nice=10",
        ]
        // It writes the cache (the catalog) and the state directory (alert states), like a run.
        lines += hardening(settings)
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    public static func monitorTimerUnit(_ settings: ScheduleSettings) -> String {
        let lines = [
            "[Unit]",
            "Description=silo monitor, every 5 minutes (escalation tiers and reminders between runs)",
            "",
            "[Timer]",
            "OnCalendar=\(monitorCalendar.onCalendar)",
            "AccuracySec=1min",
            // A missed evaluation is not worth catching up: the next one sees the same state.
            "Persistent=false",
            "Unit=\(monitorService)",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    public static func serviceUnit(_ settings: ScheduleSettings) -> String {
        var lines = [
            "[Unit]",
            "Description=silo backup run of \(escapedPath(settings.configurationFile))",
            // A remote repository or database needs the network; harmless without one.
            "Wants=network-online.target",
            "After=network-online.target",
            "OnFailure=silo-failure@%n.service",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=\(commandLine(settings.runArguments))",
            // Backups yield to the machine's real work, CPU and disk alike.
            "Nice=10",
            "IOSchedulingClass=idle",
        ]
        // Hooks writing outside what a run writes need a drop-in (`systemctl edit silo.service`).
        lines += hardening(settings)
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    public static func timerUnit(_ settings: ScheduleSettings) -> String {
        let calendar = settings.cadence.calendar
        let lines = [
            "[Unit]",
            // silo run does at each firing only what is due, so the shortest cadence serves every slower one.
            "Description=silo backup run, \(calendar) (the shortest cadence: \(settings.cadence.keyPath) \(settings.cadence.cadence))",
            "",
            "[Timer]",
            "OnCalendar=\(calendar.onCalendar)",
            // A firing missed while the machine was off runs at the next boot.
            "Persistent=true",
            "RandomizedDelaySec=\(duration(calendar.randomizedDelay))",
            // The same delay at every firing (per machine and unit): firings stay one step apart, so a
            // cadence equal to the step is due at each one instead of just missing it after a long delay.
            "FixedRandomDelay=true",
            "Unit=\(service)",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    public static func failureUnit(_ settings: ScheduleSettings) -> String {
        let arguments = [settings.siloBinary, "schedule", "failed", "--config", settings.configurationFile, "--unit"]
        let lines: [String] = [
            "[Unit]",
            "Description=record the failure of %i in silo's run history",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=\(commandLine(arguments)) %i\(settings.scope == .user ? " --user" : "")",
            // It opens the repository too (the monitor's alerts after the failure): the same cache and paths as a run.
        ] + hardening(settings)
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    /// `PrivateTmp=true`, unless a path the unit writes is in /tmp or /var/tmp: the private
    /// /tmp would hide it (a repository there is unusual, but silently writing into a
    /// throw-away directory would be worse than no private /tmp).
    static func privateTmp(_ writablePaths: [String]) -> String {
        if let inTmp = writablePaths.first(where: { path in ["/tmp", "/var/tmp"].contains { path == $0 || path.hasPrefix($0 + "/") } }) {
            return "# PrivateTmp=true left out: \(inTmp) is under a temporary directory it would hide"
        }
        return "PrivateTmp=true"
    }

    /// `90s`, `15min`: systemd's time span syntax.
    static func duration(_ span: Duration) -> String {
        let seconds = span.components.seconds
        return seconds % 60 == 0 ? "\(seconds / 60)min" : "\(seconds)s"
    }

    /// A path as systemd reads it in a unit file: `%` would start a specifier.
    public static func escapedPath(_ path: String) -> String { path.replacingOccurrences(of: "%", with: "%%") }

    /// Text for a unit file: `%` specifiers and `$` variables taken literally.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%%").replacingOccurrences(of: "$", with: "$$")
    }

    /// An `ExecStart=` command line: each argument escaped, and quoted when it holds a space,
    /// a quote or a backslash (systemd splits at spaces and unquotes like a shell, C-style).
    static func commandLine(_ arguments: [String]) -> String {
        arguments.map { quoted(escaped($0)) }.joined(separator: " ")
    }

    static func quoted(_ word: String) -> String {
        guard word.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "\\" || $0 == ";" }) || word.isEmpty else { return word }
        return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The `OnCalendar=` of an installed timer's text.
    public static func onCalendar(inTimer text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("OnCalendar=") {
            return String(line.dropFirst("OnCalendar=".count)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
