import Foundation
import XCTest
import Yams
@testable import SiloConfig

/// Every ```yaml example of docs/CONFIG.md (and README.md) is a configuration silo accepts and
/// that docs/silo.schema.json accepts, so neither the docs nor the schema drift from the code.
final class DocumentationExamplesTests: XCTestCase {
    private let environment = ["BACKUP_DIR": "/backup/o4o-platform", "RETENTION_DAYS": "7", "DB_PASSWORD": "pw",
                               "ALERT_EMAIL": "admin@example.com", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x", "HOME": "/root"]

    private func examples(in document: String) throws -> [(line: Int, yaml: String)] {
        let text = try String(contentsOfFile: repositoryRoot + "/" + document, encoding: .utf8)
        var blocks: [(line: Int, yaml: String)] = []
        var current: [String]?
        var start = 0
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            if current == nil, line == "```yaml" {
                current = []
                start = index + 2
            } else if current != nil, line == "```" {
                blocks.append((start, current!.joined(separator: "\n") + "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    func testEveryExamplePassesSilosValidation() throws {
        let blocks = try examples(in: "docs/CONFIG.md") + examples(in: "README.md")
        XCTAssertGreaterThanOrEqual(blocks.count, 10)
        for block in blocks {
            // The files an example names are not on this machine: the shape only.
            do {
                _ = try ConfigurationLoader.parse(block.yaml, file: "CONFIG.md", environment: environment, options: .shapeOnly)
            } catch {
                XCTFail("docs/CONFIG.md example at line \(block.line): \(error.issues.map(\.description).joined(separator: "\n"))")
            }
        }
    }

    func testEveryExamplePassesTheJSONSchema() throws {
        let blocks = try examples(in: "docs/CONFIG.md") + examples(in: "README.md")
        var documents: [Any] = []
        for block in blocks { documents.append(try XCTUnwrap(try Yams.load(yaml: block.yaml), "line \(block.line)")) }
        // What `config init` writes, and the fixture platform's configuration, too.
        let template = ConfigurationTemplate(platform: nil, fromEnvironment: true, environment: environment, passwordFile: "/etc/silo/repository.password")
        documents.append(try XCTUnwrap(try Yams.load(yaml: template.render())))
        documents.append(try XCTUnwrap(try Yams.load(yaml: String(contentsOfFile: fixturePlatform + "/silo.yaml", encoding: .utf8))))
        // A few configurations the schema must refuse, so that it is not vacuous.
        let refused: [Any] = try [
            "repository: {location: /b}\nsources: {Bad Name: {paths: [/etc]}}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc], cadense: 4h}}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc], postgres: {url: postgresql://a@b/c}}}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc], cadence: sometimes}}\n",
            "sources: {etc: {paths: [/etc]}}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nmonitoring: {freshnes: {warning: 2}}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nmonitoring: {freshness: {warning: 1}}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nnotifications: {channels: [{name: chat, type: slak, webhook_url: https://h/x}]}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nnotifications: {channels: [{name: chat, type: slack, webhook_url: https://h/x, webhook_url_file: /f}]}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nnotifications: {channels: [{name: ping, type: healthchecks, webhook_url: https://h/x}]}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nnotifications: {channels: [{name: m, type: email, server: smtp://h, username: u, from: a@b, to: c@d}]}\n",
            "repository: {location: /b}\nsources: {etc: {paths: [/etc]}}\nnotifications: {tiers: [{after: 30m}]}\n",
        ].map { try XCTUnwrap(try Yams.load(yaml: $0)) }
        let input = try JSONSerialization.data(withJSONObject: ["accepted": documents, "refused": refused])
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            data = json.load(sys.stdin)
            failed = False
            for index, document in enumerate(data["accepted"]):
                for error in validator.iter_errors(document):
                    print(f"example {index}: {'.'.join(map(str, error.absolute_path))}: {error.message}"); failed = True
            for index, document in enumerate(data["refused"]):
                if validator.is_valid(document):
                    print(f"refused {index} was accepted"); failed = True
            sys.exit(1 if failed else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, repositoryRoot + "/docs/silo.schema.json"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
    }

    /// The schema and the reader know the same top-level keys.
    func testTheSchemaNamesEveryTopLevelKey() throws {
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/docs/silo.schema.json"))) as? [String: Any]
        let properties = try XCTUnwrap(schema?["properties"] as? [String: Any])
        XCTAssertEqual(Set(properties.keys), Set(ConfigurationReader.topLevelKeys))
    }
}
