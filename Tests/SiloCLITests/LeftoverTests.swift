import Foundation
import SiloTestSupport
import XCTest

/// Temporary files that killed writers leave (`.tmp-…`): check mentions them, prune removes
/// them once older than every running backup, and never those of a backup still running.
final class LeftoverTests: XCTestCase {
    private func leftovers(_ env: CLIEnvironment) -> [String] {
        let all = (try? FileManager.default.subpathsOfDirectory(atPath: env.repo)) ?? []
        return all.filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
    }

    private func startBackup(_ env: CLIEnvironment) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = ["backup", env.path("src"), "-q"]
        process.environment = env.environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func waitForLeftover(_ env: CLIEnvironment) throws {
        let deadline = Date().addingTimeInterval(60)
        while leftovers(env).isEmpty {
            guard Date() < deadline else { throw XCTSkip("the backup finished before writing a pack") }
            usleep(1_000)
        }
    }

    func testPruneRemovesLeftoversOfKilledBackups() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "4"])
        for i in 0..<6 { try env.write("src/part\(i).bin", pseudoRandomBytes(6_000_000, seed: UInt64(i + 70))) }
        for _ in 0..<3 {
            let backup = try startBackup(env)
            try waitForLeftover(env)
            kill(backup.processIdentifier, SIGKILL)
            backup.waitUntilExit()
        }
        XCTAssertFalse(leftovers(env).isEmpty)
        let check = try env.expect(0, ["check"])
        XCTAssertTrue(check.stdout.contains("temporary file(s)"), check.stdout)

        // Fresh ones stay (they could be a writer's that has no lease, such as `forget`).
        XCTAssertEqual(try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last?["leftovers_removed"] as? Int, 0)
        for path in leftovers(env) { XCTAssertEqual(try env.shell("touch -d '2 hours ago' '\(env.repo)/\(path)'"), 0) }
        let count = leftovers(env).count
        let prune = try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertEqual(prune?["leftovers_removed"] as? Int, count)
        XCTAssertEqual(leftovers(env), [])
        try env.expect(0, ["check", "--read-data", "-q"])
    }

    /// A stopped backup's partial pack is not a leftover: the backup goes on to save.
    func testRunningBackupsFileIsKept() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "4"])
        for i in 0..<6 { try env.write("src/part\(i).bin", pseudoRandomBytes(6_000_000, seed: UInt64(i + 90))) }
        let backup = try startBackup(env)
        try waitForLeftover(env)
        kill(backup.processIdentifier, SIGSTOP)
        let partial = leftovers(env)
        try env.expect(0, ["prune", "--grace-minutes", "0", "-q"])
        XCTAssertTrue(Set(partial).isSubset(of: Set(leftovers(env))))
        kill(backup.processIdentifier, SIGCONT)
        backup.waitUntilExit()
        XCTAssertEqual(backup.terminationStatus, 0)
        try env.expect(0, ["check", "--read-data", "-q"])
    }
}
