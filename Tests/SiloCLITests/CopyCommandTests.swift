import Foundation
import SiloTestSupport
import XCTest

/// `silo copy` between local repositories with their own keys and passwords.
final class CopyCommandTests: XCTestCase {
    private func makeSource() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        for i in 0..<20 { try env.write("src/docs/file\(i).txt", text(3000 + i * 211, seed: i)) }
        try env.write("src/media/big.bin", pseudoRandomBytes(5 << 20, seed: 4))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.write("src/docs/file3.txt", text(9000, seed: 99))
        try env.write("src/media/second.bin", pseudoRandomBytes(2 << 20, seed: 5))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        return env
    }

    private func summary(_ result: CLIResult) -> [String: Any] {
        result.jsonLines.last { $0["message_type"] as? String == "summary" } ?? [:]
    }

    /// Copies to a repository with other keys, restores from it exactly, copies again
    /// incrementally (only the new snapshot, only its new chunks read), and the other way round.
    func testCopyIsExactIncrementalAndSkipsWhatIsThere() throws {
        let env = try makeSource()
        let other = env.path("other")
        let otherEnv = ["SILO_REPOSITORY": other, "SILO_PASSWORD": "another password"]
        try env.expect(0, ["init", "-q"], environment: otherEnv)
        let toOther = ["SILO_TO_PASSWORD": "another password"]

        let first = try env.expect(0, ["copy", "--to", other, "--json"], environment: toOther)
        XCTAssertTrue(first.jsonLines.contains { $0["message_type"] as? String == "warning" && ($0["message"] as? String ?? "").contains("cut chunks differently") }, first.stdout)
        XCTAssertEqual(summary(first)["snapshots_copied"] as? Int, 2)
        XCTAssertEqual(summary(first)["chunking_differs"] as? Bool, true)
        let listed = try env.expect(0, ["snapshots", "--json"], environment: otherEnv).jsonLines.filter { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(listed.count, 2)
        try env.expect(0, ["check", "--read-data"], environment: otherEnv)
        try env.expect(0, ["restore", "latest", "--target", env.path("out")], environment: otherEnv)
        XCTAssertEqual(contentDigests(env.path("out") + env.path("src")), contentDigests(env.path("src")))

        let again = try env.expect(0, ["copy", "--to", other, "--json"], environment: toOther)
        XCTAssertEqual(summary(again)["snapshots_copied"] as? Int, 0)
        XCTAssertEqual(summary(again)["snapshots_skipped"] as? Int, 2)
        XCTAssertEqual(summary(again)["blobs_sent"] as? Int, 0)

        // A third backup with one small change: the copy sends that snapshot only, and reads
        // from the source only the chunks it has not translated before.
        try env.write("src/docs/file7.txt", text(4000, seed: 1234))
        let third = try env.expect(0, ["backup", env.path("src"), "--json"]).jsonLines.last ?? [:]
        let added = third["chunks_added"] as? Int ?? 0
        let incremental = try env.expect(0, ["copy", "--to", other, "--json"], environment: toOther)
        XCTAssertEqual(summary(incremental)["snapshots_copied"] as? Int, 1)
        XCTAssertLessThanOrEqual(summary(incremental)["chunks_read"] as? Int ?? .max, added)
        XCTAssertLessThanOrEqual(summary(incremental)["blobs_sent"] as? Int ?? .max, added)

        // --from: the main repository is the destination; everything is already there.
        let back = try env.expect(0, ["copy", "--from", env.repo, "--json"],
                                  environment: otherEnv.merging(["SILO_FROM_PASSWORD": "correct horse"]) { _, new in new })
        XCTAssertEqual(summary(back)["snapshots_copied"] as? Int, 0)
        XCTAssertEqual(summary(back)["snapshots_skipped"] as? Int, 3)
    }

    /// A destination created with the source's chunker parameters deduplicates copied data
    /// against its own backups; one with its own parameters does not, and the copy said so.
    func testSameChunkerParametersDeduplicateAcrossCopies() throws {
        let env = try makeSource()
        let same = env.path("same"), different = env.path("different")
        try env.expect(0, ["init", "-q", "--copy-chunker-params-from", env.repo],
                       environment: ["SILO_REPOSITORY": same, "SILO_FROM_PASSWORD": "correct horse"])
        try env.expect(0, ["init", "-q"], environment: ["SILO_REPOSITORY": different])
        let copySame = try env.expect(0, ["copy", "--to", same, "--json"], environment: ["SILO_TO_PASSWORD": "correct horse"])
        XCTAssertFalse(copySame.stdout.contains("cut chunks differently"), copySame.stdout)
        XCTAssertEqual(summary(copySame)["chunking_differs"] as? Bool, false)
        try env.expect(0, ["copy", "--to", different], environment: ["SILO_TO_PASSWORD": "correct horse"])

        // --force re-reads every file, so only chunk deduplication can spare the upload.
        let intoSame = try env.expect(0, ["backup", env.path("src"), "--force", "--json"], environment: ["SILO_REPOSITORY": same]).jsonLines.last ?? [:]
        let intoDifferent = try env.expect(0, ["backup", env.path("src"), "--force", "--json"], environment: ["SILO_REPOSITORY": different]).jsonLines.last ?? [:]
        let sameAdded = intoSame["data_added"] as? Int ?? .max
        let differentAdded = intoDifferent["data_added"] as? Int ?? 0
        XCTAssertLessThan(sameAdded, 64 << 10, "only trees may be new: \(intoSame)")
        XCTAssertGreaterThan(differentAdded, 5 << 20, "other chunk boundaries: the big files are new data")
    }

    /// Bad requests: the same repository twice, both or neither of --to/--from, a missing
    /// destination, a wrong destination password. Each a one-line error and a non-zero exit.
    func testRefusals() throws {
        let env = try makeSource()
        let same = try env.run(["copy", "--to", env.repo], environment: ["SILO_TO_PASSWORD": "correct horse"])
        XCTAssertEqual(same.status, 1)
        XCTAssertTrue(same.stderr.contains("same repository"), same.stderr)
        XCTAssertEqual(try env.run(["copy"]).status, 64)
        XCTAssertEqual(try env.run(["copy", "--to", "a", "--from", "b"]).status, 64)
        let missing = try env.run(["copy", "--to", env.path("nowhere")])
        XCTAssertEqual(missing.status, 10, missing.stderr)
        try env.expect(0, ["init", "-q"], environment: ["SILO_REPOSITORY": env.path("other"), "SILO_PASSWORD": "right"])
        let wrong = try env.run(["copy", "--to", env.path("other")], environment: ["SILO_TO_PASSWORD": "wrong"])
        XCTAssertEqual(wrong.status, 12, wrong.stderr)
        XCTAssertEqual(wrong.stderr.split(separator: "\n").count, 1, wrong.stderr)
    }

    /// kill -9 in the middle of copies: the destination stays consistent after each, and a
    /// last copy completes and restores exactly.
    func testKilledCopyResumes() throws {
        let env = try makeSource()
        for i in 0..<6 { try env.write("src/more/chunk\(i).bin", pseudoRandomBytes(3 << 20, seed: UInt64(50 + i))) }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let other = env.path("other")
        let otherEnv = ["SILO_REPOSITORY": other, "SILO_PASSWORD": "another password"]
        try env.expect(0, ["init", "-q", "--pack-size", "1"], environment: otherEnv)
        for round in 0..<4 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
            process.arguments = ["copy", "--to", other, "-q"]
            process.environment = env.environment.merging(["SILO_TO_PASSWORD": "another password"]) { _, new in new }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(50_000 + round * 60_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try env.expect(0, ["check"], environment: otherEnv)
        }
        try env.expect(0, ["copy", "--to", other, "-q"], environment: ["SILO_TO_PASSWORD": "another password"])
        try env.expect(0, ["check", "--read-data"], environment: otherEnv)
        try env.expect(0, ["restore", "latest", "--target", env.path("out")], environment: otherEnv)
        XCTAssertEqual(contentDigests(env.path("out") + env.path("src")), contentDigests(env.path("src")))
    }

    /// A damaged chunk in one snapshot: the copy names that snapshot, still copies the intact
    /// ones (an off-site copy holds all that can be saved), and exits 13.
    func testCopyLeavesOnlyTheDamagedSnapshotBehind() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q", "--pack-size", "1"])
        try env.write("a/damaged.bin", pseudoRandomBytes(3 << 20, seed: 8))
        let damaged = try XCTUnwrap(try env.expect(0, ["backup", env.path("a"), "--json"]).jsonLines.last?["snapshot_id"] as? String)
        let packsBefore = Set(try FileManager.default.subpathsOfDirectory(atPath: env.repo + "/packs").filter { $0.count > 64 })
        try env.write("b/intact.bin", pseudoRandomBytes(1 << 20, seed: 9))
        let intact = try XCTUnwrap(try env.expect(0, ["backup", env.path("b"), "--json"]).jsonLines.last?["snapshot_id"] as? String)
        // The middle of the first backup's largest pack: file data of the first snapshot only (the
        // middle of its small tree pack may fall in the pack's trailer, which a copy never reads).
        func size(_ name: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: env.repo + "/packs/" + name))?[.size] as? Int) ?? 0 }
        let pack = env.repo + "/packs/" + (try XCTUnwrap(packsBefore.max { size($0) < size($1) }))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: pack))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: pack))

        let other = env.path("other")
        let otherEnv = ["SILO_REPOSITORY": other, "SILO_PASSWORD": "another password"]
        try env.expect(0, ["init", "-q"], environment: otherEnv)
        let copy = try env.run(["copy", "--to", other, "--json"], environment: ["SILO_TO_PASSWORD": "another password"])
        XCTAssertEqual(copy.status, 13, copy.stdout + copy.stderr)
        XCTAssertEqual(summary(copy)["snapshots_not_copied"] as? [String], [damaged], copy.stdout)
        XCTAssertEqual(summary(copy)["snapshots_copied"] as? Int, 1, copy.stdout)
        XCTAssertTrue(copy.stdout.contains("not_copied"), copy.stdout)
        try env.expect(0, ["check", "--read-data"], environment: otherEnv)
        try env.expect(0, ["restore", "latest", "--target", env.path("out")], environment: otherEnv)
        XCTAssertEqual(contentDigests(env.path("out") + env.path("b")), contentDigests(env.path("b")))
        let copied = copy.jsonLines.filter { $0["message_type"] as? String == "copied" }.compactMap { $0["snapshot_id"] as? String }
        XCTAssertEqual(copied, [intact], "the intact snapshot is the one copied")
    }
}
