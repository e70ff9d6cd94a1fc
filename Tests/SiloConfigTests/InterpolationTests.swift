import XCTest
@testable import SiloConfig

final class InterpolationTests: XCTestCase {
    private func expand(_ text: String, _ environment: [String: String] = ["HOST": "db1", "EMPTY": ""]) throws -> String {
        try Interpolation.expand(text, environment: environment)
    }

    func testReferencesDefaultsAndEscapes() throws {
        XCTAssertEqual(try expand("postgresql://app@${HOST}:5432/app"), "postgresql://app@db1:5432/app")
        XCTAssertEqual(try expand("${MISSING:-/backup}/silo"), "/backup/silo")
        XCTAssertEqual(try expand("${EMPTY:-fallback}"), "fallback")
        XCTAssertEqual(try expand("${EMPTY}"), "")
        XCTAssertEqual(try expand("$${HOST} costs $5"), "${HOST} costs $5")
        XCTAssertEqual(try expand("${HOST}${HOST}"), "db1db1")
    }

    func testAnUnsetVariableFailsAtItsOffset() {
        XCTAssertThrowsError(try expand("abc ${NOPE} def")) { error in
            let failure = error as! Interpolation.Failure
            XCTAssertEqual(failure.offset, 4)
            XCTAssertTrue(failure.message.contains("NOPE is not set"), failure.message)
        }
        XCTAssertThrowsError(try expand("${UNCLOSED"))
        XCTAssertThrowsError(try expand("${1BAD}"))
    }

    func testReferencesAreNotLiteralSecrets() {
        XCTAssertTrue(Interpolation.isOnlyReferences("${DB_PASSWORD}"))
        XCTAssertTrue(Interpolation.isOnlyReferences("${A}${B:-x}"))
        XCTAssertFalse(Interpolation.isOnlyReferences("pw${A}"))
        XCTAssertFalse(Interpolation.isOnlyReferences("hunter2"))
    }

    func testInterpolationAppliesBeforeTypes() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              etc:
                paths: [/etc]
                cadence: ${CADENCE:-1d}
            retention:
              keep_daily: ${RETENTION_DAYS:-7}
            """)
        let loaded = try ConfigurationLoader.load(path: file, environment: ["RETENTION_DAYS": "14"])
        XCTAssertEqual(loaded.retention.policy, KeepPolicy(daily: 14))
        XCTAssertEqual(loaded.sources.first?.cadence, Cadence("1d"))
        let bad = issues(of: file, environment: ["RETENTION_DAYS": "a week"])
        XCTAssertEqual(bad.map(\.description), ["\(file):9:15: retention.keep_daily: expected a whole number, found 'a week'"])
    }
}
