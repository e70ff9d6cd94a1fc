import Foundation
import SiloFormat
import SiloTestSupport
import XCTest

final class IdentifiersTests: XCTestCase {
    let counting = Data((0..<32).map { UInt8($0) })
    let countingHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    func testDigestFromBytesIsBigEndianWords() {
        let digest = Digest32(data: counting)!
        XCTAssertEqual(digest.w0, 0x0001_0203_0405_0607)
        XCTAssertEqual(digest.w1, 0x0809_0A0B_0C0D_0E0F)
        XCTAssertEqual(digest.w2, 0x1011_1213_1415_1617)
        XCTAssertEqual(digest.w3, 0x1819_1A1B_1C1D_1E1F)
        XCTAssertEqual(digest.data, counting)
        XCTAssertEqual(digest.hex, countingHex)
    }

    func testHexRoundTrip() {
        for seed in 0..<50 {
            let bytes = pseudoRandomBytes(32, seed: UInt64(seed))
            let hex = hexString(bytes)
            let digest = Digest32(hex: hex)
            XCTAssertNotNil(digest, hex)
            XCTAssertEqual(digest?.hex, hex)
            XCTAssertEqual(digest?.data, bytes)
            XCTAssertEqual(digest, Digest32(data: bytes))
        }
        // Leading zeros are kept.
        let small = String(repeating: "0", count: 63) + "1"
        XCTAssertEqual(Digest32(hex: small)?.hex, small)
        XCTAssertEqual(Digest32(hex: small)?.w3, 1)
        XCTAssertEqual(Digest32(hex: String(repeating: "f", count: 64))?.data, Data(repeating: 0xFF, count: 32))
    }

    func testInvalidHexIsRejected() {
        let invalid = [
            "",
            String(countingHex.dropLast()),              // 63 digits
            countingHex + "0",                           // 65 digits
            String(countingHex.dropLast()) + "g",        // not a hex digit
            " " + String(countingHex.dropFirst()),       // space
            String(countingHex.dropLast(2)) + "0x",
            String(countingHex.dropLast(2)) + "é",       // 64 UTF-8 bytes, not ASCII
            String(repeating: "z", count: 64),
        ]
        for text in invalid {
            XCTAssertNil(Digest32(hex: text), text.debugDescription)
            XCTAssertNil(ChunkID(hex: text), text.debugDescription)
        }
        XCTAssertNil(Digest32(data: Data(count: 31)))
        XCTAssertNil(Digest32(data: Data(count: 33)))
    }

    func testDigestFromALongerBufferUsesTheFirst32Bytes() {
        var bytes = counting
        bytes.append(contentsOf: [0xAA, 0xBB])
        let digest = bytes.withUnsafeBytes { Digest32(bytes: $0) }
        XCTAssertEqual(digest.data, counting)
    }

    func testOrderingFollowsTheBytes() {
        let datas = (0..<100).map { pseudoRandomBytes(32, seed: UInt64($0) + 1000) }
            + [Data(count: 32), Data(repeating: 0xFF, count: 32), counting]
        let byDigest = datas.map { Digest32(data: $0)! }.sorted().map(\.data)
        let byBytes = datas.sorted { $0.lexicographicallyPrecedes($1) }
        XCTAssertEqual(byDigest, byBytes)
        // A difference in the last byte only still orders.
        var a = counting, b = counting
        a[31] = 1
        b[31] = 2
        XCTAssertLessThan(ChunkID(Digest32(data: a)!), ChunkID(Digest32(data: b)!))
        XCTAssertFalse(Digest32(data: a)! < Digest32(data: a)!)
    }

    func testTypedIdentifiers() throws {
        let id = try XCTUnwrap(PackID(hex: countingHex))
        XCTAssertEqual(id.hex, countingHex)
        XCTAssertEqual(id.description, countingHex)
        XCTAssertEqual(id.shortHex, "00010203")
        XCTAssertEqual(id.digest, Digest32(data: counting))
        XCTAssertEqual(Set([ChunkID(id.digest), ChunkID(id.digest)]).count, 1, "Hashable by digest")
        XCTAssertNotEqual(SnapshotID(hex: countingHex), SnapshotID(hex: String(repeating: "0", count: 64)))
    }

    func testIdentifiersEncodeAsHexStringsInJSON() throws {
        struct Holder: Codable, Equatable {
            var chunk: ChunkID
            var pack: PackID
            var snapshots: [SnapshotID]
        }
        let other = hexString(pseudoRandomBytes(32, seed: 77))
        let holder = Holder(chunk: ChunkID(hex: countingHex)!, pack: PackID(hex: other)!,
                            snapshots: [SnapshotID(hex: other)!, SnapshotID(hex: countingHex)!])
        let json = try JSONEncoder().encode(holder)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(object["chunk"] as? String, countingHex)
        XCTAssertEqual(object["pack"] as? String, other)
        XCTAssertEqual(object["snapshots"] as? [String], [other, countingHex])
        XCTAssertEqual(try JSONDecoder().decode(Holder.self, from: json), holder)
    }

    func testDecodingAnInvalidIdentifierFails() {
        for json in [#"["abc"]"#, #"["\#(countingHex)0"]"#, #"[42]"#, #"["\#(String(countingHex.dropLast()))x"]"#] {
            XCTAssertThrowsError(try JSONDecoder().decode([IndexID].self, from: Data(json.utf8)), json) { error in
                XCTAssertTrue(error is DecodingError, "\(error)")
            }
        }
        XCTAssertEqual(try JSONDecoder().decode([KeyID].self, from: Data(#"["\#(countingHex)"]"#.utf8)),
                       [KeyID(hex: countingHex)!])
    }
}
