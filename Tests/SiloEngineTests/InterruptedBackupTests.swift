import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import XCTest

/// The object store fails in the middle of a backup: no snapshot appears, and the next backup
/// reuses what reached an index file instead of sending it again.
final class InterruptedBackupTests: XCTestCase {
    func testNextBackupReusesWhatTheFailedOneIndexed() throws {
        let scratch = try Scratch()
        try scratch.initRepository(packTargetSize: 1 << 20)
        for i in 0..<8 { try scratch.write("src/media\(i).bin", randomData(4 << 20, seed: UInt64(i + 20))) }

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
            XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("out") + scratch.path("src/media\(i).bin")), randomData(4 << 20, seed: UInt64(i + 20)))
        }
    }
}
