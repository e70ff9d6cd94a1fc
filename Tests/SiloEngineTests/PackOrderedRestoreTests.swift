import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// A restore reads each pack at most once, however the files' chunks are spread over packs,
/// and writes a chunk shared by several files (or several places of one file) to all of them.
final class PackOrderedRestoreTests: XCTestCase {
    /// With spans as large as a pack (the default on a remote store), one read per pack.
    func testFullRestoreReadsEachPackOnce() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        for i in 0..<6 { try s.write("src/large\(i).bin", pseudoRandomBytes((3 << 20) + i * 4099, seed: UInt64(100 + i))) }
        for i in 0..<150 { try s.write("src/small/\(i).txt", textData(200 + i * 37, seed: i)) }
        try s.write("src/copy-of-large0.bin", pseudoRandomBytes(3 << 20, seed: 100))
        let repeated = pseudoRandomBytes(600 << 10, seed: 7)
        try s.write("src/repeats.bin", repeated + repeated + repeated)
        try s.write("src/empty", Data())
        let before = TreeManifest(s.path("src"))
        let snapshot = try s.backup(repository, [s.path("src")]).snapshot

        let reads = ReadLog()
        let observed = try reads.repository(s)
        var options = RestoreOptions(target: s.path("out"))
        options.readSpan = 32 << 20
        let summary = try Restorer(repository: observed, snapshot: snapshot, options: options).run()
        XCTAssertTrue(summary.problems.isEmpty, "\(summary.problems)")
        XCTAssertEqual(before.differences(from: TreeManifest(s.path("out") + s.path("src"))), [])

        let packs = try LocalObjectStore(root: s.repoPath).list(prefix: "packs/").count
        XCTAssertGreaterThan(packs, 10, "the data must be spread over many packs")
        let counts = reads.counts
        XCTAssertEqual(counts.filter { $0.value > 1 }, [:], "packs read more than once")
        XCTAssertLessThanOrEqual(counts.count, packs)
    }

    /// With small spans (the default on a local disk) each pack is read in several pieces, but
    /// no byte twice, and the result is the same.
    func testSmallSpansReadNoByteTwice() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 2 << 20)
        for i in 0..<4 { try s.write("src/large\(i).bin", pseudoRandomBytes((3 << 20) + i * 977, seed: UInt64(300 + i))) }
        for i in 0..<100 { try s.write("src/small/\(i).txt", textData(300 + i * 53, seed: i)) }
        let before = TreeManifest(s.path("src"))
        let snapshot = try s.backup(repository, [s.path("src")]).snapshot

        let reads = ReadLog()
        var options = RestoreOptions(target: s.path("out"))
        options.readSpan = 256 << 10
        let summary = try Restorer(repository: try reads.repository(s), snapshot: snapshot, options: options).run()
        XCTAssertTrue(summary.problems.isEmpty, "\(summary.problems)")
        XCTAssertEqual(before.differences(from: TreeManifest(s.path("out") + s.path("src"))), [])
        XCTAssertGreaterThan(reads.counts.values.reduce(0, +), reads.counts.count, "packs read in pieces")
        // Every stored chunk at most once: no more than the chunk bytes of all packs (which
        // also count the trees, read from the catalog's cache instead).
        XCTAssertLessThanOrEqual(reads.bytes, Int(try repository.catalog.totals().storedBytes))
    }

    func testRestoreOfOneFileReadsOnlyItsChunks() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 8 << 20)
        for i in 0..<4 { try s.write("src/large\(i).bin", pseudoRandomBytes(2 << 20, seed: UInt64(200 + i))) }
        let snapshot = try s.backup(repository, [s.path("src")]).snapshot

        let reads = ReadLog()
        let observed = try reads.repository(s)
        let summary = try s.restore(observed, snapshot, to: s.path("out"), includes: [s.path("src/large2.bin")])
        XCTAssertTrue(summary.problems.isEmpty, "\(summary.problems)")
        XCTAssertEqual(summary.files, 1)
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("out") + s.path("src/large2.bin")), pseudoRandomBytes(2 << 20, seed: 202))
        // Its chunks, and at most the gaps between them that one read spans (under 1 MiB each,
        // `loadBlobs`' maxGap): the workers store chunks of different files interleaved.
        let node = try XCTUnwrap(try TreeWalker(repository: repository).node(at: ByteString(s.path("src/large2.bin")), root: snapshot.tree))
        let gaps = (node.content?.count ?? 1) - 1
        XCTAssertLessThanOrEqual(reads.bytes, (2 << 20) + (64 << 10) + gaps * (1 << 20), "read only the file's chunks (\(reads.bytes) bytes)")
    }
}

/// Pack reads (and their bytes) of a repository, across threads.
final class ReadLog: @unchecked Sendable {
    /// The scratch repository opened through a store that records what is read of its packs.
    func repository(_ s: Scratch) throws -> Repository {
        let observing = FaultInjectingStore(LocalObjectStore(root: s.repoPath), locality: .remote)
        observing.setCorruption { [self] key, data in
            if key.hasPrefix("packs/") { record(key, bytes: data.count) }
            return data
        }
        return try Repository.open(store: observing, password: s.password, cacheRoot: s.cachePath)
    }

    private let lock = NSLock()
    private var keys: [String: Int] = [:]
    private var total = 0

    func record(_ key: String, bytes: Int = 0) {
        lock.withLock {
            keys[key, default: 0] += 1
            total += bytes
        }
    }

    var counts: [String: Int] { lock.withLock { keys } }
    var bytes: Int { lock.withLock { total } }
}
