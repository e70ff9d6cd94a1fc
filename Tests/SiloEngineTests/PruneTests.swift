import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
import XCTest

final class PruneTests: XCTestCase {
    private func prune(_ repository: Repository) throws -> PruneReport {
        var options = PruneOptions()
        options.grace = 0
        return try Pruner(repository: repository, options: options).run()
    }

    private func packBytes(_ s: Scratch) throws -> Int {
        try FileManager.default.subpathsOfDirectory(atPath: s.repoPath + "/packs").reduce(0) { total, relative in
            let attributes = try FileManager.default.attributesOfItem(atPath: s.repoPath + "/packs/" + relative)
            return total + ((attributes[.type] as? FileAttributeType) == .typeRegular ? (attributes[.size] as? Int ?? 0) : 0)
        }
    }

    /// Forgotten data is marked by one prune and, as a backup is running then, deleted by the
    /// next once it has ended; what is kept restores.
    func testTwoPhaseCollection() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        try s.write("src/keep.bin", pseudoRandomBytes(2 << 20, seed: 1))
        var ids: [SnapshotID] = []
        for day in 0..<4 {
            try s.write("src/day.bin", pseudoRandomBytes(3 << 20, seed: UInt64(100 + day)))
            ids.append(try s.backup(repository, [s.path("src")], time: Date(timeIntervalSince1970: Double(1_700_000_000 + day * 86400))).id)
        }
        let before = try packBytes(s)
        for id in ids.dropLast() { try repository.removeSnapshot(id) }

        let running = try repository.takeLease(.backup)  // a backup that may use what is marked
        let first = try prune(repository)
        XCTAssertEqual(first.packsDeleted, 0, "the first prune only marks")
        XCTAssertGreaterThan(first.packsMarked, 0)
        XCTAssertEqual(first.packsWaiting, first.packsMarked)
        XCTAssertEqual(first.waitReasons, [.backupRunning])
        XCTAssertGreaterThanOrEqual(try packBytes(s), before, "nothing is deleted by the run that marks (repacking may add)")
        running.release()
        let second = try prune(repository)
        XCTAssertGreaterThan(second.packsDeleted, 0)
        XCTAssertGreaterThan(second.bytesFreed, 8 << 20)
        // What is left is close to a fresh backup of the kept data (5 MiB of random content).
        XCTAssertLessThan(try packBytes(s), (5 << 20) + (1 << 20))
        // The catalog, updated in place by prune, says what one rebuilt from the repository says.
        XCTAssertEqual(try repository.catalog.contentDump(), try s.open(cache: s.path("fresh-cache")).catalog.contentDump())

