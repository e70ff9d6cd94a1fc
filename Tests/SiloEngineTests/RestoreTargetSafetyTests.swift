import CLinux
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// What a restore finds in its target does not redirect it: a non-directory where the snapshot
/// has a directory is replaced, and a directory replaced by a link while the restore runs is
/// not written through. (The CLI's RestoreTargetTests plant links before the restore.)
final class RestoreTargetSafetyTests: XCTestCase {
    private func status(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    /// A plain file where the snapshot has a directory used to be kept, given the directory's
    /// mode and times, while the directory's files failed (ENOTDIR).
    func testAFileWhereTheSnapshotHasADirectoryIsReplacedByTheDirectory() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("src/d/x.txt", Data("x\n".utf8))
        try s.write("src/d/e/y.txt", Data("y\n".utf8))
        try s.write("src/top.txt", Data("top\n".utf8))
        try s.write("victim.txt", Data("victim\n".utf8))
        XCTAssertEqual(chmod(s.path("src/d"), 0o750), 0)
        var times = [timespec(tv_sec: 1_500_000_000, tv_nsec: 5), timespec(tv_sec: 1_500_000_000, tv_nsec: 5)]
        XCTAssertEqual(utimensat(AT_FDCWD, s.path("src/d"), &times, 0), 0)
        let snapshot = try s.backup(repository, [s.path("src")]).snapshot

        let out = s.path("out") + s.path("src")
        try s.write("out" + s.path("src/d"), Data("a file in the way\n".utf8))
        XCTAssertEqual(chmod(out + "/d", 0o600), 0)
        // And a link where the snapshot has a file.
        XCTAssertEqual(symlink(s.path("victim.txt"), out + "/top.txt"), 0)

        let summary = try s.restore(repository, snapshot, to: s.path("out"))
        XCTAssertTrue(summary.problems.isEmpty, "\(summary.problems)")
        let d = try XCTUnwrap(status(out + "/d"))
        XCTAssertEqual(d.st_mode & Glibc.S_IFMT, Glibc.S_IFDIR, "the file in the way is now the directory")
        XCTAssertEqual(d.st_mode & 0o7777, 0o750)
        XCTAssertEqual([d.st_mtim.tv_sec, d.st_mtim.tv_nsec], [1_500_000_000, 5])
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/d/x.txt"), Data("x\n".utf8))
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/d/e/y.txt"), Data("y\n".utf8))
        XCTAssertEqual(try XCTUnwrap(status(out + "/top.txt")).st_mode & Glibc.S_IFMT, Glibc.S_IFREG)
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/top.txt"), Data("top\n".utf8))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("victim.txt")), Data("victim\n".utf8))
    }

    /// Between the walk (which made the directories) and the writing of files, `a` is moved
    /// away and a link put in its place to a victim directory that has its own `d`: a path
    /// open of `a/d` now reaches another directory than the walk made, so the files of `d` are
    /// not written (each a problem) and the victim keeps its content and modes.
    func testADirectoryReplacedByALinkDuringTheRestoreIsNotWrittenThrough() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        for i in 0..<20 { try s.write("src/a/d/f\(i).txt", pseudoRandomBytes(1000 + i, seed: UInt64(i))) }
        try s.write("src/ok.txt", Data("fine\n".utf8))
        XCTAssertEqual(chmod(s.path("src/a/d"), 0o1777), 0)
        let snapshot = try s.backup(repository, [s.path("src")]).snapshot
        let victim = s.path("victim")
        try FileManager.default.createDirectory(atPath: victim + "/d", withIntermediateDirectories: true)
        XCTAssertEqual(chmod(victim, 0o700), 0)
        XCTAssertEqual(chmod(victim + "/d", 0o700), 0)

        let a = s.path("out") + s.path("src/a")
        let store = FaultInjectingStore(LocalObjectStore(root: s.repoPath))
        let reads = CallCounter()
        store.setCorruption { key, data in
            if key.hasPrefix("packs/"), reads.next() == 1 {
                XCTAssertEqual(rename(a, a + ".moved"), 0)
                XCTAssertEqual(symlink(victim, a), 0)
            }
            return data
        }
        let observed = try Repository.open(store: store, password: s.password, cacheRoot: s.cachePath)
        let summary = try s.restore(observed, snapshot, to: s.path("out"))

        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: victim), ["d"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: victim + "/d"), [], "files written through the link")
        XCTAssertEqual(try XCTUnwrap(status(victim)).st_mode & 0o7777, 0o700, "the victim's mode changed")
        XCTAssertEqual(try XCTUnwrap(status(victim + "/d")).st_mode & 0o7777, 0o700, "the victim's mode changed")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: a + ".moved/d"), [], "the moved directory is not written either")
        let files = (0..<20).map { a + "/d/f\($0).txt" }
        XCTAssertEqual(Set(summary.problems.map(\.path)), Set(files + [a + "/d", a]), "\(summary.problems)")
        for problem in summary.problems where files.contains(problem.path) {
            XCTAssertTrue(problem.message.contains("changed during the restore"), problem.description)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/ok.txt")), Data("fine\n".utf8))
    }
}
