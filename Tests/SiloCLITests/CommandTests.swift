import Foundation
import SiloTestSupport
import XCTest

/// Each command end to end against a temporary repository, through the real binary.
final class CommandTests: XCTestCase {
    private func prepared() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("site/.env", Data("DB_NAME=o4o\n".utf8))
        try env.write("site/uploads/a.jpg", pseudoRandomBytes(300_000, seed: 1))
        try env.write("site/logs/app.log", text(400_000, seed: 1))
        try env.expect(0, ["backup", env.path("site"), "--tag", "daily", "--host", "web1", "--time", "2025-01-29T12:00:00Z", "-q"])
        try env.write("site/logs/app.log", text(420_000, seed: 1))
        try env.write("site/new.txt", Data("new\n".utf8))
        try FileManager.default.removeItem(atPath: env.path("site/uploads/a.jpg"))
        try env.expect(0, ["backup", env.path("site"), "--host", "web1", "--time", "2025-01-29 16:00:00", "-q"])
        return env
    }

    private func snapshotIDs(_ env: CLIEnvironment) throws -> [String] {
        try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["id"] as? String }
    }

    func testSnapshotsListingAndJSON() throws {
        let env = try prepared()
        let lines = try env.expect(0, ["snapshots", "--json"]).jsonLines
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0]["time"] as? String, "2025-01-29T12:00:00Z")
        XCTAssertEqual(lines[0]["tags"] as? [String], ["daily"])
        XCTAssertEqual(lines[0]["host"] as? String, "web1")
        XCTAssertEqual(lines[1]["parent"] as? String, lines[0]["id"] as? String)
        let human = try env.expect(0, ["snapshots"]).stdout
        XCTAssertTrue(human.contains("web1") && human.contains("[daily]"), human)
        XCTAssertTrue(human.contains("deduplication"), human)
        XCTAssertEqual(try env.expect(0, ["snapshots", "--tag", "daily", "--json"]).jsonLines.count, 1)
        XCTAssertEqual(try env.expect(0, ["snapshots", "--host", "other", "--json"]).jsonLines.count, 0)
    }

    func testSnapshotReferences() throws {
        let env = try prepared()
        let ids = try snapshotIDs(env)
        let latest = try env.expect(0, ["ls", "latest", env.path("site"), "--json"]).jsonLines
        XCTAssertTrue(latest.contains { ($0["path"] as? String)?.hasSuffix("new.txt") == true })
        let byPrefix = try env.expect(0, ["ls", String(ids[0].prefix(8)), env.path("site"), "--json"]).jsonLines
        XCTAssertTrue(byPrefix.contains { ($0["path"] as? String)?.hasSuffix("uploads") == true })
        XCTAssertFalse(byPrefix.contains { ($0["path"] as? String)?.hasSuffix("new.txt") == true })
        // The latest of a tag, and a full ID.
        let daily = try env.expect(0, ["ls", "latest", "--tag", "daily", env.path("site"), "--json"]).jsonLines
        XCTAssertFalse(daily.contains { ($0["path"] as? String)?.hasSuffix("new.txt") == true })
        try env.expect(0, ["ls", ids[1], "-l", "-R"])
        try env.expect(1, ["ls", "zzzz"])
        try env.expect(1, ["ls", "0000000000"])
    }

    func testFindDiffDumpStats() throws {
        let env = try prepared()
        let found = try env.expect(0, ["find", "*.log", "--json"]).jsonLines
        XCTAssertEqual(found.count, 2, "app.log is in both snapshots")
        let ids = try snapshotIDs(env)
        let diff = try env.expect(0, ["diff", ids[0], ids[1]]).stdout
        XCTAssertTrue(diff.contains("+    \(env.path("site/new.txt"))"), diff)
        XCTAssertTrue(diff.contains("-    \(env.path("site/uploads/a.jpg"))"), diff)
        XCTAssertTrue(diff.contains("M    \(env.path("site/logs/app.log"))"), diff)
        XCTAssertFalse(diff.contains(".env"), diff)

        let dump = try env.expect(0, ["dump", ids[0], env.path("site/logs/app.log")])
        XCTAssertEqual(Data(dump.stdout.utf8), text(400_000, seed: 1))
        try env.expect(1, ["dump", "latest", env.path("site/nope")])

        try env.expect(0, ["backup", env.path("site"), "--host", "web1", "--force", "-q"])
        let stats = try env.expect(0, ["stats", "--json"]).jsonLines.first
        let total = try XCTUnwrap(stats?["total_size"] as? Int)
        let stored = try XCTUnwrap(stats?["stored_size"] as? Int)
        XCTAssertGreaterThan(total, stored, "two similar snapshots must cost less than their sum")
        XCTAssertGreaterThan(try XCTUnwrap(stats?["dedup_ratio"] as? Double), 1.0)
    }

    /// `--include` of one file restores that file, exactly, and nothing else (its speed is a
    /// benchmark figure, `compare.sh`'s one-file restore, not a test's).
    func testRestoreOfOneFileWritesOnlyThatFile() throws {
        let env = try prepared()
        let lines = try env.expect(0, ["restore", "latest", "--target", env.path("r"), "--include", env.path("site/.env"), "--json"]).jsonLines
        let summary = try XCTUnwrap(lines.first { $0["message_type"] as? String == "summary" })
        XCTAssertEqual(summary["files"] as? Int, 1, "\(summary)")
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("r") + env.path("site/.env")), Data("DB_NAME=o4o\n".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("r") + env.path("site/logs/app.log")))
    }

    func testCheckAndCatalogRebuild() throws {
        let env = try prepared()
        try env.expect(0, ["check"])
        try env.expect(0, ["check", "--read-data-subset", "50%"])
        try env.expect(64, ["check", "--read-data-subset", "abc"])
        let before = try env.expect(0, ["snapshots", "--json"]).stdout
        try env.expect(0, ["catalog", "rebuild"])
        XCTAssertEqual(try env.expect(0, ["snapshots", "--json"]).stdout, before)
        try FileManager.default.removeItem(atPath: env.path("cache"))
        XCTAssertEqual(try env.expect(0, ["snapshots", "--json"]).stdout, before)
        try env.expect(0, ["restore", "latest", "--target", env.path("r"), "-q"])
    }

    func testKeyCommands() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.expect(0, ["key", "add"], environment: ["SILO_NEW_PASSWORD": "second password"])
        let keys = try env.expect(0, ["key", "list", "--json"]).jsonLines
        XCTAssertEqual(keys.count, 2)
        let current = try XCTUnwrap(keys.first { $0["current"] as? Bool == true }?["id"] as? String)
        try env.expect(0, ["snapshots"], environment: ["SILO_PASSWORD": "second password"])
        try env.expect(1, ["key", "remove", current])  // the key in use
        try env.expect(0, ["key", "remove", String(current.prefix(8))], environment: ["SILO_PASSWORD": "second password"])
        try env.expect(12, ["snapshots"])
        try env.expect(0, ["snapshots"], environment: ["SILO_PASSWORD": "second password"])
        // A password file works as well, with its trailing newline ignored.
        try env.write("pw", Data("second password\n".utf8))
        try env.expect(0, ["snapshots", "--password-file", env.path("pw")], environment: ["SILO_PASSWORD": ""])
    }

    /// A planted key file asking for too much scrypt work is named, not derived: by `key list`,
    /// and when no key opens with the password given.
    func testKeyFileBeyondTheScryptLimitIsNamed() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        let script = """
            import hashlib, json, os, sys
            keys = sys.argv[1] + "/keys"
            model = json.load(open(os.path.join(keys, os.listdir(keys)[0])))
            model["n"] = 1 << 20
            data = json.dumps(model).encode()
            open(os.path.join(keys, hashlib.sha256(data).hexdigest()), "wb").write(data)
            print(hashlib.sha256(data).hexdigest()[:8])
            """
        let planted = PostgresTestServer.run("/usr/bin/python3", ["-c", script, env.repo], environment: [:])
        XCTAssertEqual(planted.status, 0, planted.stderr)
        let id = planted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let started = Date()
        let wrong = try env.expect(12, ["snapshots"], environment: ["SILO_PASSWORD": "wrong"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "the planted key file must not be derived")
        XCTAssertTrue(wrong.stderr.contains("key file \(id) was not tried: it asks for scrypt N=1048576, r=8, p=1, above the limit N=131072"), wrong.stderr)
        let listed = try env.expect(0, ["key", "list"])
        XCTAssertTrue(listed.stdout.contains("never tried: it asks for scrypt N=1048576"), listed.stdout)
        let json = try env.expect(0, ["key", "list", "--json"]).jsonLines
        XCTAssertEqual(json.filter { $0["never_tried"] != nil }.compactMap { ($0["id"] as? String)?.prefix(8) }, [Substring(id)])
    }

    func testUnencryptedRepositoryAndBadArguments() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--insecure-no-encryption"], environment: ["SILO_PASSWORD": ""])
        try env.write("src/a", Data("a".utf8))
        try env.expect(0, ["backup", env.path("src"), "-q"], environment: ["SILO_PASSWORD": ""])
        try env.expect(64, ["backup", "-q"])
        try env.expect(64, ["backup", env.path("src"), "--time", "yesterday-ish"])
        try env.expect(64, ["backup", "--no-such-flag"])
        try env.expect(64, ["init", "--compression-level", "40", "-r", env.path("other")])
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("other")), "a refused init creates nothing")
    }
}

