import Foundation
import SiloTestSupport
import XCTest

/// The backup and restore options restic users reach for: --stdin, --files-from, the
/// --exclude-* family, restore --exclude and restore --verify.
final class BackupOptionTests: XCTestCase {
    /// Runs silo with `input` on its standard input (CLIEnvironment.run gives it /dev/null).
    private func run(_ env: CLIEnvironment, _ arguments: [String], input: Data) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = arguments
        process.environment = env.environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        let writer = Thread { inp.fileHandleForWriting.write(input); try? inp.fileHandleForWriting.close() }
        writer.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Only the paths of the regular files of `root`, relative.
    private func files(_ root: String) -> Set<String> { Set(contentDigests(root).keys) }

    func testStdinBecomesOneFile() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        let dump = text(500_000, seed: 7)
        let result = try run(env, ["backup", "--stdin", "--stdin-filename", "db.sql", "--json"], input: dump)
        XCTAssertEqual(result.status, 0, result.stderr)
        let snapshot = try env.expect(0, ["snapshots", "--json"]).jsonLines.first { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(snapshot?["paths"] as? [String], ["/db.sql"])
        XCTAssertEqual(try env.expect(0, ["dump", "latest", "/db.sql"]).stdout, String(decoding: dump, as: UTF8.self))
        try env.expect(64, ["backup", "--stdin", env.path("x")])
        try env.expect(64, ["backup", "--stdin", "--stdin-filename", "a/b"])
    }

    func testFilesFrom() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a", Data("a".utf8))
        try env.write("src/b", Data("b".utf8))
        try env.write("other/c", Data("c".utf8))
        try env.write("list", Data("# what to back up\n\n\(env.path("src/a"))\n  \(env.path("other"))  \n".utf8))
        try env.expect(0, ["backup", "--files-from", env.path("list"), "-q"])
        let snapshot = try env.expect(0, ["snapshots", "--json"]).jsonLines.first { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(snapshot?["paths"] as? [String], [env.path("other"), env.path("src/a")].sorted())
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertEqual(files(env.path("out")), [String(env.path("other/c").dropFirst()), String(env.path("src/a").dropFirst())])
        XCTAssertNotEqual(try env.run(["backup", "--files-from", env.path("missing")]).status, 0)
    }

    func testExcludeCachesIfPresentAndLargerThan() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/keep.txt", Data("keep".utf8))
        try env.write("src/big.bin", pseudoRandomBytes(2 << 20, seed: 9))
        try env.write("src/cache/CACHEDIR.TAG", Data("Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n".utf8))
        try env.write("src/cache/junk", Data("junk".utf8))
        try env.write("src/fake/CACHEDIR.TAG", Data("not a signature".utf8))
        try env.write("src/fake/data", Data("data".utf8))
        try env.write("src/skipme/.nobackup", Data())
        try env.write("src/skipme/secret", Data("secret".utf8))
        try env.expect(0, ["backup", env.path("src"), "--exclude-caches", "--exclude-if-present", ".nobackup",
                           "--exclude-larger-than", "1M", "-q"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        let prefix = String(env.path("src").dropFirst()) + "/"
        XCTAssertEqual(files(env.path("out")), Set(["keep.txt", "cache/CACHEDIR.TAG", "fake/CACHEDIR.TAG", "fake/data", "skipme/.nobackup"].map { prefix + $0 }))
        XCTAssertEqual(try env.run(["backup", env.path("src"), "--exclude-larger-than", "lots"]).status, 64)
    }

    func testRestoreExcludeAndVerify() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/a.bin", pseudoRandomBytes(3 << 20, seed: 11))
        try env.write("src/b.log", Data("log".utf8))
        try env.write("src/logs/c", Data("c".utf8))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "--exclude", "*.log", "--exclude", env.path("src/logs"), "-q"])
        let prefix = String(env.path("src").dropFirst()) + "/"
        XCTAssertEqual(files(env.path("out")), [prefix + "a.bin"])

        let verified = try env.expect(0, ["restore", "latest", "--target", env.path("v"), "--verify", "--json"])
        let summary = verified.jsonLines.last { $0["message_type"] as? String == "summary" }
        XCTAssertEqual(summary?["verified_files"] as? Int, 3)
        XCTAssertEqual(summary?["verify_mismatches"] as? Int, 0)
    }
}
