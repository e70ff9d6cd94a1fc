import XCTest
@testable import silo

/// `GlobalOptionPlacement.options` (what may come before the command, and `silo --help`'s list)
/// names exactly the options `GlobalOptions` declares: one added there and not here would be
/// refused before the command, one left here after removal would be moved to where it fails.
final class GlobalOptionListTests: XCTestCase {
    func testTheListNamesEveryGlobalOption() {
        let help = GlobalOptions.helpMessage(columns: 400)
        // The OPTIONS section: each line starts with its names ("-r, --repo <repo>"), then two spaces.
        var declared = Set<String>()
        for line in help.split(separator: "\n") {
            let text = line.drop { $0 == " " }
            guard text.hasPrefix("-"), let column = text.components(separatedBy: "  ").first else { continue }
            for spelling in column.components(separatedBy: ", ") {
                let name = String(spelling.split(separator: " ")[0])
                if name != "-h" && name != "--help" { declared.insert(name) }
            }
        }
        let listed = Set(GlobalOptionPlacement.options.flatMap(\.names))
        XCTAssertFalse(declared.isEmpty, help)
        XCTAssertEqual(listed, declared, help)
    }
}
