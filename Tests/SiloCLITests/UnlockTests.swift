import Foundation
import SiloTestSupport
import XCTest

/// `unlock` removes the leases no process holds and says which; `--remove-all` also live ones.
final class UnlockTests: XCTestCase {
    private func leases(_ env: CLIEnvironment) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: env.repo + "/locks")) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// A backup stopped (SIGSTOP) once its lease is written: its lease is live.
    private func stoppedBackup(_ env: CLIEnvironment) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = ["backup", env.path("src"), "-q"]
        process.environment = env.environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while leases(env).isEmpty {
            guard process.isRunning, Date() < deadline else { throw XCTSkip("the backup finished before its lease was seen") }
            usleep(500)
        }
        kill(process.processIdentifier, SIGSTOP)
        return process
    }

    private func end(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func testUnlockRemovesOnlyStaleLeasesAndNamesThem() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        for i in 0..<4 { try env.write("src/part\(i).bin", pseudoRandomBytes(8_000_000, seed: UInt64(i + 300))) }
        XCTAssertEqual(try env.expect(0, ["unlock"]).stdout, "no stale leases\n")

        let live = try stoppedBackup(env)
        let held = leases(env)
        XCTAssertEqual(held.count, 1)
        XCTAssertEqual(try env.expect(0, ["unlock", "--json"]).jsonLines.last?["removed"] as? Int, 0)
        XCTAssertEqual(leases(env), held, "a live lease stays")

        end(live)  // its holder is gone: the lease is stale at once (same host, boot and PID namespace)
        let unlocked = try env.expect(0, ["unlock"])
        XCTAssertTrue(unlocked.stdout.contains("removed stale lease locks/\(held[0]) (backup by pid \(live.processIdentifier)"), unlocked.stdout)
        XCTAssertTrue(unlocked.stdout.hasSuffix("removed 1 lease(s)\n"), unlocked.stdout)
        XCTAssertEqual(leases(env), [])
    }

    func testRemoveAllRemovesLiveLeasesWithAWarning() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        for i in 0..<4 { try env.write("src/part\(i).bin", pseudoRandomBytes(8_000_000, seed: UInt64(i + 310))) }
        let live = try stoppedBackup(env)
        defer { end(live) }
        let result = try env.expect(0, ["unlock", "--remove-all", "--json"])
        let removed = result.jsonLines.filter { $0["message_type"] as? String == "lease_removed" }
        XCTAssertEqual(removed.count, 1, result.stdout)
        XCTAssertEqual(removed.first?["reason"] as? String, "live")
        XCTAssertEqual(removed.first?["purpose"] as? String, "backup")
        XCTAssertEqual(result.jsonLines.first?["message_type"] as? String, "warning", result.stdout)
        XCTAssertEqual(leases(env), [])
    }

    /// A hung backup (stopped inside a catalog transaction, or stuck on a dead mount) holds the
    /// local catalog's write lock; `unlock`, the command for exactly that moment, needs no catalog.
    /// The lock is held here by another process (Python's sqlite3), as such a backup holds it.
    func testUnlockWorksWhileAnotherProcessHoldsTheCatalogLock() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
        try env.expect(0, ["snapshots", "-q"])  // makes the catalog
        let catalogs = (FileManager.default.enumerator(atPath: env.path("cache"))?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix("/catalog.sqlite") }
        let catalog = env.path("cache") + "/" + (try XCTUnwrap(catalogs.first, "no catalog under the cache"))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(120)", catalog]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        XCTAssertEqual(String(decoding: out.fileHandleForReading.readData(ofLength: 7), as: UTF8.self), "locked\n")

        // A full open waits out SQLite's 30 s busy timeout, then fails ("database is locked", exit 1).
        XCTAssertEqual(try env.expect(0, ["unlock"]).stdout, "no stale leases\n")
    }
}
