import Foundation
import SiloTestSupport
import XCTest

/// `backup`, `prune` and `restore` with `-n/--dry-run` say what they would do and change nothing.
final class DryRunTests: XCTestCase {
    /// Every file under the repository, with its size: a dry run must leave it exactly so.
    private func listing(_ root: String) -> [String: Int] {
        var result: [String: Int] = [:]
        guard let e = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = e.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            result[relative] = (attributes?[.size] as? Int) ?? -1
        }
        return result
    }

    func testBackupDryRunWritesNothing() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.bin", pseudoRandomBytes(300_000, seed: 1))
        try env.write("src/b.txt", Data("hello\n".utf8))
        let before = listing(env.repo)

        let dry = try env.expect(0, ["backup", "--dry-run", env.path("src")])
        XCTAssertTrue(dry.stdout.contains("Files:       2 new, 0 changed, 0 unmodified"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("Would add:"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("nothing was written"), dry.stdout)
        XCTAssertEqual(listing(env.repo), before, "a dry run writes no pack, index, snapshot or lease")

        let json = try env.expect(0, ["backup", "-n", env.path("src"), "--json"]).jsonLines.last { $0["message_type"] as? String == "summary" }
        XCTAssertEqual(json?["dry_run"] as? Bool, true)
        XCTAssertEqual(json?["files_new"] as? Int, 2)
        XCTAssertEqual(json?["bytes_read"] as? Int, 300_006)
        XCTAssertGreaterThanOrEqual(json?["data_added"] as? Int ?? 0, 300_006, "the new content, and its trees")
        XCTAssertEqual(listing(env.repo), before)
        XCTAssertEqual(try env.expect(0, ["snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }.count, 0)

        // After a real backup, a dry run of the same files would add nothing.
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let after = listing(env.repo)
        let again = try env.expect(0, ["backup", "-n", env.path("src"), "--json"]).jsonLines.last { $0["message_type"] as? String == "summary" }
        XCTAssertEqual(again?["files_unmodified"] as? Int, 2)
        XCTAssertLessThan(again?["data_added"] as? Int ?? .max, 1000, "at most a directory listing whose times changed")
        XCTAssertEqual(listing(env.repo), after)
        try env.expect(0, ["check"])
    }

    func testPruneDryRunSpellings() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.bin", pseudoRandomBytes(200_000, seed: 2))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.write("src/a.bin", pseudoRandomBytes(200_000, seed: 3))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.expect(0, ["forget", "--keep-last", "1", "-q"])
        let before = listing(env.repo)
        for flag in ["-n", "--dry-run", "--prune-dry-run"] {
            let result = try env.expect(0, ["prune", flag])
            XCTAssertTrue(result.stdout.contains("dry run: nothing changed"), "\(flag): \(result.stdout)")
            XCTAssertEqual(listing(env.repo), before, flag)
        }
        let help = try env.run(["prune", "--help"])
        XCTAssertTrue(help.stdout.contains("--dry-run"), help.stdout)
        XCTAssertFalse(help.stdout.contains("--prune-dry-run"), "the old spelling is a hidden alias")
        try env.expect(0, ["prune", "-q"])
        XCTAssertNotEqual(listing(env.repo), before)
    }

    func testRestoreDryRunWritesNothing() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.bin", pseudoRandomBytes(100_000, seed: 4))
        try env.write("src/sub/b.txt", Data("hello\n".utf8))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let result = try env.expect(0, ["restore", "latest", "--target", env.path("out"), "--dry-run", "--json"])
        let summary = result.jsonLines.last { $0["message_type"] as? String == "summary" }
        XCTAssertEqual(summary?["dry_run"] as? Bool, true)
        XCTAssertEqual(summary?["files"] as? Int, 2)
        XCTAssertEqual(summary?["bytes"] as? Int, 100_006)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("out")), "a dry run does not even make the target")
        let text = try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-n", "--exclude", "*.bin"])
        XCTAssertTrue(text.stdout.contains("1 files"), text.stdout)
        XCTAssertTrue(text.stdout.contains("6 B"), text.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("out")))
    }
}
