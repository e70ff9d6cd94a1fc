import Foundation
import SiloFormat
import XCTest

/// Known-answer tests: every expected value comes from a standard's published vectors.
final class CryptoTests: XCTestCase {
    // FIPS 180-2 appendix B / NIST examples.
    func testSHA256KnownAnswers() {
        XCTAssertEqual(Crypto.sha256(Data("abc".utf8)).hex,
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Crypto.sha256(Data()).hex,
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Crypto.sha256(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex,
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(Crypto.sha256(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)).hex,
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256OfASliceHashesOnlyTheSlice() {
        let whole = Data("xxabcyy".utf8)
        let slice = whole[2..<5]
        XCTAssertEqual(Crypto.sha256(slice).hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func hmac(_ key: Data, _ message: Data) -> String {
        message.withUnsafeBytes { Crypto.hmacSHA256(key: key, $0) }.hex
    }

    // RFC 4231 §4.2, §4.3, §4.7, §4.8.
    func testHMACSHA256RFC4231() {
        XCTAssertEqual(hmac(Data(repeating: 0x0B, count: 20), Data("Hi There".utf8)),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(hmac(Data("Jefe".utf8), Data("what do ya want for nothing?".utf8)),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(hmac(Data(repeating: 0xAA, count: 131), Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8)),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        XCTAssertEqual(hmac(Data(repeating: 0xAA, count: 131), Data(("This is a test using a larger than block-size key and a larger "
                                                                     + "than block-size data. The key needs to be hashed before being "
                                                                     + "used by the HMAC algorithm.").utf8)),
                       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    func testHMACOfEmptyMessage() {
        // Python: hmac.new(b"key", b"", hashlib.sha256).hexdigest()
        XCTAssertEqual(hmac(Data("key".utf8), Data()),
                       "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0")
    }

    // RFC 7914 §12.
    func testScryptRFC7914Vectors() throws {
        XCTAssertEqual(hexString(try Crypto.scrypt(password: Data(), salt: Data(), n: 16, r: 1, p: 1, length: 64)), """
            77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442\
            fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906
            """)
        XCTAssertEqual(hexString(try Crypto.scrypt(password: Data("password".utf8), salt: Data("NaCl".utf8),
                                                   n: 1024, r: 8, p: 16, length: 64)), """
            fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162\
            2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640
            """)
        XCTAssertEqual(hexString(try Crypto.scrypt(password: Data("pleaseletmein".utf8), salt: Data("SodiumChloride".utf8),
                                                   n: 16384, r: 8, p: 1, length: 64)), """
            7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2\
            d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887
            """)
    }

    func testScryptDefaultsTo32BytesWhichArePrefixOfLongerOutput() throws {
        let key = try Crypto.scrypt(password: Data(), salt: Data(), n: 16, r: 1, p: 1)
        XCTAssertEqual(hexString(key), "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442")
    }

    func testScryptRejectsInvalidParameters() {
        // N must be a power of two greater than 1.
        assertFormatError(.library, "N=3") { try Crypto.scrypt(password: Data("pw".utf8), salt: Data(), n: 3, r: 1, p: 1) }
        assertFormatError(.library, "N=0") { try Crypto.scrypt(password: Data("pw".utf8), salt: Data(), n: 0, r: 1, p: 1) }
    }

    func testRandomBytes() {
        XCTAssertEqual(Crypto.randomBytes(32).count, 32)
        XCTAssertEqual(Crypto.randomBytes(1).count, 1)
        XCTAssertEqual(Crypto.randomBytes(0), Data())
        let samples = (0..<20).map { _ in Crypto.randomBytes(16) }
        XCTAssertEqual(Set(samples).count, samples.count, "16 random bytes never repeat")
        // Not all zero, and roughly balanced bits over 64 KiB.
        let big = Crypto.randomBytes(65536)
        let ones = big.reduce(0) { $0 + $1.nonzeroBitCount }
        XCTAssertEqual(Double(ones) / Double(big.count * 8), 0.5, accuracy: 0.01)
    }

    func testChunkIdentifierKeyedAndUnkeyed() {
        let data = Data("what do ya want for nothing?".utf8)
        XCTAssertEqual(ChunkIdentifier(key: nil).id(of: Data("abc".utf8)).hex,
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "plain SHA-256 without a key")
        XCTAssertEqual(ChunkIdentifier(key: Data("Jefe".utf8)).id(of: data).hex,
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "HMAC-SHA-256 with the key")
        XCTAssertNotEqual(ChunkIdentifier(key: Data("Jeff".utf8)).id(of: data), ChunkIdentifier(key: Data("Jefe".utf8)).id(of: data))
        let viaPointer = data.withUnsafeBytes { ChunkIdentifier(key: Data("Jefe".utf8)).id(of: $0) }
        XCTAssertEqual(viaPointer, ChunkIdentifier(key: Data("Jefe".utf8)).id(of: data))
    }
}
