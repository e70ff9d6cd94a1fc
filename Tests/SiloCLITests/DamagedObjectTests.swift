import Foundation
import SiloTestSupport
import XCTest

/// One damaged object on a new machine (an empty cache, so every object is read anew): the
/// commands that do not need it keep working, `check` names it by its file, and the repair
/// command for it works. Snapshot A (`src/a`, file data) and snapshot B (`src/b`) are made by
/// separate backups, so each has objects of its own to damage.
final class DamagedObjectTests: XCTestCase {
    private var env: CLIEnvironment!
    private var snapshotA = ""
    private var snapshotB = ""
    /// The objects each backup added, by folder (`index`, `snapshots`, `packs`).
    private var addedByB: [String: [String]] = [:]
    private var caches = 0

    private func makeRepository(bHoldsOnlyTrees: Bool = false) throws {
        env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        for i in 0..<3 { try env.write("src/a/file\(i).bin", pseudoRandomBytes(700_000, seed: UInt64(i + 1))) }
        if bHoldsOnlyTrees {
            // Empty files have no chunks: B's own packs hold only its trees.
            for i in 0..<4 { try env.write("src/b/dir\(i)/empty\(i)", Data()) }
        } else {
            try env.write("src/b/report.txt", pseudoRandomBytes(600_000, seed: 7))
        }
        snapshotA = try backup("src/a")
        let before = try objects()
        snapshotB = try backup("src/b")
        let after = try objects()
        for (folder, keys) in after { addedByB[folder] = keys.filter { !(before[folder] ?? []).contains($0) } }
    }

    private func backup(_ source: String) throws -> String {
        let lines = try env.expect(0, ["backup", env.path(source), "--json"]).jsonLines
        return try XCTUnwrap(lines.last?["snapshot_id"] as? String)
    }

