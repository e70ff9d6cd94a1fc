import Foundation
import XCTest

/// What `ls` prints: the sources of a snapshot, GNU-style mode strings, owner names.
final class ListingTests: XCTestCase {
    func testSpecialModeBitsAsGNULs() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        for name in ["setuid", "setgid", "setuid-not-executable"] { try env.write("src/\(name)", Data("x\n".utf8)) }
        try FileManager.default.createDirectory(atPath: env.path("src/shared"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: env.path("src/sticky-closed"), withIntermediateDirectories: true)
        let modes = ["setuid": 0o4755, "setgid": 0o2755, "setuid-not-executable": 0o4644, "shared": 0o1777, "sticky-closed": 0o1770]
        for (name, mode) in modes { XCTAssertEqual(chmod(env.path("src/\(name)"), mode_t(mode)), 0) }
        try env.expect(0, ["backup", env.path("src"), "-q"])
        let listing = try env.expect(0, ["ls", "latest", env.path("src"), "-l"]).stdout
        func mode(of name: String) -> String? {
            listing.split(separator: "\n").first { $0.hasSuffix("/src/" + name) || $0.hasSuffix("/src/" + name + "/") }
                .map { String($0.prefix(10)) }
        }
        XCTAssertEqual(mode(of: "setuid"), "-rwsr-xr-x", listing)
        XCTAssertEqual(mode(of: "setgid"), "-rwxr-sr-x", listing)
        XCTAssertEqual(mode(of: "setuid-not-executable"), "-rwSr--r--", listing)
        XCTAssertEqual(mode(of: "shared"), "drwxrwxrwt", listing)
        XCTAssertEqual(mode(of: "sticky-closed"), "drwxrwx--T", listing)
    }

    func testRootListingShowsEverySource() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.write("a/x/one.txt", Data("1\n".utf8))
        try env.write("b/y/two.txt", Data("2\n".utf8))
        try env.write("c.txt", Data("3\n".utf8))
        try env.expect(0, ["backup", env.path("a/x"), env.path("b/y"), env.path("c.txt"), "-q"])
        let root = try env.expect(0, ["ls", "latest"]).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(root, [env.path("a/x") + "/", env.path("b/y") + "/", env.path("c.txt")])
        let json = try env.expect(0, ["ls", "latest", "--json"]).jsonLines.compactMap { $0["path"] as? String }
        XCTAssertEqual(json, [env.path("a/x"), env.path("b/y"), env.path("c.txt")])
        // A path given is listed as before; -R from the root reaches every file.
        XCTAssertEqual(try env.expect(0, ["ls", "latest", env.path("a/x")]).stdout, env.path("a/x/one.txt") + "\n")
        let recursive = try env.expect(0, ["ls", "latest", "-R"]).stdout
        XCTAssertTrue(recursive.contains(env.path("a/x/one.txt")) && recursive.contains(env.path("b/y/two.txt")), recursive)
        let top = try env.expect(0, ["ls", "latest", "/"]).stdout
        XCTAssertEqual(top.split(separator: "\n").count, 1, "the root holds only the first directory of the paths: \(top)")
    }

    /// A stream (standard input here, a database dump in PostgresListingTests) has no file on
    /// disk, yet its owner is named, not given as a number.
    func testStreamNodesShowOwnerNames() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.write("input.sql", Data("SELECT 1;\n".utf8))
        XCTAssertEqual(try env.shell("cd '\(env.root)' && env \(env.environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")) '\(CLIEnvironment.binary)' backup -q --stdin --stdin-filename app.sql < input.sql"), 0)
        let listing = try env.expect(0, ["ls", "latest", "-l"]).stdout
        let owner = try XCTUnwrap(listing.split(separator: " ").dropFirst().first.map(String.init))
        XCTAssertEqual(owner, "\(ListingTests.userName)/\(ListingTests.groupName)", listing)
        XCTAssertTrue(listing.hasSuffix(" /app.sql\n"), listing)
    }

    static var userName: String { getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "?" }
    static var groupName: String { getgrgid(getgid()).map { String(cString: $0.pointee.gr_name) } ?? "?" }
}

/// A database dump in a listing: its path names the database, its owner is named.
final class PostgresListingTests: PostgresCLITestCase {
    func testDumpListing() throws {
        let database = server.createDatabase("silo_listing")
        defer { server.drop([database]) }
        try env.expect(0, ["backup", "-q", "--postgres", server.url(database)])
        XCTAssertEqual(try env.expect(0, ["ls", "latest"]).stdout, "/postgres/\n")
        let listing = try env.expect(0, ["ls", "latest", "-l", "-R"]).stdout
        let owner = "\(ListingTests.userName)/\(ListingTests.groupName)"
        for path in ["/postgres/", "/postgres/\(database)/", "/postgres/\(database)/dump.pgc", "/postgres/\(database)/manifest.json", "/postgres/globals.sql"] {
            let line = listing.split(separator: "\n").first { $0.hasSuffix(" " + path) }
            XCTAssertNotNil(line, "\(path) missing:\n\(listing)")
            XCTAssertEqual(line?.split(separator: " ").dropFirst().first.map(String.init), owner, listing)
        }
    }
}
