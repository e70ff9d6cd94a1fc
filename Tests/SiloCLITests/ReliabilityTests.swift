import Foundation
import SiloTestSupport
import XCTest

/// Failure on purpose: kill -9, flipped bits, wrong passwords, read-only and full disks.
final class ReliabilityTests: XCTestCase {
    /// kill -9 at random moments of a backup, 20 times: `check` passes after each, no partial
    /// snapshot is listed, and a final backup completes and restores exactly.
    func testKillDuringBackup() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        for i in 0..<12 { try env.write("src/text\(i).txt", text(1_500_000, seed: i * 1000)) }
        for i in 0..<4 { try env.write("src/media\(i).bin", pseudoRandomBytes(4_000_000, seed: UInt64(i + 1))) }
        // How long does one backup take here? Kill anywhere within it.
        let started = Date()
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let full = max(Date().timeIntervalSince(started), 0.2)
        var completed = 1
        for round in 0..<20 {
            // Change some data so each backup has new chunks to write.
            try env.write("src/text\(round % 12).txt", text(1_500_000, seed: round * 7777 + 1))
            try env.write("src/new\(round).bin", pseudoRandomBytes(2_000_000, seed: UInt64(round + 100)))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
            process.arguments = ["backup", env.path("src"), "-q", "--force"]
            process.environment = env.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(Double.random(in: 0.01...(full * 1.1)) * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .exit && process.terminationStatus == 0 { completed += 1 }

            let check = try env.run(["check"])
            XCTAssertEqual(check.status, 0, "round \(round): check failed after kill -9:\n\(check.stdout)\n\(check.stderr)")
            // A snapshot is listed only once complete: `check` just proved every listed one has
            // all its trees and chunks. A kill after the snapshot was saved leaves one more.
            let listed = try env.run(["snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }
            XCTAssertTrue(listed.count == completed || listed.count == completed + 1,
                          "round \(round): \(listed.count) snapshots listed, \(completed) backups completed")
            completed = listed.count
        }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.expect(0, ["check", "--read-data"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        let original = contentDigests(env.path("src"))
        let restored = contentDigests(env.path("out") + env.path("src"))
        XCTAssertEqual(original.count, restored.count)
        XCTAssertTrue(original == restored, "restored content differs")
    }

    /// One flipped bit in a pack: check names chunk, pack, snapshot and file; unaffected files
    /// still restore; the affected file fails loudly and is not written.
    func testFlippedBitInPack() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        let victim = pseudoRandomBytes(3_000_000, seed: 42)
        try env.write("src/victim.bin", victim)
        try env.write("src/healthy.txt", text(200_000, seed: 5))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.expect(0, ["backup", env.path("src"), "-q", "--force"])

        // Flip a bit in the middle of the largest pack, which holds the random file's chunks.
        let packs = try FileManager.default.subpathsOfDirectory(atPath: env.repo + "/packs")
            .map { env.repo + "/packs/" + $0 }
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
        let largest = try XCTUnwrap(packs.max { (try! FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int) < (try! FileManager.default.attributesOfItem(atPath: $1)[.size] as! Int) })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: largest))
        bytes[1_000_000] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: largest))
        let packID = (largest as NSString).lastPathComponent

        let check = try env.run(["check", "--read-data"])
        XCTAssertEqual(check.status, 13, check.stderr)
        XCTAssertTrue(check.stderr.contains(packID), "check does not name the pack:\n\(check.stderr)")
        XCTAssertTrue(check.stderr.contains("chunk "), check.stderr)
        XCTAssertTrue(check.stderr.contains(env.path("src/victim.bin")), "check does not name the file:\n\(check.stderr)")
        let snapshots = try env.run(["snapshots", "--json"]).jsonLines.compactMap { $0["short_id"] as? String }
        XCTAssertEqual(snapshots.count, 2)
        for id in snapshots { XCTAssertTrue(check.stderr.contains("snapshot \(id)"), "check does not name snapshot \(id)") }

        try env.expect(0, ["restore", "latest", "--target", env.path("ok"), "--include", env.path("src/healthy.txt"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("ok") + env.path("src/healthy.txt")), text(200_000, seed: 5))

        let bad = try env.run(["restore", "latest", "--target", env.path("bad"), "--include", env.path("src/victim.bin")])
        XCTAssertEqual(bad.status, 13, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("victim.bin"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("bad") + env.path("src/victim.bin")),
                       "a file with damaged data was left behind")
        let dump = try env.run(["dump", "latest", env.path("src/victim.bin")])
        XCTAssertEqual(dump.status, 13)
    }

