import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// The object store fails in the middle of a backup: no snapshot appears, and the next backup
/// reuses what reached an index file instead of sending it again.
final class InterruptedBackupTests: XCTestCase {
    func testNextBackupReusesWhatTheFailedOneIndexed() throws {
        let scratch = try Scratch()
        try scratch.initRepository(packTargetSize: 1 << 20)
        for i in 0..<8 { try scratch.write("src/media\(i).bin", pseudoRandomBytes(4 << 20, seed: UInt64(i + 20))) }

        let puts = CallCounter()
        let failing = FaultInjectingStore(LocalObjectStore(root: scratch.repoPath)) { operation, key, _ in
            guard operation == .put, key.hasPrefix("packs/") else { return nil }
            return puts.next() > 17 ? StorageError(.io, key: key, "injected: the object store went away") : nil
        }
        let broken = try Repository.open(store: failing, password: scratch.password, cacheRoot: scratch.cachePath)
        XCTAssertThrowsError(try scratch.backup(broken, [scratch.path("src")]))

        let repository = try scratch.open()
        XCTAssertTrue(try repository.catalog.snapshots().isEmpty, "no snapshot from a failed backup")
        let indexed = try repository.catalog.totals().chunks
        XCTAssertGreaterThan(indexed, 0, "an index file was written before the failure")
        let result = try scratch.backup(repository, [scratch.path("src")])
        let total = try repository.catalog.totals().chunks
        XCTAssertEqual(result.snapshot.summary.chunksAdded, total - indexed, "only what no index named is sent again")
        _ = try scratch.restore(repository, result.snapshot, to: scratch.path("out"))
        for i in 0..<8 {
            XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("out") + scratch.path("src/media\(i).bin")), pseudoRandomBytes(4 << 20, seed: UInt64(i + 20)))
        }
    }

    /// A backup that runs out of space says exactly what it leaves: the packs it finished, and
    /// how many of them an index names; never that nothing was kept.
    func testFailedBackupSaysWhatItLeaves() throws {
        let scratch = try Scratch()
        try scratch.initRepository(packTargetSize: 1 << 20)
        // 64 MiB: chunk sizes depend on the repository's random chunker key, and 32 MiB came to
        // as few as 19 packs, so the 21st put, which fails, never came.
        for i in 0..<16 { try scratch.write("src/media\(i).bin", pseudoRandomBytes(4 << 20, seed: UInt64(i + 40))) }
        let puts = CallCounter()
        let full = FaultInjectingStore(LocalObjectStore(root: scratch.repoPath)) { operation, key, _ in
            guard operation == .put, key.hasPrefix("packs/") else { return nil }
            return puts.next() > 20 ? StorageError(.noSpace, key: key, "injected") : nil
        }
        let broken = try Repository.open(store: full, password: scratch.password, cacheRoot: scratch.cachePath)
        XCTAssertThrowsError(try scratch.backup(broken, [scratch.path("src")])) { error in
            let message = "\(error)"
            let store = LocalObjectStore(root: scratch.repoPath)
            let packs = (try? store.list(prefix: ObjectKeys.packsPrefix).count) ?? -1
            let indexed = (try? scratch.open().catalog.totals().packs) ?? -1
            XCTAssertGreaterThan(indexed, 0, "an index file was written before the failure")
            XCTAssertGreaterThan(packs, indexed, "some packs were finished after the last index file")
            XCTAssertEqual((error as? RepositoryError)?.code, .noSpace, message)
            XCTAssertTrue(message.contains("the \(packs) pack(s) this run had finished stay in the repository (\(indexed) indexed, which a later backup reuses)"), message)
            XCTAssertFalse(message.contains("nothing partial"), message)
        }
    }
}
