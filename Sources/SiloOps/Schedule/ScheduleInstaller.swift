import Foundation

/// How a schedule is installed: systemd timer units or a cron file.
public enum ScheduleKind: String, Sendable, CaseIterable {
    case systemd
    case cron
}

/// Where the schedule files go.
public struct ScheduleLocations: Sendable, Equatable {
    public var scope: ScheduleScope
    public var unitDirectory: String
    public var cronFile: String

    public init(scope: ScheduleScope, unitDirectory: String? = nil, cronFile: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.scope = scope
        self.unitDirectory = unitDirectory ?? ScheduleLocations.defaultUnitDirectory(scope: scope, environment: environment)
        self.cronFile = cronFile ?? CronFile.defaultPath
    }

    /// /etc/systemd/system, or the user manager's `$XDG_CONFIG_HOME/systemd/user` (~/.config/systemd/user).
    public static func defaultUnitDirectory(scope: ScheduleScope, environment: [String: String]) -> String {
        guard scope == .user else { return "/etc/systemd/system" }
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/systemd/user" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/systemd/user"
    }

    /// The files of `kind`, by unit name (`cron` for the cron file).
    public func paths(_ kind: ScheduleKind) -> [(name: String, path: String)] {
        switch kind {
        case .systemd: return SystemdUnits.names.map { ($0, (unitDirectory as NSString).appendingPathComponent($0)) }
        case .cron: return [("cron", cronFile)]
        }
    }
}

/// A file `install` or `remove` dealt with.
public struct ScheduleFileChange: Sendable, Equatable {
    public enum Action: String, Sendable {
        case written
        case removed
        /// Found where silo would write, but not written by silo: left alone.
        case keptForeign = "kept_foreign"
    }

    public var kind: ScheduleKind
    public var name: String
    public var path: String
    public var action: Action
}

/// What `schedule status` reports of one file.
public struct ScheduleFileStatus: Sendable, Equatable {
    public var kind: ScheduleKind
    public var name: String
    public var path: String
    /// A file silo wrote is there.
    public var installed: Bool
    /// The timer's `OnCalendar=` or the cron time fields; nil for the units that have none.
    public var calendar: String?
    public var nextRun: Date?
    /// Whether systemd has the timer active; nil when that cannot be asked (no systemd running, or cron).
    public var active: Bool?
}

/// Writes and removes a schedule's files, and tells systemd about them when asked. Files are
/// written to a temporary name and renamed into place (mode 0644: cron ignores files others
/// may write), so systemd or cron never read half a file; a file silo did not write
/// (no `ScheduleMarker`) is never replaced without `force` and never removed.
public struct ScheduleInstaller: Sendable {
    public var locations: ScheduleLocations
    public var environment: [String: String]

    public init(locations: ScheduleLocations, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.locations = locations
        self.environment = environment
    }

    /// systemd is the init system here (what `sd_booted()` checks). `SILO_TEST_SYSTEMD_RUNNING=1`
    /// says so where it is not, for tests that put a fake systemctl on PATH.
    public static func systemdRunning(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["SILO_TEST_SYSTEMD_RUNNING"] == "1" || FileManager.default.fileExists(atPath: "/run/systemd/system")
    }

    /// systemd runs, for this installer's environment.
    public var systemdRunning: Bool { Self.systemdRunning(environment: environment) }

    /// The kind to use when none is asked for: systemd, unless this machine has none at all.
    public static func defaultKind(environment: [String: String] = ProcessInfo.processInfo.environment) -> ScheduleKind {
        systemdRunning(environment: environment) || SystemCommand.find("systemctl", environment: environment) != nil ? .systemd : .cron
    }

    // MARK: Install

    /// The files of `kind` for `settings`, by unit name, path and text.
    public func render(_ kind: ScheduleKind, _ settings: ScheduleSettings) -> [(name: String, path: String, text: String)] {
        switch kind {
        case .systemd:
            let texts = Dictionary(uniqueKeysWithValues: SystemdUnits.render(settings).map { ($0.name, $0.text) })
            return locations.paths(.systemd).map { ($0.name, $0.path, texts[$0.name] ?? "") }
        case .cron:
            // A user's crontab has no user column.
            return [("cron", locations.cronFile, CronFile.render(settings, user: locations.scope == .user ? nil : "root"))]
        }
    }

