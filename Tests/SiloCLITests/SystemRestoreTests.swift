import Foundation
import XCTest

/// `silo restore --system` and `silo drill` against a real mini platform the test starts: a
/// PostgreSQL database (the test server) and a small HTTP service (fixtures/platform/app.py)
/// that serves a page built from a file tree and a database query, with start, stop and status
/// scripts. Disasters are made for real, restored until the platform is healthy again, and the
/// result is compared byte for byte and row for row.
final class SystemRestoreTests: XCTestCase {
    private var env: CLIEnvironment!
    private let postgres = PostgresTestServer.shared
    private var database = ""
    private var port = 0
    private var platform: String { env.path("platform") }
    private var runDirectory: String { env.path("run") }
    private var configPath: String { env.path("silo.yaml") }
    private static let fixtures = PostgresTestServer.packageRoot + "/fixtures/platform"

    override func setUpWithError() throws {
        try postgres.start()
        env = try CLIEnvironment()
        env.environment.merge(postgres.environment) { $1 }
        env.environment["TZ"] = "UTC"
        database = postgres.createDatabase("silo_sys")
        postgres.sql(database, "CREATE TABLE orders(id int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 500) g;")
        port = Self.freePort()
        try env.write("platform/uploads/a.jpg", text(40_000, seed: 1))
        try env.write("platform/uploads/2026/b.png", text(30_000, seed: 2))
        try env.write("platform/.env", Data(goodEnv().utf8))
        try env.expect(0, ["init", "-q"])
        try configure()
        try startWeb()
        try waitHealthy()
    }

    override func tearDown() {
        if env != nil {
            sh("\(Self.fixtures)/stop.sh '\(runDirectory)'")
            sh("\(Self.fixtures)/stop.sh '\(env.path("drill-run"))'")
            postgres.drop(postgres.databases(like: database + "%") + postgres.databases(like: "silo_drill_" + database + "%"))
        }
        env = nil
        super.tearDown()
    }

    // MARK: the platform

    private func goodEnv(greeting: String = "hello", hang: Bool = false) -> String {
        "PORT=\(port)\nDB_NAME=\(database)\nGREETING=\(greeting)\n" + (hang ? "HANG=1\n" : "")
    }

    private func configure(webStart: String? = nil, extraWebPaths: [String] = [], healthTimeout: String = "2s", healthRetries: Int = 15,
                           webhook: String? = nil) throws {
        let start = webStart ?? "\(Self.fixtures)/start.sh '\(platform)' '\(runDirectory)'"
        let notifications = webhook.map { """

            notifications:
              attempts: 1
              channels:
                - name: devops
                  type: webhook
                  url: http://127.0.0.1:18590/\($0)
            """ } ?? ""
        let yaml = """
            repository:
              location: \(env.repo)
            state:
              directory: \(env.path("state"))
            sources:
              files:
                paths: [\(platform)/uploads, \(platform)/.env]
              db:
                postgres:
                  url: \(postgres.url(database))
                  password_env: DB_PASSWORD
            services:
              database:
                priority: critical
                keep_running: true
                commands:
                  start: "true"
                  stop: "true"
                  status: pg_isready -q -h \(postgres.host) -p \(postgres.port)
                databases: [\(database)]
                health:
                  - tcp: \(postgres.host):\(postgres.port)
              web:
                priority: medium
                timeout: 20s
                commands:
                  start: \(start)
                  stop: \(Self.fixtures)/stop.sh '\(runDirectory)'
                  status: \(Self.fixtures)/status.sh '\(runDirectory)'
                paths: [\(([platform + "/uploads", platform + "/.env"] + extraWebPaths).joined(separator: ", "))]
                health:
                  - http: http://127.0.0.1:\(port)/health
                    body: healthy
                    timeout: \(healthTimeout)
                    retries: \(healthRetries)
                    interval: 1s
            drill:
              scratch: \(env.path("scratch"))
              smoke:
                - command: >-
                    \(Self.fixtures)/start.sh "$SILO_DRILL_ROOT\(platform)" '\(env.path("drill-run"))' \(port + 1) "$SILO_DRILL_DB_\(database.uppercased())"
                    && python3 -c "import time, urllib.request as u; exec('for i in range(50):\\n try:\\n  b = u.urlopen(\\'http://127.0.0.1:\(port + 1)/health\\', timeout=1).read()\\n  break\\n except Exception: time.sleep(0.2)'); assert b'healthy' in b, b"
                    ; status=$?; \(Self.fixtures)/stop.sh '\(env.path("drill-run"))'; exit $status
            """ + notifications
        try env.write("silo.yaml", Data(yaml.utf8))
        chmod(configPath, 0o600)
    }