final class IndexRebuildTests: XCTestCase {
    /// The index can be rebuilt from the packs alone: delete every index file, rebuild, and the
    /// repository checks clean and restores exactly.
    func testIndexRebuildFromPacks() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        try env.write("src/a.bin", pseudoRandomBytes(3_000_000, seed: 3))
        try env.write("src/b.txt", text(500_000, seed: 4))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        for name in try FileManager.default.contentsOfDirectory(atPath: env.repo + "/index") {
            try FileManager.default.removeItem(atPath: env.repo + "/index/" + name)
        }
        try FileManager.default.removeItem(atPath: env.path("cache"))
        XCTAssertEqual(try env.run(["check"]).status, 13, "check must notice the missing index")
        let rebuilt = try env.expect(0, ["index", "rebuild", "--json"]).jsonLines.first
        XCTAssertGreaterThan(rebuilt?["packs_indexed"] as? Int ?? 0, 1)
        try env.expect(0, ["check", "--read-data"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/a.bin")), pseudoRandomBytes(3_000_000, seed: 3))
    }
}

final class ProgressTests: XCTestCase {
    /// On a terminal, backup and restore show files, bytes, rate and (once the scan is done) an
    /// ETA; off a terminal they print no progress at all.
    func testProgressOnTerminalOnly() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        // Enough data that the backup outlasts a few quarter-second ticks after the scan.
        for i in 0..<16 { try env.write("src/f\(i).bin", pseudoRandomBytes(12_000_000, seed: UInt64(i + 1))) }
        let log = env.path("typescript")
        let command = "'\(CLIEnvironment.binary)' backup '\(env.path("src"))'"
        let shell = env.environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        XCTAssertEqual(try env.shell("env \(shell) script -qec \"\(command)\" '\(log)' >/dev/null"), 0)
        let screen = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
        XCTAssertTrue(screen.contains("backed up"), screen)
        XCTAssertTrue(screen.contains("files,") && screen.contains("/s"), screen)
        XCTAssertTrue(screen.contains("ETA"), "no ETA on the terminal:\n\(screen)")
        let piped = try env.expect(0, ["backup", env.path("src"), "--force"])
        XCTAssertFalse(piped.stderr.contains("backed up"), piped.stderr)
    }
}

