import Foundation
import SiloEngine
import SiloFormat
import SiloTestSupport
import XCTest

/// `restore --verify` reads back what a restore wrote: a restored file that no longer holds the
/// snapshot's content (flipped byte, cut short, grown) is named; an intact one is not.
final class RestoreVerifierTests: XCTestCase {
    func testNamesEveryKindOfMismatch() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        for name in ["flipped", "short", "long", "intact"] { try s.write("src/\(name)", pseudoRandomBytes(300_000, seed: UInt64(name.count))) }
        let snapshot = try s.backup(repository, [s.path("src")]).snapshot
        _ = try s.restore(repository, snapshot, to: s.path("out"))
        let restored = s.path("out") + s.path("src")
        let options = RestoreOptions(target: s.path("out"))
        XCTAssertEqual(try RestoreVerifier(repository: repository, snapshot: snapshot, options: options).run().mismatches.count, 0)

        var flipped = try Data(contentsOf: URL(fileURLWithPath: restored + "/flipped"))
        flipped[123_456] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: restored + "/flipped"))
        XCTAssertEqual(truncate(restored + "/short", 1000), 0)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: restored + "/long"))
        handle.seekToEndOfFile()
        handle.write(Data("x".utf8))
        try handle.close()

        let report = try RestoreVerifier(repository: repository, snapshot: snapshot, options: options).run()
        XCTAssertEqual(report.filesChecked, 4)
        XCTAssertEqual(Set(report.mismatches.map { ($0.path as NSString).lastPathComponent }), ["flipped", "short", "long"])
        XCTAssertTrue(report.mismatches.contains { $0.message.contains("differs") }, "\(report.mismatches)")
    }
}
