import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// `check` tests what FORMAT.md §10 promises: for each invariant, one violation planted in an
/// otherwise sound repository, and the error `check` must give for it.
final class CheckerTests: XCTestCase {
    private var s: Scratch!
    private var repository: Repository!
    private var store: LocalObjectStore { LocalObjectStore(root: s.repoPath) }

    override func setUpWithError() throws {
        s = try Scratch()
        repository = try s.initRepository(packTargetSize: 1 << 20)
        try s.write("src/one.bin", pseudoRandomBytes(3_000_000, seed: 1))
        try s.write("src/two.txt", Data(String(repeating: "a line of text\n", count: 20_000).utf8))
        _ = try s.backup(repository, [s.path("src")])
    }

    /// Check on a new machine: a fresh cache, so the catalog is built from the repository.
    private func check(readData: Bool = false) throws -> CheckReport {
        var options = CheckOptions()
        options.readData = readData
        let opened = try s.open(cache: s.path("cache-\(UUID().uuidString)"))
        return try Checker(repository: opened, options: options).run()
    }

    private func assertFinds(_ fragment: String, readData: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try check(readData: readData)
        XCTAssertTrue(report.errors.contains { $0.contains(fragment) }, "no error contains \"\(fragment)\": \(report.errors)", file: file, line: line)
    }

    private func keys(_ prefix: String) throws -> [String] { try store.list(prefix: prefix).sorted() }

    func testASoundRepositoryHasNoErrors() throws {
        XCTAssertEqual(try check(readData: true).errors, [])
    }

    /// 1. A pack is durable before an index file names it: an index naming a pack that is not there.
    func testIndexNamingAPackThatDoesNotExist() throws {
        let ghost = PackID(Crypto.sha256(Data("never written".utf8)))
        let data = IndexFile(packs: [.init(id: ghost, size: 1234, entries: [])]).encode(sealer: repository.sealer)
        try store.put(ObjectKeys.index(IndexID(Crypto.sha256(data))), data: data)
        try assertFinds("pack \(ghost.shortHex) is named by the index but missing")
    }

    /// 2 and 3. A snapshot is written only after what it reaches is indexed: a file whose chunk is in no index.
    func testSnapshotReachingAnUnindexedChunk() throws {
        let builder = try SnapshotBuilder(repository: repository)
        defer { builder.release() }
        let unindexed = ChunkID(Crypto.sha256(Data("never stored".utf8)))
        var node = Node(name: ByteString("lost.bin"), type: .file, mode: 0o644)
        node.content = [unindexed]
        node.size = 10
        let tree = try builder.storeTree(Tree(nodes: [node]))
        _ = try builder.commit(Snapshot(time: 0, host: "h", username: "u", tags: [], paths: ["/"], tree: tree, parent: nil,
                                        program: "test", summary: SnapshotSummary()))
        try assertFinds("/lost.bin needs chunk \(unindexed.shortHex): it is not in the index")
    }

    /// 4. Every object hashes to its name: an index file, a snapshot, a key file and a deletion
    /// marker, each a good object under another name.
    func testObjectsThatDoNotHashToTheirNames() throws {
        let wrong = String(repeating: "0f", count: 32)
        for prefix in [ObjectKeys.indexPrefix, ObjectKeys.snapshotsPrefix, ObjectKeys.keysPrefix] {
            try store.put(prefix + wrong, data: try store.get(try XCTUnwrap(try keys(prefix).first)))
        }
        try store.put("deletions/" + wrong, data: Data("not a marker".utf8))
        let report = try check()
        for key in ["index/" + wrong, "snapshots/" + wrong, "keys/" + wrong, "deletions/" + wrong] {
            XCTAssertTrue(report.errors.contains { $0.contains(key) }, "\(key) not named: \(report.errors)")
        }
    }

