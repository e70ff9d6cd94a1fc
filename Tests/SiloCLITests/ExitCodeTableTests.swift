import ArgumentParser
import Foundation
import SiloLegacy
import SiloOps
import SiloRepository
import XCTest
@testable import silo

/// docs/CLI.md's table of exit codes and `SiloError.Code` say the same, both ways; and every
/// kind of error is classified by the one user-facing error type.
final class ExitCodeTableTests: XCTestCase {
    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The codes of the table under "## Exit codes" in docs/CLI.md.
    private func documentedCodes() throws -> [Int32] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/CLI.md"), encoding: .utf8)
        let section = try XCTUnwrap(text.components(separatedBy: "## Exit codes").dropFirst().first)
        let table = section.components(separatedBy: "\n## ").first ?? section
        return table.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.first.flatMap { Int32($0) }
        }
    }

    func testCLIMarkdownTableMatchesTheCodes() throws {
        let documented = try documentedCodes()
        XCTAssertEqual(documented, documented.sorted(), "the table is in order")
        XCTAssertEqual(Set(documented).count, documented.count, "no code twice")
        let coded = SiloError.Code.allCases.map(\.rawValue)
        XCTAssertEqual(Set(documented).subtracting(coded), [], "documented in CLI.md but not a SiloError.Code")
        XCTAssertEqual(Set(coded).subtracting(documented), [], "a SiloError.Code missing from CLI.md's table")
    }

    func testEveryErrorIsClassified() {
        XCTAssertEqual(SiloError(classifying: UsageError(message: "x")).code, .usage)
        XCTAssertEqual(SiloError(classifying: ValidationError("x")).code, .usage)
        XCTAssertEqual(SiloError(classifying: RepositoryError(.wrongPassword, "x")).code, .wrongPassword)
        XCTAssertEqual(SiloError(classifying: RepositoryError(.locked, "x")).code, .locked)
        XCTAssertEqual(SiloError(classifying: RepositoryError(.noSpace, "x")).code, .storageNotWritable)
        // A legacy archive's wrong password is not the repository's (12): scripts tell them apart.
        XCTAssertEqual(SiloError(classifying: LegacyArchiveError(.wrongPassword, "x")).code, .fatal)
        XCTAssertEqual(SiloError(classifying: LegacyArchiveError(.truncated, "x")).message, "x")
        // A second `silo run` of one configuration: restic's "lock failed", naming the holder.
        let held = RunLockHeld(configuration: "/etc/silo/silo.yaml", lockFile: "/var/lib/silo/run-0.lock",
                               holder: RunLock.Holder(pid: 42, host: "web1", started: Date(timeIntervalSince1970: 0), configuration: "/etc/silo/silo.yaml"))
        XCTAssertEqual(SiloError(classifying: held).code, .locked)
        XCTAssertEqual(SiloError(classifying: held).code.rawValue, 11)
        XCTAssertTrue(SiloError(classifying: held).message.contains("pid 42 on web1, since 1970-01-01T00:00:00Z"))
        XCTAssertEqual(SiloError(classifying: OpsError(.stateDamaged, "x")).code, .fatal)
        struct Other: Error {}
        XCTAssertEqual(SiloError(classifying: Other()).code, .fatal)
    }
}
