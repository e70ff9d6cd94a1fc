import Foundation
import SiloConfig
import SiloOps
import XCTest

/// Cadences become calendar steps both systemd and cron spell (checked by the real
/// `systemd-analyze calendar`), the configuration's shortest cadence drives the one timer,
/// and the rendered units and cron file hold what the schedule needs.
final class ScheduleTests: XCTestCase {
    private func cadence(_ text: String) throws -> Cadence { try XCTUnwrap(Cadence(text), text) }

    private func configuration(sources: [String] = ["4h"], copies: [String] = [], structure: String = "daily", readData: String = "daily",
                               prune: String = "weekly", repository: String = "/srv/backup/silo", cache: String? = nil,
                               copyLocations: [String]? = nil) throws -> Configuration {
        let sourceList = try sources.enumerated().map { index, text in
            SourceSettings(name: "s\(index)", kind: .paths(PathSource(paths: ["/srv/data"])), cadence: try cadence(text))
        }
        let copyList = try copies.enumerated().map { index, text in
            CopySettings(name: "c\(index)", location: copyLocations?[index] ?? "s3:https://s3.example.com/bucket", password: nil, cadence: try cadence(text))
        }
        return Configuration(file: "/etc/silo/silo.yaml", repository: RepositorySettings(location: repository, password: nil, cacheDirectory: cache),
                             copies: copyList, sources: sourceList, retention: RetentionSettings(prune: try cadence(prune)),
                             checks: CheckSettings(structure: try cadence(structure),
                                                   readData: ReadDataSettings(cadence: try cadence(readData), share: try XCTUnwrap(Share("1/30")))),
                             state: StateSettings(directory: "/var/lib/silo"))
    }

    // MARK: Cadence → calendar

    func testCadencesMapToCalendarSteps() throws {
        let expected: [(String, ScheduleCalendar, String, String)] = [
            ("15m", .minutes(15), "*-*-* *:00/15:00", "*/15 * * * *"),
            ("4h", .hours(4), "*-*-* 00/4:00:00", "0 */4 * * *"),
            // 90 minutes is no step: the longest step not longer, hourly, fires more often.
            ("90m", .hours(1), "*-*-* *:00:00", "0 * * * *"),
            ("hourly", .hours(1), "*-*-* *:00:00", "0 * * * *"),
            ("daily", .daily, "*-*-* 00:00:00", "0 0 * * *"),
            ("1d", .daily, "*-*-* 00:00:00", "0 0 * * *"),
            ("weekly", .weekly, "Mon *-*-* 00:00:00", "0 0 * * 1"),
            ("7d", .weekly, "Mon *-*-* 00:00:00", "0 0 * * 1"),
            ("1w", .weekly, "Mon *-*-* 00:00:00", "0 0 * * 1"),
            ("monthly", .monthly, "*-*-01 00:00:00", "0 0 1 * *"),
            // A calendar month may be 31 days: 30 days must not wait for the 1st.
            ("30d", .weekly, "Mon *-*-* 00:00:00", "0 0 * * 1"),
            ("2d", .daily, "*-*-* 00:00:00", "0 0 * * *"),
            ("5h", .hours(4), "*-*-* 00/4:00:00", "0 */4 * * *"),
            ("45m", .minutes(30), "*-*-* *:00/30:00", "*/30 * * * *"),
            ("1m", .minutes(1), "*-*-* *:*:00", "* * * * *"),
            ("30s", .minutes(1), "*-*-* *:*:00", "* * * * *"),
        ]
        for (text, step, onCalendar, cron) in expected {
            let calendar = ScheduleCalendar(cadence: try cadence(text))
            XCTAssertEqual(calendar, step, text)
            XCTAssertEqual(calendar.onCalendar, onCalendar, text)
            XCTAssertEqual(calendar.cronFields.joined(separator: " "), cron, text)
            XCTAssertEqual(ScheduleCalendar(onCalendar: onCalendar), step, "read back: \(onCalendar)")
            XCTAssertEqual(ScheduleCalendar(cronFields: cron.split(separator: " ").map(String.init)), step, "read back: \(cron)")
        }
    }

