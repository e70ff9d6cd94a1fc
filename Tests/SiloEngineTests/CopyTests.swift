import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// `copy` at the engine level, where a destination can be made to fail on purpose.
final class CopyTests: XCTestCase {
    private func makeDestination(_ scratch: Scratch) throws -> LocalObjectStore {
        let store = LocalObjectStore(root: scratch.path("destination"))
        // 1 MiB packs: an index file is written every 8 packs, so an interrupted copy leaves some.
        try makeTestRepository(store: store, password: Data("other password".utf8), cacheRoot: scratch.path("destination-cache"),
                               packTargetSize: 1 << 20)
        return store
    }

    private func openDestination(_ scratch: Scratch, _ store: ObjectStore) throws -> Repository {
        try Repository.open(store: store, password: Data("other password".utf8), cacheRoot: scratch.path("destination-cache"))
    }

    /// The destination fails in the middle of a copy; the next copy completes without sending
    /// again the packs that were indexed, and the copy restores byte for byte.
    func testInterruptedCopyResumesWithoutResendingWhatArrived() throws {
        let scratch = try Scratch()
        let source = try scratch.initRepository()
        for i in 0..<8 { try scratch.write("src/media\(i).bin", pseudoRandomBytes(4 << 20, seed: UInt64(i + 1))) }
        try scratch.write("src/notes.txt", textData(50_000, seed: 3))
        let backup = try scratch.backup(source, [scratch.path("src")])
        let destinationStore = try makeDestination(scratch)

        let puts = CallCounter()
        let failing = FaultInjectingStore(destinationStore) { operation, key, _ in
            guard operation == .put, key.hasPrefix("packs/") else { return nil }
            return puts.next() > 17 ? StorageError(.io, key: key, "injected: the destination went away") : nil
        }
        let interrupted = try SnapshotCopier(from: source, to: try openDestination(scratch, failing))
        XCTAssertThrowsError(try interrupted.copy(backup.id, backup.snapshot))
        interrupted.release()
        let afterFailure = try openDestination(scratch, destinationStore)
        XCTAssertTrue(try afterFailure.catalog.snapshots().isEmpty, "no snapshot may appear from a failed copy")
        let arrived = try afterFailure.catalog.totals().chunks
        XCTAssertGreaterThan(arrived, 0, "an index file should have been written before the failure")

        let resumed = try SnapshotCopier(from: source, to: afterFailure)
        let (toCopy, present) = resumed.plan(try source.catalog.snapshots())
        XCTAssertEqual(toCopy.count, 1)
        XCTAssertTrue(present.isEmpty)
        let copiedID = try resumed.copy(backup.id, backup.snapshot)
        resumed.release()
        let total = try source.catalog.totals().chunks
        XCTAssertEqual(resumed.totals.blobsSent + arrived, total, "the resumed copy sends exactly what had not arrived")

        let destination = try openDestination(scratch, destinationStore)
        let copied = try destination.loadSnapshot(copiedID)
        XCTAssertEqual(copied.original, backup.id)
        _ = try scratch.restore(destination, copied, to: scratch.path("out"))
        for i in 0..<8 {
            let name = "src/media\(i).bin"
            XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("out") + scratch.path(name)), pseudoRandomBytes(4 << 20, seed: UInt64(i + 1)))
        }
        XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("out") + scratch.path("src/notes.txt")), textData(50_000, seed: 3))
    }
}