    func testWrongPasswordMissingAndForeignRepositories() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        let wrong = try env.expect(12, ["snapshots"], environment: ["SILO_PASSWORD": "wrong"])
        XCTAssertTrue(wrong.stderr.contains("wrong password"), wrong.stderr)
        XCTAssertEqual(wrong.stderr.split(separator: "\n").count, 1, "one clear line")
        try env.expect(10, ["snapshots", "-r", env.path("nowhere")])
        try FileManager.default.createDirectory(atPath: env.path("plain-dir"), withIntermediateDirectories: true)
        let foreign = try env.expect(10, ["snapshots", "-r", env.path("plain-dir")])
        XCTAssertTrue(foreign.stderr.contains("not a Silo repository"), foreign.stderr)
        try env.expect(1, ["init"])  // already exists
        try env.expect(0, ["snapshots"])
        XCTAssertFalse(try env.run(["snapshots"], environment: ["SILO_PASSWORD": "wrong"]).stderr.contains("wrong\""),
                       "the password must never be printed")
    }

    func testNewerFormatVersionIsRefused() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        let configPath = env.repo + "/config"
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as! [String: Any]
        config["silo_repository_version"] = 99
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let result = try env.expect(14, ["snapshots"])
        XCTAssertTrue(result.stderr.contains("newer"), result.stderr)
    }

    func testReadOnlyRepository() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root for a read-only bind mount") }
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.txt", text(10_000, seed: 1))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let mount = env.path("ro-repo")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        XCTAssertEqual(try env.shell("mount --bind '\(env.repo)' '\(mount)' && mount -o remount,bind,ro '\(mount)'"), 0)
        defer { _ = try? env.shell("umount '\(mount)'") }
        try env.write("src/b.txt", text(10_000, seed: 2))
        let backup = try env.expect(15, ["backup", env.path("src"), "-r", mount])
        XCTAssertTrue(backup.stderr.contains("read-only"), backup.stderr)
        try env.expect(0, ["snapshots", "-r", mount])
        try env.expect(0, ["restore", "latest", "-r", mount, "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/a.txt")), text(10_000, seed: 1))
    }

    /// A repository on a full disk: a clear error, exit 15, and the repository still checks
    /// clean and restores what it had.
    func testDiskFull() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs") }
        let env = try CLIEnvironment()
        let mount = env.path("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        XCTAssertEqual(try env.shell("mount -t tmpfs -o size=6m tmpfs '\(mount)'"), 0)
        defer { _ = try? env.shell("umount '\(mount)'") }
        let repo = mount + "/repo"
        try env.expect(0, ["init", "-r", repo, "--pack-size", "1"])
        try env.write("src/small.txt", text(100_000, seed: 1))
        try env.expect(0, ["backup", "-r", repo, env.path("src"), "-q"])
        try env.write("src/huge.bin", pseudoRandomBytes(20_000_000, seed: 7))
        let packsBefore = try FileManager.default.subpathsOfDirectory(atPath: repo + "/packs").filter { $0.count > 3 }.count
        let full = try env.expect(15, ["backup", "-r", repo, env.path("src")])
        XCTAssertTrue(full.stderr.contains("no space"), full.stderr)
        XCTAssertEqual(full.stderr.split(separator: "\n").count, 1, "one clear line:\n\(full.stderr)")
        // The line says what the failed backup leaves, and it is what is there.
        let packsLeft = try FileManager.default.subpathsOfDirectory(atPath: repo + "/packs").filter { $0.count > 3 }.count - packsBefore
        XCTAssertGreaterThan(packsLeft, 0)
        XCTAssertTrue(full.stderr.contains("the \(packsLeft) pack(s) this run had finished stay in the repository (none indexed yet)"), full.stderr)
        XCTAssertFalse(full.stderr.contains("nothing partial"), full.stderr)
        try env.expect(0, ["check", "-r", repo])
        let listed = try env.run(["snapshots", "-r", repo, "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(listed.count, 1)
        try env.expect(0, ["restore", "latest", "-r", repo, "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/small.txt")), text(100_000, seed: 1))
        // No temp files are left behind to fill the disk further.
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: repo).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testUnreadableSourceFileGivesExitCode3() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run silo as another user") }
        let env = try CLIEnvironment()
        try env.write("src/readable.txt", text(1000, seed: 1))
        try env.write("src/secret.txt", text(1000, seed: 2))
        XCTAssertEqual(chmod(env.path("src/secret.txt"), 0o000), 0)
        XCTAssertEqual(try env.shell("chmod 755 '\(env.root)' && chown -R nobody '\(env.root)' && chown root '\(env.path("src/secret.txt"))'"), 0)
        let initResult = try env.run(["init"], as: "nobody")
        XCTAssertEqual(initResult.status, 0, initResult.stderr)
        let result = try env.run(["backup", env.path("src")], as: "nobody")
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("secret.txt"), result.stderr)
        let listed = try env.run(["snapshots", "--json"], as: "nobody").jsonLines.filter { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(listed.count, 1, "the backup goes on and commits what it could read")
    }
}