    /// 5. A pack the index names has the size it records: a truncated pack, and the files it cost.
    func testTruncatedPackNamesTheFilesItLoses() throws {
        let pack = try XCTUnwrap(try keys(ObjectKeys.packsPrefix).first)
        let path = s.repoPath + "/" + pack
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(truncate(path, off_t(size / 3)), 0)
        let report = try check()
        XCTAssertTrue(report.errors.contains { $0.contains("has \(size / 3) bytes, the index says \(size)") }, "\(report.errors)")
        XCTAssertFalse(report.affected.isEmpty, "a truncated pack must name the files it affects: \(report.errors)")
    }

    /// 6 and 8. Nothing reachable is deleted: a pack gone, and the files that had data only there.
    func testMissingPackNamesTheFilesItHeld() throws {
        // The packs of file data only: with the trees kept, each file is named.
        for pack in try repository.catalog.packs() where try repository.catalog.entries(inPack: pack.id).allSatisfy({ $0.type == .data }) {
            try store.delete(ObjectKeys.pack(pack.id))
        }
        let report = try check()
        XCTAssertTrue(report.errors.contains { $0.contains("is named by the index but missing") })
        XCTAssertTrue(report.affected.contains { $0.path.hasSuffix("/src/one.bin") }, "\(report.affected)")
    }

    /// 7. Every base of an indexed delta stays indexed, whether or not a snapshot reaches the delta.
    func testIndexedDeltaWithoutItsBaseNoSnapshotReaches() throws {
        var dumps: [Snapshot] = []
        for version in 0..<2 {
            dumps.append(try s.backup(repository, []) { options in
                options.streams = [DataStreamSource(path: "/postgres/app.pgdump", profile: .database) {
                    DeltaChunkTests.dump(version: version)
                }]
            }.snapshot)
        }
        let delta = try XCTUnwrap(try repository.catalog.packs().lazy.flatMap { try! self.repository.catalog.entries(inPack: $0.id) }
            .first { $0.compression == .zstdDelta }, "the second dump stores deltas")
        let base = try XCTUnwrap(delta.base)
        let basePack = try XCTUnwrap(try repository.catalog.location(of: base)).pack
        XCTAssertNotEqual(basePack, try repository.catalog.location(of: delta.id)?.pack)
        _ = try repository.rewriteIndex(without: [basePack])
        for key in try keys(ObjectKeys.snapshotsPrefix) { try store.delete(key) }
        try assertFinds("delta chunk \(delta.id.shortHex) is indexed but its base \(base.shortHex) is not")
    }

    /// Trees list names in byte order (lookups use binary search): an unsorted tree is damage.
    func testUnsortedTree() throws {
        let builder = try SnapshotBuilder(repository: repository)
        defer { builder.release() }
        var unsorted = Tree(nodes: [])
        unsorted.nodes = [Node(name: ByteString("b"), type: .dir, mode: 0o755), Node(name: ByteString("a"), type: .dir, mode: 0o755)]
        let tree = try builder.storeTree(unsorted)
        _ = try builder.commit(Snapshot(time: 0, host: "h", username: "u", tags: [], paths: ["/"], tree: tree, parent: nil,
                                        program: "test", summary: SnapshotSummary()))
        try assertFinds("names must be unique and in byte order")
    }

    /// Under --read-data each pack's trailer is laid beside the index: a blob the index lost.
    func testReadDataFindsABlobTheIndexLacks() throws {
        let pack = try XCTUnwrap(try repository.catalog.packs().first { try repository.catalog.entries(inPack: $0.id).count > 1 })
        var entries = try repository.catalog.entries(inPack: pack.id)
        let dropped = entries.removeLast()
        _ = try repository.rewriteIndex(without: [pack.id])
        let data = IndexFile(packs: [.init(id: pack.id, size: pack.size, entries: entries)]).encode(sealer: repository.sealer)
        try store.put(ObjectKeys.index(IndexID(Crypto.sha256(data))), data: data)
        XCTAssertFalse(try check().errors.contains { $0.contains("trailer") }, "without --read-data the trailer is not read")
        try assertFinds("chunk \(dropped.id.shortHex) at offset \(dropped.offset) is in the pack's trailer but not in the index", readData: true)
    }
}
