import Foundation
import SiloTestSupport
import XCTest

/// `restore` writes only inside its target: a symbolic link already in the target where the
/// snapshot has a directory is replaced by the directory, never followed (as restic and GNU
/// tar learnt). Otherwise whoever can plant a link in a target (a shared /var/tmp restored in
/// place, an extracted archive) makes a root restore write, and chmod, wherever it points.
final class RestoreTargetTests: XCTestCase {
    /// A directory that must come out of a restore untouched: owned by nobody, mode 0700,
    /// with one file.
    private struct Victim {
        let path: String
        let listing: [String: Data]
        let status: stat

        init(_ path: String) throws {
            self.path = path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            XCTAssertTrue(FileManager.default.createFile(atPath: path + "/keep.txt", contents: Data("keep\n".utf8)))
            XCTAssertEqual(chown(path, 65534, 65534), 0)
            XCTAssertEqual(chmod(path, 0o700), 0)
            listing = contentDigests(path)
            var st = stat()
            XCTAssertEqual(lstat(path, &st), 0)
            status = st
        }

        func assertUntouched(_ what: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(contentDigests(path), listing, "\(what): files written into \(path)", file: file, line: line)
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted(), ["keep.txt"],
                           "\(what): entries made in \(path)", file: file, line: line)
            var st = stat()
            XCTAssertEqual(lstat(path, &st), 0, file: file, line: line)
            XCTAssertEqual(String(st.st_mode, radix: 8), String(status.st_mode, radix: 8), "\(what): mode of \(path) changed", file: file, line: line)
            XCTAssertEqual([st.st_uid, st.st_gid], [65534, 65534], "\(what): owner of \(path) changed", file: file, line: line)
            XCTAssertEqual(st.st_mtim.tv_sec, status.st_mtim.tv_sec, "\(what): mtime of \(path) changed", file: file, line: line)
            XCTAssertEqual(st.st_mtim.tv_nsec, status.st_mtim.tv_nsec, "\(what): mtime of \(path) changed", file: file, line: line)
        }
    }

    /// A snapshot of `src` holding `var/tmp` (mode 1777, like the real one) with files.
    private func prepared() throws -> CLIEnvironment {
        try XCTSkipUnless(geteuid() == 0, "needs root to give the victim directories another owner")
        let env = try CLIEnvironment()
        try env.expect(0, ["init"])
        try env.write("src/var/log.txt", Data("log\n".utf8))
        try env.write("src/var/tmp/a.txt", Data("a\n".utf8))
        try env.write("src/var/tmp/sub/b.txt", pseudoRandomBytes(100_000, seed: 3))
        XCTAssertEqual(chmod(env.path("src/var/tmp"), 0o1777), 0)
        try env.expect(0, ["backup", env.path("src"), "-q"])
        return env
    }

    /// The restored copy of `src/var/tmp` is a real directory with the snapshot's mode and files.
    private func assertRestored(_ env: CLIEnvironment, _ target: String, all: Bool, _ what: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        let restored = target + env.path("src")
        // Every component below the target is a real directory now, the planted link replaced.
        var path = target
        var st = stat()
        for component in (env.path("src") + "/var/tmp").split(separator: "/") {
            path += "/" + component
            XCTAssertEqual(lstat(path, &st), 0, what, file: file, line: line)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFDIR, "\(what): \(path) is not a directory", file: file, line: line)
        }
        XCTAssertEqual(st.st_mode & 0o7777, 0o1777, what, file: file, line: line)
        var expected = contentDigests(env.path("src"))
        if !all { expected["var/log.txt"] = nil }
        XCTAssertEqual(contentDigests(restored), expected, what, file: file, line: line)
    }

    /// `target/…/src/var/tmp` is a link to a directory outside the target, absolute or relative.
    func testALinkWhereTheSnapshotHasADirectoryIsReplacedNotFollowed() throws {
        let env = try prepared()
        for (index, form) in ["absolute", "relative"].enumerated() {
            let victim = try Victim(env.path("victim\(index)"))
            let target = env.path("target\(index)")
            let linkParent = target + env.path("src/var")
            try FileManager.default.createDirectory(atPath: linkParent, withIntermediateDirectories: true)
            let depth = linkParent.split(separator: "/").count
            let link = form == "absolute" ? victim.path : String(repeating: "../", count: depth) + String(victim.path.dropFirst())
            XCTAssertEqual(symlink(link, linkParent + "/tmp"), 0)
            try env.expect(0, ["restore", "latest", "--target", target, "-q"])
            victim.assertUntouched("\(form) link")
            assertRestored(env, target, all: true, "\(form) link")
        }
    }

    /// The link is the target's first component: without care the whole restore goes elsewhere.
    func testALinkAtTheTopOfTheTargetIsReplacedNotFollowed() throws {
        let env = try prepared()
        let elsewhere = try Victim(env.path("elsewhere"))
        let target = env.path("target")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let first = String(env.root.split(separator: "/")[0])
        XCTAssertEqual(symlink(elsewhere.path, target + "/" + first), 0)
        try env.expect(0, ["restore", "latest", "--target", target, "-q"])
        elsewhere.assertUntouched("top-level link")
        assertRestored(env, target, all: true, "top-level link")
    }

    /// The same with `--include`: the directories above the included path are walked too.
    func testIncludeDoesNotFollowALinkEither() throws {
        let env = try prepared()
        let victim = try Victim(env.path("victim"))
        let target = env.path("target")
        try FileManager.default.createDirectory(atPath: target + env.path("src/var"), withIntermediateDirectories: true)
        XCTAssertEqual(symlink(victim.path, target + env.path("src/var/tmp")), 0)
        let elsewhere = try Victim(env.path("elsewhere"))
        try FileManager.default.createDirectory(atPath: env.path("target2"), withIntermediateDirectories: true)
        XCTAssertEqual(symlink(elsewhere.path, env.path("target2") + "/" + String(env.root.split(separator: "/")[0])), 0)
        for (target, what) in [(target, "--include under a nested link"), (env.path("target2"), "--include under a top-level link")] {
            try env.expect(0, ["restore", "latest", "--target", target, "--include", env.path("src/var/tmp"), "-q"])
            assertRestored(env, target, all: false, what)
        }
        victim.assertUntouched("--include under a nested link")
        elsewhere.assertUntouched("--include under a top-level link")
    }

    /// The target itself may be a link: it is the user's choice, followed once.
    func testTheTargetItselfMayBeALink() throws {
        let env = try prepared()
        try FileManager.default.createDirectory(atPath: env.path("real-target"), withIntermediateDirectories: true)
        XCTAssertEqual(symlink(env.path("real-target"), env.path("target")), 0)
        try env.expect(0, ["restore", "latest", "--target", env.path("target"), "-q"])
        assertRestored(env, env.path("real-target"), all: true, "target given as a link")
    }
}