    private func startWeb() throws {
        XCTAssertEqual(sh("\(Self.fixtures)/start.sh '\(platform)' '\(runDirectory)'"), 0)
    }

    private func stopWeb() throws {
        XCTAssertEqual(sh("\(Self.fixtures)/stop.sh '\(runDirectory)'"), 0)
    }

    /// A shell command with the test's environment (the database's settings among them), as
    /// the service's own commands get it from silo.
    @discardableResult
    private func sh(_ command: String) -> Int32 {
        PostgresTestServer.run("/bin/sh", ["-c", command], environment: env.environment).status
    }

    /// The service's answer to /health, nil when it does not answer.
    private func health(port: Int? = nil) -> String? {
        let result = PostgresTestServer.run("/usr/bin/python3", ["-c", "import urllib.request as u, urllib.error, sys\ntry:\n print(u.urlopen('http://127.0.0.1:\(port ?? self.port)/health', timeout=2).read().decode())\nexcept urllib.error.HTTPError as e:\n print(e.read().decode())\nexcept Exception as e:\n print('error', e); sys.exit(1)"],
                                            environment: [:])
        return result.status == 0 ? result.stdout : nil
    }

    private func waitHealthy(file: StaticString = #filePath, line: UInt = #line) throws {
        for _ in 0..<100 {
            if health()?.hasPrefix("healthy") == true { return }
            usleep(100_000)
        }
        XCTFail("the web service never became healthy", file: file, line: line)
    }

    /// Every file of the platform's owned paths (kept copies beside them left out), and the rows.
    private func state() -> (files: [String: Data], env: Data?, rows: String) {
        (contentDigests(platform + "/uploads"), FileManager.default.contents(atPath: platform + "/.env"),
         postgres.sql(database, "SELECT coalesce(string_agg(id || ':' || item, ',' ORDER BY id), '') FROM orders"))
    }

    private func backUp() throws {
        try env.expect(0, ["run", "--config", configPath, "--force"])
    }

    private func restore(_ extra: [String] = [], environment: [String: String] = [:]) throws -> CLIResult {
        try env.run(["restore", "--system", "--config", configPath, "--yes", "--json"] + extra, environment: environment)
    }

    private func summary(_ result: CLIResult) -> [String: Any]? {
        result.jsonLines.last { $0["message_type"] as? String == "summary" }
    }