    /// Writes the files of `kind`. Checks every target first, so that a foreign file stops
    /// the install before anything is written.
    public func install(_ kind: ScheduleKind, _ settings: ScheduleSettings, force: Bool) throws -> [ScheduleFileChange] {
        let files = render(kind, settings)
        if !force {
            for file in files where Self.isForeign(file.path) {
                throw OpsError(.schedule, "\(file.path) exists and was not written by silo: not replaced (use --force to replace it)")
            }
        }
        var changes: [ScheduleFileChange] = []
        for file in files {
            try Self.writeFile(file.text, to: file.path)
            changes.append(ScheduleFileChange(kind: kind, name: file.name, path: file.path, action: .written))
        }
        return changes
    }

    /// Creates (0700) the state and cache directories the service may write, when missing:
    /// under `ProtectSystem=strict` a missing `ReadWritePaths` entry is skipped, and the run
    /// could not create it on the read-only file system. Returns the directories created.
    /// Only for units about to run here (a packager's `--unit-dir` build creates nothing).
    public func createWritableDirectories(_ settings: ScheduleSettings) throws -> [String] {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let cache = settings.configuredCache ?? (settings.scope == .user ? home + "/.cache/silo" : "/root/.cache/silo")
        var created: [String] = []
        for directory in [settings.stateDirectory, cache] where !FileManager.default.fileExists(atPath: directory) {
            do {
                try StateDirectory(path: directory).create()
            } catch let error as OpsError {
                throw OpsError(.schedule, error.message)
            }
            created.append(directory)
        }
        return created
    }

    /// systemctl's commands that load and start the timers.
    public func activationCommands() -> [[String]] {
        [reloadCommand, systemctl(["enable", "--now"] + SystemdUnits.timers)]
    }

    /// Stops the timers and removes their `timers.target.wants` links: before their files go.
    /// One command per timer: a timer systemd never loaded must not keep the others running.
    public var disableCommands: [[String]] { SystemdUnits.timers.map { systemctl(["disable", "--now", $0]) } }

    /// Makes systemd read the unit files again (after writing or removing them).
    public var reloadCommand: [String] { systemctl(["daemon-reload"]) }

    /// The installed silo.timer is silo's (a foreign timer of that name is never disabled).
    public var ownsTimer: Bool {
        Self.read((locations.unitDirectory as NSString).appendingPathComponent(SystemdUnits.timer)).map(ScheduleMarker.isGenerated) == true
    }

    private func systemctl(_ arguments: [String]) -> [String] {
        ["systemctl"] + (locations.scope == .user ? ["--user"] : []) + arguments
    }

    /// Runs systemctl commands in order, stopping at the first that fails. `ignoringFailureOf`:
    /// commands whose failure is expected (disabling a timer systemd never loaded).
    public func runSystemctl(_ commands: [[String]], ignoringFailureOf ignored: [[String]] = []) throws {
        for command in commands {
            let result = try SystemCommand.run(command, environment: environment)
            if result.status != 0 && !ignored.contains(command) {
                throw OpsError(.schedule, "`\(command.joined(separator: " "))` failed: \(result.firstErrorLine)")
            }
        }
    }

    // MARK: Remove

