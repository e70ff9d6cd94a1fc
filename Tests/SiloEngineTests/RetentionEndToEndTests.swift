import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
import XCTest

/// 90 days of 4-hourly snapshots of a changing tree, the seed's policy, prune: exactly the
/// expected snapshots remain, the repository shrinks to about what their data needs, and every
/// kept snapshot restores exactly.
final class RetentionEndToEndTests: XCTestCase {
    /// The tree at round `r`: a fixed file, a "dump" that changes a little every round, and the
    /// last three "uploads".
    private func writeState(_ s: Scratch, round r: Int, under root: String) throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: s.path(root))
        try s.write("\(root)/static.bin", pseudoRandomBytes(200_000, seed: 1))
        var dump = textData(300_000, seed: 5)
        let line = Data("row updated in round \(r)\n".utf8)
        dump.replaceSubrange((r * 997 % 250_000)..<(r * 997 % 250_000 + line.count), with: line)
        try s.write("\(root)/db/dump.sql", dump)
        for u in max(0, r - 2)...r { try s.write("\(root)/uploads/u\(u).bin", pseudoRandomBytes(20_000, seed: UInt64(1000 + u))) }
    }

    func testNinetyDaysWithTheSeedPolicy() throws {
        let s = try Scratch()
        let repository = try s.initRepository(packTargetSize: 1 << 20)
        let start = ISO8601DateFormatter().date(from: "2025-01-01T02:00:00Z")!
        var times: [Int: Date] = [:]
        for r in 0..<(90 * 6) {
            try writeState(s, round: r, under: "src")
            let time = start.addingTimeInterval(Double(r) * 4 * 3600)
            times[r] = time
            _ = try s.backup(repository, [s.path("src")], time: time)
        }
        XCTAssertEqual(try repository.catalog.snapshots().count, 540)

        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let decisions = RetentionPolicy.seedDefault().apply(to: try repository.catalog.snapshots(), timeZone: utc.timeZone)
        for decision in decisions where !decision.keep { try repository.removeSnapshot(decision.id) }

        // Checked by hand: the 22:00 snapshot of 25–31 March (daily), of 30, 23 and 16 March
        // (ISO weeks 13, 12, 11; week 14 is 31 March), and of 28 February and 31 January (months).
        let formatter = ISO8601DateFormatter()
        let expected: Set<String> = ["2025-03-25", "2025-03-26", "2025-03-27", "2025-03-28", "2025-03-29", "2025-03-30", "2025-03-31",
                                     "2025-03-23", "2025-03-16", "2025-02-28", "2025-01-31"].reduce(into: []) { $0.insert($1 + "T22:00:00Z") }
        let remaining = try repository.catalog.snapshots()
        XCTAssertEqual(Set(remaining.map { formatter.string(from: $0.snapshot.date) }), expected)

        var options = PruneOptions()
        options.grace = 0
        _ = try Pruner(repository: repository, options: options).run()
        _ = try Pruner(repository: repository, options: options).run()

        // A fresh repository holding just the kept states, for comparison.
        let keptRounds = times.filter { expected.contains(formatter.string(from: $0.value)) }.keys.sorted()
        let fresh = try Scratch()
        let freshRepository = try fresh.initRepository(packTargetSize: 1 << 20)
        for r in keptRounds {
            try writeState(fresh, round: r, under: "src")
            _ = try fresh.backup(freshRepository, [fresh.path("src")])
        }
        let pruned = try repository.catalog.totals().packBytes, reference = try freshRepository.catalog.totals().packBytes
        XCTAssertLessThan(Double(pruned), Double(reference) * 1.08, "pruned \(pruned) bytes vs \(reference) for a fresh backup of the kept data")

        var check = CheckOptions()
        check.readData = true
        XCTAssertTrue(try Checker(repository: try s.open(), options: check).run().isClean)
        for (id, snapshot) in remaining {
            let round = times.first { $0.value == snapshot.date }!.key
            let out = s.path("out-\(id.shortHex)")
            _ = try s.restore(repository, snapshot, to: out)
            try writeState(s, round: round, under: "expected")
            XCTAssertTrue(TreeManifest(s.path("expected")).entries.mapValues(\.contentHash) == TreeManifest(out + s.path("src")).entries.mapValues(\.contentHash),
                          "snapshot of round \(round) does not restore exactly")
        }
    }
}