final class ExcludeOptionTests: XCTestCase {
    func testOneFileSystemAndExcludeFile() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to mount a filesystem inside the source") }
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/keep.txt", Data("keep".utf8))
        try env.write("src/skip.log", Data("log".utf8))
        try FileManager.default.createDirectory(atPath: env.path("src/mnt"), withIntermediateDirectories: true)
        XCTAssertEqual(try env.shell("mount -t tmpfs -o size=1m tmpfs '\(env.path("src/mnt"))'"), 0)
        defer { _ = try? env.shell("umount '\(env.path("src/mnt"))'") }
        try env.write("src/mnt/other-fs.txt", Data("other".utf8))
        try env.write("excludes", Data("# logs are rotated elsewhere\n*.log\n\n".utf8))
        try env.expect(0, ["backup", env.path("src"), "-x", "--exclude-file", env.path("excludes"), "-q"])
        let paths = try env.expect(0, ["ls", "latest", env.path("src"), "-R", "--json"]).jsonLines.compactMap { $0["path"] as? String }
        XCTAssertTrue(paths.contains(env.path("src/keep.txt")), "\(paths)")
        XCTAssertFalse(paths.contains { $0.hasSuffix("skip.log") }, "\(paths)")
        XCTAssertFalse(paths.contains { $0.hasSuffix("other-fs.txt") }, "crossed into another filesystem: \(paths)")
        // Without -x the other filesystem is included.
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let all = try env.expect(0, ["ls", "latest", env.path("src"), "-R", "--json"]).jsonLines.compactMap { $0["path"] as? String }
        XCTAssertTrue(all.contains { $0.hasSuffix("other-fs.txt") }, "\(all)")
    }
}
