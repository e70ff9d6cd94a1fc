import Foundation
import SiloConfig
import SiloOps
import XCTest
@testable import SiloMonitor

/// Each check of `silo monitor` against the condition it watches, on snapshots and a real run
/// history (SQLite, in a temporary file) at chosen times.
final class MonitorChecksTests: XCTestCase {
    private let hour = Fixture.hour
    private let day = Fixture.day

    // MARK: Freshness

    func testFreshnessFollowsTheCadence() {
        let now = Fixture.start
        let configuration = Fixture.configuration(sources: [Fixture.files])
        func state(ageHours: Double) -> AlertSeverity? {
            let snapshot = Fixture.snapshot("files", at: now.addingTimeInterval(-ageHours * hour))
            return Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: [snapshot])), "freshness/files")?.severity
        }
        // Cadence 4h: warning beyond 1.5× (6h), critical beyond 2.5× (10h).
        XCTAssertEqual(state(ageHours: 5), .ok)
        XCTAssertEqual(state(ageHours: 7), .warning)
        XCTAssertEqual(state(ageHours: 11), .critical)
        let none = Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: [])), "freshness/files")
        XCTAssertEqual(none?.severity, .critical)
        XCTAssertEqual(none?.summary, "no snapshot of files in the repository")
    }

    func testFreshnessUsesTheNewestGoodSnapshotAndOnlyTheSourcesSeries() throws {
        let now = Fixture.start
        let configuration = Fixture.configuration(sources: [Fixture.files])
        let good = Fixture.snapshot("files", at: now.addingTimeInterval(-8 * hour))
        let partial = Fixture.snapshot("files", at: now.addingTimeInterval(-1 * hour), warnings: 2)
        let other = Fixture.snapshot("database", at: now.addingTimeInterval(-1 * hour))
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: [good, partial, other])), "freshness/files"))
        XCTAssertEqual(check.severity, .warning, check.summary)
        XCTAssertTrue(check.summary.hasPrefix("newest snapshot 8h old"), check.summary)
        let age = try XCTUnwrap(check.metrics.first { $0.name == "silo_backup_age_seconds" })
        XCTAssertEqual(age.value, 8 * hour)
        XCTAssertEqual(age.warning, 6 * hour)
        XCTAssertEqual(age.critical, 10 * hour)
    }

    // MARK: Size

    func testADumpThatShrinksByMoreThanTwentyPercentIsCritical() throws {
        let now = Fixture.start
        let configuration = Fixture.configuration(sources: [Fixture.database])
        var snapshots = (1...5).map { Fixture.snapshot("database", at: now.addingTimeInterval(Double(-6 + $0) * 4 * hour), bytes: 1_000_000, files: 2) }
        snapshots.append(Fixture.snapshot("database", at: now, bytes: 790_000, files: 2))
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: snapshots)), "size/database"))
        XCTAssertEqual(check.severity, AlertSeverity.critical)
        XCTAssertTrue(check.summary.contains("the dump shrank 21%"), check.summary)
        // 15% smaller is within the dump's bounds (and within the warning share).
        snapshots[snapshots.count - 1] = Fixture.snapshot("database", at: now, bytes: 850_000, files: 2)
        XCTAssertEqual(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: snapshots)), "size/database")?.severity, .ok)
    }

    func testAFileSourceThatLosesMoreThanTenPercentOfItsFilesIsCritical() throws {
        let now = Fixture.start
        let configuration = Fixture.configuration(sources: [Fixture.files])
        var snapshots = (1...4).map { Fixture.snapshot("files", at: now.addingTimeInterval(Double(-5 + $0) * 4 * hour), files: 1000) }
        snapshots.append(Fixture.snapshot("files", at: now, files: 880))
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: snapshots)), "size/files"))
        XCTAssertEqual(check.severity, .critical)
        XCTAssertTrue(check.summary.contains("120 of 1000 files are gone (12%)"), check.summary)
        // Too little history says nothing.
        let short = Array(snapshots.suffix(3))
        let young = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: short)), "size/files"))
        XCTAssertEqual(young.severity, .ok)
        XCTAssertTrue(young.summary.contains("too few to judge"), young.summary)
    }

    func testASpikeOfBytesAddedIsAWarning() throws {
        let now = Fixture.start
        let configuration = Fixture.configuration(sources: [Fixture.files])
        var snapshots = (1...6).map { Fixture.snapshot("files", at: now.addingTimeInterval(Double(-7 + $0) * 4 * hour), added: 200_000) }
        snapshots.append(Fixture.snapshot("files", at: now, added: 900_000_000))
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: snapshots)), "size/files"))
        XCTAssertEqual(check.severity, .warning)
        XCTAssertTrue(check.summary.contains("many files rewritten"), check.summary)
    }

    // MARK: Retention

    func testAMissingDailyIsNamedByItsDate() throws {
        // Noon on 2026-12-07 UTC; a snapshot every 4 hours for twelve days, except on 2026-12-04.
        let now = ISO8601DateFormatter().date(from: "2026-12-07T12:00:00Z")!
        let configuration = Fixture.configuration(sources: [Fixture.files])
        let all = Fixture.series("files", from: now.addingTimeInterval(-12 * day), to: now, every: 4 * hour)
        let missingDay = ISO8601DateFormatter().date(from: "2026-12-04T00:00:00Z")!
        let snapshots = all.filter { !($0.snapshot.date >= missingDay && $0.snapshot.date < missingDay.addingTimeInterval(day)) }
        // Keep only what the policy keeps, as forget leaves it.
        let kept = KeepPolicy.seedDefault.retentionPolicy.apply(to: snapshots, timeZone: TimeZone(identifier: "UTC")!).filter(\.keep)
            .map { ($0.id, $0.snapshot) }
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: kept)), "retention/files"))
        XCTAssertEqual(check.severity, .warning)
        XCTAssertEqual(check.summary, "missing: 2026-12-04")
        // The policy's own result with nothing missing is compliant.
        let complete = KeepPolicy.seedDefault.retentionPolicy.apply(to: all, timeZone: TimeZone(identifier: "UTC")!).filter(\.keep).map { ($0.id, $0.snapshot) }
        let fine = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: complete)), "retention/files"))
        XCTAssertEqual(fine.severity, .ok, fine.summary)
    }

    func testSnapshotsKeptBeyondThePolicyMeanForgetIsNotRunning() throws {
        let now = ISO8601DateFormatter().date(from: "2026-12-07T12:00:00Z")!
        let configuration = Fixture.configuration(sources: [Fixture.files])
        // Twelve days every 4 hours, never forgotten: 5 extra a day beyond the last two days.
        let all = Fixture.series("files", from: now.addingTimeInterval(-12 * day), to: now, every: 4 * hour)
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: all)), "retention/files"))
        XCTAssertEqual(check.severity, .warning)
        XCTAssertTrue(check.summary.contains("kept beyond the policy: is forget running?"), check.summary)
        let excess = try XCTUnwrap(check.metrics.first { $0.name == "silo_retention_excess_snapshots" }?.value)
        XCTAssertGreaterThan(excess, 40)
    }

    // MARK: Runs

    func testConsecutiveFailedRunsEscalateAndMissedRunsAreCounted() throws {
        let clock = TestClock(Fixture.start)
        let history = try Fixture.history(clock)
        let configuration = Fixture.configuration(sources: [Fixture.files])
        let snapshot = Fixture.snapshot("files", at: clock.now)
        try Fixture.run(history, status: .succeeded, steps: [(.backup, "files", .succeeded, nil)])
        func report() -> MonitorReport { Monitor.evaluate(Fixture.facts(configuration, now: clock.now, snapshots: [snapshot], history: history)) }
        XCTAssertEqual(Fixture.check(report(), "runs/last")?.severity, .ok)
        for expected in [AlertSeverity.warning, .warning, .critical] {
            clock.advance(4 * hour)
            try Fixture.run(history, status: .failed, steps: [(.backup, "files", .failed, nil)])
            XCTAssertEqual(Fixture.check(report(), "runs/last")?.severity, expected)
        }
        XCTAssertTrue(Fixture.check(report(), "runs/last")?.summary.contains("3 failed run(s) in a row") == true)
        XCTAssertEqual(Fixture.check(report(), "runs/files")?.severity, .critical)
        XCTAssertEqual(Fixture.check(report(), "runs/files")?.summary, "3 failed backup(s) in a row: backup files failed")
        // Then the timer stops: 9 hours without a run is two runs missed, 13 hours three.
        clock.advance(9 * hour)
        let missed = try XCTUnwrap(Fixture.check(report(), "runs/missed"))
        XCTAssertEqual(missed.severity, .warning)
        XCTAssertTrue(missed.summary.hasPrefix("2 run(s) did not happen"), missed.summary)
        clock.advance(4 * hour)
        XCTAssertEqual(Fixture.check(report(), "runs/missed")?.severity, .critical)
    }

    func testWithoutARunHistoryTheRunsCheckSaysWhereItIsJudged() throws {
        let report = Monitor.evaluate(Fixture.facts(Fixture.configuration(sources: [Fixture.files]), now: Fixture.start, snapshots: []))
        let runs = try XCTUnwrap(Fixture.check(report, "runs/last"))
        XCTAssertEqual(runs.severity, .ok)
        XCTAssertTrue(runs.summary.hasPrefix("no run history on this machine"), runs.summary)
        XCTAssertNil(Fixture.check(report, "integrity/check"))
    }

    // MARK: Integrity

    func testTheLastCheckAndTheShareOfPacksRead() throws {
        let clock = TestClock(Fixture.start)
        let history = try Fixture.history(clock)
        let configuration = Fixture.configuration(sources: [Fixture.files])
        func report() -> MonitorReport { Monitor.evaluate(Fixture.facts(configuration, now: clock.now, snapshots: [], history: history)) }
        XCTAssertEqual(Fixture.check(report(), "integrity/check")?.summary, "the repository was never checked")
        XCTAssertEqual(Fixture.check(report(), "integrity/read-data")?.severity, .warning)
        // Thirty days of daily read-data checks, each the next group of 30.
        for group in 1...30 {
            try Fixture.run(history, status: .succeeded, steps: [(.check, "read-data", .succeeded, "{\"group\":\"\(group)/30\",\"errors\":0}")])
            clock.advance(day)
        }
        clock.advance(-day + hour)
        let read = try XCTUnwrap(Fixture.check(report(), "integrity/read-data"))
        XCTAssertEqual(read.severity, .ok, read.summary)
        XCTAssertEqual(read.metrics.first { $0.name == "silo_check_read_share_30d" }?.value, 1)
        XCTAssertEqual(Fixture.check(report(), "integrity/check")?.severity, .ok)
        // A check that finds damage is critical, with the count.
        try Fixture.run(history, status: .failed, steps: [(.check, "structure", .failed, "{\"errors\":2}")])
        let damaged = try XCTUnwrap(Fixture.check(report(), "integrity/check"))
        XCTAssertEqual(damaged.severity, .critical)
        XCTAssertTrue(damaged.summary.contains("found 2 error(s)"), damaged.summary)
        XCTAssertEqual(damaged.metrics.first { $0.name == "silo_check_errors" }?.value, 2)
        // Reads that stopped 10 days ago: old, and the month's share falls.
        clock.advance(10 * day)
        let stale = try XCTUnwrap(Fixture.check(report(), "integrity/read-data"))
        XCTAssertEqual(stale.severity, .critical, stale.summary)
        XCTAssertEqual(stale.metrics.first { $0.name == "silo_check_read_share_30d" }?.value ?? 0, 20.0 / 30, accuracy: 0.001)
    }

    // MARK: Space

    func testFreeSpaceDaysUntilFullAndAQuota() throws {
        let now = Fixture.start
        var monitoring = MonitoringSettings()
        let configuration = Fixture.configuration(sources: [Fixture.files], monitoring: monitoring)
        // 10 GiB a day for 30 days, 100 GiB free of 1 TiB: 10 days left (warning below 30).
        let snapshots = (0..<40).map { Fixture.snapshot("files", at: now.addingTimeInterval(-(Double($0) + 0.5) * day), added: 10 << 30) }
        let roomy = SpaceFacts(fileSystemBytes: 1 << 40, freeBytes: 600 << 30, storedBytes: 300 << 30, isRemote: false)
        let tight = SpaceFacts(fileSystemBytes: 1 << 40, freeBytes: 100 << 30, storedBytes: 300 << 30, isRemote: false)
        XCTAssertEqual(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: snapshots, space: roomy)), "space/repository")?.severity, .ok)
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: now, snapshots: snapshots, space: tight)), "space/repository"))
        XCTAssertEqual(check.severity, .warning, check.summary)
        XCTAssertTrue(check.summary.contains("full in 10 days"), check.summary)
        // A minimum of free bytes above what is free is critical at once.
        monitoring.space.freeBytesCritical = 700 << 30
        let strict = Fixture.configuration(sources: [Fixture.files], monitoring: monitoring)
        XCTAssertEqual(Fixture.check(Monitor.evaluate(Fixture.facts(strict, now: now, snapshots: snapshots, space: roomy)), "space/repository")?.severity, .critical)
        // On S3, the bytes stored against the quota.
        monitoring = MonitoringSettings()
        monitoring.space.quotaBytes = 320 << 30
        let quota = Fixture.configuration(sources: [Fixture.files], monitoring: monitoring)
        let s3 = SpaceFacts(storedBytes: 310 << 30, isRemote: true)
        let remote = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(quota, now: now, snapshots: snapshots, space: s3)), "space/repository"))
        XCTAssertEqual(remote.severity, .critical, remote.summary)
        XCTAssertTrue(remote.summary.contains("of a 320.0 GiB quota (97%)"), remote.summary)
    }

    // MARK: Copies

    func testACopyThatLagsBehindThePrimary() throws {
        let clock = TestClock(Fixture.start)
        let history = try Fixture.history(clock)
        let offsite = CopySettings(name: "offsite", location: "s3:http://127.0.0.1:1/b", password: nil, cadence: Cadence("daily")!)
        let configuration = Fixture.configuration(sources: [Fixture.files], copies: [offsite])
        try Fixture.run(history, status: .succeeded, steps: [(.copy, "offsite", .succeeded, nil)])
        clock.advance(40 * hour)
        let fresh = Fixture.snapshot("files", at: clock.now)
        let check = try XCTUnwrap(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: clock.now, snapshots: [fresh], history: history)), "copies/offsite"))
        XCTAssertEqual(check.severity, .warning, check.summary)
        XCTAssertEqual(check.summary, "1d 16h behind the primary (copies every daily)")
        clock.advance(24 * hour)
        XCTAssertEqual(Fixture.check(Monitor.evaluate(Fixture.facts(configuration, now: clock.now, snapshots: [fresh], history: history)), "copies/offsite")?.severity, .critical)
    }

    // MARK: Hygiene

    func testHygieneModesLocksAndAnUnfinishedPrune() throws {
        let now = Fixture.start
        var facts = Fixture.facts(Fixture.configuration(sources: []), now: now, snapshots: [])
        facts.modes = ModeFacts(repositoryDirectory: 0o755, passwordFile: 0o644, configurationFile: 0o666)
        facts.leases = [LeaseFact(purpose: "backup", host: "web1", pid: 4242, started: now.addingTimeInterval(-3 * hour), refreshed: now.addingTimeInterval(-2 * hour), stale: true)]
        facts.markers = [(marked: now.addingTimeInterval(-20 * day), packs: 7)]
        let report = Monitor.evaluate(facts)
        let modes = try XCTUnwrap(Fixture.check(report, "hygiene/modes"))
        XCTAssertEqual(modes.severity, .critical)
        XCTAssertTrue(modes.summary.contains("repository directory is 755") && modes.summary.contains("password file is 644") && modes.summary.contains("configuration is 666"), modes.summary)
        XCTAssertEqual(Fixture.check(report, "hygiene/locks")?.severity, .warning)
        XCTAssertEqual(Fixture.check(report, "hygiene/locks")?.advice, "run `silo unlock`")
        let prune = try XCTUnwrap(Fixture.check(report, "hygiene/prune"))
        XCTAssertEqual(prune.severity, .warning)
        XCTAssertTrue(prune.summary.hasPrefix("a prune marked 7 pack(s) for deletion 20d ago"), prune.summary)
        facts.modes = ModeFacts(repositoryDirectory: 0o700, passwordFile: 0o600, configurationFile: 0o644)
        facts.leases = []
        facts.markers = [(marked: now.addingTimeInterval(-1 * day), packs: 7)]
        XCTAssertEqual(Monitor.evaluate(facts).checks.filter { $0.category == .hygiene }.map(\.severity), [.ok, .ok, .ok])
    }
}
