import Foundation
import SiloTestSupport
import XCTest

/// A backup and prunes interleaved at their worst moments, deterministically: the backup is
/// stopped (SIGSTOP) once its first pack exists, a prune is stopped by strace just before its
/// sweep. Whatever the order, the snapshot the backup reports saved restores (FORMAT.md §11).
final class PruneInterleavingTests: XCTestCase {
    private func start(_ env: CLIEnvironment, _ command: [String], output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = env.environment
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    private func packCount(_ env: CLIEnvironment) -> Int {
        let packs = env.repo + "/packs"
        return ((try? FileManager.default.subpathsOfDirectory(atPath: packs)) ?? []).filter {
            !$0.contains(".tmp-") && $0.count > 3
        }.count
    }

    private func waitUntil(_ what: String, timeout: TimeInterval = 60, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw XCTSkip("timed out waiting for \(what)") }
            usleep(2_000)
        }
    }

    /// The state letter of /proc/PID/stat: T (stopped) or t (stopped under a tracer).
    private func isStopped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state == "T" || state == "t"
    }

    /// The children of a process (host PIDs).
    private func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// A first backup, then a second one of 40 MB of new data, stopped once its first pack is
    /// written; then a prune marks that pack (no index names it yet).
    private func pausedBackup(_ env: CLIEnvironment, wrappedIn wrapper: [String] = []) throws -> (process: Process, pid: Int32) {
        try env.expect(0, ["init", "--pack-size", "1"])
        try env.write("first/a.bin", pseudoRandomBytes(2_000_000, seed: 1))
        try env.expect(0, ["backup", env.path("first"), "-q"])
        for i in 0..<8 { try env.write("src/part\(i).bin", pseudoRandomBytes(5_000_000, seed: UInt64(100 + i))) }
        let before = packCount(env)
        let backup = try start(env, wrapper + [CLIEnvironment.binary, "backup", env.path("src")], output: env.path("backup.log"))
        var pid = backup.processIdentifier
        if !wrapper.isEmpty {
            try waitUntil("the wrapped backup") { (try? descendant(of: backup.processIdentifier)) != nil }
            pid = try descendant(of: backup.processIdentifier)
        }
        try waitUntil("the backup's first pack") { packCount(env) > before }
        kill(pid, SIGSTOP)
        try waitUntil("the backup to stop") { isStopped(pid) }
        let mark = try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertGreaterThan(mark?["packs_marked"] as? Int ?? 0, 0, "the stopped backup's pack is marked")
        XCTAssertEqual(mark?["packs_deleted_now"] as? Int, 0, "the stopped backup's lease is live: nothing is deleted at once")
        XCTAssertEqual(mark?["wait_reasons"] as? [String], ["backup_running"])
        return (backup, pid)
    }

    /// The silo process under a wrapper (strace, unshare, sh): the deepest descendant.
    private func descendant(of pid: Int32) throws -> Int32 {
        var current = pid
        while let next = children(of: current).first { current = next }
        guard current != pid,
              (try? String(contentsOfFile: "/proc/\(current)/comm", encoding: .utf8))?.hasPrefix("silo") == true else {
            throw CocoaError(.fileNoSuchFile)
        }
        return current
    }

    private func assertBackupRestores(_ env: CLIEnvironment, _ backup: Process, file: StaticString = #filePath, line: UInt = #line) throws {
        backup.waitUntilExit()
        let log = (try? String(contentsOfFile: env.path("backup.log"), encoding: .utf8)) ?? ""
        XCTAssertEqual(backup.terminationStatus, 0, log, file: file, line: line)
        XCTAssertTrue(log.contains("saved"), log, file: file, line: line)
        try env.expect(0, ["check", "--read-data", "-q"], file: file, line: line)
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"], file: file, line: line)
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")), file: file, line: line)
        // And a later prune, with the backup gone, keeps all of it.
        try env.expect(0, ["prune", "--grace-minutes", "0", "-q"], file: file, line: line)
        try env.expect(0, ["check", "--read-data", "-q"], file: file, line: line)
    }

    /// The finding: the backup finishes while the second prune is stopped between computing
    /// its live set and its sweep. The sweep used to delete the new snapshot's packs.
    func testBackupFinishingWhilePruneIsAboutToSweep() throws {
        let env = try CLIEnvironment()
        let (backup, backupPID) = try pausedBackup(env)
        // The third listing of deletions/ is the sweep's (after the catalog syncs of open and run).
        let prune = try start(env, ["/usr/bin/strace", "-f", "-o", "/dev/null", "-P", env.repo + "/deletions",
                                    "-e", "trace=openat", "-e", "inject=openat:signal=SIGSTOP:when=3",
                                    CLIEnvironment.binary, "prune", "--grace-minutes", "0"], output: env.path("prune.log"))
        try waitUntil("the prune under strace") { (try? descendant(of: prune.processIdentifier)) != nil }
        let prunePID = try descendant(of: prune.processIdentifier)
        try waitUntil("the prune to stop before its sweep") { isStopped(prunePID) }

        kill(backupPID, SIGCONT)
        backup.waitUntilExit()
        XCTAssertEqual(backup.terminationStatus, 0)
        kill(prunePID, SIGCONT)
        prune.waitUntilExit()
        XCTAssertEqual(prune.terminationStatus, 0, (try? String(contentsOfFile: env.path("prune.log"), encoding: .utf8)) ?? "")
        try assertBackupRestores(env, backup)
    }

    /// The other order: prunes run to the end while the backup is stopped; its lease keeps
    /// the marked pack, and the backup then commits.
    func testPrunesRunningWhileBackupIsStopped() throws {
        let env = try CLIEnvironment()
        let (backup, backupPID) = try pausedBackup(env)
        let sweep = try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertEqual(sweep?["packs_deleted"] as? Int, 0)
        XCTAssertGreaterThan(sweep?["packs_waiting"] as? Int ?? 0, 0)
        kill(backupPID, SIGCONT)
        try assertBackupRestores(env, backup)
    }

    /// The backup runs in its own PID namespace (a container with host networking): its PID,
    /// chosen to be absent on the host, used to make prune take its lease for stale.
    func testBackupInAnotherPIDNamespaceKeepsItsLease() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root for unshare --pid") }
        var pid: Int32 = 30_000
        while kill(pid + 1, 0) == 0 || errno != ESRCH { pid += 1 }
        let env = try CLIEnvironment()
        let script = "echo \(pid) > /proc/sys/kernel/ns_last_pid; \"$0\" \"$@\"; exit $?"
        let (backup, backupPID) = try pausedBackup(env, wrappedIn: ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", script])
        let sweep = try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertEqual(sweep?["packs_deleted"] as? Int, 0, "the backup's lease is live")
        kill(backupPID, SIGCONT)
        try assertBackupRestores(env, backup)
    }
}
