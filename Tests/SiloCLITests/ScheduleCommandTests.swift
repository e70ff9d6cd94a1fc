import Foundation
import XCTest

/// `silo schedule install|remove|status|failed` end to end: the units it writes pass
/// `systemd-analyze verify`, the cron file parses field by field, foreign files are left
/// alone, status gives a future next run, and a failed unit lands in the run history once.
final class ScheduleCommandTests: XCTestCase {
    private static let analyze = "/usr/bin/systemd-analyze"

    /// A valid configuration (0600, beside its password file) with a 4h and a daily source;
    /// the repository outside /tmp so that the unit keeps its private /tmp.
    private func writeConfiguration(_ env: CLIEnvironment, cache: String? = nil, extra: String = "") throws -> String {
        try env.write("etc/repository.password", Data("correct horse\n".utf8))
        let config = env.path("etc/silo.yaml")
        try env.write("etc/silo.yaml", Data("""
            repository:
              location: /srv/silo-schedule-test/repo
              password_file: repository.password
            \(cache.map { "  cache_dir: \($0)" } ?? "")
            sources:
              db:
                paths: [/srv/silo-schedule-test/dump]
                cadence: 4h
              media:
                paths: [/srv/silo-schedule-test/media]
                cadence: daily
            \(extra)
            """.utf8))
        for file in [config, env.path("etc/repository.password")] { chmod(file, 0o600) }
        return config
    }