    func testRandomizedDelayIsATenthAtMostFifteenMinutes() {
        XCTAssertEqual(ScheduleCalendar.minutes(15).randomizedDelay, .seconds(90))
        XCTAssertEqual(ScheduleCalendar.minutes(1).randomizedDelay, .seconds(6))
        XCTAssertEqual(ScheduleCalendar.hours(1).randomizedDelay, .seconds(360))
        XCTAssertEqual(ScheduleCalendar.hours(4).randomizedDelay, .seconds(900))
        XCTAssertEqual(ScheduleCalendar.daily.randomizedDelay, .seconds(900))
    }

    /// Every step's expression is what systemd itself normalizes it to, and its next elapse is
    /// the one `nextFiring` computes (what `schedule status` shows without systemd).
    func testEveryOnCalendarPassesSystemdAnalyzeCalendar() throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else { throw XCTSkip("systemd-analyze is not installed") }
        let base = Date(timeIntervalSince1970: 1_796_646_896)  // 2026-12-07 12:34:56 UTC, a Monday
        for step in ScheduleCalendar.steps {
            let result = try SystemCommand.run([analyze, "calendar", "--base-time=@\(Int(base.timeIntervalSince1970))", step.onCalendar])
            XCTAssertEqual(result.status, 0, "\(step.onCalendar): \(result.errorOutput)")
            let normalized = result.output.split(separator: "\n").first { $0.contains("Normalized form:") }
                .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(normalized, step.onCalendar)
            let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let utcLine = lines.first { $0.hasPrefix("(in UTC):") } ?? lines.first { $0.hasPrefix("Next elapse:") }
            let text = try XCTUnwrap(utcLine?.split(separator: ":", maxSplits: 1).last).trimmingCharacters(in: .whitespaces)
            let systemdNext = try XCTUnwrap(ScheduleInstaller.parseUTC(text), text)
            XCTAssertEqual(step.nextFiring(after: base), systemdNext, "\(step)")
        }
    }

    func testNextFiringOnTheClock() throws {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = try XCTUnwrap(TimeZone(identifier: "UTC"))
        let base = Date(timeIntervalSince1970: 1_796_646_896)  // Mon 2026-12-07 12:34:56 UTC
        func at(_ text: String) -> Date? { ScheduleInstaller.parseUTC(text) }
        XCTAssertEqual(ScheduleCalendar.minutes(15).nextFiring(after: base, calendar: utc), at("Mon 2026-12-07 12:45:00 UTC"))
        XCTAssertEqual(ScheduleCalendar.hours(4).nextFiring(after: base, calendar: utc), at("Mon 2026-12-07 16:00:00 UTC"))
        XCTAssertEqual(ScheduleCalendar.daily.nextFiring(after: base, calendar: utc), at("Tue 2026-12-08 00:00:00 UTC"))
        XCTAssertEqual(ScheduleCalendar.weekly.nextFiring(after: base, calendar: utc), at("Mon 2026-12-14 00:00:00 UTC"))
        XCTAssertEqual(ScheduleCalendar.monthly.nextFiring(after: base, calendar: utc), at("Fri 2027-01-01 00:00:00 UTC"))
        // Exactly on a firing: the next one, not this one.
        let onFiring = try XCTUnwrap(at("Mon 2026-12-07 16:00:00 UTC"))
        XCTAssertEqual(ScheduleCalendar.hours(4).nextFiring(after: onFiring, calendar: utc), at("Mon 2026-12-07 20:00:00 UTC"))
    }

    func testTheShortestCadenceOfTheConfigurationDrivesTheTimer() throws {
        var shortest = ScheduleCadence.shortest(in: try configuration(sources: ["daily", "4h", "4h"]))
        XCTAssertEqual(shortest.keyPath, "sources.s1.cadence")
        XCTAssertEqual(shortest.calendar, .hours(4))

        shortest = ScheduleCadence.shortest(in: try configuration(sources: ["daily"], copies: ["12h"]))
        XCTAssertEqual(shortest.keyPath, "copies.c0.cadence")
        XCTAssertEqual(shortest.calendar, .hours(12))

        shortest = ScheduleCadence.shortest(in: try configuration(sources: ["weekly"], structure: "1h"))
        XCTAssertEqual(shortest.keyPath, "checks.structure")
        XCTAssertEqual(shortest.calendar, .hours(1))

        shortest = ScheduleCadence.shortest(in: try configuration(sources: ["weekly"], structure: "weekly", readData: "2d"))
        XCTAssertEqual(shortest.keyPath, "checks.read_data.cadence")
        XCTAssertEqual(shortest.calendar, .daily)

        shortest = ScheduleCadence.shortest(in: try configuration(sources: ["monthly"], structure: "monthly", readData: "monthly", prune: "30d"))
        XCTAssertEqual(shortest.keyPath, "retention.prune")
        XCTAssertEqual(shortest.calendar, .weekly)

        shortest = ScheduleCadence.shortest(in: try configuration(sources: ["90m", "1h"]))
        XCTAssertEqual(shortest.calendar, .hours(1))
        XCTAssertEqual(shortest.keyPath, "sources.s1.cadence", "the same step: the shorter cadence names it")
    }

    // MARK: Rendering

    private func settings(_ configuration: Configuration, scope: ScheduleScope = .system) -> ScheduleSettings {
        ScheduleSettings(configuration: configuration, siloBinary: "/usr/local/bin/silo", scope: scope)
    }

    func testServiceUnitHasTheRequiredKeys() throws {
        let unit = SystemdUnits.serviceUnit(settings(try configuration(copies: ["daily", "daily"], copyLocations: ["s3:https://s3.example.com/b", "/mnt/offsite/silo"])))
        XCTAssertTrue(ScheduleMarker.isGenerated(unit))
        for line in ["OnFailure=silo-failure@%n.service", "Type=oneshot", "ExecStart=/usr/local/bin/silo run --config /etc/silo/silo.yaml --scheduled",
                     "Nice=10", "IOSchedulingClass=idle", "ProtectSystem=strict", "ReadWritePaths=-/srv/backup/silo",
                     "ReadWritePaths=-/mnt/offsite/silo", "ReadWritePaths=-/root/.cache/silo", "ReadWritePaths=-/var/lib/silo",
                     "PrivateTmp=true", "NoNewPrivileges=true", "Environment=XDG_CACHE_HOME=/root/.cache"] {
            XCTAssertTrue(unit.contains("\n" + line + "\n"), "\(line) missing:\n\(unit)")
        }
        XCTAssertFalse(unit.contains("s3:"), "a remote repository needs no writable path:\n\(unit)")
        let prefixed = SystemdUnits.serviceUnit(settings(try configuration(repository: "local:/srv/local-silo")))
        XCTAssertTrue(prefixed.contains("\nReadWritePaths=-/srv/local-silo\n"), prefixed)

        let timer = SystemdUnits.timerUnit(settings(try configuration()))
        for line in ["OnCalendar=*-*-* 00/4:00:00", "Persistent=true", "RandomizedDelaySec=15min", "FixedRandomDelay=true", "Unit=silo.service", "WantedBy=timers.target"] {
            XCTAssertTrue(timer.contains("\n" + line + "\n"), "\(line) missing:\n\(timer)")
        }
        XCTAssertEqual(SystemdUnits.onCalendar(inTimer: timer), "*-*-* 00/4:00:00")

        let failure = SystemdUnits.failureUnit(settings(try configuration()))
        XCTAssertTrue(failure.contains("\nExecStart=/usr/local/bin/silo schedule failed --config /etc/silo/silo.yaml --unit %i\n"), failure)
    }

    func testUserUnitsUseTheHomeSpecifier() throws {
        let user = settings(try configuration(repository: "s3:https://s3.example.com/bucket"), scope: .user)
        let unit = SystemdUnits.serviceUnit(user)
        XCTAssertTrue(unit.contains("\nReadWritePaths=-%h/.cache/silo\n"), unit)
        XCTAssertFalse(unit.contains("XDG_CACHE_HOME"), unit)
        XCTAssertTrue(SystemdUnits.failureUnit(user).contains("--unit %i --user\n"))
        // A configured cache is the one written to, in either scope.
        let cached = SystemdUnits.serviceUnit(settings(try configuration(cache: "/var/cache/silo"), scope: .user))
        XCTAssertTrue(cached.contains("\nReadWritePaths=-/var/cache/silo\n") && !cached.contains("%h"), cached)
    }

    func testOddPathsAreQuotedAndEscaped() throws {
        var odd = settings(try configuration(repository: "/srv/my backups/100%"))
        odd.siloBinary = "/opt/silo tools/silo"
        odd.configurationFile = "/etc/silo/$site.yaml"
        let unit = SystemdUnits.serviceUnit(odd)
        XCTAssertTrue(unit.contains("\nExecStart=\"/opt/silo tools/silo\" run --config /etc/silo/$$site.yaml --scheduled\n"), unit)
        XCTAssertTrue(unit.contains("\nReadWritePaths=\"-/srv/my backups/100%%\"\n"), unit)
        let cron = CronFile.render(odd)
        XCTAssertTrue(cron.contains(" root '/opt/silo tools/silo' run --config '/etc/silo/$site.yaml' --scheduled\n"), cron)
        var percent = odd
        percent.configurationFile = "/etc/silo/100%.yaml"
        // cron turns an unescaped % into a newline; \% reaches the shell as %.
        XCTAssertTrue(CronFile.render(percent).contains("--config '/etc/silo/100\\%.yaml' --scheduled\n"), CronFile.render(percent))
    }

    /// silo run writes the Prometheus textfile at its end: under ProtectSystem=strict only a
    /// ReadWritePaths entry lets it.
    func testTheTextfileDirectoryIsWritable() throws {
        var config = try configuration()
        config.monitoring.textfileDirectory = "/var/lib/prometheus/node-exporter"
        let mine = settings(config)
        XCTAssertEqual(mine.writablePaths, ["/srv/backup/silo", "/root/.cache/silo", "/var/lib/silo", "/var/lib/prometheus/node-exporter"])
        for unit in [SystemdUnits.serviceUnit(mine), SystemdUnits.monitorServiceUnit(mine)] {
            XCTAssertTrue(unit.contains("\nReadWritePaths=-/var/lib/prometheus/node-exporter\n"), unit)
        }
        XCTAssertEqual(settings(try configuration()).writablePaths, ["/srv/backup/silo", "/root/.cache/silo", "/var/lib/silo"])
    }

    func testATemporaryRepositoryTurnsPrivateTmpOff() throws {
        let unit = SystemdUnits.serviceUnit(settings(try configuration(repository: "/tmp/silo-repo")))
        XCTAssertFalse(unit.contains("\nPrivateTmp=true\n"), unit)
        XCTAssertTrue(unit.contains("# PrivateTmp=true left out: /tmp/silo-repo"), unit)
    }

    func testTheMonitorUnitsEvaluateEveryFiveMinutesAsTheRunsServiceIsHardened() throws {
        let mine = settings(try configuration())
        let service = SystemdUnits.monitorServiceUnit(mine)
        XCTAssertTrue(service.contains("\nExecStart=/usr/local/bin/silo monitor --config /etc/silo/silo.yaml --notify --quiet\n"), service)
        XCTAssertTrue(service.contains("\nSuccessExitStatus=1 2 3\n"), "a finding is not a failed unit: \(service)")
        XCTAssertFalse(service.contains("OnFailure="), service)
        let run = SystemdUnits.serviceUnit(mine)
        for line in run.split(separator: "\n") where line.hasPrefix("ReadWritePaths=") || line.hasPrefix("ProtectSystem=") || line.hasPrefix("NoNewPrivileges=")
            || line.hasPrefix("PrivateTmp=") {
            XCTAssertTrue(service.contains("\n\(line)\n"), "\(line) missing from \(service)")
        }
        let timer = SystemdUnits.monitorTimerUnit(mine)
        XCTAssertEqual(SystemdUnits.onCalendar(inTimer: timer), "*-*-* *:00/5:00")
        XCTAssertTrue(timer.contains("\nUnit=silo-monitor.service\n") && timer.contains("\nPersistent=false\n") && timer.contains("\nWantedBy=timers.target\n"), timer)
        XCTAssertEqual(ScheduleCalendar(onCalendar: "*-*-* *:00/5:00")?.nextFiring(after: Date(timeIntervalSince1970: 1_796_000_100))?.timeIntervalSince1970,
                       1_796_000_400)
    }

    func testTheDrillUnitsAndTheFailureUnitOpenTheRepositoryLikeARun() throws {
        let mine = settings(try configuration())
        let drill = SystemdUnits.drillServiceUnit(mine)
        XCTAssertTrue(drill.contains("\nExecStart=/usr/local/bin/silo drill --config /etc/silo/silo.yaml --scheduled --quiet\n"), drill)
        let timer = SystemdUnits.drillTimerUnit(mine)
        XCTAssertEqual(SystemdUnits.onCalendar(inTimer: timer), "*-*-01 00:00:00", "monthly by default")
        XCTAssertTrue(timer.contains("\nUnit=silo-drill.service\n") && timer.contains("\nPersistent=true\n"), timer)
        // `schedule failed` opens the repository to alert: the same cache and writable paths as silo.service.
        let failure = SystemdUnits.failureUnit(mine)
        let service = SystemdUnits.serviceUnit(mine)
        for line in service.split(separator: "\n") where line.hasPrefix("ReadWritePaths=") || line.hasPrefix("Environment=XDG_CACHE_HOME") {
            XCTAssertTrue(failure.contains(line + "\n"), "\(line) missing from the failure unit:\n\(failure)")
        }
    }

    func testCronFileLines() throws {
        let text = CronFile.render(settings(try configuration(sources: ["15m"])))
        XCTAssertTrue(ScheduleMarker.isGenerated(text))
        XCTAssertTrue(text.contains("\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"), text)
        XCTAssertTrue(text.hasSuffix("\n*/15 * * * * root /usr/local/bin/silo run --config /etc/silo/silo.yaml --scheduled\n"
                                     + "*/5 * * * * root /usr/local/bin/silo monitor --config /etc/silo/silo.yaml --notify --quiet >/dev/null\n"
                                     + "0 0 1 * * root /usr/local/bin/silo drill --config /etc/silo/silo.yaml --scheduled --quiet\n"), text)
        XCTAssertEqual(CronFile.timeFields(in: text), ["*/15", "*", "*", "*", "*"], "the run's line comes first")
        let user = CronFile.render(settings(try configuration(sources: ["15m"]), scope: .user), user: nil)
        XCTAssertTrue(user.hasSuffix("\n*/15 * * * * /usr/local/bin/silo run --config /etc/silo/silo.yaml --scheduled\n"
                                     + "*/5 * * * * /usr/local/bin/silo monitor --config /etc/silo/silo.yaml --notify --quiet >/dev/null\n"
                                     + "0 0 1 * * /usr/local/bin/silo drill --config /etc/silo/silo.yaml --scheduled --quiet\n"), user)
    }

    func testForeignFilesAreNotReplacedNorRemoved() throws {
        let scratch = ScratchState()
        let locations = ScheduleLocations(scope: .system, unitDirectory: scratch.root + "/units", cronFile: scratch.root + "/cron.d/silo")
        let installer = ScheduleInstaller(locations: locations)
        let mine = settings(try configuration())
        try FileManager.default.createDirectory(atPath: scratch.root + "/units", withIntermediateDirectories: true)
        let foreign = scratch.root + "/units/silo.timer"
        try Data("[Timer]\nOnCalendar=daily\n".utf8).write(to: URL(fileURLWithPath: foreign))
        XCTAssertThrowsError(try installer.install(.systemd, mine, force: false)) { error in
            XCTAssertTrue("\(error)".contains("\(foreign) exists and was not written by silo"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.root + "/units/silo.service"), "nothing written when one file is foreign")
        XCTAssertEqual(try installer.remove(.systemd).map(\.action), [.keptForeign])
        XCTAssertEqual(try String(contentsOfFile: foreign, encoding: .utf8), "[Timer]\nOnCalendar=daily\n")

        XCTAssertEqual(try installer.install(.systemd, mine, force: true).map(\.action), [.written, .written, .written, .written, .written, .written, .written])
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: foreign)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o644)
        // What `systemctl enable` links, removed with the timer when systemd could not be asked to.
        try FileManager.default.createDirectory(atPath: scratch.root + "/units/timers.target.wants", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.root + "/units/timers.target.wants/silo.timer", withDestinationPath: foreign)
        try FileManager.default.createSymbolicLink(atPath: scratch.root + "/units/timers.target.wants/silo-monitor.timer", withDestinationPath: "../silo-monitor.timer")
        XCTAssertEqual(try installer.remove(.systemd).map(\.path),
                       ["silo.service", "silo.timer", "silo-failure@.service", "silo-monitor.service", "silo-monitor.timer",
                        "silo-drill.service", "silo-drill.timer", "timers.target.wants/silo.timer", "timers.target.wants/silo-monitor.timer"].map { scratch.root + "/units/" + $0 })
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: scratch.root + "/units/timers.target.wants/silo.timer"))
        XCTAssertEqual(try installer.remove(.systemd), [])
    }

    // MARK: The failure recorder

    func testAFailedUnitIsRecordedOnceUnlessSiloRecordedIt() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try RunHistory(directory: scratch.directory, now: clock.function)
        let file = "/etc/silo/silo.yaml"
        guard case .recorded(let first) = try ScheduleFailure.record(configurationFile: file, unit: "silo.service", scope: .system,
                                                                      in: history, now: clock.now) else { return XCTFail("not recorded") }
        let run = try XCTUnwrap(try history.run(first))
        XCTAssertEqual(run.trigger, .schedule)
        XCTAssertEqual(run.status, .failed)
        XCTAssertNil(run.exitCode)
        XCTAssertEqual(run.error, "systemd unit silo.service failed; see journalctl -u silo.service")

        // systemd may start the recorder again for the same failure, or silo run recorded its own: not doubled.
        clock.advance(60)
        XCTAssertEqual(try ScheduleFailure.record(configurationFile: file, unit: "silo.service", scope: .system, in: history, now: clock.now),
                       .alreadyRecorded(run: first))

        clock.advance(15 * 60)
        guard case .recorded = try ScheduleFailure.record(configurationFile: file, unit: "silo.service", scope: .user,
                                                          in: history, now: clock.now) else { return XCTFail("a later failure is its own") }
        XCTAssertEqual(try history.lastRun()?.error, "systemd unit silo.service failed; see journalctl --user -u silo.service")

        // After a success, a failure is always new.
        let ok = try history.beginRun(configuration: file, trigger: .schedule)
        try history.endRun(ok, status: .succeeded, exitCode: 0)
        guard case .recorded = try ScheduleFailure.record(configurationFile: file, unit: "silo.service", scope: .system,
                                                          in: history, now: clock.now) else { return XCTFail("not recorded after a success") }
        XCTAssertEqual(try history.runs().count, 4)

        // A partial run (exit 3) fails the unit, and is already its record.
        clock.advance(3600)
        let partial = try history.beginRun(configuration: file, trigger: .schedule)
        try history.endRun(partial, status: .partial, exitCode: 3)
        XCTAssertEqual(try ScheduleFailure.record(configurationFile: file, unit: "silo.service", scope: .system, in: history, now: clock.now),
                       .alreadyRecorded(run: partial))
        XCTAssertEqual(try history.runs().count, 5)
    }
}
