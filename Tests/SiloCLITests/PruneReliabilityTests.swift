import Foundation
import SiloTestSupport
import XCTest

final class PruneReliabilityTests: XCTestCase {
    private func start(_ env: CLIEnvironment, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        process.arguments = arguments
        process.environment = env.environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// kill -9 at random moments of forget and prune, 20 times: check --read-data passes after
    /// each, every kept snapshot restores exactly, and the next prune finishes the job.
    func testKillDuringForgetAndPrune() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        try env.write("src/base.bin", pseudoRandomBytes(1_000_000, seed: 1))
        for round in 0..<20 {
            try env.write("src/changing.bin", pseudoRandomBytes(1_500_000, seed: UInt64(round + 10)))
            try env.write("src/log.txt", text(200_000 + round * 1000, seed: round))
            try env.expect(0, ["backup", env.path("src"), "-q", "--time", String(format: "2025-04-%02dT12:00:00Z", round + 1)])
            let arguments = round % 2 == 0 ? ["forget", "--keep-last", "3", "--prune", "--grace-minutes", "0", "-q"]
                                           : ["prune", "--grace-minutes", "0", "-q"]
            let process = try start(env, arguments)
            usleep(UInt32.random(in: 5_000...400_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try env.expect(0, ["check", "--read-data", "-q"])
        }
        try env.expect(0, ["forget", "--keep-last", "3", "--prune", "--grace-minutes", "0", "-q"])
        try env.expect(0, ["prune", "--grace-minutes", "0", "-q"])
        try env.expect(0, ["check", "--read-data", "-q"])
        let ids = try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.count, 3)
        try env.expect(0, ["restore", ids.last!, "--target", env.path("out"), "-q"])
        XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")))
        // The markers were worked off: nothing is left waiting once no backup runs.
        let summary = try env.expect(0, ["prune", "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertEqual(summary?["packs_waiting"] as? Int, 0)
    }

    /// Backups and prunes at the same moment, as separate processes: every backup completes and
    /// restores exactly, and the repository checks clean.
    func testBackupConcurrentWithPrune() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        for round in 0..<6 {
            try env.write("src/round.bin", pseudoRandomBytes(6_000_000, seed: UInt64(round + 50)))
            try env.write("src/common.txt", text(300_000, seed: 7))
            let backup = try start(env, ["backup", env.path("src"), "-q"])
            let prune = try start(env, ["forget", "--keep-last", "1", "--prune", "--grace-minutes", "0", "-q"])
            backup.waitUntilExit()
            prune.waitUntilExit()
            XCTAssertEqual(backup.terminationStatus, 0, "round \(round): backup failed")
            try env.expect(0, ["check", "--read-data", "-q"])
            try? FileManager.default.removeItem(atPath: env.path("out"))
            try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
            XCTAssertTrue(contentDigests(env.path("src")) == contentDigests(env.path("out") + env.path("src")), "round \(round)")
        }
    }
}
