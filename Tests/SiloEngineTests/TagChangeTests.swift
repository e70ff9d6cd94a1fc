import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// `TagChange`: restic's semantics, and a retagged snapshot written before the old one goes.
final class TagChangeTests: XCTestCase {
    func testSemantics() {
        XCTAssertEqual(TagChange(add: ["b", "c"]).applied(to: ["a", "b"]), ["a", "b", "c"])
        XCTAssertEqual(TagChange(remove: ["a", "x"]).applied(to: ["a", "b"]), ["b"])
        XCTAssertEqual(TagChange(add: ["a"], remove: ["a"]).applied(to: ["a", "b"]), ["b", "a"], "removed, then added")
        XCTAssertEqual(TagChange(set: ["z", "z", "y"]).applied(to: ["a"]), ["z", "y"])
        XCTAssertEqual(TagChange(set: []).applied(to: ["a"]), [])
    }

    func testANewSnapshotIsWrittenBeforeTheOldOneIsRemoved() throws {
        let scratch = try Scratch()
        try scratch.write("src/a.txt", textData(10_000, seed: 1))
        let backup = try scratch.backup(try scratch.initRepository(), [scratch.path("src")])
        // The delete of the old object fails, as a crash after the write would leave it.
        let failing = FaultInjectingStore(LocalObjectStore(root: scratch.repoPath)) { operation, key, _ in
            operation == .delete && key.hasPrefix("snapshots/") ? StorageError(.io, key: key, "injected: the process died here") : nil
        }
        let broken = try Repository.open(store: failing, password: scratch.password, cacheRoot: scratch.cachePath)
        let brokenLease = try broken.takeLease(.backup)
        XCTAssertThrowsError(try TagChange(add: ["keep"]).apply(to: backup.id, backup.snapshot, in: broken, lease: brokenLease))
        brokenLease.release()
        let both = try scratch.open().snapshots()
        XCTAssertEqual(both.count, 2, "the new snapshot was written first; the old one stays")
        XCTAssertEqual(Set(both.map(\.snapshot.tags)), [[], ["keep"]])
        XCTAssertEqual(both.first { $0.id != backup.id }?.snapshot.original, backup.id)
        XCTAssertEqual(Set(both.map(\.snapshot.tree)), [backup.snapshot.tree])

        // Unbroken: the old object goes; a second change keeps the first ID as the original.
        let repository = try scratch.open()
        let lease = try repository.takeLease(.backup)
        defer { lease.release() }
        let retagged = try XCTUnwrap(both.first { $0.id != backup.id })
        try repository.removeSnapshot(backup.id)
        let again = try XCTUnwrap(try TagChange(set: ["monthly"]).apply(to: retagged.id, retagged.snapshot, in: repository, lease: lease))
        XCTAssertEqual(try repository.snapshots().map(\.id), [again.id])
        XCTAssertEqual(again.snapshot.original, backup.id)
        XCTAssertNil(try TagChange(add: ["monthly"]).apply(to: again.id, again.snapshot, in: repository, lease: lease), "already as asked: nothing written")
    }
}
