import Foundation
import XCTest

/// Prune is how a full disk gets space back: it must run when not even its lease fits.
final class FullDiskPruneTests: XCTestCase {
    func testPruneRunsOnAFullDisk() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs") }
        let env = try CLIEnvironment()
        let mount = env.path("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        XCTAssertEqual(try env.shell("mount -t tmpfs -o size=12m tmpfs '\(mount)'"), 0)
        defer { _ = try? env.shell("umount '\(mount)'") }
        let repo = mount + "/repo"
        try env.expect(0, ["init", "-r", repo, "--pack-size", "1"])
        try env.write("old/a.bin", pseudoRandom(3_000_000, seed: 3))
        try env.expect(0, ["backup", "-r", repo, env.path("old"), "-q"])
        try env.write("src/b.txt", text(200_000, seed: 4))
        try env.expect(0, ["backup", "-r", repo, env.path("src"), "-q"])
        try env.expect(0, ["forget", "-r", repo, "--keep-last", "1", "--group-by", "", "-q"])
        // A backup running (stopped) while prune marks: the marked packs must wait for it, so
        // they are still there when the disk fills; killed, it leaves a lease that is stale at once.
        try env.write("third/c.bin", pseudoRandom(40_000_000, seed: 5))
        let running = Process()
        running.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        running.arguments = ["backup", "-r", repo, env.path("third"), "-q"]
        running.environment = env.environment
        try running.run()
        let locks = repo + "/locks"
        while ((try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []).isEmpty && running.isRunning { usleep(2_000) }
        kill(running.processIdentifier, SIGSTOP)
        let mark = try env.expect(0, ["prune", "-r", repo, "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertGreaterThan(mark?["packs_marked"] as? Int ?? 0, 0)
        XCTAssertEqual(mark?["packs_deleted"] as? Int, 0, "a running backup makes the marked packs wait")
        kill(running.processIdentifier, SIGKILL)
        running.waitUntilExit()

        // Fill the disk to the last byte.
        _ = try env.shell("dd if=/dev/zero of='\(mount)/filler' bs=64k 2>/dev/null; dd if=/dev/zero of='\(mount)/filler2' bs=1 2>/dev/null")
        XCTAssertEqual(try env.expect(15, ["backup", "-r", repo, env.path("src"), "--force", "-q"]).status, 15)

        let sweep = try env.expect(0, ["prune", "-r", repo, "--grace-minutes", "0", "--json"])
        XCTAssertTrue(sweep.stdout.contains("no space for the prune lease"), sweep.stdout + sweep.stderr)
        XCTAssertGreaterThan(sweep.jsonLines.last?["packs_deleted"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(sweep.jsonLines.last?["bytes_freed"] as? Int ?? 0, 2_000_000)
        try env.expect(0, ["check", "-r", repo, "--read-data", "-q"])
        try env.expect(0, ["backup", "-r", repo, env.path("src"), "--force", "-q"])
        try env.expect(0, ["restore", "latest", "-r", repo, "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/b.txt")), text(200_000, seed: 4))
    }
}
