import Foundation
import XCTest

/// Archives whose members lie thousands of directories deep, as an outside review sent them
/// (12,000, 20,000 and 200,000 levels crashed `silo import`): an archive within the depth a
/// Linux path can reach imports and is exported, listed, searched, compared and checked; a
/// deeper one is refused in one line, with no snapshot and no crash.
final class DeepArchiveTests: XCTestCase {
    private var env: CLIEnvironment!

    override func setUpWithError() throws {
        env = try CLIEnvironment()
        env.environment["SWIFT_BACKTRACE"] = "enable=no"  // a crash, were there one, in one line
        try env.expect(0, ["init", "-q"])
    }

    override func tearDown() {
        env = nil
        super.tearDown()
    }

    /// A pax archive (Python's tarfile) of one file `levels` deep: `a/a/…/a/<file>`.
    private func makeArchive(_ name: String, levels: Int, file: String = "f", compress: Bool = false) throws -> String {
        let path = env.path(name)
        let script = """
            import io, sys, tarfile
            info = tarfile.TarInfo("a/" * (\(levels) - 1) + "\(file)")
            data = b"deep\\n"
            info.size = len(data)
            with tarfile.open(sys.argv[1], "w:gz" if \(compress ? "True" : "False") else "w", format=tarfile.PAX_FORMAT) as archive:
                archive.addfile(info, io.BytesIO(data))
            """
        let result = PostgresTestServer.run("/usr/bin/python3", ["-c", script, path], environment: [:])
        XCTAssertEqual(result.status, 0, result.stderr)
        return path
    }

    private func snapshotCount() throws -> Int {
        try env.expect(0, ["snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }.count
    }

    func testTooDeepArchivesAreRefusedInOneLine() throws {
        for (levels, compress) in [(2_049, false), (12_000, false), (20_000, false), (200_000, true)] {
            let archive = try makeArchive("deep-\(levels).tar" + (compress ? ".gz" : ""), levels: levels, compress: compress)
            let result = try env.expect(1, ["import", archive])
            XCTAssertTrue(result.stderr.contains("more than 2048 levels deep"), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one clear line:\n\(result.stderr.prefix(2000))")
            XCTAssertLessThan(result.stderr.count, 400, "the member's path is abbreviated")
        }
        XCTAssertEqual(try snapshotCount(), 0)
    }

    func testArchiveAtTheDepthLimitWorksThroughout() throws {
        let levels = 2_048
        let deepPath = String(repeating: "/a", count: levels - 1)
        let first = try makeArchive("first.tar", levels: levels, file: "f")
        let second = try makeArchive("second.tar", levels: levels, file: "g")
        try env.expect(0, ["import", first, "--time", "2024-01-01 00:00:00"])
        try env.expect(0, ["import", second, "--time", "2024-01-02 00:00:00"])
        let ids = try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.count, 2)

        let diff = try env.expect(0, ["diff", ids[0], ids[1]])
        XCTAssertTrue(diff.stdout.contains("-    \(deepPath)/f\n"), String(diff.stdout.suffix(300)))
        XCTAssertTrue(diff.stdout.contains("+    \(deepPath)/g\n"), String(diff.stdout.suffix(300)))

        let find = try env.expect(0, ["find", "g"])
        XCTAssertTrue(find.stdout.contains("\(deepPath)/g\n"), String(find.stdout.suffix(300)))
        let listing = try env.expect(0, ["ls", "-R", ids[0]])
        XCTAssertEqual(listing.stdout.split(separator: "\n").count, levels)
        try env.expect(0, ["check"])

        try env.expect(0, ["export", ids[1], "-o", env.path("out.tar")])
        let listed = PostgresTestServer.run("/bin/tar", ["-tf", env.path("out.tar")], environment: [:])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.hasSuffix(String(deepPath.dropFirst()) + "/g\n"), "the deepest member comes last")
    }
}
