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

    /// No policy given: the seed's (7 daily, 4 weekly, 12 monthly), with RETENTION_DAYS as keep-daily.
    func testSeedPolicyIsTheDefault() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a", Data("a".utf8))
        for day in 1...5 {
            try env.expect(0, ["backup", env.path("src"), "-q", "--time", String(format: "2025-03-%02dT12:00:00Z", day)])
        }
        let kept = try env.expect(0, ["forget", "--dry-run", "--json"], environment: ["RETENTION_DAYS": "2", "TZ": "UTC"]).jsonLines
            .filter { $0["message_type"] as? String == "decision" && $0["keep"] as? Bool == true }
        // daily 2 → 5 and 4 March; weekly → 4 March's week (Mon 3 Mar) newest is 5 March, 2 March's week → 2 March;
        // monthly → 5 March.
        XCTAssertEqual(Set(kept.compactMap { $0["time"] as? String }), ["2025-03-05T12:00:00Z", "2025-03-04T12:00:00Z", "2025-03-02T12:00:00Z"])
    }
}
