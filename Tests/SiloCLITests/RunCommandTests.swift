import Foundation
import XCTest

/// `silo run` end to end with the real binary: a whole cycle against a local repository, a real
/// PostgreSQL database and an off-site copy on the S3 test server; hooks in order and failing;
/// two runs at once; kill -9 and SIGTERM in the middle; configuration errors; thirty simulated
/// days of retention with the test clock.
final class RunCommandTests: XCTestCase {
    private var env: CLIEnvironment!

    override func setUpWithError() throws {
        env = try CLIEnvironment()
        env.environment["TZ"] = "UTC"
        try env.write("platform/uploads/a.jpg", text(40_000, seed: 1))
        try env.write("platform/uploads/b.jpg", text(30_000, seed: 2))
        try env.write("platform/.env", Data("APP_KEY=x\n".utf8))
        try env.expect(0, ["init", "-q"])
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    private var configPath: String { env.path("silo.yaml") }
    private var log: String { env.path("hooks.log") }

    /// The configuration, written 0600 (it may name secrets).
    private func configure(_ yaml: String) throws {
        try env.write("silo.yaml", Data(yaml.utf8))
        chmod(configPath, 0o600)
    }

    private func siloRun(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> CLIResult {
        try env.run(["run", "--config", configPath] + arguments, environment: environment)
    }

    private func steps(_ result: CLIResult) -> [[String: Any]] { result.jsonLines.filter { $0["message_type"] as? String == "run_step" } }

    private func step(_ result: CLIResult, _ kind: String, _ name: String) -> [String: Any]? {
        steps(result).first { $0["kind"] as? String == kind && $0["name"] as? String == name }
    }

    private func history() throws -> [[String: Any]] {
        try env.expect(0, ["history", "--json", "--limit", "0"]).jsonLines.filter { $0["message_type"] as? String == "run" }
    }

    private func snapshots(_ repository: String? = nil, tag: String? = nil) throws -> [[String: Any]] {
        var arguments = ["snapshots", "--json"] + (repository.map { ["-r", $0] } ?? [])
        if let tag { arguments += ["--tag", tag] }
        return try env.expect(0, arguments).jsonLines.filter { $0["message_type"] as? String == "snapshot" }
    }

    private var filesSource: String {
        """
          files:
            paths: [\(env.path("platform/uploads")), \(env.path("platform/.env"))]
            cadence: 4h
        """
    }

    // MARK: The whole cycle

    func testWholeCycleWithPostgresAndAnS3CopyAndASecondCheapRun() throws {
        let postgres = PostgresTestServer.shared
        try postgres.start()
        let started = PostgresTestServer.run("/bin/bash", [PostgresTestServer.packageRoot + "/scripts/s3-test-server.sh", "start"], environment: [:])
        guard started.status == 0 else { throw PostgresTestServer.TestServerError("cannot start the test S3 server: \(started.stderr)") }
        let database = postgres.createDatabase("silo_run")
        defer { postgres.drop([database]) }
        postgres.sql(database, "CREATE TABLE orders(id int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 50000) g;")
        let offsite = "s3:http://127.0.0.1:18080/test-bucket/run-" + UUID().uuidString.prefix(8).lowercased()
        env.environment.merge(["AWS_ACCESS_KEY_ID": "test:tester", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                               "DB_PASSWORD": postgres.password]) { $1 }
        try env.expect(0, ["init", "-q", "-r", offsite])
        try configure("""
            repository:
              location: \(env.repo)
            copies:
              - name: offsite
                location: \(offsite)
                cadence: 4h
            sources:
            \(filesSource)
              database:
                postgres:
                  url: \(postgres.url(database))
                  password: ${DB_PASSWORD}
                cadence: 4h
            checks:
              structure: daily
              read_data: { cadence: daily, share: 1/30 }
            """)

        let first = try siloRun(["--json"])
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        let kinds = steps(first).map { "\($0["kind"]!) \($0["name"]!)" }
        // The issue's order: dumps before files, then retention, the saved configuration, prune, copy, checks.
        XCTAssertEqual(kinds, ["dump database", "backup files", "forget database", "forget files", "configuration repository",
                               "forget silo-config", "prune repository", "copy offsite", "forget offsite/files", "forget offsite/database",
                               "forget offsite/silo-config", "prune offsite", "check read-data", "check structure"], first.stdout)
        let dump = try XCTUnwrap(step(first, "dump", "database"))
        XCTAssertEqual(dump["status"] as? String, "succeeded")
        let dumpID = try XCTUnwrap(dump["snapshot_id"] as? String)
        let copied = try XCTUnwrap(step(first, "copy", "offsite")?["details"] as? [String: Any])
        XCTAssertEqual(copied["snapshots_copied"] as? Int, 3, "the dump, the files and the saved configuration")
        // The off-site copy holds the database dump, readable there.
        let remote = try snapshots(offsite)
        XCTAssertEqual(remote.count, 3)
        let remoteDump = try XCTUnwrap(remote.first { ($0["tags"] as? [String] ?? []).contains("source:database") })
        let listed = try env.expect(0, ["ls", "-r", offsite, try XCTUnwrap(remoteDump["id"] as? String)]).stdout
        XCTAssertTrue(listed.contains("/postgres/"), listed)

        // `latest` is the newest snapshot holding what is asked for, whichever series came after it.
        XCTAssertEqual(try env.expect(0, ["dump", "latest", env.path("platform/.env")]).stdout, "APP_KEY=x\n")
        let drill = try env.expect(0, ["restore", "latest", "--postgres", database, "--test"], environment: postgres.environment)
        XCTAssertTrue(drill.stdout.contains(String(dumpID.prefix(8))), drill.stdout)

        // Everything again (--force), nothing changed but a file beside the sources: little data and few requests.
        try env.write("beside.txt", Data("not backed up\n".utf8))
        let second = try siloRun(["--json", "--force"])
        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        func added(_ result: CLIResult) -> Int { steps(result).compactMap { $0["data_added_stored"] as? Int }.reduce(0, +) }
        XCTAssertGreaterThan(added(first), 0)
        XCTAssertLessThan(added(second) * 4, added(first), "a second run with nothing changed stores little: \(added(second)) vs \(added(first))")
        // Unchanged files add nothing. The directories above the sources (/tmp …) are recorded with their
        // metadata, and any other process creating a file in /tmp changes it: at most those few trees are new.
        let files = try XCTUnwrap(step(second, "backup", "files"))
        let filesDetails = try XCTUnwrap(files["details"] as? [String: Any])
        XCTAssertEqual(filesDetails["files_new"] as? Int, 0)
        XCTAssertEqual(filesDetails["files_changed"] as? Int, 0)
        XCTAssertEqual(filesDetails["files_unmodified"] as? Int, 3)
        let ancestors = env.path("platform").split(separator: "/").count
        XCTAssertLessThanOrEqual(try XCTUnwrap(files["data_added"] as? Int), ancestors * 200, "unchanged files add at most the trees above them")
        let firstCopyRequests = try XCTUnwrap(step(first, "copy", "offsite")?["storage_requests"] as? Int)
        let secondCopyRequests = try XCTUnwrap(step(second, "copy", "offsite")?["storage_requests"] as? Int)
        XCTAssertLessThan(secondCopyRequests, firstCopyRequests)

        // A third, plain run right after: nothing is due, nothing is backed up.
        let third = try siloRun(["--json"])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertTrue(steps(third).isEmpty, third.stdout)
        XCTAssertTrue(third.jsonLines.contains { $0["message_type"] as? String == "plan_item" && $0["due"] as? Bool == false })
        XCTAssertEqual(try history().map { $0["status"] as? String }, ["succeeded", "succeeded", "succeeded"])
        try env.expect(0, ["check"])
        try env.expect(0, ["check", "-r", offsite])
    }

    // MARK: Thirty simulated days

    /// Runs every 8 hours for 30 days on the test clock (SILO_TEST_CLOCK), with the machine off
    /// for all of day 7. Retention keeps exactly what 7 daily / 4 weekly / 12 monthly keep of all
    /// the snapshots ever made; the daily check runs once a day (not at every run) and reads the
    /// next group of packs each time; the weekly prune missed on day 7 catches up on day 8.
    func testThirtySimulatedDaysOfRuns() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
              files:
                paths: [\(env.path("platform/uploads"))]
                cadence: 8h
            retention:
              keep_daily: 7
              keep_weekly: 4
              keep_monthly: 12
              prune: weekly
            checks:
              structure: daily
              read_data: { cadence: daily, share: 1/30 }
            """)
        let start = try XCTUnwrap(ISO8601DateFormatter().date(from: "2026-03-02T00:00:00Z"))  // a Monday
        var snapshotTimes: [String: Date] = [:]
        var prunes: [Date] = [], checks: [Date] = [], groups: [String] = [], configurationSaves: [Date] = []
        for index in 0..<(30 * 3) {
            let now = start.addingTimeInterval(Double(index) * 8 * 3600)
            if Int(now.timeIntervalSince(start)) / 86_400 == 7 { continue }  // the machine is off
            try env.write("platform/uploads/day.txt", Data("run \(index)\n".utf8))
            let result = try siloRun(["--json"], environment: ["SILO_TEST_CLOCK": ISO8601DateFormatter().string(from: now)])
            XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
            if let id = step(result, "backup", "files")?["snapshot_id"] as? String { snapshotTimes[id] = now }
            if step(result, "prune", "repository") != nil { prunes.append(now) }
            if (step(result, "configuration", "repository")?["details"] as? [String: Any])?["unchanged"] as? Bool == false {
                configurationSaves.append(now)
            }
            if let check = step(result, "check", "read-data") {
                checks.append(now)
                groups.append((check["details"] as? [String: Any])?["group"] as? String ?? "")
            }
        }
        XCTAssertEqual(snapshotTimes.count, 87, "every run made its snapshot: the 8h cadence was due at each")

        var utc = Calendar(identifier: .iso8601)
        utc.timeZone = TimeZone(identifier: "UTC")!
        func newestPerBucket(_ count: Int, _ key: (Date) -> [Int]) -> Set<String> {
            var kept: [String] = [], seen: [[Int]] = []
            for (id, time) in snapshotTimes.sorted(by: { $0.value > $1.value }) where !seen.contains(key(time)) && seen.count < count {
                seen.append(key(time))
                kept.append(id)
            }
            return Set(kept)
        }
        let daily = newestPerBucket(7) { let c = utc.dateComponents([.year, .month, .day], from: $0); return [c.year!, c.month!, c.day!] }
        let weekly = newestPerBucket(4) { let c = utc.dateComponents([.yearForWeekOfYear, .weekOfYear], from: $0); return [c.yearForWeekOfYear!, c.weekOfYear!] }
        let monthly = newestPerBucket(12) { let c = utc.dateComponents([.year, .month], from: $0); return [c.year!, c.month!] }
        let expected = daily.union(weekly).union(monthly)
        let kept = Set(try snapshots(tag: "source:files").compactMap { $0["id"] as? String })
        XCTAssertEqual(kept, expected)
        // Day 29 is Tuesday 31 March: its week's and March's newest are today's, the week before's is Sunday's
        // (among the 7 days); the two weeks before those add one each.
        XCTAssertEqual(kept.count, 9)

        let day: TimeInterval = 86_400
        XCTAssertEqual(prunes.map { Int($0.timeIntervalSince(start) / day) }, [0, 8, 15, 22, 29], "weekly; day 7 was missed and caught up on day 8")
        XCTAssertEqual(checks.count, 29, "once a day on each day the machine was on, not at every run")
        // An unchanged configuration and the history beside it are saved again once a day (at the first run
        // 24 hours after the last save), not at every run.
        let gaps = zip(configurationSaves.dropFirst(), configurationSaves).map { $0.timeIntervalSince($1) }
        XCTAssertEqual(configurationSaves.first, start)
        XCTAssertTrue(gaps.allSatisfy { $0 >= day && $0 <= 2 * day + 8 * 3600 }, "\(gaps)")
        XCTAssertLessThanOrEqual(gaps.filter { $0 > day + 8 * 3600 }.count, 1, "only the save across the day the machine was off waits longer: \(gaps)")
        XCTAssertTrue((20...30).contains(configurationSaves.count), "\(configurationSaves.count) saves in 30 days of 87 runs")
        XCTAssertEqual(groups, (1...29).map { "\($0)/30" }, "each check reads the next group of packs")
        try env.expect(0, ["check", "--read-data"])
    }

    // MARK: Hooks

    func testHooksRunInOrderAndAFailedSourceDoesNotStopTheOthers() throws {
        try env.write("platform/other/c.txt", text(5_000, seed: 3))
        try configure("""
            repository:
              location: \(env.repo)
            sources:
              first:
                paths: [\(env.path("platform/uploads"))]
                hooks:
                  before: ["echo first-before >> \(log)"]
                  after: ["echo first-after >> \(log)"]
              broken:
                paths: [\(env.path("platform/other"))]
                hooks:
                  before: ["echo broken-before >> \(log); exit 3"]
                  on_failure: ["echo \\"broken-failure $SILO_SOURCE\\" >> \(log)"]
              resting:
                paths: [\(env.path("platform/other"))]
                hooks:
                  before: ["exit 75"]
              last:
                paths: [\(env.path("platform/.env"))]
            hooks:
              before: ["echo run-before >> \(log)"]
              after: ["echo run-after >> \(log)"]
              on_failure: ["echo \\"run-failure: $SILO_ERROR\\" >> \(log)"]
            """)
        let result = try siloRun(["--json"])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, ["run-before", "first-before", "first-after", "broken-before", "broken-failure broken",
                               "run-failure: hook broken before: hook `echo broken-before >> \(log); exit 3` exited with status 3"])
        XCTAssertEqual(step(result, "backup", "first")?["status"] as? String, "succeeded")
        XCTAssertNil(step(result, "backup", "broken"), "a source whose before hook failed is not backed up")
        XCTAssertEqual(step(result, "backup", "resting")?["status"] as? String, "skipped")
        XCTAssertEqual(step(result, "backup", "last")?["status"] as? String, "succeeded", "a failed source does not stop the others")
        let summary = try XCTUnwrap(result.jsonLines.first { $0["message_type"] as? String == "run_summary" })
        XCTAssertEqual(summary["failed"] as? [String], ["hook broken before"])
        let recorded = try XCTUnwrap(try history().last)
        XCTAssertEqual(recorded["status"] as? String, "failed")
        XCTAssertEqual(recorded["exit_code"] as? Int, 1)
        XCTAssertTrue((recorded["error"] as? String ?? "").contains("exited with status 3"), "\(recorded)")
    }

    func testABeforeHookExiting75SkipsTheRunWithoutAnError() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
            \(filesSource)
            hooks:
              before: ["exit 75"]
              on_failure: ["echo failure >> \(log)"]
            """)
        let result = try siloRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(try snapshots().isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: log), "a skip is not a failure")
        XCTAssertEqual(try history().last?["status"] as? String, "skipped")
    }

    func testAHookThatOutlivesItsTimeoutIsKilledWithWhatItStarted() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
            \(filesSource)
            hooks:
              before:
                - command: "sleep 60 & echo $! > \(env.path("child.pid")); wait"
                  timeout: 1s
            """)
        let started = Date()
        let result = try siloRun()
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("timed out"), result.stderr)
        let child = try XCTUnwrap(Int32(try String(contentsOfFile: env.path("child.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertTrue(kill(child, 0) != 0 || Self.isZombie(child), "the hook's own child went with it")
        XCTAssertTrue(try snapshots().isEmpty)
    }

    // MARK: Concurrency and crashes

    /// A run held in a before hook until `release` exists; `started` appears once it is in it.
    private func configureHeldRun() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
            \(filesSource)
              later:
                paths: [\(env.path("platform/.env"))]
                hooks:
                  before:
                    - command: "if [ -e \(env.path("hold")) ]; then touch \(env.path("started")); while [ ! -e \(env.path("release")) ]; do sleep 0.05; done; fi"
                      timeout: 1m
            """)
    }

    /// `silo run` in the background, spawned and reaped directly: Foundation's `Process` did not
    /// notice a child killed with SIGKILL here, and its wait never returned.
    private func startRun() throws -> BackgroundRun {
        try BackgroundRun(CLIEnvironment.binary, ["run", "--config", configPath], environment: env.environment)
    }

    private func waitFor(_ path: String, _ process: BackgroundRun) throws {
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: path) {
            guard Date() < deadline, process.isRunning else {
                XCTFail("the held run never reached its hook")
                throw XCTSkip("the held run never reached its hook")
            }
            usleep(20_000)
        }
    }

    func testASecondRunExits11WhileTheFirstHoldsTheLock() throws {
        try configureHeldRun()
        try env.write("hold", Data())
        let first = try startRun()
        try waitFor(env.path("started"), first)
        let second = try siloRun()
        XCTAssertEqual(second.status, 11, second.stderr)
        XCTAssertTrue(second.stderr.contains("another silo run of"), second.stderr)
        try env.write("release", Data())
        XCTAssertEqual(first.wait(), 0)
        // The refused run ended first, so it may be recorded before or after the one holding the lock.
        let statuses = try history().compactMap { $0["status"] as? String }
        XCTAssertEqual(statuses.sorted(), ["lock_held", "succeeded"])
    }

    func testKill9InTheMiddleThenARunThatCompletes() throws {
        try configureHeldRun()
        try env.write("hold", Data())
        let first = try startRun()
        try waitFor(env.path("started"), first)
        kill(first.pid, SIGKILL)
        _ = first.wait()
        try env.write("release", Data())  // the orphaned hook ends too
        try FileManager.default.removeItem(atPath: env.path("hold"))
        // The first source was backed up before the kill; everything is due again but it.
        let next = try siloRun(["--json"])
        XCTAssertEqual(next.status, 0, next.stdout + next.stderr)
        XCTAssertTrue(next.jsonLines.contains { $0["message_type"] as? String == "warning" && ($0["message"] as? String ?? "").contains("found crashed") },
                      next.stdout)
        XCTAssertEqual(next.jsonLines.first { $0["message_type"] as? String == "run_summary" }?["crashed_runs"] as? [Int], [1])
        XCTAssertNil(step(next, "backup", "files"), "files was done by the killed run and is not due again")
        XCTAssertEqual(step(next, "backup", "later")?["status"] as? String, "succeeded")
        let runs = try history()
        XCTAssertEqual(runs.map { $0["status"] as? String }, ["crashed", "succeeded"])
        let crashedSteps = try XCTUnwrap(runs.first?["steps"] as? [[String: Any]])
        XCTAssertEqual(crashedSteps.first { $0["kind"] as? String == "backup" }?["status"] as? String, "succeeded")
        XCTAssertEqual(crashedSteps.last?["status"] as? String, "crashed", "the hook it was in")
        try env.expect(0, ["check"])
    }

    func testSIGTERMStopsCleanlyAndIsRecordedAsInterrupted() throws {
        try configureHeldRun()
        try env.write("hold", Data())
        let first = try startRun()
        try waitFor(env.path("started"), first)
        kill(first.pid, SIGTERM)
        XCTAssertEqual(first.wait(), 143)
        let last = try XCTUnwrap(try history().last)
        XCTAssertEqual(last["status"] as? String, "interrupted")
        XCTAssertEqual(last["exit_code"] as? Int, 143)
        XCTAssertEqual((last["steps"] as? [[String: Any]])?.last?["status"] as? String, "interrupted")
        try env.expect(0, ["check"])
        try env.expect(0, ["unlock"])
        XCTAssertTrue(try env.expect(0, ["--json", "unlock"]).jsonLines.allSatisfy { $0["message_type"] as? String != "lease_removed" },
                      "no lease left behind")
    }

    // MARK: Configuration

    func testConfigurationErrorsAreReportedAtTheirPositionsAndRecorded() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
              files:
                paths: [\(env.path("platform/uploads"))]
                cadense: 4h
            """)
        let result = try siloRun()
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("silo.yaml:6:5: sources.files.cadense"), result.stderr)
        XCTAssertTrue(result.stderr.contains("did you mean 'cadence'"), result.stderr)
        let recorded = try XCTUnwrap(try history().last)
        XCTAssertEqual(recorded["status"] as? String, "config_error")
        XCTAssertEqual(recorded["exit_code"] as? Int, 64)

        try configure("""
            repository:
              location: \(env.repo)
            sources:
            \(filesSource)
            """)
        let unknown = try siloRun(["nosuch"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertEqual(unknown.stderr, "silo: no source nosuch in \(configPath) (its sources: files)\n")
    }

    /// Without -r or SILO_REPOSITORY, commands use the configuration's repository and password:
    /// `silo init`, `silo run`, `silo snapshots` on a configured server need nothing else.
    func testCommandsWithoutARepositoryUseTheConfiguredOne() throws {
        try env.write("etc/repository.password", Data("configured secret\n".utf8))
        chmod(env.path("etc/repository.password"), 0o600)
        try configure("""
            repository:
              location: \(env.path("configured-repo"))
              password_file: \(env.path("etc/repository.password"))
            sources:
            \(filesSource)
            """)
        env.environment.removeValue(forKey: "SILO_REPOSITORY")
        env.environment.removeValue(forKey: "SILO_PASSWORD")
        try env.expect(0, ["--config", configPath, "init", "-q"])
        XCTAssertEqual(try siloRun().status, 0)
        let listed = try env.expect(0, ["--config", configPath, "snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(listed.count, 2, "the files and the saved configuration")
        // The configured password is the one, as silo run uses it (SILO_PASSWORD does not override it),
        // unless the command line names another.
        try env.expect(0, ["--config", configPath, "snapshots"], environment: ["SILO_PASSWORD": "wrong"])
        try env.write("other.password", Data("wrong\n".utf8))
        chmod(env.path("other.password"), 0o600)
        try env.expect(12, ["--config", configPath, "snapshots", "--password-file", env.path("other.password")])
        // A wrong password in the configuration is a run that failed before doing anything, recorded.
        try Data("wrong\n".utf8).write(to: URL(fileURLWithPath: env.path("etc/repository.password")))
        let refused = try siloRun(["--force"])
        XCTAssertEqual(refused.status, 12, refused.stderr)
        let last = try XCTUnwrap(try history().last)
        XCTAssertEqual(last["status"] as? String, "failed")
        XCTAssertEqual(last["exit_code"] as? Int, 12)
        try env.expect(64, ["--config", env.path("nosuch.yaml"), "snapshots"])
    }

    func testDryRunPrintsThePlanAndTouchesNothing() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
            \(filesSource)
            """)
        let result = try siloRun(["--dry-run"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("due   backup files: never done"), result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("state/history.sqlite")))
        XCTAssertTrue(try snapshots().isEmpty)
    }

    func testNamedSourcesRunAloneAndTheConfigurationCanBeRecovered() throws {
        try configure("""
            repository:
              location: \(env.repo)
            sources:
            \(filesSource)
              env:
                paths: [\(env.path("platform/.env"))]
            """)
        let named = try siloRun(["--json", "env"])
        XCTAssertEqual(named.status, 0, named.stderr)
        XCTAssertEqual(steps(named).map { "\($0["kind"]!) \($0["name"]!)" }, ["backup env", "forget env"])
        let whole = try siloRun(["--json"])
        XCTAssertEqual(steps(whole).filter { $0["kind"] as? String == "backup" }.map { $0["name"] as? String }, ["files"],
                       "env was just backed up by the named run; files never was")
        let recovered = env.path("recovered.yaml")
        try env.expect(0, ["config", "recover", "--output", recovered])
        let text = try String(contentsOfFile: recovered, encoding: .utf8)
        XCTAssertTrue(text.contains(env.path("platform/uploads")), text)
        try env.expect(0, ["config", "validate", "--config", recovered])
        let restoredState = env.path("restored-state")
        try env.expect(0, ["config", "recover", "--history"], environment: ["SILO_STATE_DIR": restoredState])
        let restored = try env.expect(0, ["history", "--json"], environment: ["SILO_STATE_DIR": restoredState]).jsonLines
        XCTAssertEqual(restored.count, 1, "the history as of the run that saved it: the named run before it")
    }

    func testAnUnchangedConfigurationIsSavedOnceAndAgainWhenItChangesOrIsForgotten() throws {
        func configuration(_ cadence: String) -> String {
            """
            repository:
              location: \(env.repo)
            sources:
              files:
                paths: [\(env.path("platform/uploads"))]
                cadence: \(cadence)
            """
        }
        func saved(_ result: CLIResult) throws -> (id: String, unchanged: Bool) {
            XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
            let step = try XCTUnwrap(step(result, "configuration", "repository"), result.stdout)
            let details = try XCTUnwrap(step["details"] as? [String: Any])
            return (try XCTUnwrap(step["snapshot_id"] as? String), try XCTUnwrap(details["unchanged"] as? Bool))
        }
        try configure(configuration("4h"))
        let first = try saved(try siloRun(["--json"]))
        XCTAssertFalse(first.unchanged)
        // With an empty cache the catalog is rebuilt from the repository, and the saved snapshot found there.
        try FileManager.default.removeItem(atPath: try XCTUnwrap(env.environment["SILO_CACHE_DIR"]))
        let again = try siloRun(["--json", "--force"])
        XCTAssertEqual(try saved(again).id, first.id)
        XCTAssertTrue(try saved(again).unchanged)
        XCTAssertNil(step(again, "forget", "silo-config"), "no new configuration snapshot, nothing to forget")
        XCTAssertEqual(try snapshots(tag: "silo-config").count, 1)

        try configure(configuration("6h"))
        let changed = try saved(try siloRun(["--json", "--force"]))
        XCTAssertFalse(changed.unchanged)
        XCTAssertNotEqual(changed.id, first.id)
        let recovered = env.path("recovered.yaml")
        try env.expect(0, ["config", "recover", "--output", recovered])
        XCTAssertTrue(try String(contentsOfFile: recovered, encoding: .utf8).contains("6h"), "the recovered configuration is the changed one")

        // The saved snapshot removed by hand: the next run saves the configuration again.
        try env.expect(0, ["forget", changed.id])
        let resaved = try saved(try siloRun(["--json", "--force"]))
        XCTAssertFalse(resaved.unchanged)
        XCTAssertEqual(try snapshots(tag: "silo-config").map { $0["id"] as? String }.contains(resaved.id), true)
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: " ").dropFirst(2).first == "Z"
    }
}

/// A child process with its standard streams on /dev/null.
final class BackgroundRun {
    let pid: pid_t
    private var status: Int32?

    init(_ program: String, _ arguments: [String], environment: [String: String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        let words = [program] + arguments
        let argv = words.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, program, &actions, nil, argv, envp)
        guard spawned == 0 else { throw CocoaError(.executableLoad) }
        pid = child
    }

    var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = Self.decode(raw)
            return false
        }
        return true
    }

    /// The exit status, or 128 + the signal that killed it.
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        status = Self.decode(raw)
        return status!
    }

    private static func decode(_ raw: Int32) -> Int32 { (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
}
