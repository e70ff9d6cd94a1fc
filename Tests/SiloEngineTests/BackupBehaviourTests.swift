import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
import XCTest

final class BackupBehaviourTests: XCTestCase {
    /// Unchanged files are not read again: the second backup reads only the changed file and
    /// stores only its new chunks.
    func testUnchangedFilesAreNotRead() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        for i in 0..<20 { try s.write("src/f\(i).txt", textData(50_000 + i, seed: i)) }
        try s.write("src/big.bin", pseudoRandomBytes(3 << 20, seed: 1))
        let first = try s.backup(repository, [s.path("src")])
        XCTAssertEqual(first.snapshot.summary.filesNew, 21)
        XCTAssertEqual(first.snapshot.summary.bytesRead, first.snapshot.summary.totalBytes)

        try s.write("src/f3.txt", textData(60_000, seed: 99))
        let second = try s.backup(repository, [s.path("src")])
        XCTAssertEqual(second.snapshot.parent, first.id)
        XCTAssertEqual(second.snapshot.summary.filesChanged, 1)
        XCTAssertEqual(second.snapshot.summary.filesUnmodified, 20)
        XCTAssertEqual(second.snapshot.summary.bytesRead, 60_000)
        XCTAssertLessThan(second.snapshot.summary.rawBytesAdded, 100_000)

        // Nothing changed: nothing read, only nothing or a tree added.
        let third = try s.backup(repository, [s.path("src")])
        XCTAssertEqual(third.snapshot.summary.bytesRead, 0)
        XCTAssertEqual(third.snapshot.summary.chunksAdded, 0)
        XCTAssertEqual(third.snapshot.tree, second.snapshot.tree)

