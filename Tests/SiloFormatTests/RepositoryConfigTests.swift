import Foundation
import SiloFormat
import XCTest

final class RepositoryConfigTests: XCTestCase {
    let keys = testKeys(9)

    func makeConfig(encrypted: Bool) -> RepositoryConfig {
        let settings = RepositorySettings(encrypted: encrypted, compressionLevel: 5, packTargetSize: 8 << 20,
                                          chunkerSeed: encrypted ? nil : Data(repeating: 0x42, count: 32))
        return RepositoryConfig(id: "4f2a0c9d4f2a0c9d4f2a0c9d4f2a0c9d", created: "2025-01-29T12:00:00Z", encrypted: encrypted, settings: settings,
                                sealer: ObjectSealer(keys: encrypted ? keys : nil))
    }

    func testSettingsDefaults() {
        let encrypted = RepositorySettings(encrypted: true, chunkerSeed: nil)
        XCTAssertEqual(encrypted.chunkIDAlgorithm, "hmac-sha256")
        XCTAssertEqual(encrypted.compression, "zstd")
        XCTAssertEqual(encrypted.compressionLevel, 3)
        XCTAssertEqual(encrypted.chunker, "fastcdc-nc2")
        XCTAssertEqual(encrypted.chunkerProfiles, ["files": .files, "database": .database])
        XCTAssertEqual(encrypted.packTargetSize, 16 * 1024 * 1024)
        XCTAssertEqual(RepositorySettings(encrypted: false, chunkerSeed: nil).chunkIDAlgorithm, "sha256")
    }

    func testEncryptedConfigRoundTrip() throws {
        let config = makeConfig(encrypted: true)
        XCTAssertTrue(config.isEncrypted)
        XCTAssertEqual(config.encryption, "aes-256-gcm")
        XCTAssertEqual(config.version, 1)
        let decoded = try RepositoryConfig.decode(config.encoded())
        XCTAssertEqual(decoded, config)
        let settings = try decoded.openSettings(sealer: ObjectSealer(keys: keys))
        XCTAssertEqual(settings.compressionLevel, 5)
        XCTAssertEqual(settings.packTargetSize, 8 << 20)
        XCTAssertEqual(settings.chunkIDAlgorithm, "hmac-sha256")
        XCTAssertNil(settings.chunkerSeed)
    }

