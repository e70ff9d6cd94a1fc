import Foundation

/// The cron form of a schedule: one line in `/etc/cron.d/silo` (with the user column) or, for
/// a user's crontab, the same line without it. cron has no `OnFailure=`, random delay or
/// catch-up of missed firings: a run that never starts shows as the absence of runs, which
/// monitoring's staleness check catches.
public enum CronFile {
    public static let defaultPath = "/etc/cron.d/silo"
    /// The environment lines: cron's own PATH lacks /usr/local/bin and the sbin directories.
    public static let environment = ["SHELL=/bin/sh", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    /// The file. `user`: the user column of /etc/cron.d (`root`); nil for a user's crontab.
    public static func render(_ settings: ScheduleSettings, user: String? = "root") -> String {
        let calendar = settings.cadence.calendar
        var lines = [
            // silo run does at each firing only what is due, so the shortest cadence serves every slower one.
            "# Fires \(calendar), the shortest cadence of the configuration (\(settings.cadence.keyPath) \(settings.cadence.cadence));",
            "# silo run decides from its run history what is due.",
        ]
        lines += environment
        let fields = calendar.cronFields + (user.map { [$0] } ?? [])
        lines.append((fields + [commandLine(settings.runArguments)]).joined(separator: " "))
        // The monitor every 5 minutes: escalation's delays and reminders between runs.
        // Its output (the checks' table) goes nowhere: cron would mail it every 5 minutes. The alerts are its output.
        lines.append((SystemdUnits.monitorCalendar.cronFields + (user.map { [$0] } ?? []) + [commandLine(settings.monitorArguments) + " >/dev/null"]).joined(separator: " "))
        // The restore drill (drill.cadence); quiet, so cron mails only a failure.
        lines.append((settings.drillCalendar.cronFields + (user.map { [$0] } ?? []) + [commandLine(settings.drillArguments)]).joined(separator: " "))
        return ScheduleMarker.header(settings) + lines.joined(separator: "\n") + "\n"
    }

    /// A shell command line: arguments with anything but safe characters single-quoted, and
    /// `%` (which cron turns into a newline) escaped.
    static func commandLine(_ arguments: [String]) -> String {
        arguments.map { argument in
            let safe = !argument.isEmpty && argument.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:,@".contains($0)) }
            let word = safe ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
            return word.replacingOccurrences(of: "%", with: "\\%")
        }.joined(separator: " ")
    }

    /// The five time fields of the schedule line of an installed file's text.
    public static func timeFields(in text: String) -> [String]? {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            // Comments, blank lines and `NAME=value` environment lines.
            guard let first = words.first, !first.hasPrefix("#"), !first.contains("=") else { continue }
            return words.count >= 6 ? Array(words.prefix(5)) : nil
        }
        return nil
    }
}
