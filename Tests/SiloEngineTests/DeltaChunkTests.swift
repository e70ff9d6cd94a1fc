import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
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
            options.streams = [DataStreamSource(path: "/postgres/app.pgdump", profile: .database) {
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

    /// A dead delta chunk in a pack that keeps live data does not keep its base: the pack is
    /// repacked without it in the same run as the base's pack is marked, so no indexed delta
    /// outlives its base. A later backup of the same content stores it again, and restores.
    func testDeadDeltasInKeptPacksAreRepackedOutWithTheirBases() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("files/media.bin", pseudoRandomBytes(1 << 20, seed: 5))
        let first = try backup(s, repository, version: 0)
        let second = try s.backup(repository, [s.path("files")], time: Date(timeIntervalSince1970: 1_700_100_000)) { options in
            options.streams = [DataStreamSource(path: "/postgres/app.pgdump", profile: .database) { Self.dump(version: 1) }]
        }
        let third = try s.backup(repository, [s.path("files")], time: Date(timeIntervalSince1970: 1_700_200_000))
        for id in [first.id, second.id] { try repository.removeSnapshot(id) }
        let before = try Self.packBytes(s)
        let report = try prune(repository)
        XCTAssertGreaterThan(report.packsRepacked, 0, "the pack of media and dead deltas is repacked")
        XCTAssertEqual(report.packsRevived + report.packsKeptAsBases, 0)
        let after = try Self.packBytes(s)
        XCTAssertLessThan(after, (1 << 20) + 16_384, "only the media is left, the dump's chain is gone: \(before) → \(after) bytes")
        XCTAssertGreaterThan(report.packsRepackedForDeadDeltas, 0, "forced by the dead deltas, not by the threshold")
        let deltas = try repository.catalog.contentDump().filter { $0.hasPrefix("chunk ") && $0.split(separator: " ")[4] == "2" }
        XCTAssertEqual(deltas, [], "no delta is left indexed")

        let again = try backup(s, try s.open(), version: 1)
        let reopened = try s.open()
        XCTAssertEqual(try restoredDump(s, reopened, again.snapshot, into: "out"), Self.dump(version: 1))
        let check = try Checker(repository: reopened, options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(check.isClean, "\(check.errors)")
        _ = try s.restore(reopened, third.snapshot, to: s.path("media"))
        XCTAssertEqual(FileManager.default.contents(atPath: s.path("media") + s.path("files/media.bin")), pseudoRandomBytes(1 << 20, seed: 5))
    }

    /// Issue 14 §7: a chain of 18 dumps, all forgotten and marked while a backup runs, then one
    /// more dump (stored whole, as nothing marked is reused). The next prune frees the whole
    /// chain: the new pack holds copies of some of the chain's chunks, which once made every
    /// marked pack "in use again".
    func testForgottenChainIsFreed() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        for version in 0..<18 { try repository.removeSnapshot(try backup(s, repository, version: version, rows: 6_000).id) }
        let chain = try Self.packBytes(s)
        let running = try repository.takeLease(.backup)  // a backup running since before the mark
        let marking = try prune(repository)
        XCTAssertEqual(marking.packsMarked, 18)
        XCTAssertEqual(marking.packsDeleted, 0)
        XCTAssertEqual(marking.waitReasons, [.backupRunning])
        running.release()

        let latest = try backup(s, repository, version: 18, rows: 6_000)
        let withLatest = try Self.packBytes(s)
        let report = try prune(repository)
        XCTAssertEqual(report.packsRevived, 0, "no marked pack is in use again")
        XCTAssertEqual(report.packsKeptAsBases, 0)
        XCTAssertEqual(report.packsDeleted, 18)
        let after = try Self.packBytes(s)
        XCTAssertEqual(after, withLatest - chain, "only the latest snapshot's pack is left (\(chain) bytes of chain freed, \(after) kept)")
        XCTAssertEqual(try repository.catalog.packs().count, 1)

        let reopened = try s.open()
        XCTAssertEqual(try restoredDump(s, reopened, latest.snapshot, into: "out"), Self.dump(version: 18, rows: 6_000))
        let check = try Checker(repository: reopened, options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(check.isClean, "\(check.errors)")
    }

    /// A month of 4-hourly dumps under 7 daily / 4 weekly / 12 monthly, forgotten and pruned
    /// every day: once the policy is full (four weeks), the repository stops growing.
    func testMonthOfFourHourlyDumpsStopsGrowing() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        var policy = RetentionPolicy()
        policy.counts = [.daily: 7, .weekly: 4, .monthly: 12]
        var sizes: [Int] = [], added: [Int] = []
        for day in 0..<36 {
            added.append(0)
            for run in 0..<6 { added[day] += Int(try backup(s, repository, version: day * 6 + run, rows: 3_000).snapshot.summary.bytesAdded) }
            for decision in policy.apply(to: try repository.catalog.snapshots(), timeZone: TimeZone(identifier: "UTC")!) where !decision.keep {
                try repository.removeSnapshot(decision.id)
            }
            let report = try prune(repository)
            XCTAssertEqual(report.packsWaiting, 0)
            sizes.append(try Self.packBytes(s))
        }
        let full = sizes[27...]
        XCTAssertLessThan(Double(full.max()!), Double(sizes[27]) * 1.2, "daily sizes: \(sizes)")
        let growth = sizes[35] - sizes[27], addedSince = added[28...].reduce(0, +)
        XCTAssertLessThan(growth * 3, addedSince, "the last 8 days grew it by \(growth) bytes of \(addedSince) added")
        let latest = try XCTUnwrap(try repository.catalog.snapshots().max { $0.snapshot.time < $1.snapshot.time })
        XCTAssertEqual(try restoredDump(s, try s.open(), latest.snapshot, into: "out"), Self.dump(version: 36 * 6 - 1, rows: 3_000))
        let check = try Checker(repository: try s.open(), options: { var o = CheckOptions(); o.readData = true; return o }()).run()
        XCTAssertTrue(check.isClean, "\(check.errors)")
        print("month of 4-hourly dumps, pack bytes after each daily prune: \(sizes); bytes added each day: \(added)")
    }

    private func prune(_ repository: Repository) throws -> PruneReport {
        var options = PruneOptions()
        options.grace = 0
        return try Pruner(repository: repository, options: options).run()
    }

    static func packBytes(_ s: Scratch) throws -> Int {
        try FileManager.default.subpathsOfDirectory(atPath: s.repoPath + "/packs").reduce(0) { total, relative in
            let attributes = try FileManager.default.attributesOfItem(atPath: s.repoPath + "/packs/" + relative)
            return total + ((attributes[.type] as? FileAttributeType) == .typeRegular ? (attributes[.size] as? Int ?? 0) : 0)
        }
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

/// Which content counts as a database dump when silo did not run the dump itself.
final class ContentProfileTests: XCTestCase {
    func testDumpsAreRecognisedByTheirNames() {
        for name in ["/db.sql", "/srv/o4o.dump", "app.pgdump"] { XCTAssertEqual(ContentProfile.of(name: name), .database, name) }
        for name in ["/db.sql.gz", "/notes.txt", "sql", "/dump"] { XCTAssertEqual(ContentProfile.of(name: name), .files, name) }
        XCTAssertTrue(ContentProfile.database.storesDeltas)
        XCTAssertFalse(ContentProfile.files.storesDeltas)
    }
}
