import Foundation
import SiloTestSupport
import XCTest

/// The local catalog is a cache: damage in it never changes what is restored, checked or
/// deleted, and it is private to its owner (FORMAT.md §12).
final class CatalogTrustTests: XCTestCase {
    private func catalogPath(_ env: CLIEnvironment) throws -> String {
        let cache = env.path("cache")
        let id = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: cache).first)
        return cache + "/" + id + "/catalog.sqlite"
    }

    /// Runs SQL on the catalog with Python's sqlite3 (as an attacker or a bad disk would).
    private func tamper(_ env: CLIEnvironment, _ sql: String) throws {
        let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"
        XCTAssertEqual(try env.shell("python3 -c '\(script)' '\(try catalogPath(env))' \"\(sql)\""), 0)
    }

    private func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    /// Every cached tree made to hold another tree's content: ls and restore stay exact, and
    /// prune (which judges liveness from trees) deletes nothing the kept snapshot needs.
    func testCachedTreesPointedElsewhereChangeNothing() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        try env.write("old/x.bin", pseudoRandomBytes(1_000_000, seed: 5))
        try env.expect(0, ["backup", env.path("old"), "-q"])
        for i in 0..<3 { try env.write("src/dir\(i)/file.bin", pseudoRandomBytes(1_500_000, seed: UInt64(i + 40))) }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try tamper(env, "UPDATE tree_cache SET body = (SELECT body FROM tree_cache ORDER BY length(body) LIMIT 1);")

        let listing = try env.expect(0, ["ls", "latest", "-R"]).stdout
        XCTAssertTrue(listing.contains("dir2/file.bin"), listing)
        try env.expect(0, ["forget", "--keep-last", "1", "-q"])
        try env.expect(0, ["prune", "--grace-minutes", "0", "-q"])
        try env.expect(0, ["prune", "--grace-minutes", "0", "-q"])
        try env.expect(0, ["check", "--read-data", "-q"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")))
    }

    /// One flipped bit in every cached tree: the restore is exact and check reports the cache.
    func testFlippedBitsInCachedTreesAreCaught() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        for i in 0..<3 { try env.write("src/d\(i)/f\(i).txt", text(50_000, seed: i)) }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        // Flip the low bit of the last byte (mode bits, times or an ID: all would mislead).
        let flip = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); rows=c.execute('SELECT id, body FROM tree_cache').fetchall(); "
            + "[c.execute('UPDATE tree_cache SET body=? WHERE id=?', (b[:-1] + bytes([b[-1] ^ 1]), i)) for i, b in rows]; c.commit()"
        XCTAssertEqual(try env.shell("python3 -c \"\(flip)\" '\(try catalogPath(env))'"), 0)
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")))
        try tamper(env, "UPDATE tree_cache SET body = zeroblob(length(body));")
        let check = try env.expect(0, ["check"])
        XCTAssertTrue(check.stdout.contains("dropped") && check.stdout.contains("local cache"), check.stdout)
    }

    /// Index rows of the catalog pointed at other offsets: check names the catalog (not the
    /// repository) and `catalog rebuild` fixes it.
    func testCheckComparesTheCatalogWithTheIndex() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.bin", pseudoRandomBytes(500_000, seed: 2))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try tamper(env, "UPDATE chunks SET offset = offset + 1;")
        let check = try env.expect(13, ["check"])
        XCTAssertTrue(check.stderr.contains("catalog rebuild"), check.stdout + check.stderr)
        try env.expect(0, ["catalog", "rebuild", "-q"])
        try env.expect(0, ["check", "--read-data", "-q"])
    }

    func testCatalogIsPrivateEvenInALooseFolder() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        let catalog = try catalogPath(env)
        XCTAssertEqual(mode(catalog), 0o600)
        let folder = (catalog as NSString).deletingLastPathComponent
        XCTAssertEqual(chmod(folder, 0o755), 0)
        XCTAssertEqual(chmod(catalog, 0o644), 0)
        try env.expect(0, ["snapshots", "-q"])
        XCTAssertEqual(mode(folder), 0o700)
        XCTAssertEqual(mode(catalog), 0o600)
        if FileManager.default.fileExists(atPath: catalog + "-wal") { XCTAssertEqual(mode(catalog + "-wal"), 0o600) }
    }

    /// The config's id names the cache folder: a path in it is refused before anything is made.
    func testConfigIdThatIsAPathIsRefused() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        let configPath = env.repo + "/config"
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        let escape = "../../escaped-" + UUID().uuidString
        config["id"] = escape
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let result = try env.expect(10, ["snapshots"])
        XCTAssertTrue(result.stderr.contains("config id"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: env.path("cache") + "/" + escape))
    }
}
