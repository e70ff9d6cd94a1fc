import Foundation
import SiloOps
import XCTest

final class RunHistoryTests: XCTestCase {
    private let config = "/etc/silo/silo.yaml"

    private func history(_ scratch: ScratchState, _ clock: TestClock) throws -> RunHistory {
        try RunHistory(directory: scratch.directory, now: clock.function)
    }

    /// One run with a backup step per source, each `succeeded` unless named in `failing`.
    @discardableResult
    private func run(_ history: RunHistory, _ clock: TestClock, sources: [String] = ["home", "db"], failing: Set<String> = [],
                     process: ProcessIdentity = .current) throws -> Int64 {
        let run = try history.beginRun(configuration: config, trigger: .schedule, process: process)
        for source in sources {
            let step = try history.beginStep(run: run, kind: source == "db" ? .dump : .backup, name: source)
            clock.advance(30)
            if failing.contains(source) {
                try history.endStep(step, StepOutcome(status: .failed, error: "\(source): permission denied"))
            } else {
                try history.endStep(step, StepOutcome(status: .succeeded, snapshot: "snap-\(source)-\(run)", bytesAdded: 1000,
                                                      bytesAddedStored: 400, storageRequests: 7, details: #"{"files_new":3}"#))
            }
        }
        let failed = !failing.isEmpty
        try history.endRun(run, status: failed ? .failed : .succeeded, exitCode: failed ? 1 : 0,
                           error: failed ? "failed: \(failing.sorted().joined(separator: ", "))" : nil, summary: #"{"sources":2}"#)
        return run
    }

    func testMigrationsFromEmptyAndReopen() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        XCTAssertFalse(scratch.directory.exists)
        let first = try history(scratch, clock)
        XCTAssertEqual(try first.appliedMigrations(), ["0001-runs-and-steps", "0002-alerts-and-deliveries", "0003-run-commands"])
        XCTAssertNil(try first.lastRun())
        let id = try run(first, clock)
        // Reopened (a second process): nothing applied twice, the data is there.
        let second = try history(scratch, clock)
        XCTAssertEqual(try second.appliedMigrations(), ["0001-runs-and-steps", "0002-alerts-and-deliveries", "0003-run-commands"])
        XCTAssertEqual(try second.lastRun()?.id, id)
    }

    func testADamagedFileIsNamedAndNeverReplaced() throws {
        let scratch = ScratchState()
        try scratch.directory.create()
        let path = scratch.directory.file(RunHistory.fileName)
        let garbage = Data(repeating: 0x41, count: 8192)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: garbage))
        XCTAssertThrowsError(try RunHistory(directory: scratch.directory)) { error in
            XCTAssertEqual((error as? OpsError)?.code, .stateDamaged, "\(error)")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), garbage)
    }

    func testBeginAndEndRunAndSteps() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        let started = clock.now
        let id = try history.beginRun(configuration: config, trigger: .manual)
        var running = try XCTUnwrap(try history.lastRun())
        XCTAssertEqual(running.status, .running)
        XCTAssertEqual(running.process, .current)
        XCTAssertNil(running.ended)
        let hook = try history.beginStep(run: id, kind: .hook, name: "before")
        clock.advance(1.5)
        try history.endStep(hook, StepOutcome(status: .succeeded))
        let backup = try history.beginStep(run: id, kind: .backup, name: "home")
        clock.advance(60.25)
        try history.endStep(backup, StepOutcome(status: .partial, snapshot: "abc123", bytesAdded: 5_000_000_000,
                                                bytesAddedStored: 2_000_000_000, storageRequests: 42, error: "1 file unreadable",
                                                details: #"{"warnings":1}"#))
        _ = try history.beginStep(run: id, kind: .prune, name: "local")
        clock.advance(5)
        running = try XCTUnwrap(try history.run(id))
        XCTAssertEqual(running.updated, started.addingTimeInterval(61.75), "a step's end is a sign of life")
        try history.endRun(id, status: .partial, exitCode: 3, summary: #"{"snapshots":["abc123"]}"#)

        let run = try XCTUnwrap(try history.run(id))
        XCTAssertEqual(run.status, .partial)
        XCTAssertEqual(run.exitCode, 3)
        XCTAssertEqual(run.trigger, .manual)
        XCTAssertEqual(run.started, started)
        XCTAssertEqual(try XCTUnwrap(run.duration), 66.75, accuracy: 0.001)
        XCTAssertEqual(run.summary, #"{"snapshots":["abc123"]}"#)
        let steps = try history.steps(of: id)
        XCTAssertEqual(steps.map(\.kind), [.hook, .backup, .prune])
        XCTAssertEqual(steps.map(\.status), [.succeeded, .partial, .failed], "a step left open ends with the run")
        XCTAssertEqual(steps[1].snapshot, "abc123")
        XCTAssertEqual(steps[1].bytesAdded, 5_000_000_000)
        XCTAssertEqual(steps[1].bytesAddedStored, 2_000_000_000)
        XCTAssertEqual(steps[1].storageRequests, 42)
        XCTAssertEqual(steps[1].error, "1 file unreadable")
        XCTAssertEqual(steps[1].details, #"{"warnings":1}"#)
        XCTAssertEqual(try XCTUnwrap(steps[1].duration), 60.25, accuracy: 0.001)
        XCTAssertNotNil(steps[2].ended)

        XCTAssertThrowsError(try history.endRun(id, status: .running, exitCode: nil))
        XCTAssertThrowsError(try history.endRun(9999, status: .failed, exitCode: 1))
        XCTAssertThrowsError(try history.beginStep(run: 9999, kind: .check, name: "x"))
        XCTAssertThrowsError(try history.endStep(hook, StepOutcome(status: .succeeded, details: "not json")))
        XCTAssertThrowsError(try history.endRun(id, status: .failed, exitCode: 1, summary: "[1]"), "an object, not an array")
    }

    func testRunsThatFailedBeforeDoingAnythingAreRecorded() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        try run(history, clock)
        clock.advance(3600)
        try history.recordFailedRun(configuration: config, trigger: .schedule, status: .configError, exitCode: 64,
                                    error: "silo.yaml:3:5: unknown key 'sorces'")
        clock.advance(3600)
        try history.recordFailedRun(configuration: config, trigger: .schedule, status: .lockHeld, exitCode: 11,
                                    error: "another silo run is running: pid 42")
        clock.advance(3600)
        try history.recordFailedRun(configuration: config, trigger: .manual, status: .failed, exitCode: 12, error: "wrong password")
        XCTAssertThrowsError(try history.recordFailedRun(configuration: config, trigger: .manual, status: .running, exitCode: nil, error: "x"))

        let last = try XCTUnwrap(try history.lastRun(configuration: config))
        XCTAssertEqual(last.status, .failed)
        XCTAssertEqual(last.exitCode, 12)
        XCTAssertEqual(last.error, "wrong password")
        XCTAssertEqual(last.started, last.ended)
        XCTAssertEqual(try history.steps(of: last.id), [])
        XCTAssertEqual(try history.runs().map(\.status), [.succeeded, .configError, .lockHeld, .failed])
        XCTAssertEqual(try history.consecutiveFailedRuns(configuration: config), 3)
        XCTAssertEqual(try history.runs(RunQuery(failedOnly: true)).map(\.status), [.configError, .lockHeld, .failed])
    }

    func testLastRunAndLastSuccessAreKeptApart() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        let good = try run(history, clock)
        clock.advance(4 * 3600)
        let bad = try run(history, clock, failing: ["db"])
        clock.advance(4 * 3600)
        let other = try history.beginRun(configuration: "/etc/silo/other.yaml", trigger: .manual)
        try history.endRun(other, status: .succeeded, exitCode: 0)

        XCTAssertEqual(try history.lastRun(configuration: config)?.id, bad)
        XCTAssertEqual(try history.lastSuccessfulRun(configuration: config)?.id, good)
        XCTAssertEqual(try history.lastRun()?.id, other)
        XCTAssertEqual(try history.lastSuccessfulRun()?.id, other)

        let backups = try history.lastSuccessfulBackups(configuration: config)
        XCTAssertEqual(Set(backups.keys), ["home", "db"])
        XCTAssertEqual(backups["home"]?.run, bad, "home succeeded in the failed run")
        XCTAssertEqual(backups["home"]?.snapshot, "snap-home-\(bad)")
        XCTAssertEqual(backups["db"]?.run, good)
        XCTAssertEqual(backups["db"]?.kind, .dump)
        XCTAssertEqual(try history.lastSuccess(kind: .dump, name: "db")?.run, good)
        XCTAssertNil(try history.lastSuccess(kind: .prune, name: "local"))
        XCTAssertEqual(try history.runs(RunQuery(source: "db", failedOnly: true)).map(\.id), [bad])
        XCTAssertEqual(try history.runs(RunQuery(source: "home", failedOnly: true)).map(\.id), [])
        XCTAssertEqual(try history.runs(RunQuery(source: "home")).map(\.id), [good, bad])
    }

    func testWhenAStepKindLastSucceededForATarget() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        let first = try history.beginRun(configuration: config, trigger: .schedule)
        let prune = try history.beginStep(run: first, kind: .prune, name: "local")
        try history.endStep(prune, StepOutcome(status: .succeeded))
        let checkLocal = try history.beginStep(run: first, kind: .check, name: "local")
        try history.endStep(checkLocal, StepOutcome(status: .succeeded, details: #"{"read_data_subset":"1/30"}"#))
        let checkOffsite = try history.beginStep(run: first, kind: .check, name: "offsite")
        try history.endStep(checkOffsite, StepOutcome(status: .failed, error: "503"))
        try history.endRun(first, status: .failed, exitCode: 1)
        let pruneTime = clock.now
        clock.advance(86400)
        let second = try history.beginRun(configuration: config, trigger: .schedule)
        let again = try history.beginStep(run: second, kind: .prune, name: "local")
        try history.endStep(again, StepOutcome(status: .failed, error: "no space"))
        try history.endRun(second, status: .failed, exitCode: 15)

        XCTAssertEqual(try history.lastSuccess(kind: .prune, name: "local")?.ended, pruneTime)
        XCTAssertEqual(try history.lastSuccess(kind: .check, name: "local")?.id, checkLocal)
        XCTAssertNil(try history.lastSuccess(kind: .check, name: "offsite"))
        XCTAssertEqual(try history.lastSuccess(kind: .check, name: nil)?.id, checkLocal)
        XCTAssertNil(try history.lastSuccess(kind: .prune, name: "local", configuration: "/other.yaml"))
    }

    func testConsecutiveFailuresPerSourceAndOverall() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        XCTAssertEqual(try history.consecutiveFailures(source: "db"), 0)
        XCTAssertEqual(try history.consecutiveFailedRuns(), 0)
        try run(history, clock, failing: ["db"])
        try run(history, clock)
        XCTAssertEqual(try history.consecutiveFailures(source: "db"), 0)
        for _ in 0..<3 {
            clock.advance(3600)
            try run(history, clock, failing: ["db"])
        }
        // A skipped run (a before-hook exited 75) counts neither way.
        let skipped = try history.beginRun(configuration: config, trigger: .schedule)
        try history.endRun(skipped, status: .skipped, exitCode: 0)
        try history.recordFailedRun(configuration: config, trigger: .schedule, status: .lockHeld, exitCode: 11, error: "held")
        XCTAssertEqual(try history.consecutiveFailures(source: "db"), 3)
        XCTAssertEqual(try history.consecutiveFailures(source: "home"), 0)
        XCTAssertEqual(try history.consecutiveFailedRuns(), 4, "three failed runs and a held lock")
        XCTAssertEqual(try history.consecutiveFailedRuns(configuration: "/elsewhere.yaml"), 0)
        clock.advance(3600)
        try run(history, clock)
        XCTAssertEqual(try history.consecutiveFailures(source: "db"), 0)
        XCTAssertEqual(try history.consecutiveFailedRuns(), 0)
    }

    func testRunsInATimeRangeAndLimit() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        var ids: [Int64] = []
        var starts: [Date] = []
        for _ in 0..<5 {
            starts.append(clock.now)
            ids.append(try run(history, clock))
            clock.advance(86400)
        }
        XCTAssertEqual(try history.runs().map(\.id), ids)
        XCTAssertEqual(try history.runs(RunQuery(from: starts[1], until: starts[3])).map(\.id), [ids[1], ids[2]])
        XCTAssertEqual(try history.runs(RunQuery(limit: 2)).map(\.id), [ids[3], ids[4]], "the newest, oldest first")
        XCTAssertEqual(try history.runs(RunQuery(configuration: "/nope")).count, 0)
    }

    /// 30 simulated days of 4-hourly runs where the database failed from day 3 on, a check
    /// only in the first day: retention of 7 days keeps its last success and the database's.
    func testRetentionKeepsTheLastSuccessPerSource() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        let check = try history.beginRun(configuration: config, trigger: .schedule)
        let step = try history.beginStep(run: check, kind: .check, name: "local")
        try history.endStep(step, StepOutcome(status: .succeeded))
        try history.endRun(check, status: .succeeded, exitCode: 0)
        var lastGoodDB: Int64 = 0
        for slot in 0..<(30 * 6) {
            clock.advance(4 * 3600)
            let id = try run(history, clock, failing: slot >= 12 ? ["db"] : [])
            if slot < 12 { lastGoodDB = id }
        }
        // One old and one new send: the old goes with the old runs.
        let ledger = AlertLedger(history: history, configuration: config)
        try ledger.record([DeliveryRecord(time: clock.now.addingTimeInterval(-20 * 86400), check: "runs/last", event: "problem", severity: .warning,
                                          channel: "old", succeeded: true, attempts: 1),
                           DeliveryRecord(time: clock.now, check: "runs/last", event: "resolved", severity: .warning, channel: "new",
                                          succeeded: true, attempts: 1)])
        let before = try history.runs().count
        XCTAssertEqual(before, 181)
        let deleted = try history.deleteRuns(olderThanDays: 7)
        let kept = try history.runs()
        XCTAssertEqual(kept.count, before - deleted)
        XCTAssertTrue(kept.contains { $0.id == lastGoodDB }, "the last success of db stays")
        XCTAssertTrue(kept.contains { $0.id == check }, "the last check stays")
        XCTAssertEqual(try history.lastSuccessfulBackups()["db"]?.run, lastGoodDB)
        XCTAssertEqual(try history.lastSuccess(kind: .check, name: "local")?.run, check)
        let cutoff = clock.now.addingTimeInterval(-7 * 86400)
        XCTAssertEqual(kept.filter { $0.started < cutoff }.map(\.id).sorted(), [check, lastGoodDB].sorted())
        XCTAssertEqual(kept.filter { $0.started >= cutoff }.count, 7 * 6)
        for run in kept { XCTAssertFalse(try history.steps(of: run.id).isEmpty) }
        XCTAssertEqual(try ledger.deliveries().map(\.channel), ["new"])
        XCTAssertEqual(try history.deleteRuns(olderThanDays: 7), 0, "nothing more to delete")
        XCTAssertThrowsError(try history.deleteRuns(olderThanDays: -1))
    }

    func testRetentionNeverDeletesARunningRun() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        let live = try history.beginRun(configuration: config, trigger: .manual)
        clock.advance(30 * 86400)
        XCTAssertEqual(try history.deleteRuns(olderThanDays: 1), 0)
        XCTAssertEqual(try history.run(live)?.status, .running, "this process is alive")
    }

    /// A run whose process was killed reads as crashed, and `markCrashed` writes it so.
    func testARunWhosePidIsDeadReadsAsCrashed() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try history(scratch, clock)
        let sleeper = try spawn("/bin/sleep", ["600"])
        let pid = sleeper.processIdentifier
        let process = ProcessIdentity(host: ProcessIdentity.hostName, pid: pid, startTicks: ProcessIdentity.startTicks(of: pid))
        XCTAssertNotNil(process.startTicks)
        let id = try history.beginRun(configuration: config, trigger: .schedule, process: process)
        let step = try history.beginStep(run: id, kind: .backup, name: "home")
        XCTAssertEqual(try history.run(id)?.status, .running)
        XCTAssertEqual(try history.steps(of: id).first?.status, .running)
        XCTAssertEqual(try history.markCrashed(), [])

        killAndReap(sleeper)
        XCTAssertEqual(try history.run(id)?.status, .crashed)
        XCTAssertEqual(try history.lastRun()?.status, .crashed)
        XCTAssertEqual(try history.steps(of: id).first?.status, .crashed)
        XCTAssertEqual(try history.consecutiveFailedRuns(), 1)
        XCTAssertEqual(try history.consecutiveFailures(source: "home"), 1)
        XCTAssertEqual(try history.runs(RunQuery(failedOnly: true)).map(\.id), [id])
        XCTAssertEqual(try history.runs(RunQuery(source: "home", failedOnly: true)).map(\.id), [id])

        clock.advance(3600)
        XCTAssertEqual(try history.markCrashed(), [id])
        let marked = try XCTUnwrap(try history.run(id))
        XCTAssertEqual(marked.status, .crashed)
        XCTAssertEqual(marked.ended, marked.updated, "ended when last heard of")
        XCTAssertTrue(marked.error?.contains("pid \(pid)") == true, marked.error ?? "")
        XCTAssertEqual(try history.steps(of: id).map(\.id), [step])
        XCTAssertEqual(try history.steps(of: id).first?.status, .crashed)
        XCTAssertEqual(try history.markCrashed(), [], "once")
    }

    func testAReusedPidIsNotTheRun() throws {
        let scratch = ScratchState()
        let history = try history(scratch, TestClock())
        // This process's pid, but another start time: the recorded process is gone.
        var process = ProcessIdentity.current
        process.startTicks = (process.startTicks ?? 0) + 1
        let id = try history.beginRun(configuration: config, trigger: .manual, process: process)
        XCTAssertEqual(try history.run(id)?.status, .crashed)
    }

    func testARunOfAnotherHostIsCrashedOnlyWhenStale() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let history = try RunHistory(directory: scratch.directory, staleAfter: 3600, now: clock.function)
        let elsewhere = ProcessIdentity(host: "another-host.invalid", pid: 1, startTicks: 5)
        let id = try history.beginRun(configuration: config, trigger: .schedule, process: elsewhere)
        clock.advance(3000)
        try history.touch(id)
        clock.advance(3000)
        XCTAssertEqual(try history.run(id)?.status, .running, "heard of 3000 s ago")
        clock.advance(1000)
        XCTAssertEqual(try history.run(id)?.status, .crashed)
    }

    /// Writers on their own connections (as separate processes would be) wait for each other.
    func testConcurrentWritersOnSeparateConnections() throws {
        let scratch = ScratchState()
        let directory = scratch.directory
        _ = try RunHistory(directory: directory)
        let failures = NSLock()
        nonisolated(unsafe) var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                let history = try RunHistory(directory: directory)
                for i in 0..<20 {
                    let run = try history.beginRun(configuration: "/c\(worker).yaml", trigger: .schedule)
                    let step = try history.beginStep(run: run, kind: .backup, name: "s\(i)")
                    try history.endStep(step, StepOutcome(status: .succeeded))
                    _ = try history.lastRun()
                    try history.endRun(run, status: .succeeded, exitCode: 0)
                }
            } catch {
                failures.withLock { errors.append("\(error)") }
            }
        }
        XCTAssertEqual(errors, [])
        let history = try RunHistory(directory: scratch.directory)
        XCTAssertEqual(try history.runs().count, 80)
        XCTAssertEqual(try history.runs(RunQuery(configuration: "/c2.yaml")).count, 20)
    }

    func testAnInterruptedRunEndsItsOpenSteps() throws {
        let scratch = ScratchState()
        let history = try history(scratch, TestClock())
        let run = try history.beginRun(configuration: config, trigger: .manual)
        _ = try history.beginStep(run: run, kind: .backup, name: "home")
        try history.endRun(run, status: .interrupted, exitCode: 130, error: "interrupted by SIGINT")
        XCTAssertEqual(try history.steps(of: run).map(\.status), [.interrupted])
        XCTAssertEqual(try history.consecutiveFailures(source: "home"), 1)
    }

    /// A file a newer silo migrated further still opens: migrations only ever add.
    func testAFileFromANewerSiloOpens() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let id = try run(try history(scratch, clock), clock)
        try sql(scratch, ["ALTER TABLE runs ADD COLUMN future TEXT", "INSERT INTO migrations VALUES ('0099-future', 0)"])
        let reopened = try history(scratch, clock)
        XCTAssertEqual(try reopened.lastRun()?.id, id)
        XCTAssertEqual(try reopened.appliedMigrations(), ["0001-runs-and-steps", "0002-alerts-and-deliveries", "0003-run-commands", "0099-future"])
    }

    /// A history written before `runs.command` existed: migrated on open, its runs are `silo run`'s,
    /// and a drill or a restore recorded later does not count as the last run.
    func testAHistoryFromBeforeRunCommandsIsMigrated() throws {
        let scratch = ScratchState()
        let clock = TestClock()
        let id = try run(try history(scratch, clock), clock)
        try sql(scratch, ["ALTER TABLE runs DROP COLUMN command", "DELETE FROM migrations WHERE name = '0003-run-commands'"])
        let reopened = try history(scratch, clock)
        XCTAssertEqual(try reopened.appliedMigrations().last, "0003-run-commands")
        XCTAssertEqual(try reopened.lastRun()?.id, id)
        XCTAssertEqual(try reopened.run(id)?.command, .run)
        clock.advance(60)
        let drill = try reopened.beginRun(configuration: "/etc/silo/silo.yaml", trigger: .manual, command: .drill)
        try reopened.endRun(drill, status: .failed, exitCode: 1)
        XCTAssertEqual(try reopened.lastRun()?.id, id, "a drill is not a backup run")
        XCTAssertEqual(try reopened.consecutiveFailedRuns(), 0)
        XCTAssertEqual(try reopened.run(drill)?.command, .drill)
    }

    /// Statements run on the history file by another program (Python's sqlite3), as an older or
    /// newer silo would have left it.
    private func sql(_ scratch: ScratchState, _ statements: [String]) throws {
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        sqlite.arguments = ["-c", "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\nfor s in sys.argv[2:]: db.execute(s)\ndb.commit()",
                            scratch.directory.file(RunHistory.fileName)] + statements
        try sqlite.run()
        sqlite.waitUntilExit()
        XCTAssertEqual(sqlite.terminationStatus, 0)
    }
}
