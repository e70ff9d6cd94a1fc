import Foundation
import XCTest

/// `silo monitor` end to end with the real binary: each check triggered by the real condition it
/// watches (an old snapshot made with `--time`, a dump that shrank in a real PostgreSQL
/// database, a flipped bit that `check` finds, a copy that lags, a missing daily), in the
/// table, Nagios, Prometheus (validated by `promtool check metrics`) and JSON forms.
final class MonitorCommandTests: XCTestCase {
    private var env: CLIEnvironment!

    override func setUpWithError() throws {
        env = try CLIEnvironment()
        env.environment["TZ"] = "UTC"
        try env.write("platform/uploads/a.jpg", text(40_000, seed: 1))
        try env.write("platform/uploads/b.jpg", text(30_000, seed: 2))
        try env.expect(0, ["init", "-q"])
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    private var configPath: String { env.path("silo.yaml") }

    private func configure(_ extra: String = "", sources: String? = nil) throws {
        let yaml = """
            repository:
              location: \(env.repo)
            sources:
            \(sources ?? "  files:\n    paths: [\(env.path("platform/uploads"))]\n    cadence: 4h")
            \(extra)
            """
        try env.write("silo.yaml", Data(yaml.utf8))
        chmod(configPath, 0o600)
    }

    private func monitor(_ arguments: [String] = [], clock: String? = nil) throws -> CLIResult {
        try env.run(["monitor", "--config", configPath] + arguments, environment: clock.map { ["SILO_TEST_CLOCK": $0] } ?? [:])
    }

    private func checks(_ result: CLIResult) -> [String: [String: Any]] {
        var result_: [String: [String: Any]] = [:]
        for line in result.jsonLines where line["message_type"] as? String == "monitor_check" {
            result_[line["id"] as? String ?? ""] = line
        }
        return result_
    }

    private func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// `promtool check metrics` reads the exposition on stdin; exit 0 when it is valid.
    private func promtool(_ text: String) throws -> (status: Int32, output: String) {
        let input = env.path("metrics-\(UUID().uuidString).prom")
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let out = env.path("promtool.out")
        let status = try env.shell("promtool check metrics < '\(input)' > '\(out)' 2>&1")
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    // MARK: Freshness, in every form

    func testAnOldSnapshotIsCriticalInEveryFormatAndARunMakesItOK() throws {
        try configure()
        let twelveHoursAgo = iso(Date().addingTimeInterval(-12 * 3600))
        try env.expect(0, ["backup", "-q", "--time", twelveHoursAgo, "--tag", "source:files", env.path("platform/uploads")])

        let table = try monitor()
        XCTAssertEqual(table.status, 2, table.stdout + table.stderr)
        XCTAssertTrue(table.stdout.contains("CRITICAL  freshness/files"), table.stdout)
        XCTAssertTrue(table.stdout.contains("newest snapshot 12h old (cadence 4h)"), table.stdout)
        // No run history here: the runs check says where runs are judged, freshness still works.
        XCTAssertTrue(table.stdout.contains("no run history on this machine"), table.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("state/history.sqlite")), "a read creates no history")

        let nagios = try monitor(["--format", "nagios"])
        XCTAssertEqual(nagios.status, 2)
        XCTAssertTrue(nagios.stdout.hasPrefix("SILO CRITICAL - freshness/files: newest snapshot 12h old"), nagios.stdout)
        XCTAssertEqual(nagios.stdout.split(separator: "\n").count, 1, "one line")
        XCTAssertTrue(nagios.stdout.contains(" | "), nagios.stdout)
        let perfdata = try XCTUnwrap(nagios.stdout.components(separatedBy: " | ").last)
        let age = try XCTUnwrap(perfdata.split(separator: " ").first { $0.hasPrefix("'backup_age_seconds_files'=") })
        let fields = age.split(separator: "=")[1].split(separator: ";", omittingEmptySubsequences: false)
        XCTAssertTrue(fields[0].hasSuffix("s") && (Double(fields[0].dropLast()) ?? 0) >= 43_200, String(age))
        XCTAssertEqual(fields[1], "21600")
        XCTAssertEqual(fields[2], "36000")

        let prometheus = try monitor(["--format", "prometheus"])
        XCTAssertEqual(prometheus.status, 0, "the metrics carry the state")
        let checked = try promtool(prometheus.stdout)
        XCTAssertEqual(checked.status, 0, checked.output + prometheus.stdout)
        XCTAssertTrue(prometheus.stdout.contains("# TYPE silo_backup_last_success_timestamp_seconds gauge\n"), prometheus.stdout)
        XCTAssertTrue(prometheus.stdout.contains("silo_check_status{check=\"freshness/files\",category=\"freshness\"} 2\n"), prometheus.stdout)
        XCTAssertTrue(prometheus.stdout.contains("silo_build_info{version="), prometheus.stdout)

        // The textfile: written whole under its name, no temporary left beside it.
        let textfile = env.path("node-exporter")
        try FileManager.default.createDirectory(atPath: textfile, withIntermediateDirectories: true)
        XCTAssertEqual(try monitor(["--format", "prometheus", "--textfile", textfile]).stdout, "")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: textfile), ["silo.prom"])
        let written = try String(contentsOfFile: textfile + "/silo.prom", encoding: .utf8)
        XCTAssertEqual(try promtool(written).status, 0)
        XCTAssertTrue(written.contains("silo_backup_age_seconds{source=\"files\"}"), written)