        let report = try Checker(repository: try s.open(), options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(report.isClean, "\(report.errors)")
        let latest = try repository.loadSnapshot(ids.last!)
        _ = try s.restore(repository, latest, to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/day.bin")), pseudoRandomBytes(3 << 20, seed: 103))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/keep.bin")), pseudoRandomBytes(2 << 20, seed: 1))
    }

    /// The live set of one prune serves the next only while the snapshots are the same: a
    /// forgotten or a new snapshot makes the next prune walk them again.
    func testLiveSetIsReusedOnlyForTheSameSnapshots() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        var ids: [SnapshotID] = []
        for day in 0..<3 {
            try s.write("src/day\(day).txt", textData(300_000, seed: day))
            ids.append(try s.backup(repository, [s.path("src")], time: Date(timeIntervalSince1970: Double(1_700_000_000 + day * 86400))).id)
        }
        let first = try prune(repository)
        let again = try prune(repository)
        XCTAssertEqual(again.liveChunks, first.liveChunks)

        try repository.removeSnapshot(ids[2])
        let afterForget = try prune(repository)
        XCTAssertLessThan(afterForget.liveChunks, first.liveChunks, "a forgotten snapshot's own chunks are no longer live")

        try s.write("src/new.bin", pseudoRandomBytes(2 << 20, seed: 77))
        _ = try s.backup(repository, [s.path("src")], time: Date(timeIntervalSince1970: 1_700_500_000))
        let afterBackup = try prune(repository)
        XCTAssertGreaterThan(afterBackup.liveChunks, afterForget.liveChunks, "a new snapshot's chunks are live")
        let report = try Checker(repository: try s.open(), options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(report.isClean, "\(report.errors)")
    }

    /// With nothing running, one prune marks and deletes (FORMAT.md §11, "Sweep at once"),
    /// whatever the grace period: the leases, read after the mark, show no backup.
    func testOnePruneFreesTheSpaceWhenNothingRuns() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        try s.write("src/keep.bin", pseudoRandomBytes(2 << 20, seed: 1))
        var ids: [SnapshotID] = []
        for day in 0..<4 {
            try s.write("src/day.bin", pseudoRandomBytes(3 << 20, seed: UInt64(100 + day)))
            ids.append(try s.backup(repository, [s.path("src")], time: Date(timeIntervalSince1970: Double(1_700_000_000 + day * 86400))).id)
        }
        let before = try packBytes(s)
        for id in ids.dropLast() { try repository.removeSnapshot(id) }
        let report = try Pruner(repository: repository, options: PruneOptions()).run()  // the default grace of 10 minutes
        XCTAssertGreaterThan(report.packsMarked, 0)
        XCTAssertEqual(report.packsDeletedNow, report.packsMarked)
        XCTAssertEqual(report.packsWaiting, 0)
        XCTAssertGreaterThan(report.bytesFreedNow, 8 << 20)
        XCTAssertLessThan(try packBytes(s), (5 << 20) + (1 << 20), "from \(before) bytes")
        XCTAssertEqual(try repository.deletionMarkers().count, 0)
        XCTAssertEqual(try repository.catalog.contentDump(), try s.open(cache: s.path("fresh-cache")).catalog.contentDump())
        let check = try Checker(repository: try s.open(), options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(check.isClean, "\(check.errors)")
        _ = try s.restore(repository, try repository.loadSnapshot(ids.last!), to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/day.bin")), pseudoRandomBytes(3 << 20, seed: 103))
    }

    /// A backup that started before packs were marked may still use them: they are deleted only
    /// after it ends. A backup that starts after the mark does not use them.
    func testMarkedPacksWaitForEarlierBackupsAndAreNotReused() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        let content = pseudoRandomBytes(3 << 20, seed: 7)
        try s.write("src/a.bin", content)
        let old = try s.backup(repository, [s.path("src")]).id
        try FileManager.default.removeItem(atPath: s.path("src/a.bin"))
        try s.write("src/b.txt", Data("b".utf8))
        _ = try s.backup(repository, [s.path("src")])
        try repository.removeSnapshot(old)

        let earlyBackup = try repository.takeLease(.backup)  // stands for a backup running since before the mark
        XCTAssertGreaterThan(try prune(repository).packsMarked, 0)
        let waiting = try prune(repository)
        XCTAssertEqual(waiting.packsDeleted, 0, "a backup that started before the mark is still running")
        XCTAssertGreaterThan(waiting.packsWaiting, 0)

        // A new backup of the same content writes it again instead of relying on marked packs.
        try s.write("src/a.bin", content)
        let again = try s.backup(repository, [s.path("src")])
        XCTAssertGreaterThanOrEqual(again.snapshot.summary.rawBytesAdded, UInt64(content.count))

        earlyBackup.release()
        let sweep = try prune(repository)
        XCTAssertGreaterThan(sweep.packsDeleted, 0)
        _ = try s.restore(repository, again.snapshot, to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/a.bin")), content)
        var options = CheckOptions()
        options.readData = true
        XCTAssertTrue(try Checker(repository: try s.open(), options: options).run().isClean)
    }

    /// A marked pack that a backup (started before the mark) came to rely on is kept.
    func testMarkedPackInUseAgainIsKept() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        let content = pseudoRandomBytes(3 << 20, seed: 9)
        try s.write("src/a.bin", content)
        let old = try s.backup(repository, [s.path("src")]).id
        try repository.removeSnapshot(old)
        // The backup's catalog view is taken before the mark, like a backup already running.
        var options = BackupOptions(paths: [s.path("src")], host: "testhost")
        options.force = true
        let archiver = try Archiver(repository: repository, options: options)
        XCTAssertGreaterThan(try prune(repository).packsMarked, 0)
        let result = try archiver.run()
        XCTAssertLessThan(result.snapshot.summary.rawBytesAdded, 100_000, "it deduplicated against the soon-marked packs")
        let second = try prune(repository)
        XCTAssertGreaterThan(second.packsRevived, 0)
        XCTAssertEqual(second.packsDeleted, 0)
        _ = try s.restore(repository, result.snapshot, to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/a.bin")), content)
    }

    /// Packs mostly dead are repacked: their live chunks move to new packs.
    func testRepackOfMostlyDeadPacks() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 8 << 20)
        for i in 0..<6 { try s.write("src/f\(i).bin", pseudoRandomBytes(1 << 20, seed: UInt64(i + 20))) }
        let first = try s.backup(repository, [s.path("src")]).id
        for i in 1..<6 { try FileManager.default.removeItem(atPath: s.path("src/f\(i).bin")) }
        let kept = try s.backup(repository, [s.path("src")])
        try repository.removeSnapshot(first)
        let report = try prune(repository)
        XCTAssertGreaterThan(report.packsRepacked, 0)
        _ = try prune(repository)
        XCTAssertLessThan(try packBytes(s), 3 << 20)
        _ = try s.restore(repository, kept.snapshot, to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/f0.bin")), pseudoRandomBytes(1 << 20, seed: 20))
    }

    /// Small, fully live packs are not "mostly dead" because of their header and trailer: once
    /// the forgotten data is gone, further prunes find nothing to mark or repack.
    func testRepeatedPrunesConvergeOnSmallPacks() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        var ids: [SnapshotID] = []
        for batch in 0..<8 {
            for file in 0..<40 { try s.write("src/b\(batch)/f\(file)", pseudoRandomBytes(64, seed: UInt64(batch * 1000 + file))) }
            ids.append(try s.backup(repository, [s.path("src")]).id)
            try FileManager.default.removeItem(atPath: s.path("src/b\(batch)"))
        }
        let before = try packBytes(s)
        for id in ids.prefix(4) { try repository.removeSnapshot(id) }
        let sweep = try prune(repository)  // marks and, with nothing running, deletes
        XCTAssertGreaterThan(sweep.packsDeleted, 0)
        XCTAssertEqual(sweep.packsRepacked, 0, "packs of kept snapshots are fully live")
        let third = try prune(repository)
        XCTAssertEqual(third.packsMarked, 0)
        XCTAssertEqual(third.packsRepacked, 0)
        XCTAssertEqual(third.packsDeleted, 0)
        XCTAssertLessThan(try packBytes(s), before * 3 / 4, "the forgotten half is freed")
        let kept = try repository.loadSnapshot(ids[5])
        _ = try s.restore(repository, kept, to: s.path("out"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/b5/f7")), pseudoRandomBytes(64, seed: 5007))
    }
}