    /// `KEY=value` lines by key, in order (a key may repeat: ReadWritePaths).
    private func keys(_ text: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            result[parts[0], default: []].append(parts[1])
        }
        return result
    }

    private func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    private var binary: String { URL(fileURLWithPath: CLIEnvironment.binary).resolvingSymlinksInPath().path }

    func testSystemdUnitsHaveEveryKeyAndPassSystemdAnalyzeVerify() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        let units = env.path("units")
        let installed = try env.expect(0, ["schedule", "install", "--systemd", "--unit-dir", units, "--no-activate", "--config", config])
        XCTAssertTrue(installed.stdout.contains("wrote \(units)/silo.timer"), installed.stdout)
        XCTAssertTrue(installed.stdout.contains("systemctl daemon-reload && systemctl enable --now silo.timer silo-monitor.timer silo-drill.timer"), installed.stdout)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: units)),
                       ["silo.service", "silo.timer", "silo-failure@.service", "silo-monitor.service", "silo-monitor.timer", "silo-drill.service", "silo-drill.timer"])

        let service = keys(try String(contentsOfFile: units + "/silo.service", encoding: .utf8))
        XCTAssertEqual(service["ExecStart"], ["\(binary) run --config \(config) --scheduled"])
        XCTAssertEqual(service["OnFailure"], ["silo-failure@%n.service"])
        XCTAssertEqual(service["Type"], ["oneshot"])
        XCTAssertEqual(service["Nice"], ["10"])
        XCTAssertEqual(service["IOSchedulingClass"], ["idle"])
        XCTAssertEqual(service["ProtectSystem"], ["strict"])
        XCTAssertEqual(service["ReadWritePaths"], ["-/srv/silo-schedule-test/repo", "-/root/.cache/silo", "-/var/lib/silo"])
        XCTAssertEqual(service["PrivateTmp"], ["true"])
        XCTAssertEqual(service["NoNewPrivileges"], ["true"])

        let timer = keys(try String(contentsOfFile: units + "/silo.timer", encoding: .utf8))
        XCTAssertEqual(timer["OnCalendar"], ["*-*-* 00/4:00:00"])
        XCTAssertEqual(timer["Persistent"], ["true"])
        XCTAssertEqual(timer["RandomizedDelaySec"], ["15min"])
        XCTAssertEqual(timer["FixedRandomDelay"], ["true"])
        XCTAssertEqual(timer["WantedBy"], ["timers.target"])

        let failure = keys(try String(contentsOfFile: units + "/silo-failure@.service", encoding: .utf8))
        XCTAssertEqual(failure["ExecStart"], ["\(binary) schedule failed --config \(config) --unit %i"])

        guard FileManager.default.isExecutableFile(atPath: Self.analyze) else { throw XCTSkip("systemd-analyze is not installed") }
        // The template is verified as the instance OnFailure= starts.
        let instance = env.path("instance/silo-failure@silo.service.service")
        try FileManager.default.createDirectory(atPath: env.path("instance"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: units + "/silo-failure@.service", toPath: instance)
        let verified = try run(Self.analyze, ["verify", "--man=no", units + "/silo.service", units + "/silo.timer", instance,
                                              units + "/silo-monitor.service", units + "/silo-monitor.timer"])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        // systemd warns of an ignored key on stderr and still exits 0: no warning at all.
        XCTAssertEqual(verified.stderr, "", verified.stderr)
        let calendar = try run(Self.analyze, ["calendar", "*-*-* 00/4:00:00"])
        XCTAssertEqual(calendar.status, 0)
        XCTAssertTrue(calendar.stdout.contains("Normalized form: *-*-* 00/4:00:00"), calendar.stdout)
    }

    func testUserUnitsRunForTheUserManager() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        // Without --unit-dir: ~/.config/systemd/user (HOME is the test's root).
        try env.expect(0, ["schedule", "install", "--systemd", "--user", "--no-activate", "--config", config])
        let units = env.path(".config/systemd/user")
        let service = keys(try String(contentsOfFile: units + "/silo.service", encoding: .utf8))
        XCTAssertEqual(service["ReadWritePaths"], ["-/srv/silo-schedule-test/repo", "-%h/.cache/silo", "-/var/lib/silo"])
        XCTAssertNil(service["Environment"])
        let failure = keys(try String(contentsOfFile: units + "/silo-failure@.service", encoding: .utf8))
        XCTAssertEqual(failure["ExecStart"], ["\(binary) schedule failed --config \(config) --unit %i --user"])
        if FileManager.default.isExecutableFile(atPath: Self.analyze) {
            // The user manager's view; it needs a runtime directory, not a running manager.
            let runtime = env.path("runtime")
            try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_RUNTIME_DIR"] = runtime
            let verified = try run(Self.analyze, ["--user", "verify", "--man=no", units + "/silo.service", units + "/silo.timer"], environment: environment)
            XCTAssertEqual(verified.status, 0, verified.stderr)
            XCTAssertEqual(verified.stderr, "")
        }
        let status = try env.expect(0, ["--json", "schedule", "status", "--systemd", "--user"])
        XCTAssertEqual(status.jsonLines.filter { $0["installed"] as? Bool == true }.count, 7, status.stdout)
        try env.expect(0, ["schedule", "remove", "--user", "--no-activate"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: units), [])
    }

    func testCronFileParsesFieldByField() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env, extra: "checks:\n  structure: 15m\n")
        let file = env.path("cron.d/silo")
        let installed = try env.expect(0, ["--json", "schedule", "install", "--cron", "--cron-file", file, "--config", config])
        let summary = try XCTUnwrap(installed.jsonLines.first { $0["message_type"] as? String == "summary" })
        XCTAssertEqual(summary["calendar"] as? String, "*/15 * * * *")
        XCTAssertEqual(summary["cadence_from"] as? String, "checks.structure")
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o644, "cron ignores a file others may write")

        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "", "ends with a newline (cron ignores an unterminated last line)")
        XCTAssertTrue(lines.first?.hasPrefix("# Generated by silo schedule install from \(config)") == true, "\(lines)")
        var environment: [String: String] = [:]
        var entries: [[String]] = []
        for line in lines.dropLast() {
            if line.hasPrefix("#") { continue }
            if let equals = line.firstIndex(of: "="), !line[..<equals].contains(" ") {
                environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
                continue
            }
            entries.append(line.split(separator: " ").map(String.init))
        }
        XCTAssertEqual(environment, ["SHELL": "/bin/sh", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        XCTAssertEqual(entries.count, 3, "the run, the monitor, the drill")
        XCTAssertEqual(entries[1].prefix(6) + [entries[1][7]], ["*/5", "*", "*", "*", "*", "root", "monitor"])
        XCTAssertEqual(entries[1].suffix(1), [">/dev/null"], "cron would mail the monitor's table every 5 minutes")
        XCTAssertEqual(entries[2].prefix(6) + [entries[2][7]], ["0", "0", "1", "*", "*", "root", "drill"], "the drill, monthly")
        let entry = try XCTUnwrap(entries.first)
        XCTAssertGreaterThanOrEqual(entry.count, 7)
        let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
        for (index, field) in entry.prefix(5).enumerated() {
            XCTAssertTrue(Self.isCronField(field, ranges[index]), "field \(index + 1) '\(field)' is not valid for cron")
        }
        XCTAssertEqual(Array(entry.prefix(5)), ["*/15", "*", "*", "*", "*"])
        XCTAssertEqual(entry[5], "root")
        XCTAssertEqual(Array(entry[6...]), [binary, "run", "--config", config, "--scheduled"])
        XCTAssertTrue(entry[6].hasPrefix("/") && FileManager.default.isExecutableFile(atPath: entry[6]))
    }

    /// `*`, `*/N`, `N`, `N-M`, `N-M/S` or a comma list of those, within `range`.
    private static func isCronField(_ field: String, _ range: ClosedRange<Int>) -> Bool {
        func number(_ text: Substring) -> Bool { Int(text).map(range.contains) ?? false }
        return field.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { item in
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return false }
            if parts.count == 2, !(Int(parts[1]).map { $0 >= 1 && $0 <= range.upperBound } ?? false) { return false }
            if parts[0] == "*" { return true }
            let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
            return bounds.count <= 2 && bounds.allSatisfy(number)
        }
    }

    func testRemoveUndoesBothAndLeavesForeignFiles() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        let units = env.path("units"), cron = env.path("cron.d/silo")
        let target = ["--unit-dir", units, "--cron-file", cron, "--no-activate"]
        try env.expect(0, ["schedule", "install", "--systemd", "--config", config] + target)
        let both = try env.expect(0, ["schedule", "install", "--cron", "--config", config] + target)
        XCTAssertEqual(both.stderr, "warning: silo's systemd schedule is installed too (\(units)): remove it with `silo schedule remove --systemd`\n")
        let removed = try env.expect(0, ["schedule", "remove"] + target)
        for path in ["\(units)/silo.service", "\(units)/silo.timer", "\(units)/silo-failure@.service", cron] {
            XCTAssertTrue(removed.stdout.contains("removed \(path)\n"), removed.stdout)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), path)
        }
        XCTAssertEqual(try env.expect(0, ["schedule", "remove"] + target).stdout, "no schedule installed: nothing to remove\n")

        // Someone's own timer where silo's would go: install refuses, remove keeps it, --force replaces it.
        let foreign = "[Timer]\nOnCalendar=hourly\n"
        try env.write("units/silo.timer", Data(foreign.utf8))
        let refused = try env.expect(1, ["schedule", "install", "--systemd", "--config", config] + target)
        XCTAssertEqual(refused.stderr, "silo: \(units)/silo.timer exists and was not written by silo: not replaced (use --force to replace it)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(units)/silo.service"))
        let kept = try env.expect(0, ["schedule", "remove", "--systemd"] + target)
        XCTAssertTrue(kept.stdout.contains("kept \(units)/silo.timer: not written by silo"), kept.stdout)
        XCTAssertEqual(try String(contentsOfFile: "\(units)/silo.timer", encoding: .utf8), foreign)
        try env.expect(0, ["schedule", "install", "--systemd", "--force", "--config", config] + target)
        XCTAssertTrue(try String(contentsOfFile: "\(units)/silo.timer", encoding: .utf8).hasPrefix("# Generated by silo"))
    }

    func testStatusShowsAFutureNextRunForBothKinds() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        let target = ["--unit-dir", env.path("units"), "--cron-file", env.path("cron.d/silo")]
        let empty = try env.expect(0, ["--json", "schedule", "status"] + target)
        XCTAssertEqual(empty.jsonLines.count, 8)
        XCTAssertTrue(empty.jsonLines.allSatisfy { $0["installed"] as? Bool == false && $0["next_run"] is NSNull }, empty.stdout)

        try env.expect(0, ["schedule", "install", "--systemd", "--no-activate", "--config", config] + target)
        try env.expect(0, ["schedule", "install", "--cron", "--config", config] + target)
        let before = Date()
        let status = try env.expect(0, ["--json", "schedule", "status"] + target)
        let timed = status.jsonLines.filter { $0["next_run"] is String }
        XCTAssertEqual(timed.map { $0["unit"] as? String }, ["silo.timer", "silo-monitor.timer", "silo-drill.timer", "cron"], status.stdout)
        let parser = ISO8601DateFormatter()
        for line in timed where line["unit"] as? String != "silo-drill.timer" {
            let next = try XCTUnwrap(parser.date(from: try XCTUnwrap(line["next_run"] as? String)), "\(line)")
            XCTAssertGreaterThan(next, before.addingTimeInterval(-1))
            XCTAssertLessThanOrEqual(next, before.addingTimeInterval(4 * 3600 + 1))
        }
        XCTAssertEqual(timed.map { $0["calendar"] as? String }, ["*-*-* 00/4:00:00", "*-*-* *:00/5:00", "*-*-01 00:00:00", "0 */4 * * *"])
        let text = try env.expect(0, ["schedule", "status"] + target)
        XCTAssertTrue(text.stdout.contains("silo.timer") && text.stdout.contains("next run "), text.stdout)
    }

    /// With systemd running, install enables the timer, status asks systemd, remove disables it
    /// first: a fake systemctl on PATH records what it is asked.
    func testWithSystemdRunningTheTimerIsEnabledAndDisabled() throws {
        let env = try CLIEnvironment()
        // Activating creates the directories the hardened service writes: here, never /var/lib/silo or /root/.cache.
        let config = try writeConfiguration(env, cache: env.path("unit-cache"), extra: "state:\n  directory: \(env.path("unit-state"))\n")
        let log = env.path("systemctl.log")
        try env.write("bin/systemctl", Data("""
            #!/bin/sh
            echo "$*" >> '\(log)'
            if [ -e '\(log).fail' ]; then echo 'Failed to connect to bus: No medium found' >&2; exit 1; fi
            case "$*" in
              *is-active*) echo active ;;
              *NextElapseUSecRealtime*) echo 'Mon 2030-01-07 16:00:00 UTC' ;;
            esac
            exit 0

            """.utf8))
        chmod(env.path("bin/systemctl"), 0o755)
        let systemd = ["PATH": env.path("bin") + ":" + (env.environment["PATH"] ?? "/usr/bin:/bin"), "SILO_TEST_SYSTEMD_RUNNING": "1"]
        let units = env.path("units")
        let installed = try env.expect(0, ["--json", "schedule", "install", "--systemd", "--unit-dir", units, "--config", config], environment: systemd)
        XCTAssertEqual(installed.jsonLines.last?["activated"] as? Bool, true, installed.stdout)
        XCTAssertEqual(installed.jsonLines.last?["commands"] as? [String], [])
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "daemon-reload\nenable --now silo.timer silo-monitor.timer silo-drill.timer\n")
        for directory in [env.path("unit-cache"), env.path("unit-state")] {
            let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o700, directory)
        }

        let status = try env.expect(0, ["--json", "schedule", "status", "--systemd", "--unit-dir", units], environment: systemd)
        let timer = try XCTUnwrap(status.jsonLines.first { $0["unit"] as? String == "silo.timer" })
        XCTAssertEqual(timer["next_run"] as? String, "2030-01-07T16:00:00Z", "systemd's own next elapse")
        XCTAssertEqual(timer["active"] as? Bool, true)

        try Data().write(to: URL(fileURLWithPath: log))
        try env.expect(0, ["schedule", "remove", "--systemd", "--unit-dir", units], environment: systemd)
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "disable --now silo.timer\ndisable --now silo-monitor.timer\ndisable --now silo-drill.timer\ndaemon-reload\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: units), [])

        // --user talks to the user manager.
        try Data().write(to: URL(fileURLWithPath: log))
        try env.expect(0, ["schedule", "install", "--systemd", "--user", "--config", config], environment: systemd)
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "--user daemon-reload\n--user enable --now silo.timer silo-monitor.timer silo-drill.timer\n")

        // systemctl failing (no user bus): the files stay as done, the error says what to run.
        try Data().write(to: URL(fileURLWithPath: log + ".fail"))
        let removed = try env.expect(1, ["schedule", "remove", "--user"], environment: systemd)
        XCTAssertTrue(removed.stdout.contains("removed \(env.path(".config/systemd/user/silo.timer"))\n"), removed.stdout)
        XCTAssertEqual(removed.stderr, "silo: `systemctl --user daemon-reload` failed: Failed to connect to bus: No medium found\n")
        let refused = try env.expect(1, ["schedule", "install", "--systemd", "--user", "--config", config], environment: systemd)
        XCTAssertTrue(refused.stderr.hasSuffix("(the units are written; start the timer with: systemctl --user daemon-reload && systemctl --user enable --now silo.timer silo-monitor.timer silo-drill.timer)\n"), refused.stderr)
    }

    func testFailedRecordsTheFailureOnceInTheHistory() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        let first = try env.expect(0, ["--json", "schedule", "failed", "--config", config, "--unit", "silo.service"])
        XCTAssertEqual(first.jsonLines.first?["recorded"] as? Bool, true, first.stdout)
        let again = try env.expect(0, ["--json", "schedule", "failed", "--config", config, "--unit", "silo.service"])
        XCTAssertEqual(again.jsonLines.first?["recorded"] as? Bool, false, again.stdout)

        let runs = try env.expect(0, ["--json", "history"]).jsonLines
        XCTAssertEqual(runs.count, 1, "\(runs)")
        let run = try XCTUnwrap(runs.first)
        XCTAssertEqual(run["trigger"] as? String, "schedule")
        XCTAssertEqual(run["status"] as? String, "failed")
        XCTAssertTrue(run["exit_code"] is NSNull)
        XCTAssertEqual(run["error"] as? String, "systemd unit silo.service failed; see journalctl -u silo.service")
        XCTAssertEqual(run["configuration"] as? String, URL(fileURLWithPath: config).resolvingSymlinksInPath().path)
    }

    func testDryRunPrintsAndWritesNothing() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        let units = env.path("units")
        let printed = try env.expect(0, ["schedule", "install", "--systemd", "--dry-run", "--unit-dir", units, "--config", config])
        XCTAssertTrue(printed.stdout.hasPrefix("# \(units)/silo.service\n# Generated by silo schedule install"), printed.stdout)
        XCTAssertTrue(printed.stdout.contains("# \(units)/silo.timer\n") && printed.stdout.contains("\nOnCalendar=*-*-* 00/4:00:00\n"), printed.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: units))
        let json = try env.expect(0, ["--json", "schedule", "install", "--cron", "-n", "--cron-file", env.path("cron"), "--config", config])
        XCTAssertEqual(json.jsonLines.map { $0["action"] as? String }, ["would_write"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("cron")))
    }

    func testUsageErrors() throws {
        let env = try CLIEnvironment()
        let config = try writeConfiguration(env)
        let both = try env.expect(64, ["schedule", "install", "--systemd", "--cron", "--config", config, "--unit-dir", env.path("u")])
        XCTAssertTrue(both.stderr.hasPrefix("silo: --systemd and --cron exclude each other"), both.stderr)
        let userCron = try env.expect(64, ["schedule", "install", "--cron", "--user", "--config", config])
        XCTAssertTrue(userCron.stderr.hasPrefix("silo: --cron --user needs --cron-file FILE"), userCron.stderr)
        try env.write("etc/bad.yaml", Data("repository:\n  location: /srv/x\nsources:\n  db:\n    paths: [/srv/db]\n    cadence: sometimes\n".utf8))
        let bad = try env.expect(64, ["schedule", "install", "--systemd", "--no-activate", "--unit-dir", env.path("u"), "--config", env.path("etc/bad.yaml")])
        XCTAssertTrue(bad.stderr.contains("cadence"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("u")), "nothing written for a bad configuration")
    }
}
