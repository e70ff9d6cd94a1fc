import Foundation
import XCTest

/// A history of old archives holding `pg_dump | gzip` is imported the way `backup --postgres`
/// stores dumps: cut by the database profile, and stored as deltas of the previous day's chunks.
final class DumpHistoryImportTests: XCTestCase {
    private var env: CLIEnvironment!

    override func setUpWithError() throws {
        env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    /// A pgbench-like table of 40,000 rows; each day changes about 2% of them, scattered across
    /// the table, so nearly every chunk of the dump differs from the day before in a row or two.
    static func dump(day: Int) -> String {
        var balance = [Int](repeating: 0, count: 40_000)
        for d in 0..<day {
            var state = UInt64(d + 1) &* 0x9E37_79B9_7F4A_7C15
            for _ in 0..<800 {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                balance[Int(state % UInt64(balance.count))] += Int(state % 5000) - 2500
            }
        }
        var text = "--\n-- PostgreSQL database dump\n--\n\nCOPY public.pgbench_accounts (aid, bid, abalance, token) FROM stdin;\n"
        // A token per row that never changes (a password hash, say): it keeps zstd from making
        // the whole dump nearly free, as real rows do.
        var token: UInt64 = 0x2545_F491_4F6C_DD1D
        for (aid, value) in balance.enumerated() {
            token ^= token << 13; token ^= token >> 7; token ^= token << 17
            text += "\(aid + 1)\t\(aid / 10_000 + 1)\t\(value)\t\(String(token, radix: 16))\n"
        }
        return text + "\\.\n"
    }

    func testEachDaysDumpIsStoredAsDeltas() throws {
        for day in 0..<3 {
            let folder = env.path("day\(day)")
            try FileManager.default.createDirectory(atPath: folder + "/db", withIntermediateDirectories: true)
            try Data(Self.dump(day: day).utf8).write(to: URL(fileURLWithPath: folder + "/db/dump.sql"))
            let made = PostgresTestServer.run("/bin/bash", ["-c", "cd '\(folder)' && gzip -n db/dump.sql && tar -czf ../o4o_backup_2025010\(day + 1)_020000.tar.gz ."],
                                              environment: [:])
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        var added: [Int] = []
        for day in 0..<3 {
            let lines = try env.expect(0, ["import", env.path("o4o_backup_2025010\(day + 1)_020000.tar.gz"), "--expand-dumps", "--json"]).jsonLines
            added.append(try XCTUnwrap(lines.first { $0["message_type"] as? String == "imported" }?["data_added_stored"] as? Int))
        }
        // Stored whole, each later day costs about as much as the first (every chunk changed);
        // as deltas, a small part of it: 1-32% over 100 days of 50 repositories (measured with
        // `backup --stdin` of these dumps; each repository cuts at its own boundaries), most
        // under 10%; a chunk spanning two old ones pays for one.
        XCTAssertLessThan(added[1], added[0] / 2, "\(added)")
        XCTAssertLessThan(added[2], added[0] / 2, "\(added)")
        let restored = env.path("restored")
        try env.expect(0, ["restore", "latest", "--target", restored, "-q"])
        let files = FileManager.default.enumerator(atPath: restored)?.compactMap { $0 as? String }.filter { $0.hasSuffix("dump.sql") } ?? []
        XCTAssertEqual(files.count, 1, "\(files)")
        XCTAssertEqual(try String(contentsOfFile: restored + "/" + files[0], encoding: .utf8), Self.dump(day: 2))
    }

    /// `pg_dump | silo backup --stdin --stdin-filename db.sql`: a stream named as a dump is stored
    /// as one (deltas), one named otherwise as a file.
    func testAStdinStreamNamedAsADumpIsStoredAsDeltas() throws {
        for day in 0..<2 { try Data(Self.dump(day: day).utf8).write(to: URL(fileURLWithPath: env.path("dump\(day)"))) }
        func added(_ name: String, day: Int) throws -> Int {
            let run = PostgresTestServer.run("/bin/sh", ["-c", "exec \"$0\" backup --stdin --stdin-filename \(name) --json < \"$1\"",
                                                         CLIEnvironment.binary, env.path("dump\(day)")], environment: env.environment)
            XCTAssertEqual(run.status, 0, run.stderr)
            let summary = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["message_type"] as? String == "summary" }
            return try XCTUnwrap(summary?["data_added_stored"] as? Int, run.stdout)
        }
        let dumpFirst = try added("db.sql", day: 0), dumpSecond = try added("db.sql", day: 1)
        XCTAssertLessThan(dumpSecond, dumpFirst / 2, "as deltas: \(dumpFirst) then \(dumpSecond)")
        let fileFirst = try added("db.txt", day: 0), fileSecond = try added("db.txt", day: 1)
        XCTAssertGreaterThan(fileSecond, fileFirst / 2, "stored whole, in 1 MiB chunks that every day's changes touch: \(fileFirst) then \(fileSecond)")
    }
}
