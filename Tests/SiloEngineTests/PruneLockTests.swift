import Foundation
import SiloEngine
import SiloRepository
import SiloTestSupport
import XCTest

/// A second prune beside a live one is refused with its own error code (`locked`, exit 11),
/// and deletes nothing.
final class PruneLockTests: XCTestCase {
    func testAPruneBesideALivePruneIsLocked() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try s.write("src/a.bin", pseudoRandomBytes(100_000, seed: 3))
        _ = try s.backup(repository, [s.path("src")])
        let other = try repository.takeLease(.prune)
        defer { other.release() }
        XCTAssertThrowsError(try Pruner(repository: repository, options: PruneOptions()).run()) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .locked, "\(error)")
        }
        other.release()
        XCTAssertNoThrow(try Pruner(repository: repository, options: PruneOptions()).run())
    }
}
