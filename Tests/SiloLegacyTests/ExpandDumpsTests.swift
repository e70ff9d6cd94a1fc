import Foundation
import SiloFormat
import SiloLegacy
import SiloRepository
import SiloTestSupport
import XCTest

/// `import --expand-dumps` stores SQL dumps with the database profile, deltas included, as
/// `backup --postgres` does: a dump that changed by a few rows a day costs a few deltas.
final class ExpandDumpsTests: XCTestCase {
    func testExpandedDumpsAreStoredAsDeltasAgainstTheDayBefore() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        // Two days of a dump: the second changes one row in every 200, so almost every 64 KiB
        // chunk differs from its previous version by a few bytes.
        let script = """
            set -e; cd '\(s.root)'; mkdir -p site archives
            for day in 1 2; do
              seq 1 60000 | awk -v d=$day '{ v = ($1 % 200 == 0 && d == 2) ? "changed" : "original"; print "INSERT INTO t VALUES (" $1 ", \\047" v "\\047);" }' > site/db.sql
              gzip -f site/db.sql && tar -czf archives/backup_2025010${day}_020000.tar.gz site
            done
            """
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", script]
        try shell.run()
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0)
        var options = ImportOptions(host: "web1")
        options.expandDumps = true
        for day in 1...2 {
            _ = try TarImporter(repository: repository, options: options).run(s.path("archives/backup_2025010\(day)_020000.tar.gz"))
        }
        let deltas = try repository.catalog.contentDump().filter { $0.hasPrefix("chunk ") && $0.split(separator: " ")[4] == "2" }
        XCTAssertGreaterThan(deltas.count, 10, "the second day's changed chunks are deltas")
    }
}
