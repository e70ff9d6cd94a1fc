import Foundation
import SiloFormat
import XCTest

final class MasterKeysTests: XCTestCase {
    func testRandomKeysAreFullLengthAndIndependent() {
        let a = MasterKeys.random()
        let b = MasterKeys.random()
        for key in [a.encryption, a.chunkID, a.chunkerSeed, b.encryption] {
            XCTAssertEqual(key.count, 32)
        }
        XCTAssertEqual(Set([a.encryption, a.chunkID, a.chunkerSeed, b.encryption, b.chunkID, b.chunkerSeed]).count, 6)
        XCTAssertNotEqual(a, b)
    }

    func testCodableRoundTrip() throws {
        let keys = MasterKeys.random()
        XCTAssertEqual(try JSONDecoder().decode(MasterKeys.self, from: JSONEncoder().encode(keys)), keys)
    }
}

final class ObjectSealerTests: XCTestCase {
    let keys = testKeys(13)
    let message = Data("{\"snapshot\": true}".utf8)

    func testWithoutKeysObjectsStayPlain() throws {
        let sealer = ObjectSealer(keys: nil)
        XCTAssertNil(sealer.cipher)
        XCTAssertEqual(sealer.overhead, 0)
        XCTAssertEqual(sealer.seal(message, kind: "silo.snapshot"), message)
        XCTAssertEqual(try sealer.open(message, kind: "anything"), message)
    }

    func testWithKeysObjectsAreSealedAndBoundToTheirKind() throws {
        let sealer = ObjectSealer(keys: keys)
        XCTAssertEqual(sealer.overhead, AESGCM.overhead)
        let sealed = sealer.seal(message, kind: "silo.snapshot")
        XCTAssertEqual(sealed.count, message.count + AESGCM.overhead)
        XCTAssertNil(sealed.range(of: Data("snapshot".utf8)))
        XCTAssertEqual(try sealer.open(sealed, kind: "silo.snapshot"), message)
        assertFormatError(.authenticationFailed) { try sealer.open(sealed, kind: "silo.index") }
        assertFormatError(.authenticationFailed) { try sealer.open(sealed, kind: "") }
        // The seal is plain AES-256-GCM with the kind as associated data, under the encryption key.
        XCTAssertEqual(try AESGCM(key: keys.encryption).open(sealed, associatedData: Data("silo.snapshot".utf8)), message)
    }

    func testOtherKeysOrTamperingFail() {
        let sealed = ObjectSealer(keys: keys).seal(message, kind: "k")
        assertFormatError(.authenticationFailed) { try ObjectSealer(keys: testKeys(14)).open(sealed, kind: "k") }
        assertFormatError(.authenticationFailed) { try ObjectSealer(keys: keys).open(flippingBit(sealed, at: sealed.count - 1), kind: "k") }
        // Only the encryption key matters for sealing; the ID key and chunker seed do not.
        var sameEncryption = testKeys(99)
        sameEncryption.encryption = keys.encryption
        XCTAssertEqual(try ObjectSealer(keys: sameEncryption).open(sealed, kind: "k"), message)
    }
}
