import Foundation
import SiloTestSupport
import XCTest

/// What `prune` says it did: space freed now or left waiting (and why), and what repacking
/// moved and freed (FORMAT.md §11, docs/JSON.md).
final class PruneSummaryTests: XCTestCase {
    /// With nothing running, one prune frees the forgotten data; the summary says so.
    func testOnePruneFreesAtOnceAndSaysSo() throws {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "1"])
        try env.write("src/keep.bin", pseudoRandomBytes(1_000_000, seed: 1))
        try env.write("src/old.bin", pseudoRandomBytes(6_000_000, seed: 2))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try FileManager.default.removeItem(atPath: env.path("src/old.bin"))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.expect(0, ["forget", "--keep-last", "1"])
        let before = directoryBytes(env.repo + "/packs")
        let text = try env.expect(0, ["prune"]).stdout
        XCTAssertTrue(text.contains("marked by this one"), text)
        XCTAssertTrue(text.contains("deleted at once: no backup was running"), text)
        XCTAssertFalse(text.contains("wait for a later prune"), text)
        let after = directoryBytes(env.repo + "/packs")
        XCTAssertLessThan(after + 5_000_000, before, "packs: \(before) → \(after) bytes")
        try env.expect(0, ["check", "--read-data", "-q"])
        try env.expect(0, ["restore", "latest", "--target", env.path("out"), "-q"])
        XCTAssertEqual(FileManager.default.contents(atPath: env.path("out") + env.path("src/keep.bin")), pseudoRandomBytes(1_000_000, seed: 1))
    }

    /// Repacking says how much live data it moved and how much it freed (it once printed
    /// "0 B unused" for the repacked packs): a pack of 1 MB kept and 4 MB forgotten.
    func testRepackSummarySaysWhatWasMovedAndFreed() throws {
        let text = try mostlyDeadPack().expect(0, ["prune", "--repack-threshold", "0.99", "--max-unused", "0%"]).stdout
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("repacked ") }, text)
        // 1,000,000 incompressible bytes kept (976.6 KiB, plus a few bytes of encryption), the rest unused.
        let moved = line.range(of: #"moved 976\.[5-9][0-9] KiB of live data into new packs, 3\.8[0-9] MiB unused"#, options: .regularExpression)
        XCTAssertNotNil(moved, String(line))
        XCTAssertFalse(text.contains("0 B unused"), text)

        let env = try mostlyDeadPack()
        let summary = try XCTUnwrap(try env.expect(0, ["prune", "--repack-threshold", "0.99", "--max-unused", "0%", "--json"]).jsonLines.last)
        XCTAssertEqual(summary["packs_repacked"] as? Int, 1, "\(summary)")
        XCTAssertGreaterThan(summary["bytes_moved"] as? Int ?? 0, 1_000_000)
        XCTAssertGreaterThan(summary["bytes_repacked_unused"] as? Int ?? 0, 3_900_000)
        XCTAssertEqual(summary["packs_deleted_now"] as? Int, summary["packs_marked"] as? Int)
        XCTAssertEqual(summary["wait_reasons"] as? [String], [])
        XCTAssertLessThan(directoryBytes(env.repo + "/packs"), 1_100_000, "the repacked pack is deleted at once")
        try env.expect(0, ["check", "--read-data", "-q"])
    }

    private func mostlyDeadPack() throws -> CLIEnvironment {
        let env = try CLIEnvironment()
        try env.expect(0, ["init", "--pack-size", "16"])
        try env.write("src/keep.bin", pseudoRandomBytes(1_000_000, seed: 3))
        try env.write("src/old.bin", pseudoRandomBytes(4_000_000, seed: 4))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try FileManager.default.removeItem(atPath: env.path("src/old.bin"))
        try env.expect(0, ["backup", env.path("src"), "-q"])
        try env.expect(0, ["forget", "--keep-last", "1"])
        return env
    }

    private func directoryBytes(_ path: String) -> Int {
        ((try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []).reduce(0) { total, relative in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
            return total + ((attributes?[.type] as? FileAttributeType) == .typeRegular ? (attributes?[.size] as? Int ?? 0) : 0)
        }
    }
}