    /// Deletes the files of `kind` that silo wrote; a foreign one is kept and reported.
    public func remove(_ kind: ScheduleKind) throws -> [ScheduleFileChange] {
        var changes: [ScheduleFileChange] = []
        for file in locations.paths(kind) {
            guard let text = Self.read(file.path) else { continue }
            guard ScheduleMarker.isGenerated(text) else {
                changes.append(ScheduleFileChange(kind: kind, name: file.name, path: file.path, action: .keptForeign))
                continue
            }
            guard unlink(file.path) == 0 || errno == ENOENT else {
                throw OpsError(.schedule, "cannot remove \(file.path): \(String(cString: strerror(errno)))")
            }
            changes.append(ScheduleFileChange(kind: kind, name: file.name, path: file.path, action: .removed))
        }
        for timer in SystemdUnits.timers where kind == .systemd && changes.contains(where: { $0.name == timer && $0.action == .removed }) {
            // `systemctl enable`'s link, left when systemd was not asked to disable the timer (not running,
            // --no-activate): dangling now, and systemd would complain of it at every boot.
            let link = (locations.unitDirectory as NSString).appendingPathComponent("timers.target.wants/" + timer)
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link),
               target == (locations.unitDirectory as NSString).appendingPathComponent(timer) || target == "../" + timer,
               unlink(link) == 0 {
                changes.append(ScheduleFileChange(kind: kind, name: timer, path: link, action: .removed))
            }
        }
        return changes
    }

    /// Some file of `kind` that silo wrote is there.
    public func isInstalled(_ kind: ScheduleKind) -> Bool {
        locations.paths(kind).contains { Self.read($0.path).map(ScheduleMarker.isGenerated) == true }
    }

    // MARK: Status

    /// Each file of `kind`: whether silo's is there, its calendar and next run. With systemd
    /// running, the timer's next run is systemd's own; otherwise it is computed from the
    /// calendar (`systemd-analyze calendar` when installed, else here).
    public func status(_ kind: ScheduleKind, now: Date = Date(), askSystemd: Bool? = nil) -> [ScheduleFileStatus] {
        let askSystemd = askSystemd ?? systemdRunning
        return locations.paths(kind).map { file in
            var status = ScheduleFileStatus(kind: kind, name: file.name, path: file.path, installed: false)
            guard let text = Self.read(file.path), ScheduleMarker.isGenerated(text) else { return status }
            status.installed = true
            switch (kind, file.name) {
            case (.systemd, SystemdUnits.timer), (.systemd, SystemdUnits.monitorTimer), (.systemd, SystemdUnits.drillTimer):
                guard let expression = SystemdUnits.onCalendar(inTimer: text) else { break }
                status.calendar = expression
                if askSystemd {
                    status.active = systemdTimerActive(file.name)
                    status.nextRun = systemdNextElapse(file.name)
                }
                status.nextRun = status.nextRun ?? Self.analyzeNextElapse(expression, environment: environment)
                    ?? ScheduleCalendar(onCalendar: expression)?.nextFiring(after: now)
            case (.cron, _):
                guard let fields = CronFile.timeFields(in: text) else { break }
                status.calendar = fields.joined(separator: " ")
                status.nextRun = ScheduleCalendar(cronFields: fields)?.nextFiring(after: now)
            default:
                break
            }
            return status
        }
    }

    private func systemdTimerActive(_ timer: String) -> Bool? {
        guard let result = try? SystemCommand.run(systemctl(["is-active", timer]), environment: environment) else { return nil }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "active"
    }

    /// The timer's next elapse as systemd has it; nil when it has none (not active).
    private func systemdNextElapse(_ timer: String) -> Date? {
        let command = systemctl(["show", timer, "--property=NextElapseUSecRealtime", "--value", "--timestamp=utc"])
        guard let result = try? SystemCommand.run(command, environment: environment), result.status == 0 else { return nil }
        return Self.parseUTC(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `systemd-analyze calendar EXPR`'s next elapse: its `(in UTC):` line when the local zone
    /// is not UTC, else its `Next elapse:` line.
    public static func analyzeNextElapse(_ expression: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Date? {
        guard let result = try? SystemCommand.run(["systemd-analyze", "calendar", expression], environment: environment),
              result.status == 0 else { return nil }
        var next: Date?
        for line in result.output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("(in UTC):") {
                return parseUTC(String(trimmed.dropFirst("(in UTC):".count)).trimmingCharacters(in: .whitespaces))
            }
            if trimmed.hasPrefix("Next elapse:") {
                next = parseUTC(String(trimmed.dropFirst("Next elapse:".count)).trimmingCharacters(in: .whitespaces))
            }
        }
        return next
    }

    /// `Tue 2026-12-08 05:00:00 UTC`, as systemd prints a UTC time.
    public static func parseUTC(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.date(from: text)
    }

    // MARK: Files

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A file is there that silo did not write.
    static func isForeign(_ path: String) -> Bool {
        guard let text = read(path) else {
            // Something unreadable (a directory, no permission) is not silo's either.
            return FileManager.default.fileExists(atPath: path)
        }
        return !ScheduleMarker.isGenerated(text)
    }

    /// Written whole under a temporary name, synced, then renamed into place, mode 0644.
    static func writeFile(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                throw OpsError(.schedule, "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
        let temporary = path + ".silo-tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            let hint = errno == EACCES ? " (the system's units need root; --user installs for this user)" : ""
            throw OpsError(.schedule, "cannot write \(path): \(reason)\(hint)")
        }
        let bytes = Array(text.utf8)
        var done = 0
        var failure: Int32 = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            done += n
        }
        // 0644 whatever the umask: systemd and cron must read it, and only its owner may write it.
        if failure == 0 && (fchmod(fd, 0o644) != 0 || fsync(fd) != 0) { failure = errno }
        close(fd)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw OpsError(.schedule, "cannot write \(path): \(String(cString: strerror(failure)))")
        }
    }
}
