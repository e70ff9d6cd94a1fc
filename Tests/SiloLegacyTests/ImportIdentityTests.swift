import Foundation
import SiloFormat
import XCTest
@testable import SiloLegacy

/// Which earlier snapshot an import would repeat, including snapshots imported before the
/// archive's digest was recorded (matched by name, host and tags).
final class ImportIdentityTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "silo-import-identity-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        super.tearDown()
    }

    private func snapshot(_ seed: UInt8, host: String, tags: [String] = ["imported"], origin: String,
                          sha256: String? = nil, size: UInt64? = nil) -> (id: SnapshotID, snapshot: Snapshot) {
        let tree = ChunkID(Crypto.sha256(Data([seed])))
        var made = Snapshot(time: 0, host: host, username: "u", tags: tags, paths: ["/"], tree: tree, parent: nil, program: "test",
                            summary: SnapshotSummary())
        made.origin = origin
        made.originSHA256 = sha256
        made.originSize = size
        return (SnapshotID(Crypto.sha256(Data([seed, 1]))), made)
    }

    func testMatchesByDigestSizeHostAndTags() throws {
        let path = directory + "/a.tar"
        let bytes = Data("archive bytes".utf8)
        try bytes.write(to: URL(fileURLWithPath: path))
        let digest = Crypto.sha256(bytes).hex
        var options = ImportOptions(host: "web1")
        let same = snapshot(1, host: "web1", origin: "other-name.tar", sha256: digest, size: UInt64(bytes.count))
        XCTAssertEqual(try ImportIdentity.previous(of: path, options: options, in: [same])?.id, same.id)
        let otherBytes = snapshot(2, host: "web1", origin: "a.tar", sha256: Crypto.sha256(Data("x".utf8)).hex, size: UInt64(bytes.count))
        XCTAssertNil(try ImportIdentity.previous(of: path, options: options, in: [otherBytes]))
        options.host = "web2"
        XCTAssertNil(try ImportIdentity.previous(of: path, options: options, in: [same]))
        options.host = "web1"
        options.tags = ["monthly"]
        XCTAssertNil(try ImportIdentity.previous(of: path, options: options, in: [same]))
    }

    func testSnapshotsWithoutADigestMatchByNameHostAndTags() throws {
        let path = directory + "/a.tar"
        try Data("archive bytes".utf8).write(to: URL(fileURLWithPath: path))
        let old = snapshot(3, host: "web1", origin: "a.tar")
        XCTAssertEqual(try ImportIdentity.previous(of: path, options: ImportOptions(host: "web1"), in: [old])?.id, old.id)
        XCTAssertNil(try ImportIdentity.previous(of: path, options: ImportOptions(host: "web2"), in: [old]))
        XCTAssertNil(try ImportIdentity.previous(of: directory + "/../" + (directory as NSString).lastPathComponent + "/a.tar",
                                                 options: ImportOptions(host: "web1"), in: [snapshot(4, host: "web1", origin: "b.tar")]))
    }
}