    private func objects() throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for folder in ["index", "snapshots", "packs", "keys"] {
            let paths = (try? FileManager.default.subpathsOfDirectory(atPath: env.repo + "/" + folder)) ?? []
            result[folder] = paths.filter { ($0 as NSString).lastPathComponent.count == 64 }.map { folder + "/" + $0 }.sorted()
        }
        return result
    }

    /// A new cache directory: the state of a new machine.
    private func freshCache() -> [String: String] {
        caches += 1
        return ["SILO_CACHE_DIR": env.path("cache-\(caches)")]
    }

    private func flipByte(_ key: String, at offset: Int? = nil) throws {
        let path = env.repo + "/" + key
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset ?? data.count / 2] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func expect(_ status: Int32, _ arguments: [String], fresh: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try env.run(arguments, environment: fresh ? freshCache() : ["SILO_CACHE_DIR": env.path("cache-\(caches)")])
        XCTAssertEqual(result.status, status, "silo \(arguments.joined(separator: " ")):\n\(result.stdout)\n\(result.stderr)", file: file, line: line)
        return result.stdout + result.stderr
    }

    private func restoresExactly(_ snapshot: String, _ source: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let target = env.path("out-\(UUID().uuidString)")
        _ = try expect(0, ["restore", snapshot, "--target", target, "-q"], file: file, line: line)
        XCTAssertTrue(contentDigests(env.path(source)) == contentDigests(target + env.path(source)), "restore of \(snapshot)", file: file, line: line)
    }

    private func packCount() throws -> Int { try objects()["packs"]?.count ?? 0 }

    func testDamagedIndexFile() throws {
        try makeRepository()
        let damaged = try XCTUnwrap(addedByB["index"]?.first)
        try flipByte(damaged)

        XCTAssertTrue(try expect(0, ["snapshots"]).contains(damaged), "open warns, naming the file")
        try restoresExactly(snapshotA, "src/a")
        _ = try expect(0, ["backup", env.path("src/a"), "-q"])
        let check = try expect(13, ["check"])
        XCTAssertTrue(check.contains(damaged), check)
        let packs = try packCount()
        XCTAssertTrue(try expect(13, ["prune", "--grace-minutes", "0"]).contains("prune stopped, nothing was deleted"))
        XCTAssertEqual(try packCount(), packs, "a prune that cannot read the index deletes nothing")
        XCTAssertTrue(try expect(0, ["index", "rebuild"]).contains("removed the damaged index file \(damaged)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.repo + "/" + damaged))
        _ = try expect(0, ["check", "--read-data"])
        try restoresExactly(snapshotB, "src/b")
    }

    func testDamagedSnapshot() throws {
        try makeRepository()
        let damaged = try XCTUnwrap(addedByB["snapshots"]?.first)
        try flipByte(damaged)

        let list = try expect(0, ["snapshots"])
        XCTAssertTrue(list.contains(String(snapshotA.prefix(8))) && list.contains(damaged), list)
        try restoresExactly(snapshotA, "src/a")
        _ = try expect(0, ["backup", env.path("src/a"), "-q"])
        XCTAssertTrue(try expect(13, ["check"]).contains(damaged))
        XCTAssertTrue(try expect(13, ["prune"]).contains("repair snapshots"))
        XCTAssertTrue(try expect(0, ["repair", "snapshots"]).contains("removed damaged snapshot \(damaged)"))
        _ = try expect(0, ["check", "--read-data"])
        _ = try expect(0, ["prune", "-q"])
    }

    func testDamagedTree() throws {
        try makeRepository(bHoldsOnlyTrees: true)
        let pack = try XCTUnwrap(addedByB["packs"]?.first)
        try flipByte(pack, at: 20)  // inside the first blob, a tree of B

        _ = try expect(0, ["snapshots"])
        try restoresExactly(snapshotA, "src/a")
        _ = try expect(0, ["backup", env.path("src/a"), "-q"])
        let check = try expect(13, ["check"])
        XCTAssertTrue(check.contains("snapshot \(snapshotB.prefix(8)): tree"), check)
        XCTAssertFalse(check.contains("snapshot \(snapshotA.prefix(8)): tree"), check)
        XCTAssertTrue(try expect(13, ["check", "--read-data"]).contains(String(pack.suffix(64).prefix(8))))
    }

    func testDamagedKeyFileBesideAnotherKey() throws {
        try makeRepository()
        let original = try XCTUnwrap(try objects()["keys"]?.first)
        _ = try env.expect(0, ["key", "add", "-q"], environment: ["SILO_NEW_PASSWORD": "second password"])
        try flipByte(original)

        let second = ["SILO_PASSWORD": "second password"]
        let open = try env.run(["snapshots"], environment: second.merging(freshCache()) { $1 })
        XCTAssertEqual(open.status, 0, open.stderr)
        // The right password for the damaged key: the error says the key file is damaged.
        let first = try env.run(["snapshots"], environment: freshCache())
        XCTAssertTrue(first.stderr.contains(original) && first.stderr.contains("damaged"), first.stderr)
        let check = try env.run(["check"], environment: second.merging(freshCache()) { $1 })
        XCTAssertEqual(check.status, 13)
        XCTAssertTrue(check.stderr.contains(original), check.stderr)
        let id = String(original.suffix(64).prefix(8))
        XCTAssertEqual(try env.run(["key", "remove", id], environment: second).status, 0)
        XCTAssertEqual(try env.run(["check", "-q"], environment: second.merging(freshCache()) { $1 }).status, 0)
    }

    /// The only key damaged: that is said, with the integrity code, not "wrong password".
    func testOnlyKeyFileDamaged() throws {
        try makeRepository()
        let key = try XCTUnwrap(try objects()["keys"]?.first)
        try flipByte(key)
        let result = try expect(13, ["snapshots"])
        XCTAssertTrue(result.contains("is damaged") && !result.contains("wrong password"), result)
    }

    func testDamagedDeletionMarker() throws {
        try makeRepository()
        let marker = "deletions/" + String(repeating: "ab", count: 32)
        try env.write("repo/" + marker, Data("not a marker".utf8))

        XCTAssertTrue(try expect(0, ["snapshots"]).contains(marker))
        _ = try expect(0, ["backup", env.path("src/a"), "--force", "-q"])
        XCTAssertTrue(try expect(13, ["check"]).contains(marker))
        XCTAssertTrue(try expect(0, ["prune"]).contains("removed the damaged deletion marker \(marker)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.repo + "/" + marker))
        _ = try expect(0, ["check"])
    }

    func testDamagedPackTrailer() throws {
        try makeRepository()
        let pack = try XCTUnwrap(addedByB["packs"]?.last)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: env.repo + "/" + pack)[.size] as? Int)
        try flipByte(pack, at: size - 10)  // inside the sealed trailer

        // The index still places every chunk: restores and backups do not need the trailer.
        try restoresExactly(snapshotB, "src/b")
        _ = try expect(0, ["check"])
        let check = try expect(13, ["check", "--read-data"])
        XCTAssertTrue(check.contains("its trailer cannot be read"), check)
        // Without the index, the trailer was the way back: the pack is named as unreadable.
        for key in try objects()["index"] ?? [] { try FileManager.default.removeItem(atPath: env.repo + "/" + key) }
        XCTAssertTrue(try expect(13, ["index", "rebuild"]).contains(String(pack.suffix(64))))
        try restoresExactly(snapshotA, "src/a")
    }

    func testDamagedPackBody() throws {
        try makeRepository()
        let pack = try XCTUnwrap(addedByB["packs"]?.first)
        try flipByte(pack)  // the middle: file data, which fills most of the pack

        try restoresExactly(snapshotA, "src/a")
        let restore = try env.run(["restore", snapshotB, "--target", env.path("outB")], environment: freshCache())
        XCTAssertNotEqual(restore.status, 0)
        XCTAssertTrue(restore.stderr.contains("report.txt"), restore.stderr)
        let check = try expect(13, ["check", "--read-data"])
        XCTAssertTrue(check.contains("snapshot \(snapshotB.prefix(8)): \(env.path("src/b"))/report.txt is affected"), check)
        XCTAssertFalse(check.contains("snapshot \(snapshotA.prefix(8)): "), check)
    }

    /// A truncated catalog, garbage, and another program's SQLite database: each is set aside
    /// and rebuilt, with a message, and `catalog rebuild` completes.
    func testDamagedCatalogIsSetAside() throws {
        try makeRepository()
        let cache = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: env.path("cache")).first)
        let catalog = env.path("cache/\(cache)/catalog.sqlite")
        let damages: [(String, String)] = [
            ("truncated", "python3 -c \"import sqlite3,os; c=sqlite3.connect('\(catalog)'); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close(); os.truncate('\(catalog)', os.path.getsize('\(catalog)') // 2)\""),
            ("garbage", "rm -f '\(catalog)'-wal '\(catalog)'-shm; head -c 40000 /dev/urandom > '\(catalog)'"),
            ("foreign", "rm -f '\(catalog)' '\(catalog)'-wal '\(catalog)'-shm; python3 -c \"import sqlite3; c=sqlite3.connect('\(catalog)'); c.execute('CREATE TABLE index_files(x TEXT)'); c.commit()\""),
        ]
        for (kind, damage) in damages {
            XCTAssertEqual(try env.shell(damage), 0, kind)
            let list = try env.run(["snapshots"])
            XCTAssertEqual(list.status, 0, "\(kind): \(list.stderr)")
            XCTAssertTrue(list.stdout.contains(String(snapshotA.prefix(8))) && list.stdout.contains(String(snapshotB.prefix(8))), kind)
            XCTAssertTrue(list.stderr.contains("set aside as \(catalog).damaged"), "\(kind): \(list.stderr)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: catalog + ".damaged"), kind)
            XCTAssertEqual(try env.run(["catalog", "rebuild", "-q"]).status, 0, kind)
        }
        try restoresExactly(snapshotB, "src/b")
    }

    /// A pack the store cannot read (here a directory where the file was: EISDIR, a storage
    /// error, not damage): the restore exits 3 and its summary counts the files it left out.
    func testRestoreAfterStorageErrorsCountsWhatWasNotRestored() throws {
        try makeRepository()
        let pack = env.repo + "/" + (try XCTUnwrap(addedByB["packs"]?.first))
        try FileManager.default.removeItem(atPath: pack)
        try FileManager.default.createDirectory(atPath: pack, withIntermediateDirectories: false)
        let result = try env.run(["restore", snapshotB, "--target", env.path("outB")])
        XCTAssertEqual(result.status, 3, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("1 file(s) NOT restored"), result.stdout)
        let json = try env.run(["restore", snapshotB, "--target", env.path("outB2"), "--json"])
        let summary = json.jsonLines.last { $0["message_type"] as? String == "summary" }
        XCTAssertEqual(summary?["files_not_restored"] as? Int, 1, json.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("outB") + env.path("src/b/report.txt")), "no partial file under its name")
    }
}
