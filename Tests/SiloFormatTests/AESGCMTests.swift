import Foundation
import SiloFormat
import SiloTestSupport
import XCTest

final class AESGCMTests: XCTestCase {
    let key = Data((0..<32).map { UInt8($0 * 7 & 0xFF) })
    let aad = Data("chunk-id".utf8)

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13, 14 and 16
    /// (AES-256), laid out as nonce ‖ ciphertext ‖ tag.
    func testOpensPublishedTestVectors() throws {
        let zeroKey = AESGCM(key: Data(count: 32))
        XCTAssertEqual(try zeroKey.open(hexBytes("000000000000000000000000" + "530f8afbc74536b9a963b4f1c4cb738b"),
                                        associatedData: Data()), Data())
        XCTAssertEqual(try zeroKey.open(hexBytes("000000000000000000000000" + "cea7403d4d606b6e074ec5d3baf39d18"
                                                 + "d0d1c8a799996bf0265b98b5d48ab919"), associatedData: Data()), Data(count: 16))
        let cipher = AESGCM(key: hexBytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let sealed = hexBytes("""
            cafebabefacedbaddecaf888
            522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
            76fc6ece0f4e1768cddf8853bb2d551b
            """)
        let plaintext = hexBytes("""
            d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39
            """)
        XCTAssertEqual(try cipher.open(sealed, associatedData: hexBytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")), plaintext)
    }

    func testSealedLayoutIsNonceCiphertextTag() throws {
        // `open` reads nonce ‖ ciphertext ‖ tag (the published vectors above prove it), so a
        // round trip plus the sizes pins `seal` to the same layout.
        let cipher = AESGCM(key: hexBytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let plaintext = Data("layout check".utf8)
        let sealed = cipher.seal(plaintext, associatedData: aad)
        XCTAssertEqual(sealed.count, AESGCM.nonceSize + plaintext.count + AESGCM.tagSize)
        XCTAssertEqual(AESGCM.overhead, 28)
        XCTAssertNotEqual(sealed.subdata(in: 12..<12 + plaintext.count), plaintext, "the plaintext is not visible")
        XCTAssertEqual(try cipher.open(sealed, associatedData: aad), plaintext)
    }

    func testRoundTripsOfManySizes() throws {
        let cipher = AESGCM(key: key)
        for size in [0, 1, 15, 16, 17, 1000, 65536, (1 << 20) + 3] {
            let plaintext = pseudoRandomBytes(size, seed: UInt64(size))
            let sealed = cipher.seal(plaintext, associatedData: aad)
            XCTAssertEqual(sealed.count, size + AESGCM.overhead)
            XCTAssertEqual(try cipher.open(sealed, associatedData: aad), plaintext, "size \(size)")
        }
        // Empty associated data works too.
        let sealed = cipher.seal(Data("x".utf8), associatedData: Data())
        XCTAssertEqual(try cipher.open(sealed, associatedData: Data()), Data("x".utf8))
    }

    func testOpensASlice() throws {
        let cipher = AESGCM(key: key)
        let sealed = cipher.seal(Data("in a pack".utf8), associatedData: aad)
        let pack = Data("header".utf8) + sealed + Data("trailer".utf8)
        XCTAssertEqual(try cipher.open(pack[6..<6 + sealed.count], associatedData: aad), Data("in a pack".utf8))
    }

    func testNonceIsFreshForEveryMessage() {
        let cipher = AESGCM(key: key)
        let sealed = (0..<50).map { _ in cipher.seal(Data("same".utf8), associatedData: aad) }
        XCTAssertEqual(Set(sealed.map { $0.prefix(AESGCM.nonceSize) }).count, 50)
        XCTAssertEqual(Set(sealed).count, 50)
    }

    func testEveryTamperedByteIsDetected() {
        let cipher = AESGCM(key: key)
        let sealed = cipher.seal(Data("sixteen byte msg".utf8), associatedData: aad)
        for index in 0..<sealed.count {
            for bit in [0, 7] as [UInt8] {
                assertFormatError(.authenticationFailed, "bit \(bit) of byte \(index)") {
                    try cipher.open(flippingBit(sealed, at: index, bit: bit), associatedData: aad)
                }
            }
        }
    }

    func testWrongAssociatedDataFails() {
        let cipher = AESGCM(key: key)
        let sealed = cipher.seal(Data("payload".utf8), associatedData: aad)
        assertFormatError(.authenticationFailed, "other AAD") { try cipher.open(sealed, associatedData: Data("chunk-ie".utf8)) }
        assertFormatError(.authenticationFailed, "no AAD") { try cipher.open(sealed, associatedData: Data()) }
        assertFormatError(.authenticationFailed, "longer AAD") { try cipher.open(sealed, associatedData: aad + Data([0])) }
        let noAAD = cipher.seal(Data("payload".utf8), associatedData: Data())
        assertFormatError(.authenticationFailed, "AAD where none was used") { try cipher.open(noAAD, associatedData: aad) }
    }

    func testWrongKeyFails() {
        let sealed = AESGCM(key: key).seal(Data("payload".utf8), associatedData: aad)
        var other = key
        other[31] ^= 0x80
        assertFormatError(.authenticationFailed) { try AESGCM(key: other).open(sealed, associatedData: aad) }
        assertFormatError(.authenticationFailed) { try AESGCM(key: Data(count: 32)).open(sealed, associatedData: aad) }
    }

    func testTruncatedOrExtendedCiphertextFails() {
        let cipher = AESGCM(key: key)
        let sealed = cipher.seal(Data("payload of some length".utf8), associatedData: aad)
        for cut in [1, 5, 16, sealed.count - AESGCM.overhead, sealed.count - 27, sealed.count - 1, sealed.count] {
            assertFormatError(.authenticationFailed, "\(cut) bytes cut off the end") {
                try cipher.open(sealed.prefix(sealed.count - cut), associatedData: aad)
            }
        }
        assertFormatError(.authenticationFailed, "first byte missing") { try cipher.open(sealed.dropFirst(), associatedData: aad) }
        assertFormatError(.authenticationFailed, "byte appended") { try cipher.open(sealed + Data([0]), associatedData: aad) }
        let empty = cipher.seal(Data(), associatedData: aad)
        XCTAssertEqual(empty.count, AESGCM.overhead)
        assertFormatError(.authenticationFailed, "empty message without its last tag byte") {
            try cipher.open(empty.dropLast(), associatedData: aad)
        }
    }
}
