import Foundation
import SiloFormat
import SiloTestSupport
import XCTest

final class SnapshotTests: XCTestCase {
    let keys = testKeys(7)

    func sample(parent: SnapshotID?) -> Snapshot {
        var summary = SnapshotSummary()
        summary.filesNew = 10
        summary.filesChanged = 2
        summary.filesUnmodified = 1000
        summary.directories = 50
        summary.otherNodes = 3
        summary.totalBytes = 5 << 30
        summary.bytesRead = 12345
        summary.chunksAdded = 7
        summary.bytesAdded = 999
        summary.rawBytesAdded = 4000
        summary.warnings = 1
        summary.durationSeconds = 12.5
        return Snapshot(time: 1_738_152_000_123_456_789, host: "web-01", username: "root", tags: ["daily", "pre-deploy"],
                        paths: ["/srv/app", "/etc"], tree: ChunkID(Digest32(data: pseudoRandomBytes(32, seed: 1))!),
                        parent: parent, program: "silo 0.1", summary: summary)
    }

    func testRoundTripEncryptedAndPlain() throws {
        let parent = SnapshotID(Digest32(data: pseudoRandomBytes(32, seed: 2))!)
        for snapshot in [sample(parent: nil), sample(parent: parent)] {
            for sealer in [ObjectSealer(keys: keys), ObjectSealer(keys: nil)] {
                let decoded = try Snapshot.decode(snapshot.encode(sealer: sealer), sealer: sealer)
                XCTAssertEqual(decoded, snapshot)
                XCTAssertEqual(decoded.version, 1)
            }
        }
    }

    func testJSONFields() throws {
        let snapshot = sample(parent: nil)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: snapshot.encode(sealer: ObjectSealer(keys: nil))) as? [String: Any])
        XCTAssertEqual(object["host"] as? String, "web-01")
        XCTAssertEqual(object["tree"] as? String, snapshot.tree.hex)
        XCTAssertEqual((object["time"] as? NSNumber)?.int64Value, 1_738_152_000_123_456_789, "nanoseconds survive JSON exactly")
        let summary = try XCTUnwrap(object["summary"] as? [String: Any])
        XCTAssertEqual(summary["files_new"] as? Int, 10)
        XCTAssertEqual(summary["raw_bytes_added"] as? Int, 4000)
        XCTAssertEqual(summary["duration_seconds"] as? Double, 12.5)
    }

    func testEncryptedSnapshotHidesItsContent() {
        let stored = sample(parent: nil).encode(sealer: ObjectSealer(keys: keys))
        XCTAssertNil(stored.range(of: Data("web-01".utf8)))
        XCTAssertNil(stored.range(of: Data("/srv/app".utf8)))
    }

    func testDateFromNanoseconds() {
        let snapshot = sample(parent: nil)
        XCTAssertEqual(snapshot.date.timeIntervalSince1970, 1_738_152_000.123_456_789, accuracy: 1e-6)
    }

    func testRejectsTamperingWrongKeyAndWrongKind() {
        let sealer = ObjectSealer(keys: keys)
        let stored = sample(parent: nil).encode(sealer: sealer)
        assertFormatError(.authenticationFailed) { try Snapshot.decode(flippingBit(stored, at: 30), sealer: sealer) }
        assertFormatError(.authenticationFailed) { try Snapshot.decode(stored, sealer: ObjectSealer(keys: testKeys(8))) }
        let plain = sample(parent: nil).encode(sealer: ObjectSealer(keys: nil))
        assertFormatError(.authenticationFailed) { try Snapshot.decode(sealer.seal(plain, kind: "silo.index"), sealer: sealer) }
    }

    func testNewerOrBrokenSnapshotIsRejected() throws {
        let plain = ObjectSealer(keys: nil)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: sample(parent: nil).encode(sealer: plain)) as? [String: Any])
        object["version"] = 2
        assertFormatError(.unsupportedVersion) { try Snapshot.decode(try JSONSerialization.data(withJSONObject: object), sealer: plain) }
        object["version"] = 1
        object["tree"] = "not-an-id"
        assertFormatError(.malformed) { try Snapshot.decode(try JSONSerialization.data(withJSONObject: object), sealer: plain) }
        assertFormatError(.malformed) { try Snapshot.decode(Data("{".utf8), sealer: plain) }
    }
}
