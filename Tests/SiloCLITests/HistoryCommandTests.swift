import Foundation
import SiloOps
import XCTest

/// `silo history` reads a history written through the SiloOps API (as `silo run` will write it).
final class HistoryCommandTests: XCTestCase {
    private let config = "/etc/silo/silo.yaml"

    /// A clock moved by hand (RunHistory's `now`, documented as for tests).
    private final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date(timeIntervalSince1970: 1_800_000_000)
        var now: Date { lock.withLock { current } }
        func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    }

    /// Three runs: all good; the database failing; a configuration error. Returns their IDs.
    private func writeHistory(_ env: CLIEnvironment) throws -> [Int64] {
        let clock = Clock()
        let history = try RunHistory(directory: StateDirectory(path: env.path("state")), now: { clock.now })
        var ids: [Int64] = []
        for failing in [false, true] {
            let run = try history.beginRun(configuration: config, trigger: .schedule)
            for (kind, name) in [(StepKind.dump, "db"), (.backup, "home")] {
                let step = try history.beginStep(run: run, kind: kind, name: name)
                clock.advance(42)
                if failing && name == "db" {
                    try history.endStep(step, StepOutcome(status: .failed, error: "pg_dump: connection refused"))
                } else {
                    try history.endStep(step, StepOutcome(status: .succeeded, snapshot: "\(name)\(run)", bytesAdded: 2048,
                                                          bytesAddedStored: 1024, storageRequests: 9, details: #"{"files_new":1}"#))
                }
            }
            try history.endRun(run, status: failing ? .failed : .succeeded, exitCode: failing ? 1 : 0,
                               error: failing ? "1 of 2 sources failed" : nil, summary: #"{"sources":2}"#)
            ids.append(run)
            clock.advance(4 * 3600)
        }
        ids.append(try history.recordFailedRun(configuration: config, trigger: .schedule, status: .configError, exitCode: 64,
                                               error: "silo.yaml:4:3: unknown key 'sorces'"))
        return ids
    }

    func testHumanOutputOneLinePerRun() throws {
        let env = try CLIEnvironment()
        XCTAssertEqual(try env.expect(0, ["history", "--state-dir", env.path("state")]).stdout,
                       "no runs recorded in \(env.path("state"))\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("state")), "a read creates nothing")
        _ = try writeHistory(env)
        let out = try env.expect(0, ["history", "--state-dir", env.path("state")]).stdout
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, out)
        XCTAssertTrue(lines[0].hasPrefix("Started"), out)
        XCTAssertTrue(lines[1].contains("1:24") && lines[1].contains("succeeded") && lines[1].contains("dump db, backup home"), out)
        XCTAssertTrue(lines[2].contains("failed") && lines[2].contains("dump db failed: pg_dump: connection refused")
                      && lines[2].contains("1 of 2 sources failed"), out)
        XCTAssertTrue(lines[3].contains("config_error") && lines[3].contains("unknown key 'sorces'") && lines[3].contains("0:00"), out)
        XCTAssertEqual(lines[4], "3 run(s)")
        // SILO_STATE_DIR instead of the option; --failed; --limit.
        XCTAssertEqual(try env.expect(0, ["history"], environment: ["SILO_STATE_DIR": env.path("elsewhere")]).stdout,
                       "no runs recorded in \(env.path("elsewhere"))\n")
        let failed = try env.expect(0, ["history", "--failed"]).stdout  // SILO_STATE_DIR (CLIEnvironment sets it)
        XCTAssertEqual(failed.split(separator: "\n").count, 4, failed)
        XCTAssertFalse(failed.contains("succeeded"), failed)
        let limited = try env.expect(0, ["history", "--limit", "1", "--state-dir", env.path("state")]).stdout
        XCTAssertTrue(limited.contains("config_error") && limited.contains("1 run(s)"), limited)
        try env.expect(64, ["history", "--limit", "-1"])
    }

    func testJSONRunObjectsWithSteps() throws {
        let env = try CLIEnvironment()
        let ids = try writeHistory(env)
        let runs = try env.expect(0, ["--json", "history", "--state-dir", env.path("state")]).jsonLines
        XCTAssertEqual(runs.map { $0["message_type"] as? String }, ["run", "run", "run"])
        XCTAssertEqual(runs.compactMap { ($0["id"] as? NSNumber)?.int64Value }, ids)
        let first = runs[0]
        XCTAssertEqual(first["status"] as? String, "succeeded")
        XCTAssertEqual(first["configuration"] as? String, config)
        XCTAssertEqual(first["trigger"] as? String, "schedule")
        XCTAssertEqual(first["started"] as? String, "2027-01-15T08:00:00Z")
        XCTAssertEqual(first["ended"] as? String, "2027-01-15T08:01:24Z")
        XCTAssertEqual(first["duration_seconds"] as? Double, 84)
        XCTAssertEqual(first["exit_code"] as? Int, 0)
        XCTAssertEqual((first["summary"] as? [String: Any])?["sources"] as? Int, 2)
        XCTAssertTrue(first["error"] is NSNull)
        let steps = try XCTUnwrap(first["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["kind"] as? String }, ["dump", "backup"])
        XCTAssertEqual(steps.map { $0["name"] as? String }, ["db", "home"])
        XCTAssertEqual(steps[1]["snapshot_id"] as? String, "home\(ids[0])")
        XCTAssertEqual(steps[1]["data_added"] as? Int, 2048)
        XCTAssertEqual(steps[1]["data_added_stored"] as? Int, 1024)
        XCTAssertEqual(steps[1]["storage_requests"] as? Int, 9)
        XCTAssertEqual((steps[1]["details"] as? [String: Any])?["files_new"] as? Int, 1)
        XCTAssertEqual(steps[1]["duration_seconds"] as? Double, 42)
        let failedSteps = try XCTUnwrap(runs[1]["steps"] as? [[String: Any]])
        XCTAssertEqual(failedSteps[0]["status"] as? String, "failed")
        XCTAssertEqual(failedSteps[0]["error"] as? String, "pg_dump: connection refused")
        XCTAssertTrue(failedSteps[0]["snapshot_id"] is NSNull)
        XCTAssertEqual(runs[2]["status"] as? String, "config_error")
        XCTAssertEqual(runs[2]["exit_code"] as? Int, 64)
        XCTAssertEqual((runs[2]["steps"] as? [Any])?.count, 0)
    }

    func testSourceAndFailedFilters() throws {
        let env = try CLIEnvironment()
        let written = try writeHistory(env)
        func selected(_ arguments: [String]) throws -> [Int64] {
            try env.expect(0, ["history", "--json", "--state-dir", env.path("state")] + arguments).jsonLines
                .compactMap { ($0["id"] as? NSNumber)?.int64Value }
        }
        XCTAssertEqual(try selected(["--source", "db"]), [written[0], written[1]])
        XCTAssertEqual(try selected(["--source", "db", "--failed"]), [written[1]])
        XCTAssertEqual(try selected(["--source", "home", "--failed"]), [Int64]())
        XCTAssertEqual(try selected(["--failed"]), [written[1], written[2]])
        XCTAssertEqual(try selected(["--source", "nothing"]), [Int64]())
        let none = try env.expect(0, ["history", "--source", "nothing", "--state-dir", env.path("state")]).stdout
        XCTAssertEqual(none, "no runs match\n")
    }

    /// A run killed with SIGKILL reads as crashed in `silo history`.
    func testAKilledRunReadsAsCrashed() throws {
        let env = try CLIEnvironment()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["600"]
        try sleeper.run()
        let pid = sleeper.processIdentifier
        let history = try RunHistory(directory: StateDirectory(path: env.path("state")))
        let run = try history.beginRun(configuration: config, trigger: .manual,
                                       process: ProcessIdentity(host: ProcessIdentity.hostName, pid: pid, startTicks: ProcessIdentity.startTicks(of: pid)))
        _ = try history.beginStep(run: run, kind: .backup, name: "home")
        let live = try env.expect(0, ["history", "--state-dir", env.path("state")]).stdout
        XCTAssertTrue(live.contains("running") && live.contains("pid \(pid)"), live)
        kill(pid, SIGKILL)
        sleeper.waitUntilExit()
        let dead = try env.expect(0, ["history", "--state-dir", env.path("state")]).stdout
        XCTAssertTrue(dead.contains("crashed") && dead.contains("backup home crashed"), dead)
        XCTAssertEqual(try env.expect(0, ["history", "--failed", "--source", "home", "--json", "--state-dir", env.path("state")]).jsonLines.first?["status"] as? String, "crashed")
    }
}
