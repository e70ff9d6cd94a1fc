import Foundation
import SiloOps
import XCTest

final class RunSessionTests: XCTestCase {
    private let config = "/etc/silo/silo.yaml"

    func testASecondRunIsRecordedAsLockHeld() throws {
        let scratch = ScratchState()
        let first = try RunSession.start(configuration: config, trigger: .schedule, in: scratch.directory)
        XCTAssertThrowsError(try RunSession.start(configuration: config, trigger: .manual, in: scratch.directory)) { error in
            XCTAssertTrue(error is RunLockHeld, "\(error)")
        }
        let step = try first.beginStep(.backup, name: "home")
        try first.endStep(step, StepOutcome(status: .succeeded, snapshot: "abc"))
        try first.finish(status: .succeeded, exitCode: 0)
        let runs = try first.history.runs()
        XCTAssertEqual(runs.map(\.status), [.succeeded, .lockHeld])
        XCTAssertEqual(runs[1].exitCode, 11)
        XCTAssertTrue(runs[1].error?.contains("pid \(getpid())") == true, runs[1].error ?? "")
        XCTAssertEqual(try first.history.lastSuccessfulRun()?.id, first.run)
        // Free again once the first finished.
        let third = try RunSession.start(configuration: config, trigger: .schedule, in: scratch.directory)
        try third.finish(status: .skipped, exitCode: 0)
    }

    /// A run killed with SIGKILL: its lock is free at once, and the next run marks it crashed.
    func testTheRunAfterAKilledOneMarksItCrashed() throws {
        let scratch = ScratchState()
        let sleeper = try spawn("/bin/sleep", ["600"])
        let pid = sleeper.processIdentifier
        let dead = ProcessIdentity(host: ProcessIdentity.hostName, pid: pid, startTicks: ProcessIdentity.startTicks(of: pid))
        let history = try RunHistory(directory: scratch.directory)
        let killed = try history.beginRun(configuration: config, trigger: .schedule, process: dead)
        _ = try history.beginStep(run: killed, kind: .dump, name: "db")
        killAndReap(sleeper)
        let next = try RunSession.start(configuration: config, trigger: .schedule, in: scratch.directory)
        XCTAssertEqual(next.crashed, [killed])
        try next.finish(status: .succeeded, exitCode: 0)
        XCTAssertEqual(try history.runs().map(\.status), [.crashed, .succeeded])
        XCTAssertEqual(try history.steps(of: killed).map(\.status), [.crashed])
        XCTAssertEqual(try history.consecutiveFailures(source: "db"), 1)
    }

    func testFinishAppliesTheRetention() throws {
        let scratch = ScratchState()
        final class Clock: @unchecked Sendable { var now = Date(timeIntervalSince1970: 1_800_000_000) }
        let clock = Clock()
        for _ in 0..<10 {
            let session = try RunSession.start(configuration: config, trigger: .schedule, in: scratch.directory, retentionDays: 3,
                                               now: { clock.now })
            try session.finish(status: .failed, exitCode: 1, error: "x")
            clock.now += 86400
        }
        let history = try RunHistory(directory: scratch.directory, now: { clock.now })
        // The last finish (day 9) kept the runs that started at most 3 days before it: days 6 to 9.
        XCTAssertEqual(try history.runs().map(\.started), (6...9).map { Date(timeIntervalSince1970: 1_800_000_000 + Double($0) * 86400) })
    }
}
