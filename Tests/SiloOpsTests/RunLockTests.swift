import Foundation
import SiloOps
import XCTest

final class RunLockTests: XCTestCase {
    private let config = "/etc/silo/silo.yaml"

    func testTheFileNameComesFromTheConfiguration() {
        let name = RunLock.fileName(for: config)
        XCTAssertTrue(name.hasPrefix("run-") && name.hasSuffix(".lock") && name.count == 25, name)
        XCTAssertEqual(name, RunLock.fileName(for: "/etc/silo/../silo/silo.yaml"))
        XCTAssertNotEqual(name, RunLock.fileName(for: "/etc/silo/other.yaml"))
    }

    func testTwoTakersInOneProcess() throws {
        let scratch = ScratchState()
        let started = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try RunLock.acquire(configuration: config, in: scratch.directory, now: { started })
        XCTAssertEqual(RunLock.holder(configuration: config, in: scratch.directory)?.pid, getpid())
        XCTAssertThrowsError(try RunLock.acquire(configuration: config, in: scratch.directory)) { error in
            let held = error as? RunLockHeld
            XCTAssertEqual(held?.holder?.pid, getpid(), "\(error)")
            XCTAssertEqual(held?.holder?.host, ProcessIdentity.hostName)
            XCTAssertEqual(held?.holder?.started, started)
            XCTAssertEqual(held?.configuration, config)
            XCTAssertTrue("\(error)".contains("pid \(getpid()) on \(ProcessIdentity.hostName), since 2027-01-15T08:00:00Z"), "\(error)")
        }
        // Another configuration has its own lock.
        let other = try RunLock.acquire(configuration: "/etc/silo/other.yaml", in: scratch.directory)
        other.release()
        first.release()
        XCTAssertNil(RunLock.holder(configuration: config, in: scratch.directory))
        let second = try RunLock.acquire(configuration: config, in: scratch.directory)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: second.path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o600)
        second.release()
        second.release()
    }

    func testDroppingTheLockObjectReleasesIt() throws {
        let scratch = ScratchState()
        do { _ = try RunLock.acquire(configuration: config, in: scratch.directory) }
        XCTAssertNoThrow(try RunLock.acquire(configuration: config, in: scratch.directory))
    }

    /// A holder in another process blocks the lock; SIGKILLed, it releases it, with nothing
    /// to clean up. The child is python3's fcntl.flock, independent of silo's code, which
    /// writes a holder record as silo's does.
    func testAKilledHolderInAnotherProcessReleasesTheLock() throws {
        let scratch = ScratchState()
        try scratch.directory.create()
        let path = scratch.directory.file(RunLock.fileName(for: config))
        let ready = scratch.root + "/ready"
        let script = """
            import fcntl, json, os, socket, sys, time
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "2026-12-07T09:00:00Z",
                                     "configuration": "/etc/silo/silo.yaml"}).encode())
            open(sys.argv[2], "w").close()
            time.sleep(600)
            """
        let child = try spawn("/usr/bin/python3", ["-c", script, path, ready])
        defer { if child.isRunning { killAndReap(child) } }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: ready) {
            XCTAssertTrue(child.isRunning, "the python holder exited")
            guard Date() < deadline, child.isRunning else { return XCTFail("the python holder never took the lock") }
            usleep(20_000)
        }
        XCTAssertThrowsError(try RunLock.acquire(configuration: config, in: scratch.directory)) { error in
            let held = error as? RunLockHeld
            XCTAssertEqual(held?.holder?.pid, child.processIdentifier, "\(error)")
            XCTAssertTrue("\(error)".contains("since 2026-12-07T09:00:00Z"), "\(error)")
        }
        killAndReap(child)
        // The record is still in the file, but its process is gone.
        XCTAssertNil(RunLock.holder(configuration: config, in: scratch.directory))
        let lock = try RunLock.acquire(configuration: config, in: scratch.directory)
        XCTAssertEqual(RunLock.holder(configuration: config, in: scratch.directory)?.pid, getpid())
        lock.release()
    }

    /// A child silo runs (a hook) does not inherit the lock: it ends with its holder.
    func testAChildProcessDoesNotInheritTheLock() throws {
        let scratch = ScratchState()
        var lock: RunLock? = try RunLock.acquire(configuration: config, in: scratch.directory)
        let child = try spawn("/bin/sleep", ["600"])
        defer { killAndReap(child) }
        lock?.release()
        lock = nil
        XCTAssertNoThrow(try RunLock.acquire(configuration: config, in: scratch.directory))
    }
}
