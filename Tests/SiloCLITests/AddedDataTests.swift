import Foundation
import XCTest

/// "Added" means the same in `backup` and in `snapshots`: the same two numbers, plaintext and
/// stored, each named as such in the human output.
final class AddedDataTests: XCTestCase {
    func testBackupAndSnapshotsAgreeOnWhatWasAdded() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.txt", text(300_000, seed: 1))
        try env.write("src/b.txt", text(200_000, seed: 9))
        let summary = try XCTUnwrap(try env.expect(0, ["backup", env.path("src"), "--json"]).jsonLines
            .first { $0["message_type"] as? String == "summary" })
        let id = try XCTUnwrap(summary["snapshot_id"] as? String)
        let plaintext = try XCTUnwrap(summary["data_added"] as? Int)
        let stored = try XCTUnwrap(summary["data_added_stored"] as? Int)
        XCTAssertGreaterThan(plaintext, stored, "compressible text is stored smaller: the two are not the same number")
        let snapshot = try XCTUnwrap(try env.expect(0, ["snapshots", "--json"]).jsonLines.first { $0["id"] as? String == id })
        XCTAssertEqual(snapshot["data_added"] as? Int, plaintext)
        XCTAssertEqual(snapshot["data_added_stored"] as? Int, stored)

        try env.write("src/c.txt", text(100_000, seed: 20))
        let backup = try env.expect(0, ["backup", env.path("src")]).stdout
        let added = try XCTUnwrap(backup.split(separator: "\n").first { $0.hasPrefix("Added:") }, backup)
        XCTAssertTrue(added.contains(" stored (") && added.contains("before compression and encryption"), String(added))
        let listing = try env.expect(0, ["snapshots"]).stdout
        let legend = try XCTUnwrap(listing.split(separator: "\n").first { $0.hasPrefix("Added:") }, listing)
        XCTAssertTrue(legend.contains("stored (compressed and encrypted)") && legend.contains("before compression and encryption"), String(legend))
    }
}