    private func leftovers(_ suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: platform)) ?? []).filter { $0.contains(suffix) }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        // Two ports: the drill's smoke test runs a second instance on the next one.
        let found = Int(UInt16(bigEndian: address.sin_port))
        return found < 65000 ? found : 40000
    }

    // MARK: disasters

    func testDeletedUploadsADroppedTableAndADamagedEnvAreEachRestoredUntilHealthy() throws {
        try backUp()
        let original = state()

        // 1. The uploads folder deleted.
        try FileManager.default.removeItem(atPath: platform + "/uploads")
        XCTAssertTrue(health()?.hasPrefix("unhealthy") == true)
        var result = try restore()
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(summary(result)?["phase"] as? String, "succeeded")
        XCTAssertEqual(state().files, original.files)
        XCTAssertTrue(health()?.hasPrefix("healthy") == true)
        XCTAssertGreaterThan(summary(result)?["rto_seconds"] as? Double ?? 0, 0)
        let timings = try XCTUnwrap(summary(result)?["timings"] as? [String: Double])
        XCTAssertEqual(Set(timings.keys), ["verify", "stop", "databases", "files", "start"])
        XCTAssertEqual(leftovers(".silo-staging"), [], "no staging directory stays")

        // 2. A table dropped: only the database service, which is never stopped.
        postgres.sql(database, "DROP TABLE orders")
        XCTAssertTrue(health()?.hasPrefix("unhealthy") == true)
        result = try restore(["--only", "database"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(state().rows, original.rows)
        XCTAssertTrue(health()?.hasPrefix("healthy") == true)
        let restoreID = try XCTUnwrap(summary(result)?["restore_id"] as? String)
        XCTAssertTrue(postgres.databaseExists("\(database)_old_\(restoreID)"), "the replaced database is kept")

        // 3. .env damaged: the service cannot start until it is restored.
        try Data("PORT=\u{0}garbage\n".utf8).write(to: URL(fileURLWithPath: platform + "/.env"))
        try stopWeb()
        try startWeb()
        usleep(500_000)
        XCTAssertNil(health(), "the damaged .env keeps the service down")
        result = try restore()
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(state().env, original.env)
        XCTAssertTrue(health()?.hasPrefix("healthy") == true)
        let envID = try XCTUnwrap(summary(result)?["restore_id"] as? String)
        XCTAssertEqual(FileManager.default.contents(atPath: "\(platform)/.env.silo-old-\(envID)"), Data("PORT=\u{0}garbage\n".utf8),
                       "the damaged file is kept, not destroyed")

        // The history records each restore as a restore run, not as a backup run.
        let runs = try env.expect(0, ["history", "--json", "--limit", "0", "--config", configPath]).jsonLines.filter { $0["message_type"] as? String == "run" }
        XCTAssertEqual(runs.filter { $0["command"] as? String == "restore" }.count, 3, "\(runs)")

        // --cleanup 0: every kept copy of finished restores goes, and they can no longer be undone.
        let cleaned = try env.expect(0, ["restore", "--system", "--cleanup", "0", "--config", configPath, "--json"])
        let removed = try XCTUnwrap(summary(cleaned)?["removed"] as? [String])
        XCTAssertTrue(removed.contains("database \(database)_old_\(restoreID)") && removed.contains("\(platform)/.env.silo-old-\(envID)"), "\(removed)")
        XCTAssertFalse(postgres.databaseExists("\(database)_old_\(restoreID)"))
        XCTAssertEqual(leftovers(".silo-old-"), [])
        let undo = try env.run(["restore", "--system", "--rollback", "--config", configPath])
        XCTAssertEqual(undo.status, 1)
        XCTAssertTrue(undo.stderr.contains("can no longer be rolled back"), undo.stderr)
        XCTAssertEqual(state().files, original.files, "cleanup touches only kept copies")
        XCTAssertEqual(state().rows, original.rows)
    }

    func testAHealthCheckThatNeverAnswersRollsEverythingBackToThePreRestoreState() throws {
        // The snapshot holds a .env that makes the service hang: it accepts and never answers.
        try Data(goodEnv(hang: true).utf8).write(to: URL(fileURLWithPath: platform + "/.env"))
        let receivers = PostgresTestServer.run("/bin/bash", [PostgresTestServer.packageRoot + "/scripts/notify-test-servers.sh", "start"], environment: [:])
        XCTAssertEqual(receivers.status, 0, receivers.stderr)
        let hook = "restore-" + UUID().uuidString.prefix(8).lowercased()
        try configure(healthTimeout: "1s", healthRetries: 2, webhook: hook)
        try backUp()
        // Live: a newer, healthy state.
        try Data(goodEnv(greeting: "v2").utf8).write(to: URL(fileURLWithPath: platform + "/.env"))
        try env.write("platform/uploads/new.jpg", text(5_000, seed: 9))
        postgres.sql(database, "INSERT INTO orders SELECT g, 'late ' || g FROM generate_series(501, 520) g")
        try stopWeb()
        try startWeb()
        try waitHealthy()
        let before = state()

        let started = Date()
        let result = try restore()
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 120, "a check that never answers ends at its timeout")
        let end = try XCTUnwrap(summary(result))
        XCTAssertEqual(end["phase"] as? String, "rolled_back")
        XCTAssertTrue((end["failure"] as? String ?? "").contains("web is not healthy"), "\(end)")

        let after = state()
        XCTAssertEqual(after.files, before.files, "files byte for byte as before the restore")
        XCTAssertEqual(after.env, before.env)
        XCTAssertEqual(after.rows, before.rows, "rows as before the restore")
        try waitHealthy()
        XCTAssertTrue(health()?.contains("greeting=v2") == true, "the pre-restore service runs again")
        let id = try XCTUnwrap(end["restore_id"] as? String)
        XCTAssertTrue(postgres.databaseExists("\(database)_failed_\(id)"), "the restored database is kept aside, not dropped")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(platform)/.env.silo-failed-\(id)"))
        XCTAssertEqual(leftovers(".silo-staging"), [])

        // The alert reached the channel: a critical restore/system notification.
        let received = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp/silo-notify-test/http")) ?? []).filter { $0.hasSuffix(".json") }
            .compactMap { FileManager.default.contents(atPath: "/tmp/silo-notify-test/http/" + $0) }
            .compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            .filter { ($0["path"] as? String)?.hasPrefix("/" + hook) == true }
            .compactMap { Data(base64Encoded: $0["body_base64"] as? String ?? "").map { String(decoding: $0, as: UTF8.self) } }
        XCTAssertEqual(received.count, 1, "\(received)")
        XCTAssertTrue(received.first?.contains("restore/system") == true && received.first?.contains("critical") == true, "\(received)")

        // Undo once more is refused: it was rolled back already.
        let again = try env.run(["restore", "--system", "--rollback", "--config", configPath])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already rolled back"), again.stderr)
    }

    func testKill9AtEveryStepThenResumeOrRollback() throws {
        try backUp()
        let snapshotState = state()
        let points = ["after-verify", "after-stop:web", "after-swap-database:\(database)", "after-stage:\(platform)/uploads",
                      "after-aside:\(platform)/.env", "after-start:web"]
        for (index, point) in points.enumerated() {
            // Something to restore: a file gone, a row more, .env changed.
            try? FileManager.default.removeItem(atPath: platform + "/uploads/a.jpg")
            postgres.sql(database, "INSERT INTO orders VALUES (\(1000 + index), 'crash \(index)')")
            try Data(goodEnv(greeting: "live\(index)").utf8).write(to: URL(fileURLWithPath: platform + "/.env"))
            try stopWeb()
            try startWeb()
            try waitHealthy()
            let before = state()

            let killed = try restore(environment: ["SILO_TEST_CRASH_AT": point])
            XCTAssertEqual(killed.status, SIGKILL, "\(point): \(killed.stderr)")
            let resume = index % 2 == 0
            let finished = try env.run(["restore", "--system", "--config", configPath, "--json", resume ? "--resume" : "--rollback"])
            XCTAssertEqual(finished.status, 0, "\(point) \(resume ? "resume" : "rollback"): \(finished.stdout)\n\(finished.stderr)")
            try waitHealthy()
            let after = state()
            let expected = resume ? snapshotState : before
            XCTAssertEqual(after.files, expected.files, "\(point): files after \(resume ? "resume" : "rollback")")
            XCTAssertEqual(after.env, expected.env, "\(point): .env after \(resume ? "resume" : "rollback")")
            XCTAssertEqual(after.rows, expected.rows, "\(point): rows after \(resume ? "resume" : "rollback")")
            XCTAssertEqual(leftovers(".silo-staging"), [], "\(point)")
            XCTAssertEqual(postgres.databases(like: database + "\\_restore"), [], "\(point): no staging database stays")
        }
    }

    func testASucceededRestoreIsUndoneByRollback() throws {
        try backUp()
        let snapshotState = state()
        // The live system moves on, healthy: a new upload, new rows, a new greeting.
        try env.write("platform/uploads/c.jpg", text(7_000, seed: 4))
        postgres.sql(database, "UPDATE orders SET item = 'changed' WHERE id <= 10")
        try Data(goodEnv(greeting: "later").utf8).write(to: URL(fileURLWithPath: platform + "/.env"))
        try stopWeb()
        try startWeb()
        try waitHealthy()
        let live = state()

        // With an empty cache, as on the machine that replaces a lost one: the catalog is rebuilt first.
        let emptyCache = env.path("empty-cache")
        try env.expect(0, ["restore", "--system", "--yes", "--config", configPath], environment: ["SILO_CACHE_DIR": emptyCache])
        XCTAssertTrue(FileManager.default.fileExists(atPath: emptyCache), "the restore used the new cache")
        XCTAssertEqual(state().files, snapshotState.files)
        XCTAssertEqual(state().rows, snapshotState.rows)
        let undone = try env.expect(0, ["restore", "--system", "--rollback", "--config", configPath, "--json"])
        XCTAssertEqual(summary(undone)?["phase"] as? String, "rolled_back")
        try waitHealthy()
        XCTAssertEqual(state().files, live.files, "the files as they were before the restore")
        XCTAssertEqual(state().env, live.env)
        XCTAssertEqual(state().rows, live.rows)
        XCTAssertTrue(health()?.contains("greeting=later") == true)
    }

    /// A pack gone from the repository: the restore stops at verify, before any service is
    /// stopped or anything is touched.
    func testAMissingPackStopsTheRestoreBeforeAnythingIsTouched() throws {
        try backUp()
        try FileManager.default.removeItem(atPath: platform + "/uploads/a.jpg")
        let before = state()
        // The largest pack holds file or dump data (trees are small).
        let packs = (FileManager.default.enumerator(atPath: env.repo + "/packs")?.compactMap { $0 as? String } ?? [])
            .filter { $0.split(separator: "/").count == 2 }
            .map { (path: $0, size: (try? FileManager.default.attributesOfItem(atPath: env.repo + "/packs/" + $0)[.size] as? Int) ?? 0) }
        let largest = try XCTUnwrap(packs.max { $0.size < $1.size })
        try FileManager.default.removeItem(atPath: env.repo + "/packs/" + largest.path)
        let calls = env.path("stop-calls")
        try configure(webStart: "\(Self.fixtures)/start.sh '\(platform)' '\(runDirectory)'")
        let yaml = try String(contentsOfFile: configPath, encoding: .utf8)
            .replacingOccurrences(of: "stop: \(Self.fixtures)/stop.sh", with: "stop: echo stop >> \(calls); \(Self.fixtures)/stop.sh")
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let result = try restore()
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertTrue((summary(result)?["failure"] as? String ?? "").contains("missing from the store"), result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: calls), "no service was stopped")
        XCTAssertEqual(state().files, before.files)
        XCTAssertEqual(state().rows, before.rows)
        XCTAssertTrue(health()?.hasPrefix("healthy") == true)
    }

    // MARK: bad input, refused at plan time

    func testPlanTimeRefusalsTouchNothing() throws {
        try backUp()
        let before = state()

        // --dry-run: the plan, nothing else.
        let dry = try env.run(["restore", "--system", "--config", configPath, "--dry-run", "--json"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let plan = try XCTUnwrap(dry.jsonLines.first { $0["message_type"] as? String == "system_restore_plan" })
        XCTAssertEqual(plan["stop_order"] as? [String], ["web"])
        XCTAssertEqual(plan["start_tiers"] as? [[String]], [["database"], ["web"]])
        XCTAssertEqual((plan["items"] as? [[String: Any]])?.count, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("state/restores")))

        // Which snapshots: a time before every backup has none; a snapshot ID pins its own source.
        let early = try env.run(["restore", "--system", "--config", configPath, "--dry-run", "--time", "2020-01-01 00:00:00"])
        XCTAssertEqual(early.status, 1)
        XCTAssertTrue(early.stderr.contains("has no snapshot of host") && early.stderr.contains("at or before 2020-01-01"), early.stderr)
        let items = try XCTUnwrap(plan["items"] as? [[String: Any]])
        let filesSnapshot = try XCTUnwrap(items.first { $0["kind"] as? String == "path" }?["snapshot_id"] as? String)
        let pinned = try env.run(["restore", "--system", String(filesSnapshot.prefix(12)), "--config", configPath, "--dry-run", "--json"])
        XCTAssertEqual(pinned.status, 0, pinned.stderr)
        let pinnedItems = pinned.jsonLines.first { $0["message_type"] as? String == "system_restore_plan" }?["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(pinnedItems.filter { $0["kind"] as? String == "path" }.compactMap { $0["snapshot_id"] as? String }), [filesSnapshot])

        // A service command that is missing.
        try configure(webStart: "/nonexistent/start-web")
        var refused = try restore()
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("/nonexistent/start-web is not installed"), refused.stderr)

        // A snapshot that lacks a configured path: named in the refusal.
        try env.write("platform/uploads/later/c.jpg", text(100, seed: 3))
        try configure(extraWebPaths: [platform + "/uploads/later"])
        // (the path overlaps uploads: a path belongs to one service, so the configuration is refused first)
        refused = try restore()
        XCTAssertEqual(refused.status, 64, refused.stderr)
        try configure()
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
            .replacingOccurrences(of: "    paths: [\(platform)/uploads, \(platform)/.env]\n    health", with: "    paths: [\(platform)/uploads/later, \(platform)/.env]\n    health")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        refused = try restore()
        XCTAssertEqual(refused.status, 1, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("lacks \(platform)/uploads/later"), refused.stderr)

        // Without --yes and without a terminal: refused.
        try configure()
        let unconfirmed = try env.run(["restore", "--system", "--config", configPath])
        XCTAssertEqual(unconfirmed.status, 1)
        XCTAssertTrue(unconfirmed.stderr.contains("--yes"), unconfirmed.stderr)

        try FileManager.default.removeItem(atPath: platform + "/uploads/later")
        XCTAssertEqual(state().files, before.files)
        XCTAssertEqual(state().rows, before.rows)
        XCTAssertTrue(health()?.hasPrefix("healthy") == true, "the service was never stopped")
    }

    // MARK: drills

    func testADrillRestoresVerifiesSmokesAndLeavesNothingBehind() throws {
        try backUp()
        let before = state()
        let result = try env.run(["drill", "--system", "--config", configPath, "--json"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let end = try XCTUnwrap(summary(result))
        XCTAssertEqual(end["passed"] as? Bool, true)
        XCTAssertEqual((end["items"] as? [[String: Any]])?.count, 3)
        XCTAssertGreaterThan(end["rto_seconds"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(end["rpo_seconds"] as? Double ?? -1, 0)
        XCTAssertEqual((end["smoke"] as? [String])?.count, 1)

        // Nothing left: no database, no file, no process; nothing live touched.
        XCTAssertEqual(postgres.databases(like: "silo_drill_%"), [])
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: env.path("scratch"))) ?? [], [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("drill-run/web.pid")))
        XCTAssertNil(health(port: port + 1), "the smoke test's service is gone")
        XCTAssertEqual(state().files, before.files)
        XCTAssertEqual(state().rows, before.rows)

        // The monitor's drill check reads it.
        let monitor = try env.run(["monitor", "--config", configPath, "--json"])
        let drill = monitor.jsonLines.first { $0["id"] as? String == "drills/restore" }
        XCTAssertTrue((drill?["summary"] as? String ?? "").hasPrefix("last restore drill"), "\(monitor.stdout)")

        // A failing smoke command fails the drill, and still leaves nothing behind.
        let yaml = try String(contentsOfFile: configPath, encoding: .utf8).replacingOccurrences(of: "assert b'healthy' in b", with: "assert b'nope' in b")
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let failed = try env.run(["drill", "--system", "--config", configPath, "--json"])
        XCTAssertEqual(failed.status, 1, failed.stdout + failed.stderr)
        XCTAssertEqual(summary(failed)?["passed"] as? Bool, false)
        XCTAssertEqual(postgres.databases(like: "silo_drill_%"), [])
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: env.path("scratch"))) ?? [], [])
    }
}
