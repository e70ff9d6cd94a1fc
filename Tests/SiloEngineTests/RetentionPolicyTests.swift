import Foundation
import SiloEngine
import SiloFormat
import XCTest

/// The policy engine against calendars checked by hand.
final class RetentionPolicyTests: XCTestCase {
    let utc = TimeZone(identifier: "UTC")!
    let berlin = TimeZone(identifier: "Europe/Berlin")!

    /// A snapshot at an ISO 8601 time; its ID is derived from the time and an optional salt.
    func snap(_ time: String, host: String = "web1", tags: [String] = [], salt: String = "") -> (id: SnapshotID, snapshot: Snapshot) {
        let formatter = ISO8601DateFormatter()
        let date = formatter.date(from: time)!
        let snapshot = Snapshot(time: Int64(date.timeIntervalSince1970) * 1_000_000_000, host: host, username: "u", tags: tags,
                                paths: ["/srv"], tree: ChunkID(Crypto.sha256(Data("tree".utf8))), parent: nil, program: "test",
                                summary: SnapshotSummary())
        return (SnapshotID(Crypto.sha256(Data((time + host + salt).utf8))), snapshot)
    }

    func kept(_ policy: RetentionPolicy, _ snapshots: [(id: SnapshotID, snapshot: Snapshot)], timeZone: TimeZone? = nil) -> [String] {
        let formatter = ISO8601DateFormatter()
        return policy.apply(to: snapshots, timeZone: timeZone ?? utc).filter(\.keep).map { formatter.string(from: $0.snapshot.date) }
    }

    func testKeepDailyKeepsNewestOfEachDay() {
        var snapshots: [(id: SnapshotID, snapshot: Snapshot)] = []
        for day in 1...5 {
            for hour in stride(from: 2, to: 24, by: 4) { snapshots.append(snap(String(format: "2025-01-%02dT%02d:00:00Z", day, hour))) }
        }
        var policy = RetentionPolicy()
        policy.counts = [.daily: 3]
        XCTAssertEqual(kept(policy, snapshots), ["2025-01-05T22:00:00Z", "2025-01-04T22:00:00Z", "2025-01-03T22:00:00Z"])
        policy.last = 2
        XCTAssertEqual(kept(policy, snapshots), ["2025-01-05T22:00:00Z", "2025-01-05T18:00:00Z", "2025-01-04T22:00:00Z", "2025-01-03T22:00:00Z"])
    }

    /// 2020 has an ISO week 53 (28 Dec 2020 – 3 Jan 2021): 31 Dec and 2 Jan are one week.
    func testWeeklyUsesISOWeeksAcrossTheYearBoundary() {
        let snapshots = [snap("2020-12-24T12:00:00Z"), snap("2020-12-31T12:00:00Z"), snap("2021-01-02T12:00:00Z"),
                         snap("2021-01-04T12:00:00Z")]
        var policy = RetentionPolicy()
        policy.counts = [.weekly: 10]
        XCTAssertEqual(kept(policy, snapshots), ["2021-01-04T12:00:00Z", "2021-01-02T12:00:00Z", "2020-12-24T12:00:00Z"])
    }

    func testMonthlyAndYearlyAcrossYears() {
        let snapshots = [snap("2023-11-30T12:00:00Z"), snap("2023-12-01T12:00:00Z"), snap("2023-12-31T23:00:00Z"),
                         snap("2024-01-01T00:30:00Z"), snap("2024-02-29T12:00:00Z")]
        var monthly = RetentionPolicy()
        monthly.counts = [.monthly: 3]
        XCTAssertEqual(kept(monthly, snapshots), ["2024-02-29T12:00:00Z", "2024-01-01T00:30:00Z", "2023-12-31T23:00:00Z"])
        var yearly = RetentionPolicy()
        yearly.counts = [.yearly: 5]
        XCTAssertEqual(kept(yearly, snapshots), ["2024-02-29T12:00:00Z", "2023-12-31T23:00:00Z"])
        // In Berlin, 23:00 UTC on 31 Dec is already 1 January: one bucket with the 00:30 snapshot.
        XCTAssertEqual(kept(yearly, snapshots, timeZone: berlin), ["2024-02-29T12:00:00Z", "2023-12-01T12:00:00Z"])
    }

    /// On 27 Oct 2024 Berlin's clocks went back: 00:30 and 01:30 UTC are both 02:30 local, one
    /// hourly bucket. On 31 Mar 2024 they went forward: 00:30 UTC is 01:30 CET, 01:30 UTC is 03:30 CEST.
    func testHourlyBucketsFollowDaylightSavingTime() {
        var policy = RetentionPolicy()
        policy.counts = [.hourly: 10]
        let autumn = [snap("2024-10-27T00:30:00Z"), snap("2024-10-27T01:30:00Z"), snap("2024-10-27T02:30:00Z")]
        XCTAssertEqual(kept(policy, autumn, timeZone: berlin), ["2024-10-27T02:30:00Z", "2024-10-27T01:30:00Z"])
        XCTAssertEqual(kept(policy, autumn, timeZone: utc).count, 3)
        let spring = [snap("2024-03-31T00:30:00Z"), snap("2024-03-31T01:30:00Z")]
        XCTAssertEqual(kept(policy, spring, timeZone: berlin).count, 2)
        // Daily buckets in Berlin: 23:30 UTC on 30 Mar is already the 31st.
        var daily = RetentionPolicy()
        daily.counts = [.daily: 5]
        XCTAssertEqual(kept(daily, [snap("2024-03-30T22:30:00Z"), snap("2024-03-30T23:30:00Z"), snap("2024-03-31T00:30:00Z")],
                            timeZone: berlin), ["2024-03-31T00:30:00Z", "2024-03-30T22:30:00Z"])
    }

