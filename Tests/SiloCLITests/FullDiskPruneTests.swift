import Foundation
import SiloTestSupport
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
        try env.write("old/a.bin", pseudoRandomBytes(3_000_000, seed: 3))
        try env.expect(0, ["backup", "-r", repo, env.path("old"), "-q"])
        try env.write("src/b.txt", text(200_000, seed: 4))
        try env.expect(0, ["backup", "-r", repo, env.path("src"), "-q"])
        try env.expect(0, ["forget", "-r", repo, "--keep-last", "1", "--group-by", "", "-q"])
        // A backup is running (stopped), so this prune only marks;
        // then it dies, leaving its lease, which the next prune finds provably gone.
        for i in 0..<4 { try env.write("busy/part\(i).bin", pseudoRandomBytes(5_000_000, seed: UInt64(10 + i))) }
        let backup = Process()
        backup.executableURL = URL(fileURLWithPath: CLIEnvironment.binary)
        backup.arguments = ["backup", "-r", repo, env.path("busy"), "-q"]
        backup.environment = env.environment
        try backup.run()
        // Stopped once its first pack is written: past its lease, and not inside a catalog write.
        func packs() -> Int { ((try? FileManager.default.subpathsOfDirectory(atPath: repo + "/packs")) ?? []).filter { !$0.contains(".tmp-") && $0.count > 3 }.count }
        let before = packs(), deadline = Date().addingTimeInterval(60)
        while packs() == before && Date() < deadline { usleep(1_000) }
        kill(backup.processIdentifier, SIGSTOP)
        let mark = try env.expect(0, ["prune", "-r", repo, "--grace-minutes", "0", "--json"]).jsonLines.last
        XCTAssertGreaterThan(mark?["packs_marked"] as? Int ?? 0, 0)
        XCTAssertEqual(mark?["packs_deleted"] as? Int, 0, "a backup is running: the marked packs wait")
        kill(backup.processIdentifier, SIGKILL)
        backup.waitUntilExit()

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
