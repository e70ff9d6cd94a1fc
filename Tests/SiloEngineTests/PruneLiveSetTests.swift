import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
import XCTest

/// Prune's live set in the catalog (Sources/SiloEngine/Prune/PruneLiveSet.swift).
final class PruneLiveSetTests: XCTestCase {
    /// Catalog calls inside `inOneTransaction` join it: a failure rolls all of them back, and
    /// success commits all of them.
    func testCallsInsideOneTransactionCommitOrRollBackTogether() throws {
        let s = try Scratch()
        let catalog = try s.initRepository().catalog
        let ids = (0..<50).map { ChunkID(Crypto.sha256(Data("chunk \($0)".utf8))) }
        struct Stop: Error {}
        XCTAssertThrowsError(try catalog.inOneTransaction {
            XCTAssertEqual(try catalog.addLive(Array(ids[0..<25])), 25)
            XCTAssertEqual(try catalog.addLive(ids), 25, "the first call's rows are visible inside")
            throw Stop()
        })
        XCTAssertEqual(try catalog.liveCount(), 0, "rolled back as a whole")
        try catalog.inOneTransaction {
            _ = try catalog.addLive(Array(ids[0..<25]))
            _ = try catalog.addLive(ids)
        }
        XCTAssertEqual(try catalog.liveCount(), 50)
    }
}
