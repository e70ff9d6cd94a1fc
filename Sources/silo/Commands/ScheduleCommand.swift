import ArgumentParser
import Foundation
import SiloConfig
import SiloOps
import SiloRepository

/// `silo schedule install|remove|status`: the systemd timer (or cron file) that runs
/// `silo run --scheduled` at the configuration's shortest cadence (SiloOps' Schedule/).
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Install, remove and show the systemd timer or cron file that runs silo run.",
        discussion: Help.examples(["silo schedule install", "silo schedule install --cron", "silo schedule install --user",
                                   "silo schedule status", "silo schedule remove"],
                                  note: "One timer fires at the configuration's shortest cadence; silo run then does only what is due. systemd units go to /etc/systemd/system (--user: ~/.config/systemd/user), the cron file to /etc/cron.d/silo."),
        subcommands: [Install.self, Remove.self, Status.self, Failed.self])

    /// Which schedule, where: shared by every subcommand.
    struct Target: ParsableArguments {
        @Flag(name: .long, help: "systemd timer units (the default where systemd is installed).")
        var systemd = false

        @Flag(name: .long, help: "A cron file (the default where systemd is not installed).")
        var cron = false

        @Flag(name: .long, help: "The user's own systemd manager (units in ~/.config/systemd/user) instead of the system's.")
        var user = false

        @Option(name: .long, help: ArgumentHelp("The directory of the unit files (default /etc/systemd/system, --user: ~/.config/systemd/user).", valueName: "dir"))
        var unitDir: String?

        @Option(name: .long, help: ArgumentHelp("The cron file (default /etc/cron.d/silo).", valueName: "file"))
        var cronFile: String?

        func validate() throws {
            if systemd && cron { throw ValidationError("--systemd and --cron exclude each other; give one") }
        }

        var scope: ScheduleScope { user ? .user : .system }

        func locations(_ environment: [String: String]) -> ScheduleLocations {
            ScheduleLocations(scope: scope, unitDirectory: unitDir.map(ScheduleSettings.absolute),
                              cronFile: cronFile.map(ScheduleSettings.absolute), environment: environment)
        }

        /// The kind asked for; nil when neither flag is given.
        var explicitKind: ScheduleKind? { systemd ? .systemd : cron ? .cron : nil }

        /// The kinds `remove` and `status` look at: the one asked for, else both, except that
        /// a user has no cron file of silo's unless --cron-file names it.
        func kinds() throws -> [ScheduleKind] {
            if user && cronFile == nil {
                if cron { throw UsageError(message: Target.userCronMessage) }
                return [.systemd]
            }
            return explicitKind.map { [$0] } ?? ScheduleKind.allCases
        }

        static let userCronMessage = "--cron --user needs --cron-file FILE: a user's crontab is not a file silo writes (write the line to a file, then load it with `crontab FILE`)"
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install", abstract: "Write the timer and service units (or the cron file) for the configuration, and start the timer.",
            discussion: Help.examples(["silo schedule install", "silo --config /etc/silo/silo.yaml schedule install --cron",
                                       "silo schedule install --user", "silo schedule install --dry-run", "silo schedule install --unit-dir ./units --no-activate"],
                                      note: "The configuration is validated first. The service runs `silo run --config FILE --scheduled` with Nice=10, IOSchedulingClass=idle and ProtectSystem=strict (writable: the local repositories, the cache, the state directory); when it fails, silo-failure@.service records the failure in the run history. A file silo did not write is not replaced without --force. --cron --user needs --cron-file (a crontab fragment for `crontab FILE`)."))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        @Flag(name: .long, help: "Write the files only: do not run systemctl daemon-reload and enable --now silo.timer.")
        var noActivate = false

        @Flag(name: .long, help: "Replace schedule files silo did not write.")
        var force = false

        @Option(name: .long, help: ArgumentHelp("The silo binary the units run (default: this one).", valueName: "path"))
        var siloBinary: String?

        @Flag(name: [.customShort("n"), .long], help: "Print each file as it would be written; write and run nothing.")
        var dryRun = false

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let kind = target.explicitKind ?? ScheduleInstaller.defaultKind(environment: global.environment)
                if kind == .cron && target.user && target.cronFile == nil {
                    throw UsageError(message: Target.userCronMessage)
                }
                let binary = try ScheduleCommand.siloBinary(siloBinary)
                guard let configuration = ConfigCommand.load(global, output: output) else { return ExitCodes.usage }
                let settings = ScheduleSettings(configuration: configuration, siloBinary: binary, scope: target.scope)
                let installer = ScheduleInstaller(locations: target.locations(global.environment), environment: global.environment)
                if dryRun {
                    for file in installer.render(kind, settings) {
                        output.result("# \(file.path)\n" + file.text)
                        output.emit(ScheduleFileMessage(kind: kind.rawValue, unit: file.name, path: file.path, action: "would_write"))
                    }
                    return ExitCodes.success
                }
                for change in try installer.install(kind, settings, force: force) {
                    output.line("wrote \(change.path)")
                    output.emit(ScheduleFileMessage(change))
                }
                let other: ScheduleKind = kind == .systemd ? .cron : .systemd
                if installer.isInstalled(other) {
                    // Both would fire; the run lock keeps them apart, but one schedule is what was meant.
                    output.warning("silo's \(other.rawValue) schedule is installed too (\(other == .cron ? installer.locations.cronFile : installer.locations.unitDirectory)): remove it with `silo schedule remove --\(other.rawValue)`")
                }
                let calendar = settings.cadence.calendar
                let expression = kind == .systemd ? calendar.onCalendar : calendar.cronFields.joined(separator: " ")
                output.line("runs \(calendar) (\(expression)): the shortest cadence, \(settings.cadence.keyPath) \(settings.cadence.cadence)")
                var activated = false
                var pending: [String] = []
                switch kind {
                case .systemd:
                    let commands = installer.activationCommands()
                    if !noActivate && installer.systemdRunning {
                        for directory in try installer.createWritableDirectories(settings) { output.line("created \(directory)") }
                        do {
                            try installer.runSystemctl(commands)
                        } catch let error as OpsError {
                            throw OpsError(error.code, error.message + " (the units are written; start the timer with: "
                                + commands.map { $0.joined(separator: " ") }.joined(separator: " && ") + ")")
                        }
                        activated = true
                        output.line("started " + SystemdUnits.timers.joined(separator: ", "))
                    } else {
                        pending = commands.map { $0.joined(separator: " ") }
                        output.line((noActivate ? "not started (--no-activate)" : "systemd is not running here") + "; to start the timer: " + pending.joined(separator: " && "))
                    }
                case .cron:
                    if target.scope == .user {
                        pending = ["crontab \(installer.locations.cronFile)"]
                        output.line("load it into your crontab (this replaces it): \(pending[0])")
                    } else {
                        // cron reads /etc/cron.d itself; nothing to start.
                        activated = true
                    }
                }
                output.emit(ScheduleInstallSummaryMessage(kind: kind.rawValue, calendar: expression, cadence: settings.cadence.cadence.spelling,
                                                          cadenceFrom: settings.cadence.keyPath, activated: activated, commands: pending))
                return ExitCodes.success
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Stop the timer and delete the schedule files silo wrote.",
            discussion: Help.examples(["silo schedule remove", "silo schedule remove --cron", "silo schedule remove --user"],
                                      note: "Without --systemd or --cron, both kinds are removed. A file silo did not write is left alone and named. Nothing installed is not an error."))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        @Flag(name: .long, help: "Delete the files only: do not run systemctl disable --now silo.timer and daemon-reload.")
        var noActivate = false

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let installer = ScheduleInstaller(locations: target.locations(global.environment), environment: global.environment)
                var changes: [ScheduleFileChange] = []
                var deactivated = false
                var hint: String?
                var failure: Error?
                for kind in try target.kinds() {
                    let tellSystemd = kind == .systemd && !noActivate && installer.systemdRunning
                    if tellSystemd && installer.ownsTimer {
                        // Stopped before its files go; a timer systemd never loaded cannot be disabled, and that is fine.
                        try installer.runSystemctl(installer.disableCommands, ignoringFailureOf: installer.disableCommands)
                        deactivated = true
                    }
                    let removed = try installer.remove(kind)
                    if tellSystemd && removed.contains(where: { $0.action == .removed }) {
                        // The files are gone whatever systemctl says: report them first, then the failure.
                        do { try installer.runSystemctl([installer.reloadCommand]) } catch { failure = error }
                    } else if kind == .systemd && removed.contains(where: { $0.action == .removed }) && installer.systemdRunning {
                        hint = "systemd not told (--no-activate): run \(installer.disableCommands.map { $0.joined(separator: " ") }.joined(separator: "; ")) and \(installer.reloadCommand.joined(separator: " "))"
                    }
                    changes += removed
                }
                for change in changes {
                    output.line(change.action == .removed ? "removed \(change.path)" : "kept \(change.path): not written by silo")
                    output.emit(ScheduleFileMessage(change))
                }
                let removed = changes.filter { $0.action == .removed }.count
                if changes.isEmpty { output.line("no schedule installed: nothing to remove") }
                if let hint { output.line(hint) }
                if let failure { throw failure }
                output.emit(ScheduleRemoveSummaryMessage(removed: removed, kept: changes.count - removed, deactivated: deactivated))
                return ExitCodes.success
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show the installed schedule files, their calendar and next run.",
            discussion: Help.examples(["silo schedule status", "silo schedule status --user --json"],
                                      note: "With systemd running the next run is systemd's; otherwise it is computed from the calendar (systemd-analyze calendar for a timer). Without --systemd or --cron, both kinds are shown."))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let installer = ScheduleInstaller(locations: target.locations(global.environment), environment: global.environment)
                var installed = 0
                for kind in try target.kinds() {
                    for file in installer.status(kind) {
                        output.emit(ScheduleUnitMessage(file))
                        guard file.installed else { continue }
                        installed += 1
                        var text = file.name.padding(toLength: max(22, file.name.count), withPad: " ", startingAt: 0) + "  " + file.path
                        if let calendar = file.calendar { text += "  \(calendar)" }
                        if let next = file.nextRun { text += "  next run \(Format.date(next)) (in \(Self.span(next.timeIntervalSinceNow)))" }
                        if file.active == false { text += "  (timer not active: systemctl\(target.user ? " --user" : "") enable --now silo.timer)" }
                        output.result(text)
                    }
                }
                if installed == 0 { output.line("no schedule installed (silo schedule install writes one)") }
                return ExitCodes.success
            }
        }

        /// `3h 25m`, `12m`, `40s`: how far off the next run is.
        static func span(_ seconds: TimeInterval) -> String {
            let s = max(0, Int(seconds.rounded()))
            if s >= 86_400 { return "\(s / 86_400)d \(s / 3_600 % 24)h" }
            if s >= 3_600 { return "\(s / 3_600)h \(s / 60 % 60)m" }
            return s >= 60 ? "\(s / 60)m" : "\(s)s"
        }
    }

    /// Started by silo-failure@.service (systemd's `OnFailure=` of silo.service): records the
    /// failure in the run history unless silo run already recorded it. Not for people.
    struct Failed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "failed", abstract: "Record in the run history that the scheduled unit failed (run by silo-failure@.service).",
            discussion: Help.examples(["silo schedule failed --config /etc/silo/silo.yaml --unit silo.service"],
                                      note: "Not recorded again when the newest run of the configuration recorded a failing outcome itself (failed, partial, lock_held, …) that ended less than 15 minutes ago."),
            shouldDisplay: false)
        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("The unit that failed.", valueName: "name"))
        var unit = SystemdUnits.service

        @Flag(name: .long, help: "The unit is the user manager's.")
        var user = false

        @Option(name: .long, help: ArgumentHelp("The state directory (or SILO_STATE_DIR).", valueName: "dir"))
        var stateDir: String?

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let path = global.configurationPath
                // The configuration may be what made the run fail: read only for its state directory, never required.
                let configured = try? ConfigurationLoader.load(path: path, environment: global.environment, options: .shapeOnly).state.directory
                let directory = StateDirectory.resolve(explicit: stateDir, configured: configured, environment: global.environment)
                let history = try RunHistory(directory: directory)
                let outcome = try ScheduleFailure.record(configurationFile: ScheduleSettings.absolute(path), unit: unit,
                                                         scope: user ? .user : .system, in: history)
                switch outcome {
                case .recorded(let run):
                    output.line("recorded the failure of \(unit) as run #\(run) in \(history.path)")
                    output.emit(ScheduleFailureMessage(unit: unit, recorded: true, runId: run))
                    // A run that never started is news for the channels too (silo run could not tell them).
                    if let configuration = try? ConfigurationLoader.load(path: path, environment: global.environment) {
                        let clock = RunClock(environment: global.environment)
                        RunAlerts(configuration: configuration, global: global, output: output, now: clock.now)
                            .finished(succeeded: false, summary: "\(unit) failed before silo run could record it (run #\(run))", history: history)
                    }
                case .alreadyRecorded(let run):
                    output.line("the failure of \(unit) is already recorded as run #\(run)")
                    output.emit(ScheduleFailureMessage(unit: unit, recorded: false, runId: run))
                }
                return ExitCodes.success
            }
        }
    }

    /// `--silo-binary` (made absolute, links kept: a packager names the installed path), else
    /// this process's own executable with links resolved.
    static func siloBinary(_ explicit: String?) throws -> String {
        if let explicit {
            let path = ScheduleSettings.absolute(explicit)
            guard access(path, X_OK) == 0 else { throw UsageError(message: "--silo-binary \(explicit): not an executable file") }
            return path
        }
        // /proc/self/exe, not argv[0]: a unit needs the real path whatever PATH the shell had.
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

extension ScheduleFileMessage {
    init(_ change: ScheduleFileChange) {
        self.init(kind: change.kind.rawValue, unit: change.name, path: change.path, action: change.action.rawValue)
    }
}

extension ScheduleUnitMessage {
    init(_ file: ScheduleFileStatus) {
        self.init(kind: file.kind.rawValue, unit: file.name, path: file.path, installed: file.installed,
                  calendar: NullWhenAbsent(file.calendar), nextRun: NullWhenAbsent(file.nextRun.map(Timestamp.iso8601)),
                  active: NullWhenAbsent(file.active))
    }
}
