import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import XCTest

/// Database dumps (streams cut with the `database` profile) are stored as deltas against the
/// previous version of each chunk; everything that reads chunks follows the bases.
final class DeltaChunkTests: XCTestCase {
    /// A pgbench-like table dump; each version changes the balance of about 2% of the rows.
    static func dump(version: Int, rows: Int = 40_000) -> Data {
        var balance = [Int](repeating: 0, count: rows)
        for v in 0..<version {
            var state = UInt64(v + 1) &* 0x9E37_79B9_7F4A_7C15
            for _ in 0..<(rows / 50) {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                balance[Int(state % UInt64(balance.count))] += Int(state % 5000) - 2500
            }
        }
        var text = "COPY public.pgbench_accounts (aid, bid, abalance, filler) FROM stdin;\n"
        for (aid, value) in balance.enumerated() { text += "\(aid + 1)\t\(aid / 10_000 + 1)\t\(value)\t\(String(repeating: " ", count: 84))\n" }
        return Data((text + "\\.\n").utf8)
    }

    private func backup(_ s: Scratch, _ repository: Repository, version: Int, rows: Int = 40_000) throws -> Archiver.Result {
        try s.backup(repository, [], time: Date(timeIntervalSince1970: Double(1_700_000_000 + version * 14_400))) { options in
            options.streams = [DataStreamSource(path: "/postgres/app.pgdump", chunkerProfile: "database") {
                Self.dump(version: version, rows: rows)
            }]
        }
    }

    private func restoredDump(_ s: Scratch, _ repository: Repository, _ snapshot: Snapshot, into name: String) throws -> Data? {
        let summary = try s.restore(repository, snapshot, to: s.path(name))
        XCTAssertTrue(summary.problems.isEmpty, "\(summary.problems)")
        return FileManager.default.contents(atPath: s.path(name) + "/postgres/app.pgdump")
    }

    /// Delta hops from `id` to a whole chunk.
    private func depth(_ repository: Repository, _ id: ChunkID) throws -> Int {
        var current = id, hops = 0
        while let entry = try repository.catalog.location(of: current)?.entry, entry.compression == .zstdDelta, let base = entry.base {
            current = base
            hops += 1
        }
        return hops
    }

    func testNewVersionsOfADumpAreStoredAsShortDeltaChains() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        var results: [Archiver.Result] = []
        for version in 0..<7 { results.append(try backup(s, repository, version: version)) }
        // Against the same versions stored whole (each in a repository of its own): well under half.
        var incremental: UInt64 = 0, whole: UInt64 = 0
        for version in 1..<7 {
            incremental += results[version].snapshot.summary.bytesAdded
            let alone = try Scratch()
            whole += try backup(alone, try alone.initRepository(), version: version).snapshot.summary.bytesAdded
        }
        XCTAssertLessThan(incremental * 2, whole, "deltas \(incremental) bytes, whole versions \(whole) bytes")
        var deltas = 0
        for (version, result) in results.enumerated() {
            XCTAssertEqual(try restoredDump(s, repository, result.snapshot, into: "out\(version)"), Self.dump(version: version))
            let node = try XCTUnwrap(try TreeWalker(repository: repository).node(at: ByteString("/postgres/app.pgdump"), root: result.snapshot.tree))
            for id in node.content ?? [] {
                let hops = try depth(repository, id)
                XCTAssertLessThanOrEqual(hops, 16, "chains stay short")
                if hops > 0 { deltas += 1 }
            }
        }
        XCTAssertGreaterThan(deltas, 0)
        let report = try Checker(repository: try s.open(), options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(report.isClean, "\(report.errors)")
        // The catalog's bases are those an index rebuilt from the repository alone gives.
        XCTAssertEqual(try repository.catalog.contentDump(), try s.open(cache: s.path("fresh-cache")).catalog.contentDump())
    }

