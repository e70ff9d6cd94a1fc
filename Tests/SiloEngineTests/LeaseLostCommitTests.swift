import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// A backup whose lease a prune may have taken for stale never leaves a snapshot behind.
final class LeaseLostCommitTests: XCTestCase {
    func testBackupPausedPastItsLeaseDoesNotCommit() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        // Stands for a backup stopped for longer than the stale time: no refresh comes in time.
        let builder = try SnapshotBuilder(repository: repository, leaseTiming: Lease.Timing(staleAfter: 1.0, refreshEvery: 3600, margin: 0.5))
        let chunk = try builder.storeChunk(pseudoRandomBytes(100_000, seed: 3))
        var node = Node(name: ByteString("file"), type: .file)
        node.content = [chunk]
        let tree = try builder.storeTree(Tree(nodes: [node]))
        usleep(600_000)
        let snapshot = Snapshot(time: 1, host: "h", username: "u", tags: [], paths: ["/x"], tree: tree, parent: nil,
                                program: "test", summary: SnapshotSummary())
        XCTAssertThrowsError(try builder.commit(snapshot)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .leaseLost, "\(error)")
        }
        builder.release()
        XCTAssertEqual(try repository.store.list(prefix: ObjectKeys.snapshotsPrefix), [])
        XCTAssertEqual(try repository.catalog.snapshots().count, 0)
    }
}
