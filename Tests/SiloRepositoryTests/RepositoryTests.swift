import Foundation
import SiloFormat
@testable import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

final class RepositoryTests: XCTestCase {
    var root = ""
    let password = Data("pw".utf8)

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "silo-repo-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func makeRepository(store: ObjectStore? = nil) throws -> Repository {
        try makeTestRepository(root: root, password: password, store: store, packTargetSize: 1 << 20)
    }

    /// Writes `count` random blobs and a snapshot naming a tree of them.
    @discardableResult
    func writeSomething(_ repository: Repository, count: Int, seed: UInt64) throws -> SnapshotID {
        let writer = try BlobWriter(repository: repository)
        var ids: [ChunkID] = []
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<count {
            let data = Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let blob = repository.codec.encode(data, type: .data)
            if try writer.claim(blob.id) { try writer.add(blob) }
            ids.append(blob.id)
        }
        var node = Node(name: ByteString("file"), type: .file)
        node.content = ids
        node.size = UInt64(count * 100_000)
        let treeBlob = repository.codec.encode(Tree(nodes: [node]).encoded(), type: .tree)
        if try writer.claim(treeBlob.id) { try writer.add(treeBlob) }
        try writer.flush()
        let snapshot = Snapshot(time: Int64(seed), host: "h", username: "u", tags: [], paths: ["/x"], tree: treeBlob.id,
                                parent: nil, program: "test", summary: SnapshotSummary())
        return try repository.saveSnapshot(snapshot)
    }

    /// `catalog rebuild` — and a catalog deleted outright — recreate the same content from the
    /// repository alone.
    func testCatalogRebuildIsFaithful() throws {
        let repository = try makeRepository()
        for seed in 1...3 { try writeSomething(repository, count: 25, seed: UInt64(seed)) }
        let before = try repository.catalog.contentDump()
        XCTAssertGreaterThan(before.filter { $0.hasPrefix("chunk ") }.count, 70)
        XCTAssertEqual(before.filter { $0.hasPrefix("snapshot ") }.count, 3)

        try repository.rebuildCatalog()
        XCTAssertEqual(try repository.catalog.contentDump(), before)

        try FileManager.default.removeItem(atPath: root + "/cache")
        let reopened = try Repository.open(store: LocalObjectStore(root: root + "/repo"), password: password, cacheRoot: root + "/cache")
        XCTAssertEqual(try reopened.catalog.contentDump(), before)
        XCTAssertEqual(try reopened.catalog.snapshots().count, 3)
    }

    /// A catalog made before `packs.chunk_bytes` existed (migration 0005) gains the column,
    /// filled from its chunk rows, with the values a new catalog computes from index files.
    func testMigrationFillsPackChunkBytes() throws {
        var repository: Repository? = try makeRepository()
        for seed in 1...2 { try writeSomething(repository!, count: 20, seed: UInt64(seed)) }
        let before = try repository!.catalog.contentDump()
        let packs = before.filter { $0.hasPrefix("pack ") }
        XCTAssertFalse(packs.isEmpty)
        XCTAssertFalse(packs.contains { $0.hasSuffix(" 0") }, "every pack has chunk bytes")
        repository = nil

        let name = try XCTUnwrap(try FileManager.default.subpathsOfDirectory(atPath: root + "/cache").first { $0.hasSuffix("catalog.sqlite") })
        do {
            let db = try SQLiteDatabase(path: root + "/cache/" + name)
            try db.execute("ALTER TABLE packs DROP COLUMN chunk_bytes; DELETE FROM migrations WHERE name = '0005-pack-chunk-bytes';")
        }
        let reopened = try Repository.open(store: LocalObjectStore(root: root + "/repo"), password: password, cacheRoot: root + "/cache")
        XCTAssertEqual(try reopened.catalog.contentDump(), before)
    }

    /// Another client's snapshot and index appear in this catalog on the next open.
    func testCatalogSyncsWithOtherClients() throws {
        let repository = try makeRepository()
        try writeSomething(repository, count: 3, seed: 1)
        let other = try Repository.open(store: LocalObjectStore(root: root + "/repo"), password: password, cacheRoot: root + "/other-cache")
        let id = try writeSomething(other, count: 3, seed: 2)
        try repository.syncCatalog()
        XCTAssertTrue(try repository.catalog.knownSnapshots().contains(id))
        let snapshot = try repository.loadSnapshot(id)
        XCTAssertNoThrow(try repository.loadTree(snapshot.tree))
    }

    /// Write order: when the index file cannot be written, the catalog must not learn of the
    /// chunks, so no later backup deduplicates against data the repository does not index.
    func testFailedIndexWriteLeavesCatalogUntouched() throws {
        let store = FaultInjectingStore(LocalObjectStore(root: root + "/repo"))
        let repository = try makeRepository(store: store)
        store.setRule { operation, key, _ in
            operation == .put && key.hasPrefix("index/") ? StorageError(.noSpace, key: key, "injected") : nil
        }
        XCTAssertThrowsError(try writeSomething(repository, count: 5, seed: 9)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .noSpace, "\(error)")
        }
        XCTAssertEqual(try repository.catalog.totals().chunks, 0)
        XCTAssertEqual(try repository.catalog.snapshots().count, 0)
        XCTAssertEqual(try store.list(prefix: ObjectKeys.snapshotsPrefix), [])
    }

    func testKeysAddListRemove() throws {
        let repository = try makeRepository()
        let second = try repository.addKey(password: Data("second".utf8), scryptN: 1 << 10)
        XCTAssertEqual(try repository.listKeys().count, 2)
        let viaSecond = try Repository.open(store: repository.store, password: Data("second".utf8), cacheRoot: root + "/cache")
        XCTAssertEqual(viaSecond.openedKey, second)
        XCTAssertEqual(viaSecond.keys, repository.keys, "every key opens the same master keys")
        // The key in use cannot be removed; the other one can.
        XCTAssertThrowsError(try viaSecond.removeKey(second.hex))
        try viaSecond.removeKey(repository.openedKey!.hex)
        XCTAssertThrowsError(try Repository.open(store: repository.store, password: password, cacheRoot: root + "/cache")) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .wrongPassword)
        }
        XCTAssertNoThrow(try Repository.open(store: repository.store, password: Data("second".utf8), cacheRoot: root + "/cache"))
    }

    func testRepositoryFilesArePrivate() throws {
        let repository = try makeRepository()
        try writeSomething(repository, count: 2, seed: 3)
        let repo = root + "/repo"
        for relative in try FileManager.default.subpathsOfDirectory(atPath: repo) {
            var st = stat()
            XCTAssertEqual(lstat(repo + "/" + relative, &st), 0)
            let mode = st.st_mode & 0o777
            if st.st_mode & S_IFMT == S_IFDIR { XCTAssertEqual(mode, 0o700, relative) } else { XCTAssertEqual(mode, 0o600, relative) }
        }
    }

    func testDamagedSnapshotObjectIsDetected() throws {
        let repository = try makeRepository()
        let id = try writeSomething(repository, count: 1, seed: 4)
        let key = ObjectKeys.snapshot(id)
        var data = try repository.store.get(key)
        data[data.count / 2] ^= 1
        try repository.store.put(key, data: data)
        XCTAssertThrowsError(try repository.loadSnapshot(id)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .integrity)
        }
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}
