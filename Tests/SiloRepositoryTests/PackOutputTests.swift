import Foundation
import SiloFormat
@testable import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// How packs reach the store: in pieces to a store that takes uploads (never whole in memory),
/// whole to one that does not; either way named by the hash of their bytes and read back exactly.
final class PackOutputTests: XCTestCase {
    var root = ""
    let password = Data("pw".utf8)

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "silo-pack-output-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func makeRepository(_ store: ObjectStore) throws -> Repository {
        try makeTestRepository(root: root, password: password, store: store, packTargetSize: 8 << 20)
    }

    /// Random blobs from 1 byte to 3 MiB (several packs of several pieces); returns their plaintext.
    private func writeBlobs(_ repository: Repository) throws -> [ChunkID: Data] {
        let writer = try BlobWriter(repository: repository)
        var written: [ChunkID: Data] = [:]
        var generator = SeededGenerator(seed: 5)
        for size in [1, 100_000, 3 << 20, 70_000, 2 << 20, 1 << 20, 5000, 3 << 20, 900_000, 3 << 20, 3 << 20, 12] {
            var data = Data(count: size)
            data.withUnsafeMutableBytes { raw in
                for offset in stride(from: 0, to: size, by: 8) {
                    withUnsafeBytes(of: generator.next()) { word in
                        raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: min(8, size - offset))
                    }
                }
            }
            let blob = repository.codec.encode(data, type: .data)
            if try writer.claim(blob.id) { try writer.add(blob) }
            written[blob.id] = data
        }
        try writer.flush()
        return written
    }

    /// Every pack object is named by the SHA-256 of its bytes, and every blob reads back.
    private func verify(_ repository: Repository, _ written: [ChunkID: Data], file: StaticString = #filePath, line: UInt = #line) throws {
        let packs = try repository.store.list(prefix: "packs/")
        XCTAssertGreaterThan(packs.count, 1, "several packs", file: file, line: line)
        for key in packs {
            let bytes = try repository.store.get(key)
            XCTAssertEqual(key, ObjectKeys.pack(PackID(Crypto.sha256(bytes))), file: file, line: line)
        }
        for (id, data) in written {
            XCTAssertEqual(try repository.loadBlob(id), data, "blob \(id.shortHex)", file: file, line: line)
        }
    }

    func testPacksReachALocalStoreInPieces() throws {
        let store = RecordingStore(LocalObjectStore(root: root + "/repo"), acceptsUploads: true)
        let repository = try makeRepository(store)
        let written = try writeBlobs(repository)
        try verify(repository, written)
        let pieces = store.appendedPieces
        XCTAssertFalse(store.puts.contains { $0.hasPrefix("packs/") }, "packs go through uploads: \(store.puts)")
        XCTAssertGreaterThan(pieces.count, 2 * store.finished.count, "packs arrive in several pieces")
        XCTAssertLessThanOrEqual(pieces.max() ?? 0, PackOutput.defaultPieceSize, "no piece larger than the piece size")
        XCTAssertEqual(store.finished.count, try repository.store.list(prefix: "packs/").count)
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testPacksReachOtherStoresWhole() throws {
        let store = RecordingStore(LocalObjectStore(root: root + "/repo"), acceptsUploads: false)
        let repository = try makeRepository(store)
        let written = try writeBlobs(repository)
        try verify(repository, written)
        XCTAssertEqual(store.appendedPieces, [])
        XCTAssertEqual(store.puts.filter { $0.hasPrefix("packs/") }.count, try repository.store.list(prefix: "packs/").count)
        XCTAssertGreaterThanOrEqual(store.mostPackPutsAtOnce, 2, "a remote store gets several packs at once")
    }

    /// A pack whose upload fails leaves no pack and no temporary file, fails the writer, and
    /// the next writer stores everything.
    func testFailedUploadLeavesNothingAndTheNextWriterSucceeds() throws {
        let store = FaultInjectingStore(LocalObjectStore(root: root + "/repo"))
        let repository = try makeRepository(store)
        store.setRule { operation, key, _ in
            operation == .put && key.hasPrefix("packs/") ? StorageError(.noSpace, key: key, "injected") : nil
        }
        XCTAssertThrowsError(try writeBlobs(repository)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .noSpace, "\(error)")
        }
        XCTAssertEqual(try store.list(prefix: "packs/"), [])
        XCTAssertEqual(try temporaryFiles(), [])
        XCTAssertEqual(try repository.catalog.totals().chunks, 0)
        store.setRule { _, _, _ in nil }
        try verify(repository, try writeBlobs(repository))
    }

    /// A whole pack that fails to go up fails the writer, and no index file names what the
    /// others stored.
    func testFailedWholePackFailsTheWriter() throws {
        let store = RecordingStore(LocalObjectStore(root: root + "/repo"), acceptsUploads: false)
        let repository = try makeRepository(store)
        store.failPackPuts = true
        XCTAssertThrowsError(try writeBlobs(repository)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .noSpace, "\(error)")
        }
        XCTAssertEqual(try store.list(prefix: "index/"), [])
        XCTAssertEqual(try repository.catalog.totals().chunks, 0)
        store.failPackPuts = false
        try verify(repository, try writeBlobs(repository))
    }

    private func temporaryFiles() throws -> [String] {
        let entries = FileManager.default.enumerator(atPath: root + "/repo")?.allObjects as? [String] ?? []
        return entries.filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
    }
}

