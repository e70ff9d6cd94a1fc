import Foundation
import XCTest

final class ForgetTests: XCTestCase {
    /// Six days of 4-hourly snapshots: --keep-daily 3 --keep-last 2 keeps the newest two and the
    /// newest of each of the last three days; --dry-run removes nothing; after the real run the
    /// repository checks clean and kept snapshots restore.
    func testForgetWithPolicyAndDryRun() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        for day in 1...6 {
            for hour in stride(from: 2, to: 24, by: 4) {
                try env.write("src/state.txt", Data("day \(day) hour \(hour)\n".utf8))
                try env.expect(0, ["backup", env.path("src"), "-q", "--host", "web1",
                                   "--time", String(format: "2025-02-%02dT%02d:00:00Z", day, hour)])
            }
        }
        XCTAssertEqual(try env.expect(0, ["snapshots", "--json"]).jsonLines.count, 36)
        let dry = try env.expect(0, ["forget", "--keep-daily", "3", "--keep-last", "2", "--dry-run", "--json"],
                                 environment: ["TZ": "UTC"]).jsonLines
        let decisions = dry.filter { $0["message_type"] as? String == "decision" }
        XCTAssertEqual(decisions.filter { $0["keep"] as? Bool == true }.count, 4)
        XCTAssertEqual(try env.expect(0, ["snapshots", "--json"]).jsonLines.count, 36, "a dry run removes nothing")

        try env.expect(0, ["forget", "--keep-daily", "3", "--keep-last", "2", "-q"], environment: ["TZ": "UTC"])
        let times = try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["time"] as? String }
        XCTAssertEqual(times, ["2025-02-04T22:00:00Z", "2025-02-05T22:00:00Z", "2025-02-06T18:00:00Z", "2025-02-06T22:00:00Z"])
        try env.expect(0, ["check", "--read-data"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/state.txt")), Data("day 6 hour 22\n".utf8))
        try env.expect(64, ["forget", "--keep-within", "3w"])
        try env.expect(64, ["forget", "--group-by", "hosts"])
    }

    private func fiveDays() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a", Data("a".utf8))
        for day in 1...5 {
            try env.expect(0, ["backup", env.path("src"), "-q", "--tag", "daily", "--time", String(format: "2025-03-%02dT12:00:00Z", day)])
        }
        return env
    }

    private func count(_ env: CLIEnvironment) throws -> Int {
        try env.expect(0, ["snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }.count
    }

    /// A bare forget removes nothing (restic's rule), whatever RETENTION_DAYS says; so do
    /// zero counts and zero durations, which used to fall back to a built-in policy.
    func testNoPolicyRemovesNothing() throws {
        let env = try fiveDays()
        for arguments in [["forget"], ["forget", "--keep-last", "0"], ["forget", "--keep-within", "0d"]] {
            let result = try env.run(arguments, environment: ["RETENTION_DAYS": "2"])
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("silo:") || result.stderr.contains("Error:"), result.stderr)
        }
        XCTAssertEqual(try count(env), 5)
    }

    /// A policy that keeps none of a group is refused whole (`--keep-tag typo`), unless
    /// --allow-empty says it is meant.
    func testAPolicyKeepingNothingIsRefused() throws {
        let env = try fiveDays()
        let typo = try env.run(["forget", "--keep-tag", "dialy"])
        XCTAssertEqual(typo.status, 64, typo.stderr)
        XCTAssertTrue(typo.stderr.contains("keeps none of the 5 snapshot(s)"), typo.stderr)
        XCTAssertEqual(try count(env), 5)
        try env.expect(0, ["forget", "--keep-tag", "daily", "-q"])
        XCTAssertEqual(try count(env), 5)
        try env.expect(0, ["forget", "--keep-tag", "dialy", "--allow-empty", "-q"])
        XCTAssertEqual(try count(env), 0)
    }

    /// `forget ID…` removes exactly the snapshots named; a policy beside them is refused.
    func testForgetNamedSnapshots() throws {
        let env = try fiveDays()
        let ids = try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.count, 5)
        try env.expect(64, ["forget", String(ids[0].prefix(8)), "--keep-last", "1"])
        try env.expect(0, ["forget", String(ids[0].prefix(8)), ids[2], "-q"])
        let left = try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["id"] as? String }
        XCTAssertEqual(left, [ids[1], ids[3], ids[4]])
        // One unknown ID among known ones: an error, and none of them removed.
        XCTAssertNotEqual(try env.run(["forget", ids[1], "ffffffff"]).status, 0)
        XCTAssertEqual(try count(env), 3)
    }

    /// `forget --prune --json` prints forget's `summary` and prune's as `prune_summary`, so that a
    /// script tells them apart; plain `prune` still calls its own `summary`.
    func testForgetPruneJSONTellsTheTwoSummariesApart() throws {
        let env = try fiveDays()
        let lines = try env.expect(0, ["forget", "--keep-last", "1", "--prune", "--json"]).jsonLines
        let types = lines.compactMap { $0["message_type"] as? String }.filter { $0 != "decision" }
        XCTAssertEqual(types.filter { $0 != "warning" }, ["summary", "prune_summary"], "\(lines)")
        let forget = try XCTUnwrap(lines.first { $0["message_type"] as? String == "summary" })
        XCTAssertEqual(forget["kept"] as? Int, 1)
        XCTAssertEqual(forget["removed"] as? Int, 4)
        XCTAssertNil(forget["live_chunks"])
        let prune = try XCTUnwrap(lines.first { $0["message_type"] as? String == "prune_summary" })
        XCTAssertNotNil(prune["live_chunks"] as? Int)
        XCTAssertNil(prune["kept"])
        let plain = try env.expect(0, ["prune", "--json"]).jsonLines.compactMap { $0["message_type"] as? String }
        XCTAssertEqual(plain.filter { $0 != "warning" }, ["summary"])
    }
}
