import Foundation
import XCTest

/// `silo tag`: snapshots rewritten with new tags, the old objects gone, the data untouched.
final class TagTests: XCTestCase {
    private func prepared() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.write("site/index.html", Data("<h1>hello</h1>".utf8))
        try env.write("site/data.bin", text(200_000, seed: 3))
        try env.expect(0, ["backup", env.path("site"), "-q", "--tag", "daily", "--host", "web1", "--time", "2025-02-01T10:00:00Z"])
        try env.expect(0, ["backup", env.path("site"), "-q", "--force", "--host", "web2", "--time", "2025-02-02T10:00:00Z"])
        return env
    }

    private func snapshots(_ env: CLIEnvironment) throws -> [[String: Any]] { try env.expect(0, ["snapshots", "--json"]).jsonLines }
    private func storedSnapshotObjects(_ env: CLIEnvironment) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: env.repo + "/snapshots").filter { !$0.hasPrefix(".") })
    }

    func testAddRemoveSetAndRestore() throws {
        let env = try prepared()
        let before = try snapshots(env)
        let first = try XCTUnwrap(before[0]["id"] as? String)

        // A prefix, --add twice: the new ID is reported, the old object is gone, the tree kept.
        let added = try env.expect(0, ["tag", "--add", "keep", "--add", "audit", String(first.prefix(8)), "--json"]).jsonLines
        let tagged = try XCTUnwrap(added.first { $0["message_type"] as? String == "tagged" })
        XCTAssertEqual(tagged["snapshot_id"] as? String, first)
        XCTAssertEqual(tagged["tags"] as? [String], ["daily", "keep", "audit"])
        let newID = try XCTUnwrap(tagged["new_id"] as? String)
        XCTAssertNotEqual(newID, first)
        XCTAssertEqual(added.last?["changed"] as? Int, 1)
        var listed = try snapshots(env)
        XCTAssertEqual(listed.count, 2)
        XCTAssertEqual(listed[0]["id"] as? String, newID)
        XCTAssertEqual(listed[0]["tags"] as? [String], ["daily", "keep", "audit"])
        XCTAssertEqual(listed[0]["original"] as? String, first)
        XCTAssertEqual(listed[0]["tree"] as? String, before[0]["tree"] as? String)
        XCTAssertEqual(listed[0]["time"] as? String, "2025-02-01T10:00:00Z")
        XCTAssertEqual(try storedSnapshotObjects(env), Set([newID, before[1]["id"] as! String]))

        // --remove, then --set on every snapshot the filter selects; the original stays the first ID.
        try env.expect(0, ["tag", "--remove", "daily", "--remove", "absent", "latest", "--host", "web1", "-q"])
        XCTAssertEqual(try snapshots(env)[0]["tags"] as? [String], ["keep", "audit"])
        let human = try env.expect(0, ["tag", "--set", "monthly", "--host", "web1"]).stdout
        XCTAssertTrue(human.contains("tagged ") && human.contains("[monthly]") && human.contains("1 snapshot(s) changed"), human)
        listed = try snapshots(env)
        XCTAssertEqual(listed.map { $0["tags"] as? [String] ?? ["?"] }, [["monthly"], []])
        XCTAssertEqual(listed[0]["original"] as? String, first)
        // Without ids or filters every snapshot, as restic; one already as asked is left alone.
        let all = try env.expect(0, ["tag", "--add", "monthly", "--json"]).jsonLines
        XCTAssertEqual(all.filter { $0["message_type"] as? String == "tagged" }.count, 1)
        XCTAssertEqual(all.last?["unchanged"] as? Int, 1)
        try env.expect(0, ["tag", "--set", "", "--tag", "monthly", "-q"])
        XCTAssertEqual(try snapshots(env).map { $0["tags"] as? [String] ?? ["?"] }, [[], []])

        // The retagged snapshot restores as before, and a fresh catalog agrees.
        let retagged = try XCTUnwrap(try snapshots(env)[0]["id"] as? String)
        try env.expect(0, ["restore", String(retagged.prefix(10)), "--target", env.path("restored"), "-q"])
        XCTAssertEqual(contentDigests(env.path("restored") + env.path("site")), contentDigests(env.path("site")))
        let cached = try snapshots(env).map { $0["id"] as? String ?? "" }
        try env.expect(0, ["catalog", "rebuild", "-q"])
        XCTAssertEqual(try snapshots(env).map { $0["id"] as? String ?? "" }, cached)
        try env.expect(0, ["check", "-q"])
    }

    func testBadUsage() throws {
        let env = try prepared()
        let objects = try storedSnapshotObjects(env)
        for arguments in [["tag", "latest"], ["tag", "--set", "a", "--add", "b", "latest"], ["tag", "--remove", "x", "--set", "a"], ["tag", "--add", "", "latest"]] {
            let result = try env.expect(64, arguments)
            XCTAssertTrue(result.stderr.hasPrefix("silo: ") && result.stderr.split(separator: "\n").count == 1, result.stderr)
        }
        // An unknown reference among good ones changes nothing.
        let ids = try snapshots(env).compactMap { $0["id"] as? String }
        try env.expect(1, ["tag", "--add", "x", ids[0], "ffff0000"])
        XCTAssertEqual(try storedSnapshotObjects(env), objects)
        try env.expect(1, ["tag", "--add", "x", "nothex"])
    }
}
