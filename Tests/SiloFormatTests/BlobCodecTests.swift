import Foundation
import SiloFormat
import SiloTestSupport
import XCTest

final class BlobCodecTests: XCTestCase {
    let keys = testKeys(1)
    let text = Data(String(repeating: "INSERT INTO orders VALUES (42, 'pending', 19.99);\n", count: 400).utf8)
    let random = pseudoRandomBytes(50_000, seed: 11)

    func roundTrip(_ codec: BlobCodec, _ plaintext: Data, type: BlobType = .data,
                   file: StaticString = #filePath, line: UInt = #line) throws -> EncodedBlob {
        let blob = codec.encode(plaintext, type: type)
        XCTAssertEqual(blob.type, type, file: file, line: line)
        XCTAssertEqual(blob.rawLength, plaintext.count, file: file, line: line)
        let back = try codec.decode(blob.stored, id: blob.id, compression: blob.compression, rawLength: blob.rawLength)
        XCTAssertEqual(back, plaintext, file: file, line: line)
        return blob
    }

    func testUnencryptedRoundTrips() throws {
        let codec = BlobCodec(keys: nil, compressionLevel: 3)
        let textBlob = try roundTrip(codec, text)
        XCTAssertEqual(textBlob.compression, .zstd, "text compresses")
        XCTAssertLessThan(textBlob.stored.count, text.count / 10)
        XCTAssertEqual(textBlob.id.hex, hexString(Crypto.sha256(text).data), "unencrypted IDs are SHA-256 of the plaintext")

        let randomBlob = try roundTrip(codec, random, type: .tree)
        XCTAssertEqual(randomBlob.compression, .none, "random data is stored raw")
        XCTAssertEqual(randomBlob.stored, random)

        let empty = try roundTrip(codec, Data())
        XCTAssertEqual(empty.compression, .none)
        XCTAssertEqual(empty.id.hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// A delta blob decodes only with its base, costs little when it resembles the base, and
    /// is authenticated like any other blob.
    func testDeltaRoundTrips() throws {
        var rows = (0..<3000).map { "\($0)\t1\t0\t" + String(repeating: " ", count: 84) + "\n" }
        let base = Data(rows.joined().utf8)
        for i in stride(from: 7, to: 3000, by: 97) { rows[i] = "\(i)\t1\t\(i * 31)\t" + String(repeating: " ", count: 84) + "\n" }
        let plaintext = Data(rows.joined().utf8)
        for codec in [BlobCodec(keys: nil, compressionLevel: 3), BlobCodec(keys: keys, compressionLevel: 3)] {
            let whole = codec.encode(plaintext, type: .data)
            let baseID = codec.encode(base, type: .data).id
            let delta = try XCTUnwrap(plaintext.withUnsafeBytes { codec.encodeDelta($0, id: whole.id, type: .data, base: base, baseID: baseID) })
            XCTAssertEqual(delta.compression, .zstdDelta)
            XCTAssertEqual(delta.base, baseID)
            XCTAssertLessThan(delta.stored.count * 3, whole.stored.count, "\(delta.stored.count) vs \(whole.stored.count)")
            XCTAssertEqual(try codec.decode(delta.stored, id: delta.id, compression: .zstdDelta, rawLength: delta.rawLength, base: base),
                           plaintext)
            XCTAssertThrowsError(try codec.decode(delta.stored, id: delta.id, compression: .zstdDelta, rawLength: delta.rawLength))
            XCTAssertThrowsError(try codec.decode(delta.stored, id: delta.id, compression: .zstdDelta, rawLength: delta.rawLength,
                                                  base: plaintext), "a wrong base does not give the chunk")
        }
    }

    func testEncryptedRoundTrips() throws {
        let codec = BlobCodec(keys: keys, compressionLevel: 3)
        let textBlob = try roundTrip(codec, text)
        XCTAssertEqual(textBlob.compression, .zstd)
        XCTAssertLessThan(textBlob.stored.count, text.count / 10)
        XCTAssertEqual(textBlob.id, ChunkID(text.withUnsafeBytes { Crypto.hmacSHA256(key: keys.chunkID, $0) }),
                       "encrypted IDs are HMAC-SHA-256 with the repository's ID key")
        XCTAssertNotEqual(textBlob.id.digest, Crypto.sha256(text), "the ID must not reveal the plain hash")

        let randomBlob = try roundTrip(codec, random, type: .tree)
        XCTAssertEqual(randomBlob.compression, .none)
        XCTAssertEqual(randomBlob.stored.count, random.count + AESGCM.overhead)
        XCTAssertFalse(randomBlob.stored.range(of: random.prefix(64)) != nil, "plaintext must not appear in the stored bytes")

        let empty = try roundTrip(codec, Data())
        XCTAssertEqual(empty.stored.count, AESGCM.overhead)
    }

    func testEncodingViaRawPointerMatches() throws {
        let codec = BlobCodec(keys: nil, compressionLevel: 3)
        let id = ChunkIdentifier(key: nil).id(of: text)
        let blob = text.withUnsafeBytes { codec.encode($0, id: id, type: .data) }
        XCTAssertEqual(blob.id, id)
        XCTAssertEqual(try codec.decode(blob.stored, id: id, compression: blob.compression, rawLength: text.count), text)
    }

    /// The backup's workers encode into reused buffers: each blob decodes exactly, whatever
    /// was encoded before it (larger, smaller, compressible or not), in both key modes.
    func testEncodingIntoReusedBuffersRoundTrips() throws {
        for codec in [BlobCodec(keys: keys, compressionLevel: 3), BlobCodec(keys: nil, compressionLevel: 3)] {
            let buffers = EncodingBuffers()
            for plaintext in [text, random, Data(), pseudoRandomBytes(300_000, seed: 12), text.prefix(100), random] {
                let id = codec.identifier.id(of: plaintext)
                let blob = plaintext.withUnsafeBytes { codec.encode($0, id: id, type: .data, using: buffers) }
                let whole = codec.encode(plaintext, type: .data)
                XCTAssertEqual(blob.compression, whole.compression)
                XCTAssertEqual(blob.stored.count, whole.stored.count)
                let back = try codec.decode(Data(blob.stored), id: id, compression: blob.compression, rawLength: plaintext.count)
                XCTAssertEqual(back, plaintext)
            }
        }
    }

    func testFlippedBitIsRejectedEncrypted() {
        let codec = BlobCodec(keys: keys, compressionLevel: 3)
        for plaintext in [text, random] {
            let blob = codec.encode(plaintext, type: .data)
            for index in [0, 11, 12, blob.stored.count / 2, blob.stored.count - 17, blob.stored.count - 1] {
                assertFormatError(.authenticationFailed, "byte \(index)") {
                    try codec.decode(flippingBit(blob.stored, at: index, bit: 3), id: blob.id,
                                     compression: blob.compression, rawLength: blob.rawLength)
                }
            }
        }
    }

    func testFlippedBitIsRejectedUnencrypted() {
        let codec = BlobCodec(keys: nil, compressionLevel: 3)
        for plaintext in [text, random] {
            let blob = codec.encode(plaintext, type: .data)
            for index in [0, 5, blob.stored.count / 2, blob.stored.count - 1] {
                // A damaged zstd frame may fail to decompress or decompress to other bytes.
                assertFormatError([.hashMismatch, .malformed], "byte \(index)") {
                    try codec.decode(flippingBit(blob.stored, at: index, bit: 5), id: blob.id,
                                     compression: blob.compression, rawLength: blob.rawLength)
                }
            }
        }
    }

    func testBlobCannotBeSwappedForAnother() {
        for codec in [BlobCodec(keys: keys, compressionLevel: 3), BlobCodec(keys: nil, compressionLevel: 3)] {
            let a = codec.encode(random, type: .data)
            let b = codec.encode(pseudoRandomBytes(random.count, seed: 12), type: .data)
            assertFormatError([.authenticationFailed, .hashMismatch]) {
                try codec.decode(a.stored, id: b.id, compression: a.compression, rawLength: a.rawLength)
            }
        }
    }

    func testWrongMetadataIsRejected() {
        let codec = BlobCodec(keys: keys, compressionLevel: 3)
        let blob = codec.encode(text, type: .data)
        assertFormatError([.hashMismatch, .malformed], "compressed blob read as uncompressed") {
            try codec.decode(blob.stored, id: blob.id, compression: .none, rawLength: blob.rawLength)
        }
        assertFormatError([.hashMismatch, .malformed], "wrong raw length") {
            try codec.decode(blob.stored, id: blob.id, compression: blob.compression, rawLength: blob.rawLength - 1)
        }
        let raw = codec.encode(random, type: .data)
        assertFormatError([.hashMismatch, .malformed], "raw blob read as compressed") {
            try codec.decode(raw.stored, id: raw.id, compression: .zstd, rawLength: raw.rawLength)
        }
    }

    func testOtherRepositoryKeysCannotDecode() {
        let blob = BlobCodec(keys: keys, compressionLevel: 3).encode(text, type: .data)
        let other = BlobCodec(keys: testKeys(50), compressionLevel: 3)
        assertFormatError(.authenticationFailed) {
            try other.decode(blob.stored, id: blob.id, compression: blob.compression, rawLength: blob.rawLength)
        }
        let unencrypted = BlobCodec(keys: nil, compressionLevel: 3)
        assertFormatError([.hashMismatch, .malformed], "an encrypted blob read without a key") {
            try unencrypted.decode(blob.stored, id: blob.id, compression: blob.compression, rawLength: blob.rawLength)
        }
    }

    func testBlobTypesAndCompressionHaveStableRawValues() {
        // These values are written into pack trailers and index files.
        XCTAssertEqual(BlobType.data.rawValue, 0)
        XCTAssertEqual(BlobType.tree.rawValue, 1)
        XCTAssertEqual(Compression.none.rawValue, 0)
        XCTAssertEqual(Compression.zstd.rawValue, 1)
    }
}
