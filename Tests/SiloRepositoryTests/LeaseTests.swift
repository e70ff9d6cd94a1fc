import Foundation
@testable import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// When a lease counts as stale, and when its holder must count it as lost (FORMAT.md §11).
final class LeaseTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "silo-lease-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private var me: ProcessIdentity { ProcessIdentity.current! }

    /// A PID free in this namespace.
    private func absentPID() -> Int32 {
        var pid: Int32 = 30_000
        while kill(pid, 0) == 0 || errno != ESRCH { pid += 1 }
        return pid
    }

    private func lease(pid: Int32, boot: String?, namespace: String?, start: UInt64? = nil, refreshed: Double = Date().timeIntervalSince1970) -> Lease {
        var lease = Lease(purpose: .backup, host: Host.name, pid: pid, started: refreshed, refreshed: refreshed, identity: nil)
        lease.boot = boot
        lease.pidNamespace = namespace
        lease.startTicks = start
        return lease
    }

    func testDeadHolderInThisNamespaceIsStaleAtOnce() {
        XCTAssertTrue(lease(pid: absentPID(), boot: me.bootID, namespace: me.pidNamespace).isStale())
    }

    /// The finding: a backup in a container (its own PID namespace, the same host name) wrote
    /// PID 32001, which does not exist on the host; prune took its lease for stale.
    func testPIDFromAnotherNamespaceOrBootProvesNothing() {
        let pid = absentPID()
        XCTAssertFalse(lease(pid: pid, boot: me.bootID, namespace: "pid:[1]").isStale())
        XCTAssertFalse(lease(pid: pid, boot: "another-boot", namespace: me.pidNamespace).isStale())
        // Leases of older versions carry no identity: only their age counts.
        XCTAssertFalse(lease(pid: pid, boot: nil, namespace: nil).isStale())
        let old = Date().timeIntervalSince1970 - Lease.staleAfter - 1
        XCTAssertTrue(lease(pid: pid, boot: nil, namespace: nil, refreshed: old).isStale())
    }

    /// A reused PID: the process exists but started at another time than the holder.
    func testReusedPIDIsStale() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        let start = try XCTUnwrap(ProcessIdentity.startTicks(of: child.processIdentifier))
        XCTAssertFalse(lease(pid: child.processIdentifier, boot: me.bootID, namespace: me.pidNamespace, start: start).isStale())
        XCTAssertTrue(lease(pid: child.processIdentifier, boot: me.bootID, namespace: me.pidNamespace, start: start + 1).isStale())
    }

    func testLeaseWrittenByThisProcessCarriesItsIdentity() throws {
        let repository = try makeTestRepository(root: root, password: Data("pw".utf8), packTargetSize: 1 << 20)
        let held = try repository.takeLease(.backup)
        defer { held.release() }
        let live = try repository.liveLeases()
        XCTAssertEqual(live.count, 1)
        XCTAssertEqual(live.first?.boot, me.bootID)
        XCTAssertEqual(live.first?.pidNamespace, me.pidNamespace)
        XCTAssertEqual(live.first?.startTicks, me.startTicks)
        XCTAssertNotNil(me.startTicks)
    }

    /// A holder whose last refresh is older than the stale time less the margin must not
    /// commit; nor after a late refresh, even though that refresh rewrote the lease.
    func testHolderCountsItsLeaseLostAfterTooLongWithoutRefresh() throws {
        let repository = try makeTestRepository(root: root, password: Data("pw".utf8), packTargetSize: 1 << 20)
        let timing = Lease.Timing(staleAfter: 3, refreshEvery: 3600, margin: 1)
        let held = try repository.takeLease(.backup, timing: timing)
        defer { held.release() }
        XCTAssertNoThrow(try held.confirm())
        let later = Date().addingTimeInterval(2.5)
        XCTAssertThrowsError(try held.confirm(now: later)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .leaseLost)
        }
        held.refresh(now: later)
        XCTAssertThrowsError(try held.confirm(now: later)) { error in
            XCTAssertEqual((error as? RepositoryError)?.code, .leaseLost)
        }
    }

    func testTimelyRefreshKeepsTheLease() throws {
        let repository = try makeTestRepository(root: root, password: Data("pw".utf8), packTargetSize: 1 << 20)
        let timing = Lease.Timing(staleAfter: 3, refreshEvery: 3600, margin: 1)
        let held = try repository.takeLease(.backup, timing: timing)
        defer { held.release() }
        let soon = Date().addingTimeInterval(1.5)
        held.refresh(now: soon)
        XCTAssertNoThrow(try held.confirm(now: soon.addingTimeInterval(1.4)))
    }
}