/// Passes everything to a local store and records how objects arrive. Observation only: the
/// bytes are the local store's.
private final class RecordingStore: ObjectStore, @unchecked Sendable {
    private let base: LocalObjectStore
    let acceptsUploads: Bool
    private let lock = NSLock()
    private var pieces: [Int] = []
    private var putKeys: [String] = []
    private var finishedKeys: [String] = []
    private var failing = false
    private var packPutsNow = 0
    private var packPutsMost = 0
    private var packPutsSeen = 0
    private let secondPackBegan = DispatchSemaphore(value: 0)
    var mostPackPutsAtOnce: Int { lock.withLock { packPutsMost } }
    /// Every second pack `put` fails with "no space" while set.
    var failPackPuts: Bool {
        get { lock.withLock { failing } }
        set { lock.withLock { failing = newValue } }
    }

    init(_ base: LocalObjectStore, acceptsUploads: Bool) {
        self.base = base
        self.acceptsUploads = acceptsUploads
    }

    var appendedPieces: [Int] { lock.withLock { pieces } }
    var puts: [String] { lock.withLock { putKeys } }
    var finished: [String] { lock.withLock { finishedKeys } }

    var location: String { base.location }
    func put(_ key: String, data: Data) throws {
        let fail = lock.withLock { () -> Bool in
            putKeys.append(key)
            return failing && key.hasPrefix("packs/") && putKeys.count % 2 == 0
        }
        if fail {
            secondPackBegan.signal()  // a failed put ends the wait too: no second pack may come
            throw StorageError(.noSpace, key: key, "injected")
        }
        guard key.hasPrefix("packs/") else { return try base.put(key, data: data) }
        // The first pack's put waits (up to 10 s) for a second one to begin: a writer that
        // uploads packs at once gets there in no time, one that uploads them in turn does not
        // (and the test sees one at a time). No sleep decides the outcome.
        let (first, seen) = lock.withLock { () -> (Bool, Int) in
            packPutsNow += 1
            packPutsSeen += 1
            packPutsMost = max(packPutsMost, packPutsNow)
            return (packPutsSeen == 1, packPutsSeen)
        }
        defer { lock.withLock { packPutsNow -= 1 } }
        if first { _ = secondPackBegan.wait(timeout: .now() + 10) } else if seen == 2 { secondPackBegan.signal() }
        try base.put(key, data: data)
    }
    func get(_ key: String) throws -> Data { try base.get(key) }
    func get(_ key: String, offset: UInt64, length: Int) throws -> Data { try base.get(key, offset: offset, length: length) }
    func list(prefix: String) throws -> [String] { try base.list(prefix: prefix) }
    func stat(_ key: String) throws -> ObjectInfo { try base.stat(key) }
    func delete(_ key: String) throws { try base.delete(key) }

    func beginUpload(folder: String) throws -> ObjectUpload? {
        guard acceptsUploads, let upload = try base.beginUpload(folder: folder) else { return nil }
        return Recording(upload, store: self)
    }

    private final class Recording: ObjectUpload {
        let upload: ObjectUpload
        let store: RecordingStore
        init(_ upload: ObjectUpload, store: RecordingStore) {
            self.upload = upload
            self.store = store
        }
        func append(_ bytes: UnsafeRawBufferPointer) throws {
            store.lock.withLock { store.pieces.append(bytes.count) }
            try upload.append(bytes)
        }
        func finish(as key: String) throws {
            store.lock.withLock { store.finishedKeys.append(key) }
            try upload.finish(as: key)
        }
        func abandon() { upload.abandon() }
    }
}
