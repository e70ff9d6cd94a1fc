import Foundation
@testable import SiloEngine
import SiloFormat
import XCTest

/// The trailer-against-index comparison of `check --read-data` on hand-made layouts.
final class PackTrailerComparisonTests: XCTestCase {
    private func entry(_ seed: String, offset: Int, length: Int) -> PackEntry {
        PackEntry(id: ChunkID(Crypto.sha256(Data(seed.utf8))), type: .data, compression: .none,
                  offset: UInt32(offset), length: UInt32(length), rawLength: UInt32(length))
    }

    private let start = PackFormat.header.count

    func testBackToBackBlobsThatTheIndexListsAreClean() {
        let blobs = [entry("a", offset: start, length: 100), entry("b", offset: start + 100, length: 50)]
        XCTAssertEqual(PackTrailerComparison(trailer: blobs, indexed: blobs.reversed(), trailerStart: UInt64(start + 150)).problems, [])
    }

    func testOverlapGapAndTailAreNamed() {
        let blobs = [entry("a", offset: start, length: 100), entry("b", offset: start + 90, length: 50),
                     entry("c", offset: start + 200, length: 10)]
        let problems = PackTrailerComparison(trailer: blobs, indexed: blobs, trailerStart: UInt64(start + 300)).problems
        XCTAssertEqual(problems.count, 3, "\(problems)")
        XCTAssertTrue(problems[0].contains("overlaps the blob before it"))
        XCTAssertTrue(problems[1].contains("60 byte(s) at offset \(start + 140) belong to no blob"))
        XCTAssertTrue(problems[2].contains("90 byte(s) at offset \(start + 210), before the trailer"))
    }

    func testEntriesOnlyOneSideListsAreNamed() {
        let a = entry("a", offset: start, length: 100)
        let moved = entry("a", offset: start + 4, length: 96)
        let problems = PackTrailerComparison(trailer: [a], indexed: [moved], trailerStart: UInt64(start + 100)).problems
        XCTAssertTrue(problems.contains { $0.contains("is in the pack's trailer but not in the index") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("where the pack's trailer has no such blob") }, "\(problems)")
    }
}
