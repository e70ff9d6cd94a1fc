import Foundation
import XCTest

/// The model of the backup / prune / lease protocol (docs/model/prune.pml), checked exhaustively
/// with spin by scripts/check-model.sh: the protocol has no error, and each broken variant has
/// one, which shows that the model can see the bug the protocol guards against.
final class PruneProtocolModelTests: XCTestCase {
    /// The package root: this file is Tests/SiloEngineTests/PruneProtocolModelTests.swift.
    private static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs scripts/check-model.sh with `defines`; returns its exit status and output.
    private func check(_ defines: [String] = []) throws -> (status: Int32, output: String) {
        let script = Self.root.appendingPathComponent("scripts/check-model.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + defines.flatMap { ["-D", $0] }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if process.terminationStatus == 3 {
            // The script says which: "spin is not installed; `make test` installs it (Debian package spin)".
            throw ToolMissing(message: output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return (process.terminationStatus, output)
    }

    /// Thrown, failing the test, when the script finds no spin (or gcc).
    private struct ToolMissing: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The protocol: no committed snapshot ever references a deleted pack, whatever the
    /// interleaving of one backup, two prunes and a lost lease.
    func testProtocolHasNoError() throws {
        try expectNoError([])
    }

    /// Index files that two overlapping prunes rewrite, losing each other's work: the index may
    /// name a pack already deleted, with its marker. The backup lists packs/ after reading the
    /// markers (FORMAT.md §10, invariant 8), so it either sees the marker or misses the pack.
    func testIndexFilesHaveNoErrorWithThePackListing() throws {
        try expectNoError(["INDEX_FILES"])
    }

    /// Without that listing, the lost index update lets the backup reuse the deleted pack.
    func testIndexFilesWithoutPackListingViolateTheInvariant() throws {
        try expectViolation(["INDEX_FILES", "NO_PACK_LISTING"])
    }

    /// The listing must come after the markers: made before them, it may still show a pack
    /// that a prune deletes, with its marker, before the backup reads the markers.
    func testPackListingBeforeMarkersViolatesTheInvariant() throws {
        try expectViolation(["INDEX_FILES", "LIST_PACKS_FIRST", "NO_LOSS"])
    }

    /// The sweep before the fix: the snapshots are not listed again after the leases are read;
    /// a backup that ends between the two is not seen, and the packs it reused are deleted.
    func testOldSweepViolatesTheInvariant() throws {
        try expectViolation(["OLD_SWEEP"])
        // Without any lost lease either: a backup that simply ends at the wrong moment.
        try expectViolation(["OLD_SWEEP", "NO_LOSS"])
    }

    /// A backup that does not check its lease around the commit, while prunes misjudge it stale.
    func testNoCommitCheckViolatesTheInvariant() throws {
        try expectViolation(["NO_COMMIT_CHECK"])
    }

    /// A backup that reads the index before the markers (a sweep completes in between), as
    /// syncCatalog did before the fix, and does not list packs/ (which alone would catch it).
    func testSyncIndexFirstWithoutPackListingViolatesTheInvariant() throws {
        try expectViolation(["SYNC_INDEX_FIRST", "NO_PACK_LISTING", "NO_LOSS"])
    }

    /// A sweep that reads the leases before the markers: a marker written in between, by a
    /// prune that ran meanwhile, is judged against leases that no longer include the backup
    /// that may use its packs.
    func testLeasesBeforeMarkersViolatesTheInvariant() throws {
        try expectViolation(["LEASES_FIRST", "NO_LOSS"])
    }

    /// The lease check after the snapshot is the one that matters (the one before only saves
    /// writing a snapshot that would be taken back).
    func testNoPostCommitCheckViolatesTheInvariant() throws {
        try expectViolation(["NO_POST_CHECK"])
    }

    /// A prune that deletes what it has just marked, in the same run (step e), trusting the
    /// lease read it made before the mark: a backup that started in between, read the markers
    /// before this one existed and reused a pack, is not seen, and the pack is deleted.
    func testSweepAtOnceWithTheLeaseReadBeforeTheMarkViolatesTheInvariant() throws {
        try expectViolation(["STALE_LEASES_AT_ONCE"])
        try expectViolation(["STALE_LEASES_AT_ONCE", "NO_LOSS"])
    }

    private func expectNoError(_ defines: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, output) = try check(defines)
        XCTAssertEqual(status, 0, output, file: file, line: line)
        XCTAssertTrue(output.contains("errors: 0"), "\(defines): \(output)", file: file, line: line)
        XCTAssertTrue(output.contains("no error, exhaustive"), "\(defines): \(output)", file: file, line: line)
    }

    private func expectViolation(_ defines: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, output) = try check(defines)
        XCTAssertEqual(status, 1, output, file: file, line: line)
        XCTAssertTrue(output.contains("assertion violated"), "\(defines): no assertion violation\n\(output)", file: file, line: line)
        XCTAssertTrue(output.contains("B8 backup: lease deleted, snapshot COMMITTED"), "\(defines): the trail commits no snapshot\n\(output)", file: file, line: line)
    }
}