    func testEqualTimesAreOrderedByIDWhateverTheInputOrder() {
        let a = snap("2025-03-01T10:00:00Z", salt: "a"), b = snap("2025-03-01T10:00:00Z", salt: "b")
        var policy = RetentionPolicy()
        policy.last = 1
        let first = policy.apply(to: [a, b], timeZone: utc).filter(\.keep).map(\.id)
        let second = policy.apply(to: [b, a], timeZone: utc).filter(\.keep).map(\.id)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, [max(a.id, b.id)])
    }

    func testWithinRulesCountFromTheNewestSnapshot() {
        let snapshots = [snap("2025-05-10T12:00:00Z"), snap("2025-05-09T13:00:00Z"), snap("2025-05-08T11:00:00Z"),
                         snap("2025-05-08T09:00:00Z"), snap("2025-04-01T00:00:00Z")]
        var policy = RetentionPolicy()
        policy.within = RetentionDuration(parsing: "2d")
        XCTAssertEqual(kept(policy, snapshots), ["2025-05-10T12:00:00Z", "2025-05-09T13:00:00Z"])
        var daily = RetentionPolicy()
        daily.withinBuckets = [.daily: RetentionDuration(parsing: "3d")!]
        XCTAssertEqual(kept(daily, snapshots), ["2025-05-10T12:00:00Z", "2025-05-09T13:00:00Z", "2025-05-08T11:00:00Z"])
        var month = RetentionPolicy()
        month.within = RetentionDuration(parsing: "1m")
        XCTAssertEqual(kept(month, snapshots).count, 4)
    }

    func testTagsAndReasons() {
        let snapshots = [snap("2025-01-03T00:00:00Z"), snap("2025-01-02T00:00:00Z", tags: ["release"]), snap("2025-01-01T00:00:00Z")]
        var policy = RetentionPolicy()
        policy.last = 1
        policy.tags = ["release"]
        let decisions = policy.apply(to: snapshots, timeZone: utc)
        XCTAssertEqual(decisions.map(\.keep), [true, true, false])
        XCTAssertEqual(decisions[0].reasons, ["last snapshot"])
        XCTAssertEqual(decisions[1].reasons, ["tagged release"])
    }

    func testGroupingByHostAndPaths() {
        let snapshots = [snap("2025-01-01T00:00:00Z", host: "web1"), snap("2025-01-02T00:00:00Z", host: "web2"),
                         snap("2025-01-03T00:00:00Z", host: "web1")]
        let groups = SnapshotGrouping().groups(snapshots)
        XCTAssertEqual(groups.count, 2)
        XCTAssertEqual(groups.map { $0.snapshots.count }, [2, 1])
        var policy = RetentionPolicy()
        policy.last = 1
        let keptAcrossGroups = groups.flatMap { policy.apply(to: $0.snapshots, timeZone: utc).filter(\.keep) }
        XCTAssertEqual(keptAcrossGroups.count, 2, "each host keeps its own latest")
        XCTAssertEqual(SnapshotGrouping(parsing: "")?.groups(snapshots).count, 1)
        XCTAssertNil(SnapshotGrouping(parsing: "hosts"))
    }

    func testNewestPerGroupKeepsTheOrderGiven() {
        let snapshots = [snap("2025-01-01T00:00:00Z", host: "web1"), snap("2025-01-02T00:00:00Z", host: "web2"),
                         snap("2025-01-03T00:00:00Z", host: "web1"), snap("2025-01-04T00:00:00Z", host: "web1")]
        XCTAssertEqual(SnapshotGrouping().newest(1, of: snapshots).map(\.id), [snapshots[1].id, snapshots[3].id])
        XCTAssertEqual(SnapshotGrouping().newest(2, of: snapshots).map(\.id), [snapshots[1].id, snapshots[2].id, snapshots[3].id])
        XCTAssertEqual(SnapshotGrouping(parsing: "")!.newest(1, of: snapshots).map(\.id), [snapshots[3].id])
        XCTAssertEqual(SnapshotGrouping().newest(9, of: snapshots).count, 4)
    }

    func testDurationsAndTheSeedDefault() {
        XCTAssertEqual(RetentionDuration(parsing: "1y2m3d4h"), RetentionDuration(years: 1, months: 2, days: 3, hours: 4))
        XCTAssertNil(RetentionDuration(parsing: "3"))
        XCTAssertNil(RetentionDuration(parsing: "3w"))
        XCTAssertNil(RetentionDuration(parsing: ""))
        XCTAssertEqual(RetentionPolicy.seedDefault().counts, [.daily: 7, .weekly: 4, .monthly: 12])
        XCTAssertEqual(RetentionPolicy.seedDefault(retentionDays: 14).counts[.daily], 14)
        XCTAssertTrue(RetentionPolicy().isEmpty)
    }
}
