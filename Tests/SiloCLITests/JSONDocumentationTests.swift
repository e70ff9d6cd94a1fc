import Foundation
import XCTest
@testable import silo

/// docs/JSON.md's table and the message structs say the same, both ways: a field added to a
/// struct without documenting it, or documented without existing, fails here.
final class JSONDocumentationTests: XCTestCase {
    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private struct Row {
        let command: String
        let messageType: String
        let fields: Set<String>
    }

    /// The rows of JSON.md's table: the fields column holds only backticked names.
    private func documentedRows() throws -> [Row] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/JSON.md"), encoding: .utf8)
        return try text.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| command ") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertGreaterThanOrEqual(cells.count, 5, "a row with command, message_type, fields and notes: \(line)")
            guard cells.count >= 5 else { throw XCTSkip("malformed row") }
            return Row(command: cells[1], messageType: Self.unquoted(cells[2]), fields: Set(cells[3].split(separator: ",").map { Self.unquoted(String($0)) }))
        }
    }

    private static func unquoted(_ cell: String) -> String {
        let trimmed = cell.trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(trimmed.hasPrefix("`") && trimmed.hasSuffix("`") && trimmed.dropFirst().dropLast().allSatisfy { $0 != "`" },
                      "one backticked name: \(cell)")
        return String(trimmed.dropFirst().dropLast())
    }

    /// The keys a message writes with every optional field set, `message_type` aside.
    private func encodedKeys(_ type: any JSONMessage.Type) throws -> Set<String> {
        func keys<Message: JSONMessage>(_: Message.Type) throws -> Set<String> {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Message.sample.jsonLine) as? [String: Any])
            XCTAssertEqual(object["message_type"] as? String, Message.messageType)
            return Set(object.keys).subtracting(["message_type"])
        }
        return try keys(type)
    }

    func testEveryMessageIsDocumentedWithItsFields() throws {
        let rows = try documentedRows()
        XCTAssertFalse(rows.isEmpty)
        for type in allJSONMessages {
            let keys = try encodedKeys(type)
            for command in type.commands {
                let matching = rows.filter { $0.command == command && $0.messageType == type.messageType }
                XCTAssertEqual(matching.count, 1, "\(type): one row for \(command) | \(type.messageType) in JSON.md")
                guard let row = matching.first else { continue }
                XCTAssertEqual(keys.subtracting(row.fields).sorted(), [], "\(type) writes fields JSON.md's row \(command) | \(type.messageType) lacks")
                XCTAssertEqual(row.fields.subtracting(keys).sorted(), [], "JSON.md's row \(command) | \(type.messageType) names fields \(type) does not write")
            }
        }
    }

    func testEveryDocumentedRowHasAMessage() throws {
        for row in try documentedRows() {
            XCTAssertTrue(allJSONMessages.contains { $0.messageType == row.messageType && $0.commands.contains(row.command) },
                          "JSON.md documents \(row.command) | \(row.messageType), which no message struct prints")
        }
    }

    /// A message struct left out of `allJSONMessages` would escape the two tests above.
    func testEveryMessageStructIsListed() throws {
        let directory = repositoryRoot.appendingPathComponent("Sources/silo/Messages")
        var declared: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"struct (\w+): JSONMessage\b"#)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                declared.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        XCTAssertFalse(declared.isEmpty)
        XCTAssertEqual(declared, Set(allJSONMessages.map { String(describing: $0) }))
    }
}