        // --force reads everything again but stores nothing new.
        let forced = try s.backup(repository, [s.path("src")]) { $0.force = true }
        XCTAssertEqual(forced.snapshot.summary.bytesRead, forced.snapshot.summary.totalBytes)
        XCTAssertEqual(forced.snapshot.summary.chunksAdded, 0)
    }

    /// A file whose chunks are not in the index any more (e.g. the catalog lost them) is read
    /// again rather than referenced blindly.
    /// The totals of a progress line come from a second walk of the sources, made only when
    /// asked for (the command asks when it shows the line).
    func testTotalsAreCountedOnlyWhenAsked() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        for i in 0..<5 { try s.write("src/f\(i).txt", textData(1000 + i, seed: i)) }
        for countTotals in [true, false] {
            var options = BackupOptions(paths: [s.path("src")], host: "testhost")
            options.countTotals = countTotals
            options.force = true
            let progress = BackupProgress()
            _ = try Archiver(repository: repository, options: options, progress: progress).run()
            // The walk runs on its own thread: give it a moment to finish.
            let deadline = Date().addingTimeInterval(10)
            while countTotals && !progress.snapshot.scanDone && Date() < deadline { usleep(10_000) }
            let seen = progress.snapshot
            XCTAssertEqual(seen.scanDone, countTotals)
            XCTAssertEqual(seen.totalFiles, countTotals ? 5 : 0)
            XCTAssertEqual(seen.totalBytes, countTotals ? UInt64(5 * 1000 + 10) : 0)
            XCTAssertEqual(seen.filesDone, 5)
        }
    }

    func testUnchangedFileWithMissingChunksIsReread() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("src/a.txt", textData(10_000, seed: 1))
        _ = try s.backup(repository, [s.path("src")])
        // Remove the index files: the repository no longer knows those chunks.
        for key in try repository.store.list(prefix: ObjectKeys.indexPrefix) { try repository.store.delete(key) }
        let reopened = try s.open()
        let second = try s.backup(reopened, [s.path("src")])
        XCTAssertEqual(second.snapshot.summary.bytesRead, 10_000)
        _ = try s.restore(reopened, second.snapshot, to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/a.txt")), textData(10_000, seed: 1))
    }

    func testDeduplicationAcrossFilesAndSnapshots() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        let payload = pseudoRandomBytes(8 << 20, seed: 5)
        try s.write("src/a.bin", payload)
        try s.write("src/copy-of-a.bin", payload)
        let result = try s.backup(repository, [s.path("src")])
        XCTAssertLessThan(result.snapshot.summary.rawBytesAdded, UInt64(payload.count) + 100_000)
        // An insertion near the start only changes the chunks around it.
        var shifted = Data("inserted bytes".utf8)
        shifted.append(payload)
        try s.write("src/shifted.bin", shifted)
        let second = try s.backup(repository, [s.path("src")])
        XCTAssertLessThan(second.snapshot.summary.rawBytesAdded, 5 << 20, "content-defined chunking should re-sync after an insertion")
    }

    func testExcludesAndIncludes() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("src/keep.txt", Data("keep".utf8))
        try s.write("src/skip.tmp", Data("tmp".utf8))
        try s.write("src/cache/big.dat", Data("cache".utf8))
        try s.write("src/sub/keep2.txt", Data("keep2".utf8))
        let result = try s.backup(repository, [s.path("src")]) { $0.excludes = ["*.tmp", s.path("src/cache")] }
        let walker = TreeWalker(repository: repository)
        var seen: [String] = []
        try walker.walk(result.snapshot.tree) { path, _ in seen.append(path.displayString); return true }
        XCTAssertTrue(seen.contains(s.path("src/keep.txt")))
        XCTAssertTrue(seen.contains(s.path("src/sub/keep2.txt")))
        XCTAssertFalse(seen.contains(s.path("src/skip.tmp")))
        XCTAssertFalse(seen.contains { $0.hasPrefix(s.path("src/cache")) })

        let summary = try s.restore(repository, result.snapshot, to: s.path("out"), includes: [s.path("src/sub")])
        XCTAssertEqual(summary.files, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: s.path("out") + s.path("src/sub/keep2.txt")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.path("out") + s.path("src/keep.txt")))
        XCTAssertThrowsError(try s.restore(repository, result.snapshot, to: s.path("out2"), includes: [s.path("src/nope")]))
    }

    func testSeveralSourcesShareTheirParents() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("srv/app/a.txt", Data("a".utf8))
        try s.write("srv/media/b.txt", Data("b".utf8))
        try s.write("etc/c.conf", Data("c".utf8))
        let result = try s.backup(repository, [s.path("srv/app"), s.path("etc"), s.path("srv/media"), s.path("srv/app/a.txt")])
        XCTAssertEqual(result.snapshot.paths, [s.path("etc"), s.path("srv/app"), s.path("srv/media")])
        _ = try s.restore(repository, result.snapshot, to: s.path("out"))
        for file in ["srv/app/a.txt", "srv/media/b.txt", "etc/c.conf"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: s.path("out") + s.path(file)), file)
        }
    }

    /// A source path that does not exist stops the backup before anything is written
    /// (unreadable files inside a source are warnings: see the CLI tests, which run as nobody).
    func testMissingSourceIsFatal() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        XCTAssertThrowsError(try s.backup(repository, [s.path("does-not-exist")])) { error in
            XCTAssertTrue("\(error)".contains("does-not-exist"), "\(error)")
        }
        XCTAssertEqual(try repository.catalog.snapshots().count, 0)
        XCTAssertEqual(try repository.store.list(prefix: ObjectKeys.snapshotsPrefix), [])
    }

    /// A file that grows while it is read is reported.
    func testFileChangingWhileReadIsReported() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        let path = s.path("src/growing.log")
        try s.write("src/growing.log", textData(64 << 20, seed: 1))
        let stop = LockedFlag()
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: path)!
            while !stop.isSet {
                handle.seekToEndOfFile()
                handle.write(Data("appended line\n".utf8))
                usleep(200)
            }
            handle.closeFile()
        }
        writer.start()
        defer { stop.set() }
        let result = try s.backup(repository, [s.path("src")])
        stop.set()
        XCTAssertTrue(result.warnings.contains { $0.message.contains("changed while being read") }, "\(result.warnings)")
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class DamagedRestoreTests: XCTestCase {
    /// A large file is restored in segments by several workers; a damaged chunk in any segment
    /// must still leave no file behind, while the other files restore.
    func testDamagedChunkInLargeFileLeavesNoFile() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 4 << 20)
        try s.write("src/large.bin", pseudoRandomBytes(24 << 20, seed: 11))
        try s.write("src/small.txt", textData(5000, seed: 2))
        let result = try s.backup(repository, [s.path("src")])
        let walker = TreeWalker(repository: repository)
        let node = try XCTUnwrap(try walker.node(at: ByteString(s.path("src/large.bin")), root: result.snapshot.tree))
        XCTAssertGreaterThan(node.content?.count ?? 0, 8, "the file must be large enough to be restored in segments")
        // Damage a chunk in the middle of the file.
        let victim = try XCTUnwrap(node.content?[node.content!.count / 2])
        let location = try XCTUnwrap(try repository.catalog.location(of: victim))
        try damage(repository, location)

        let summary = try s.restore(repository, result.snapshot, to: s.path("out"))
        XCTAssertTrue(summary.problems.contains { $0.isIntegrityFailure && $0.path.hasSuffix("large.bin") }, "\(summary.problems)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.path("out") + s.path("src/large.bin")))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/small.txt")), textData(5000, seed: 2))
    }
}
