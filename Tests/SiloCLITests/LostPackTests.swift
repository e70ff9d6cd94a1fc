import Foundation
import SiloTestSupport
import XCTest

/// A pack deleted from under the repository (by hand, a failing disk, a bad sync).
final class LostPackTests: XCTestCase {
    private func packs(_ env: CLIEnvironment) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: env.repo + "/packs").filter { $0.count > 3 && !$0.contains(".tmp-") }.sorted()
    }

    /// The next backup stores the lost data again instead of referencing it; `check` names
    /// the snapshot and file the pack took with it; `index rebuild` takes the pack out.
    func testBackupAfterLostPackStoresItsDataAgain() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        for i in 0..<4 { try env.write("src/file\(i).bin", pseudoRandomBytes(1_500_000, seed: UInt64(i + 1))) }
        let first = try env.expect(0, ["backup", env.path("src"), "--json"]).jsonLines.last?["snapshot_id"] as? String
        let lost = try XCTUnwrap(try packs(env).first)
        try FileManager.default.removeItem(atPath: env.repo + "/packs/" + lost)

        let check = try env.expect(13, ["check"])
        XCTAssertTrue(check.stderr.contains("is named by the index but missing") || check.stdout.contains("is named by the index but missing"), check.stdout + check.stderr)
        let shortFirst = String(try XCTUnwrap(first).prefix(8))
        // The lost pack may hold the root tree (chunk keys are random): then "/" is what it affects.
        let named = check.stdout + check.stderr
        XCTAssertTrue(named.contains("snapshot \(shortFirst): \(env.path("src"))/file") || named.contains("snapshot \(shortFirst): / is affected"), named)

        let again = try env.expect(0, ["backup", env.path("src"), "--force"])
        XCTAssertTrue(again.stderr.contains("missing from the repository"), again.stderr)
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")))

        let rebuild = try env.expect(0, ["index", "rebuild", "--json"]).jsonLines.last
        XCTAssertEqual((rebuild?["packs_missing"] as? [String])?.count, 1)
        // Only the first snapshot lost data; once it is forgotten the repository is whole.
        try env.expect(0, ["forget", "--keep-last", "1", "-q"])
        try env.expect(0, ["check", "--read-data", "-q"])
    }

    /// Prune takes a missing pack out of the index, so the next backup does not reuse it.
    func testPruneDropsMissingPacks() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        for i in 0..<3 { try env.write("src/file\(i).bin", pseudoRandomBytes(1_500_000, seed: UInt64(i + 20))) }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try FileManager.default.removeItem(atPath: env.repo + "/packs/" + (try XCTUnwrap(try packs(env).last)))
        let prune = try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertEqual((prune?["packs_missing"] as? [String])?.count, 1)
        try env.expect(0, ["backup", env.path("src"), "--force", "-q"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")))
    }
}