    /// The id names the cache folder: anything but 32 lowercase hex digits is refused.
    func testConfigIdMustBeHex() throws {
        for bad in ["../../../../tmp/x", "", "4f2a", "4F2A0C9D4F2A0C9D4F2A0C9D4F2A0C9D", "4f2a0c9d4f2a0c9d4f2a0c9d4f2a0c9/", String(repeating: "a", count: 33)] {
            var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: makeConfig(encrypted: false).encoded()) as? [String: Any])
            object["id"] = bad
            XCTAssertThrowsError(try RepositoryConfig.decode(try JSONSerialization.data(withJSONObject: object)), bad)
        }
        XCTAssertNoThrow(try RepositoryConfig.decode(makeConfig(encrypted: false).encoded()))
    }

    func testEncryptedSettingsNeedTheKey() throws {
        let config = makeConfig(encrypted: true)
        XCTAssertNil(config.settings.range(of: Data("fastcdc".utf8)), "settings are sealed")
        assertFormatError(.authenticationFailed) { try config.openSettings(sealer: ObjectSealer(keys: testKeys(10))) }
        var tampered = config
        tampered.settings = flippingBit(config.settings, at: 20)
        assertFormatError(.authenticationFailed) { try tampered.openSettings(sealer: ObjectSealer(keys: keys)) }
    }

    func testUnencryptedConfigIsReadableWithoutKey() throws {
        let config = makeConfig(encrypted: false)
        XCTAssertFalse(config.isEncrypted)
        XCTAssertEqual(config.encryption, "none")
        let decoded = try RepositoryConfig.decode(config.encoded())
        let settings = try decoded.openSettings(sealer: ObjectSealer(keys: nil))
        XCTAssertEqual(settings.chunkIDAlgorithm, "sha256")
        XCTAssertEqual(settings.chunkerSeed, Data(repeating: 0x42, count: 32))
        // Settings JSON uses the documented snake_case names.
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: config.settings) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["chunk_id", "compression", "compression_level", "chunker", "chunker_profiles",
                                          "pack_target_size", "chunker_seed"])
    }

    func testConfigJSONNamesItsVersion() throws {
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: makeConfig(encrypted: true).encoded()) as? [String: Any])
        XCTAssertEqual(object["silo_repository_version"] as? Int, 1)
        XCTAssertEqual(object["encryption"] as? String, "aes-256-gcm")
        XCTAssertEqual(object["id"] as? String, "4f2a0c9d4f2a0c9d4f2a0c9d4f2a0c9d")
    }

    func testNewerVersionIsUnsupported() throws {
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: makeConfig(encrypted: true).encoded()) as? [String: Any])
        object["silo_repository_version"] = 2
        let data = try JSONSerialization.data(withJSONObject: object)
        assertFormatError(.unsupportedVersion) { try RepositoryConfig.decode(data) }
        do {
            _ = try RepositoryConfig.decode(data)
        } catch let error as FormatError {
            XCTAssertTrue(error.description.contains("upgrade"), error.description)
        }
        // Even a config this version cannot otherwise parse says "too new" first.
        assertFormatError(.unsupportedVersion) { try RepositoryConfig.decode(Data(#"{"silo_repository_version": 99}"#.utf8)) }
    }

    func testNotAConfigIsMalformed() {
        for text in ["", "not json", "[]", #"{"id": "x"}"#, #"{"silo_repository_version": "1"}"#, #"{"silo_repository_version": 1}"#] {
            assertFormatError(.malformed, text) { try RepositoryConfig.decode(Data(text.utf8)) }
        }
    }
}

final class KeyFileTests: XCTestCase {
    let keys = testKeys(11)
    let n: UInt64 = 1 << 10

    func testRightPasswordOpensWrongPasswordDoesNot() throws {
        let file = try KeyFile.create(password: Data("correct horse".utf8), keys: keys, created: "2025-01-29T12:00:00Z",
                                      host: "web-01", username: "root", n: n)
        XCTAssertEqual(try file.open(password: Data("correct horse".utf8)), keys)
        XCTAssertNil(try file.open(password: Data("correct hors".utf8)))
        XCTAssertNil(try file.open(password: Data("Correct horse".utf8)))
        XCTAssertNil(try file.open(password: Data()))
    }

    func testFieldsAndEncodingRoundTrip() throws {
        let file = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "2025-01-29T12:00:00Z",
                                      host: "web-01", username: "ops", n: n)
        XCTAssertEqual(file.version, 1)
        XCTAssertEqual(file.kdf, "scrypt")
        XCTAssertEqual(file.n, n)
        XCTAssertEqual(file.r, 8)
        XCTAssertEqual(file.p, 1)
        XCTAssertEqual(file.salt.count, 32)
        XCTAssertEqual(file.host, "web-01")
        XCTAssertEqual(file.username, "ops")
        let decoded = try KeyFile.decode(file.encoded())
        XCTAssertEqual(decoded, file)
        XCTAssertEqual(try decoded.open(password: Data("pw".utf8)), keys)
    }

    func testWrappedKeysDoNotAppearInTheFile() throws {
        let file = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "t", host: "h", username: "u", n: n)
        let encoded = file.encoded()
        for secret in [keys.encryption, keys.chunkID, keys.chunkerSeed] {
            XCTAssertNil(encoded.range(of: Data(secret.base64EncodedString().utf8)))
            XCTAssertNil(encoded.range(of: secret))
        }
    }

    func testEachKeyFileHasItsOwnSalt() throws {
        let a = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "t", host: "h", username: "u", n: n)
        let b = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "t", host: "h", username: "u", n: n)
        XCTAssertNotEqual(a.salt, b.salt)
        XCTAssertNotEqual(a.keys, b.keys)
        XCTAssertEqual(try a.open(password: Data("pw".utf8)), try b.open(password: Data("pw".utf8)))
    }

    func testKDFParametersAreTheOnesRecorded() throws {
        var file = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "t", host: "h", username: "u", n: n)
        // Changing the recorded work factor or salt derives another key: the password no longer opens it.
        file.n = n * 2
        XCTAssertNil(try file.open(password: Data("pw".utf8)))
        file.n = n
        file.salt[0] ^= 1
        XCTAssertNil(try file.open(password: Data("pw".utf8)))
    }

    func testTamperedKeysDoNotOpen() throws {
        var file = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "t", host: "h", username: "u", n: n)
        file.keys = flippingBit(file.keys, at: file.keys.count / 2)
        XCTAssertNil(try file.open(password: Data("pw".utf8)))
    }

    func testUnsupportedVersionOrKDFThrows() throws {
        var file = try KeyFile.create(password: Data("pw".utf8), keys: keys, created: "t", host: "h", username: "u", n: n)
        file.version = 2
        assertFormatError(.unsupportedVersion) { try file.open(password: Data("pw".utf8)) }
        file.version = 1
        file.kdf = "argon2id"
        assertFormatError(.unsupportedVersion) { try file.open(password: Data("pw".utf8)) }
    }

    func testGarbageKeyFileIsMalformed() {
        for text in ["", "{}", "[1]", #"{"version": 1}"#] {
            assertFormatError(.malformed, text) { try KeyFile.decode(Data(text.utf8)) }
        }
    }
}