    /// Each version adds a hop to the chains until 16; the next stores its chunks whole again.
    func testChainsEndAtSixteenHops() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        var deepest: [Int] = [], whole: [Int] = []
        for version in 0..<19 {
            let result = try backup(s, repository, version: version, rows: 6_000)
            let node = try XCTUnwrap(try TreeWalker(repository: repository).node(at: ByteString("/postgres/app.pgdump"), root: result.snapshot.tree))
            let depths = try (node.content ?? []).map { try depth(repository, $0) }
            deepest.append(depths.max() ?? 0)
            whole.append(depths.filter { $0 == 0 }.count)
        }
        XCTAssertEqual(deepest.max(), 16, "\(deepest)")
        XCTAssertEqual(Array(deepest[0...16]), Array(0...16), "one hop more per version")
        // (A chunk the next version leaves unchanged keeps its depth.)
        XCTAssertGreaterThan(whole[17], whole[16], "then whole chunks again: \(whole)")
        XCTAssertEqual(try restoredDump(s, repository, try repository.loadSnapshot(XCTUnwrap(try repository.catalog.snapshots().max { $0.snapshot.time < $1.snapshot.time }?.id)), into: "out"),
                       Self.dump(version: 18, rows: 6_000))
    }

    func testPruneKeepsTheBasesOfKeptDeltas() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        var results: [Archiver.Result] = []
        for version in 0..<3 { results.append(try backup(s, repository, version: version)) }
        for result in results.dropLast() { try repository.removeSnapshot(result.id) }
        var options = PruneOptions()
        options.grace = 0
        for _ in 0..<2 { _ = try Pruner(repository: repository, options: options).run() }

        let reopened = try s.open()
        let report = try Checker(repository: reopened, options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(report.isClean, "\(report.errors)")
        XCTAssertEqual(try restoredDump(s, reopened, results[2].snapshot, into: "out"), Self.dump(version: 2))

        // Once every snapshot is gone, prune leaves no resemblance features behind.
        XCTAssertGreaterThan(try repository.catalog.resemblanceCount(), 0)
        try repository.removeSnapshot(results[2].id)
        for _ in 0..<2 { _ = try Pruner(repository: repository, options: options).run() }
        XCTAssertEqual(try repository.catalog.resemblanceCount(), 0)
    }

    /// A dead delta chunk in a pack that prune keeps (it shares the pack with live data) keeps
    /// its base too: a later backup of the same content reuses the delta without reading it.
    func testPruneKeepsTheBasesOfDeadDeltasInKeptPacks() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("files/media.bin", randomData(1 << 20, seed: 5))
        let first = try backup(s, repository, version: 0)
        let second = try s.backup(repository, [s.path("files")], time: Date(timeIntervalSince1970: 1_700_100_000)) { options in
            options.streams = [DataStreamSource(path: "/postgres/app.pgdump", chunkerProfile: "database") { Self.dump(version: 1) }]
        }
        let third = try s.backup(repository, [s.path("files")], time: Date(timeIntervalSince1970: 1_700_200_000))
        for id in [first.id, second.id] { try repository.removeSnapshot(id) }
        var options = PruneOptions()
        options.grace = 0
        for _ in 0..<2 { _ = try Pruner(repository: repository, options: options).run() }

        let again = try backup(s, try s.open(), version: 1)
        XCTAssertLessThan(again.snapshot.summary.chunksAdded, 10, "the delta chunks are still indexed and reused")
        let reopened = try s.open()
        XCTAssertEqual(try restoredDump(s, reopened, again.snapshot, into: "out"), Self.dump(version: 1))
        let report = try Checker(repository: reopened, options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(report.isClean, "\(report.errors)")
        _ = third
    }

    /// A base that cannot be read costs only the saving: the new chunk is stored whole and the
    /// backup succeeds.
    func testUnreadableBaseIsNotFatalToTheBackup() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        let first = try backup(s, repository, version: 0)
        let node = try XCTUnwrap(try TreeWalker(repository: repository).node(at: ByteString("/postgres/app.pgdump"), root: first.snapshot.tree))
        for id in node.content ?? [] {
            let location = try XCTUnwrap(try repository.catalog.location(of: id))
            try damage(repository, location, bits: 0x40)
        }
        let second = try backup(s, repository, version: 1)
        XCTAssertEqual(try restoredDump(s, repository, second.snapshot, into: "out"), Self.dump(version: 1))
    }

    /// `copy` reads delta chunks through their bases and stores them whole in the destination.
    func testCopyOfDeltaChunksRestoresExactly() throws {
        let s = try Scratch()
        let source = try s.initRepository()
        _ = try backup(s, source, version: 0)
        let second = try backup(s, source, version: 1)
        let other = try Scratch()
        let destination = try other.initRepository()
        let copier = try SnapshotCopier(from: source, to: destination)
        let copiedID = try copier.copy(second.id, second.snapshot)
        copier.release()
        let copied = try destination.loadSnapshot(copiedID)
        XCTAssertEqual(try restoredDump(other, destination, copied, into: "out"), Self.dump(version: 1))
    }

    func testDamagedBaseFailsTheDeltaLoudly() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        _ = try backup(s, repository, version: 0)
        let second = try backup(s, repository, version: 1)
        let node = try XCTUnwrap(try TreeWalker(repository: repository).node(at: ByteString("/postgres/app.pgdump"), root: second.snapshot.tree))
        let delta = try XCTUnwrap(try node.content?.compactMap { try repository.catalog.location(of: $0) }.first { $0.entry.compression == .zstdDelta })
        let base = try XCTUnwrap(try repository.catalog.location(of: XCTUnwrap(delta.entry.base)))
        try damage(repository, base, bits: 0x20)

        let summary = try s.restore(repository, second.snapshot, to: s.path("out"))
        XCTAssertTrue(summary.problems.contains { $0.isIntegrityFailure && $0.path.hasSuffix("app.pgdump") }, "\(summary.problems)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.path("out") + "/postgres/app.pgdump"))
        let report = try Checker(repository: try s.open(), options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertFalse(report.isClean)
    }
}
