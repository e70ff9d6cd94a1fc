import Foundation
import SiloFormat
@testable import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// A key file asking for more scrypt work than silo allows is never derived: a planted one
/// (N=2^20 took 5 s and 1 GiB per open, whatever the password) costs nothing, and the
/// repository still opens with its real key.
final class KeyLimitTests: XCTestCase {
    var root = ""
    let password = Data("pw".utf8)

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "silo-key-limit-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Stores a copy of `model` with other scrypt parameters, under an ID that sorts before
    /// `before`, so that it is the first key file an open tries.
    private func plant(_ model: KeyFile, n: UInt64, r: UInt64 = 8, p: UInt64 = 1, before: KeyID, in store: ObjectStore) throws -> KeyID {
        var file = model
        file.n = n
        file.r = r
        file.p = p
        for attempt in 0... {
            file.created = "planted \(attempt)"
            let data = file.encoded()
            let id = KeyID(Crypto.sha256(data))
            if id.hex < before.hex {
                try store.put(ObjectKeys.key(id), data: data)
                return id
            }
        }
        fatalError("unreachable")
    }

    func testPlantedExpensiveKeyIsSkippedQuickly() throws {
        let repository = try makeTestRepository(root: root, password: password, packTargetSize: 1 << 20)
        let real = try XCTUnwrap(repository.openedKey)
        let model = try XCTUnwrap(repository.listKeys().first).file
        let planted = try plant(model, n: 1 << 20, before: real, in: repository.store)

        let started = Date()
        let reopened = try Repository.open(store: repository.store, password: password, cacheRoot: root + "/cache")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "the planted key file must not be derived")
        XCTAssertEqual(reopened.openedKey, real)

        let started2 = Date()
        XCTAssertThrowsError(try Repository.open(store: repository.store, password: Data("wrong".utf8), cacheRoot: root + "/cache")) {
            XCTAssertEqual(($0 as? RepositoryError)?.code, .wrongPassword)
            XCTAssertTrue("\($0)".contains("key file \(planted.shortHex) was not tried: it asks for scrypt N=1048576, r=8, p=1, above the limit N=131072, r=8, p=1"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started2), 1.5, "nor with a wrong password")
    }

    func testOtherParametersBeyondTheLimitsOrInvalidAreSkipped() throws {
        let repository = try makeTestRepository(root: root, password: password, packTargetSize: 1 << 20)
        let real = try XCTUnwrap(repository.openedKey)
        let model = try XCTUnwrap(repository.listKeys().first).file
        for (n, r, p) in [(UInt64(1) << 10, UInt64(64), UInt64(1)), (1 << 10, 8, 16), (1000, 8, 1), (0, 8, 1), (1 << 10, 0, 1)] {
            _ = try plant(model, n: n, r: r, p: p, before: real, in: repository.store)
        }
        XCTAssertEqual(try Repository.open(store: repository.store, password: password, cacheRoot: root + "/cache").openedKey, real)
        XCTAssertThrowsError(try Repository.open(store: repository.store, password: Data("wrong".utf8), cacheRoot: root + "/cache")) {
            XCTAssertEqual("\($0)".components(separatedBy: "was not tried").count - 1, 5, "\($0)")
        }
    }

    func testAKeyBeyondTheLimitCannotBeAdded() throws {
        let repository = try makeTestRepository(root: root, password: password, packTargetSize: 1 << 20)
        XCTAssertThrowsError(try repository.addKey(password: Data("other".utf8), scryptN: KeyFile.maxN * 2))
        XCTAssertEqual(try repository.listKeys().count, 1)
    }
}
