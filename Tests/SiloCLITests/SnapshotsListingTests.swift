import Foundation
import XCTest

/// `snapshots --latest N` and what the summary line says of a filtered list.
final class SnapshotsListingTests: XCTestCase {
    /// Three snapshots of web1:/site, two of web2:/site, one of web1:/other, hours apart.
    private func prepared() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.write("site/a.txt", text(50_000, seed: 1))
        try env.write("other/b.txt", text(20_000, seed: 2))
        let backups: [(String, String, String)] = [
            ("web1", "site", "01"), ("web2", "site", "02"), ("web1", "site", "03"),
            ("web1", "other", "04"), ("web2", "site", "05"), ("web1", "site", "06"),
        ]
        for (host, source, hour) in backups {
            try env.expect(0, ["backup", env.path(source), "-q", "--force", "--host", host, "--time", "2025-03-01T\(hour):00:00Z"])
        }
        return env
    }

    private func times(_ lines: [[String: Any]]) -> [String] { lines.compactMap { $0["time"] as? String } }

    func testLatestPerGroup() throws {
        let env = try prepared()
        let one = try env.expect(0, ["snapshots", "--latest", "1", "--json"]).jsonLines
        XCTAssertEqual(times(one), ["2025-03-01T04:00:00Z", "2025-03-01T05:00:00Z", "2025-03-01T06:00:00Z"])
        let two = try env.expect(0, ["snapshots", "--latest", "2", "--host", "web1", "--json"]).jsonLines
        XCTAssertEqual(times(two), ["2025-03-01T03:00:00Z", "2025-03-01T04:00:00Z", "2025-03-01T06:00:00Z"])
        let byHost = try env.expect(0, ["snapshots", "--latest", "1", "--group-by", "host", "--json"]).jsonLines
        XCTAssertEqual(times(byHost), ["2025-03-01T05:00:00Z", "2025-03-01T06:00:00Z"])
        let human = try env.expect(0, ["snapshots", "--latest", "1"]).stdout.split(separator: "\n")
        XCTAssertEqual(human.count, 1 + 3 + 2, "header, 3 snapshots, the Added legend, the summary: " + human.joined(separator: "\n"))
        XCTAssertTrue(human[1].contains("2025-03-01") && human[1].contains(env.path("other")), String(human[1]))
        try env.expect(64, ["snapshots", "--latest", "0"])
        try env.expect(64, ["snapshots", "--latest", "x"])
        try env.expect(64, ["snapshots", "--group-by", "size"])
    }

    func testSummaryOfAFilteredListCountsOnlyItsSnapshots() throws {
        let env = try prepared()
        let all = try env.expect(0, ["snapshots", "--json"]).jsonLines
        func summary(_ arguments: [String]) throws -> String {
            String(try env.expect(0, ["snapshots"] + arguments).stdout.split(separator: "\n").last ?? "")
        }
        let web2 = all.filter { $0["host"] as? String == "web2" }
        let web2Bytes = web2.reduce(0) { $0 + ($1["total_bytes"] as? Int ?? 0) }
        let web2Added = web2.reduce(0) { $0 + ($1["data_added_stored"] as? Int ?? 0) }
        let line = try summary(["--host", "web2"])
        XCTAssertTrue(line.hasPrefix("2 of 6 snapshot(s) listed; "), line)
        XCTAssertTrue(line.contains(Self.formatted(UInt64(web2Bytes))), "\(line) (expected \(web2Bytes) bytes)")
        XCTAssertTrue(line.contains(Self.formatted(UInt64(web2Added))), "\(line) (expected \(web2Added) added)")
        XCTAssertFalse(line.contains("ratio"), "a repository-wide ratio is not the list's: \(line)")
        XCTAssertTrue(try summary(["--latest", "1"]).hasPrefix("3 of 6 snapshot(s) listed"))
        XCTAssertTrue(try summary(["--host", "nobody"]).hasPrefix("0 of 6 snapshot(s) listed; 0 B of data"))
        XCTAssertTrue(try summary([]).hasPrefix("6 snapshot(s); "), "the whole list keeps the repository's figures")
    }

    /// As silo's Format.bytes prints sizes.
    static func formatted(_ n: UInt64) -> String {
        n < 1024 ? "\(n) B" : String(format: "%.2f KiB", Double(n) / 1024)
    }
}