        let json = try monitor(["--json"])
        XCTAssertEqual(json.status, 2)
        let freshness = try XCTUnwrap(checks(json)["freshness/files"])
        XCTAssertEqual(freshness["status"] as? String, "critical")
        XCTAssertEqual(freshness["source"] as? String, "files")
        XCTAssertGreaterThanOrEqual((freshness["metrics"] as? [String: Any])?["silo_backup_age_seconds"] as? Double ?? 0, 43_200)
        let summary = try XCTUnwrap(json.jsonLines.last)
        XCTAssertEqual(summary["message_type"] as? String, "monitor_summary")
        XCTAssertEqual((summary["problems"] as? [String])?.first, "freshness/files")

        // A run backs the source up and checks the repository: everything is OK.
        try env.expect(0, ["run", "--config", configPath, "-q"])
        let after = try monitor()
        XCTAssertEqual(after.status, 0, after.stdout)
        XCTAssertTrue(after.stdout.contains("OK        freshness/files"), after.stdout)
        XCTAssertTrue(after.stdout.contains("all "), after.stdout)
        XCTAssertTrue(try monitor(["--format", "nagios"]).stdout.hasPrefix("SILO OK - "))
    }

    func testSiloRunWritesTheTextfileWhenTheConfigurationAsks() throws {
        let textfile = env.path("node-exporter")
        try FileManager.default.createDirectory(atPath: textfile, withIntermediateDirectories: true)
        try configure("monitoring:\n  textfile: \(textfile)")
        try env.expect(0, ["run", "--config", configPath, "-q"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: textfile), ["silo.prom"])
        let written = try String(contentsOfFile: textfile + "/silo.prom", encoding: .utf8)
        let checked = try promtool(written)
        XCTAssertEqual(checked.status, 0, checked.output)
        XCTAssertTrue(written.contains("silo_check_status{check=\"freshness/files\",category=\"freshness\"} 0\n"), written)
        XCTAssertTrue(written.contains("silo_run_consecutive_failures 0\n"), written)
    }

    func testAnUnreadableRepositoryIsUnknown() throws {
        try configure()
        let nagios = try env.run(["monitor", "--config", configPath, "--format", "nagios"], environment: ["SILO_PASSWORD": "wrong"])
        XCTAssertEqual(nagios.status, 3)
        XCTAssertTrue(nagios.stdout.hasPrefix("SILO UNKNOWN - "), nagios.stdout)
        let table = try env.run(["monitor", "--config", configPath], environment: ["SILO_PASSWORD": "wrong"])
        XCTAssertEqual(table.status, 3)
        XCTAssertTrue(table.stderr.hasPrefix("silo: "), table.stderr)
    }

    // MARK: Space

    /// No small file system can be made here: a minimum of free bytes above what is free is.
    func testAThresholdAboveTheFreeSpaceIsCriticalAndAQuotaIsJudgedOnStoredBytes() throws {
        try configure("monitoring:\n  space: { free_bytes_critical: 1024T }")
        try env.expect(0, ["run", "--config", configPath, "-q"])
        let result = try monitor(["--json"])
        XCTAssertEqual(result.status, 2)
        let space = try XCTUnwrap(checks(result)["space/repository"])
        XCTAssertEqual(space["status"] as? String, "critical", "\(space)")
        XCTAssertTrue((space["summary"] as? String ?? "").contains(" free of "), "\(space)")
        let free = try XCTUnwrap((space["metrics"] as? [String: Any])?["silo_repository_free_bytes"] as? Double)
        var stats = statvfs()
        XCTAssertEqual(statvfs(env.repo, &stats), 0)
        XCTAssertEqual(free, Double(UInt64(stats.f_bavail) * UInt64(stats.f_frsize)), accuracy: 64 * 1024 * 1024, "the file system's own figure")
        // A quota smaller than what is stored.
        try configure("monitoring:\n  space: { quota: 1K }")
        let quota = try XCTUnwrap(checks(try monitor(["--json"]))["space/repository"])
        XCTAssertEqual(quota["status"] as? String, "critical", "\(quota)")
        XCTAssertTrue((quota["summary"] as? String ?? "").contains("stored of a 1.0 KiB quota"), "\(quota)")
    }

    /// On S3 there is no file system to ask: the bytes stored are judged against the quota, and
    /// freshness is read from the remote repository like from a local one.
    func testAnS3RepositoryIsJudgedAgainstItsQuota() throws {
        let started = PostgresTestServer.run("/bin/bash", [PostgresTestServer.packageRoot + "/scripts/s3-test-server.sh", "start"], environment: [:])
        guard started.status == 0 else { throw PostgresTestServer.TestServerError("cannot start the test S3 server: \(started.stderr)") }
        env.environment.merge(["AWS_ACCESS_KEY_ID": "test:tester", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"]) { $1 }
        let remote = "s3:http://127.0.0.1:18080/test-bucket/monitor-" + UUID().uuidString.prefix(8).lowercased()
        try env.expect(0, ["init", "-q", "-r", remote])
        let yaml = """
            repository:
              location: \(remote)
            sources:
              files:
                paths: [\(env.path("platform/uploads"))]
                cadence: 4h
            monitoring:
              space: { quota: 16K }
            """
        try env.write("silo.yaml", Data(yaml.utf8))
        chmod(configPath, 0o600)
        try env.expect(0, ["run", "--config", configPath, "-q"])
        let result = try monitor(["--json"])
        let all = checks(result)
        XCTAssertEqual(all["freshness/files"]?["status"] as? String, "ok", "\(all["freshness/files"] ?? [:])")
        let space = try XCTUnwrap(all["space/repository"])
        XCTAssertEqual(space["status"] as? String, "critical", "70 kB of files do not fit 16 KiB: \(space)")
        XCTAssertTrue((space["summary"] as? String ?? "").contains("stored of a 16.0 KiB quota"), "\(space)")
        XCTAssertNil((space["metrics"] as? [String: Any])?["silo_repository_free_bytes"], "no file system on S3")
    }

    // MARK: Hygiene

    /// A backup stopped while it holds its lease makes prune leave its mark for a later prune;
    /// killed, it leaves a stale lease. The monitor names both, and the mark once it is old.
    func testAStaleLockAndAnUnfinishedPruneFromAKilledBackup() throws {
        try configure()
        try env.write("platform/old/c.bin", text(200_000, seed: 9))
        try env.expect(0, ["backup", "-q", "--tag", "source:files", env.path("platform/old")])
        try env.expect(0, ["backup", "-q", "--tag", "source:files", env.path("platform/uploads")])
        // A backup reading a stream that never ends while the test holds it open.
        let backup = Process()
        backup.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        backup.arguments = ["backup", "-q", "--stdin", "--stdin-filename", "stream.bin", "--tag", "source:files"]
        backup.environment = env.environment
        let stream = Pipe()
        backup.standardInput = stream
        try backup.run()
        let locks = env.repo + "/locks"
        let deadline = Date().addingTimeInterval(20)
        while ((try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []).isEmpty && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []).isEmpty, "the backup took its lease")
        XCTAssertEqual(checks(try monitor(["--json"]))["hygiene/locks"]?["status"] as? String, "ok", "a live lease is no problem")
        // Forget the first snapshot; prune marks its packs but must wait for the running backup.
        let first = try XCTUnwrap(try env.expect(0, ["snapshots", "--json"]).jsonLines.first { $0["message_type"] as? String == "snapshot" }?["id"] as? String)
        try env.expect(0, ["forget", "-q", first])
        try env.expect(0, ["prune", "-q"])
        XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: env.repo + "/deletions")) ?? []).isEmpty, "the mark waits")
        // The backup dies without releasing its lease.
        XCTAssertEqual(kill(backup.processIdentifier, SIGKILL), 0)
        backup.waitUntilExit()
        try stream.fileHandleForWriting.close()
        let now = try XCTUnwrap(checks(try monitor(["--json"])))
        XCTAssertEqual(now["hygiene/locks"]?["status"] as? String, "warning", "\(now["hygiene/locks"] ?? [:])")
        XCTAssertEqual(now["hygiene/locks"]?["advice"] as? String, "run `silo unlock`")
        XCTAssertEqual(now["hygiene/prune"]?["status"] as? String, "ok", "a fresh mark waits for the next prune")
        let later = checks(try monitor(["--json"], clock: ISO8601DateFormatter().string(from: Date().addingTimeInterval(20 * 86_400))))
        XCTAssertEqual(later["hygiene/prune"]?["status"] as? String, "warning", "\(later["hygiene/prune"] ?? [:])")
        XCTAssertTrue((later["hygiene/prune"]?["summary"] as? String ?? "").hasPrefix("a prune marked "), "\(later["hygiene/prune"] ?? [:])")
    }

    // MARK: Integrity

    func testAFlippedBitThatCheckFindsIsCritical() throws {
        try configure("checks:\n  structure: daily\n  read_data: { cadence: daily, share: 1/1 }")
        try env.expect(0, ["run", "--config", configPath, "-q"])
        XCTAssertEqual(checks(try monitor(["--json"]))["integrity/check"]?["status"] as? String, "ok")
        let packs = try XCTUnwrap(FileManager.default.subpathsOfDirectory(atPath: env.repo + "/packs").filter { ($0 as NSString).lastPathComponent.count == 64 })
        let pack = env.repo + "/packs/" + packs[0]
        var data = try Data(contentsOf: URL(fileURLWithPath: pack))
        data[data.count / 2] ^= 0x01
        try data.write(to: URL(fileURLWithPath: pack))
        let damaged = try env.run(["run", "--config", configPath, "--force", "-q"])
        XCTAssertNotEqual(damaged.status, 0)
        let result = try monitor(["--json"])
        XCTAssertEqual(result.status, 2)
        let integrity = try XCTUnwrap(checks(result)["integrity/check"])
        XCTAssertEqual(integrity["status"] as? String, "critical")
        XCTAssertTrue((integrity["summary"] as? String ?? "").contains("error(s)"), "\(integrity)")
        XCTAssertEqual(checks(result)["runs/last"]?["status"] as? String, "warning", "one failed run")
    }

    // MARK: Retention and copies, on the test clock

    func testAMissingDailyIsNamedByItsDate() throws {
        try configure()
        for day in ["02", "03", "05", "06", "07"] {
            try env.expect(0, ["backup", "-q", "--time", "2026-12-\(day)T10:00:00Z", "--tag", "source:files", env.path("platform/uploads")])
        }
        let result = try monitor(["--json"], clock: "2026-12-07T12:00:00Z")
        let retention = try XCTUnwrap(checks(result)["retention/files"])
        XCTAssertEqual(retention["status"] as? String, "warning")
        XCTAssertEqual(retention["summary"] as? String, "missing: 2026-12-04")
        XCTAssertEqual(checks(result)["freshness/files"]?["status"] as? String, "ok", "the newest is 2 hours old on the test clock")
    }

    func testACopyThatLagsIsAWarningThenCritical() throws {
        let offsite = env.path("offsite")
        try env.expect(0, ["init", "-q", "-r", offsite])
        try configure("copies:\n  - name: offsite\n    location: \(offsite)\n    cadence: daily")
        try env.expect(0, ["run", "--config", configPath, "-q"], environment: ["SILO_TEST_CLOCK": "2026-12-01T00:00:00Z"])
        XCTAssertEqual(checks(try monitor(["--json"], clock: "2026-12-01T01:00:00Z"))["copies/offsite"]?["status"] as? String, "ok")
        // A new snapshot the copy has not taken, and 40 hours without a copy (daily: warning beyond 36 h).
        try env.expect(0, ["backup", "-q", "--time", "2026-12-01T08:00:00Z", "--tag", "source:files", env.path("platform/uploads")])
        let lagging = try XCTUnwrap(checks(try monitor(["--json"], clock: "2026-12-02T16:01:00Z"))["copies/offsite"])
        XCTAssertEqual(lagging["status"] as? String, "warning", "\(lagging)")
        XCTAssertTrue((lagging["summary"] as? String ?? "").hasPrefix("1d 16h behind the primary"), "\(lagging)")
        XCTAssertEqual(checks(try monitor(["--json"], clock: "2026-12-03T16:00:00Z"))["copies/offsite"]?["status"] as? String, "critical")
    }

    // MARK: Size, with a real database

    func testADumpThatShrankIsCritical() throws {
        let postgres = PostgresTestServer.shared
        try postgres.start()
        let database = postgres.createDatabase("silo_monitor")
        defer { postgres.drop([database]) }
        postgres.sql(database, "CREATE TABLE orders(id int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 20000) g;")
        env.environment["DB_PASSWORD"] = postgres.password
        try configure(sources: "  database:\n    postgres:\n      url: \(postgres.url(database))\n      password: ${DB_PASSWORD}\n    cadence: 4h")
        // A dump a day on the test clock (retention keeps one a day: the median is over days).
        for day in 1...4 { try env.expect(0, ["run", "--config", configPath, "-q"], environment: ["SILO_TEST_CLOCK": "2026-12-0\(day)T10:00:00Z"]) }
        XCTAssertEqual(checks(try monitor(["--json"], clock: "2026-12-04T11:00:00Z"))["size/database"]?["status"] as? String, "ok")
        // Most orders gone: the next dump is far smaller than the median of the last ones.
        postgres.sql(database, "DELETE FROM orders WHERE id > 5000;")
        try env.expect(0, ["run", "--config", configPath, "-q"], environment: ["SILO_TEST_CLOCK": "2026-12-05T10:00:00Z"])
        let result = try monitor(["--json"], clock: "2026-12-05T11:00:00Z")
        XCTAssertEqual(result.status, 2)
        let size = try XCTUnwrap(checks(result)["size/database"])
        XCTAssertEqual(size["status"] as? String, "critical")
        XCTAssertTrue((size["summary"] as? String ?? "").contains("the dump shrank"), "\(size)")
    }
}
