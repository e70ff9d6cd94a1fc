import XCTest
@testable import SiloPostgres

final class ConnectionTargetTests: XCTestCase {
    func testURLParsingKeepsThePasswordOutOfMessagesAndArgv() throws {
        let target = try ConnectionTarget(url: "postgresql://app%40x:s3cr%2Ft@db.example.org:6543/shop?sslmode=require", environment: [:])
        XCTAssertEqual(target.user, "app@x")
        XCTAssertEqual(target.host, "db.example.org")
        XCTAssertEqual(target.port, "6543")
        XCTAssertEqual(target.database, "shop")
        XCTAssertEqual(target.sslMode, "require")
        XCTAssertFalse(target.description.contains("s3cr"))
        XCTAssertEqual(target.toolEnvironment["PGPASSWORD"], "s3cr/t")
        XCTAssertEqual(target.toolEnvironment["PGDATABASE"], "shop")
        XCTAssertTrue(target.keywords.contains { $0 == ("password", "s3cr/t") })
    }

    func testPasswordFromEnvironmentAndDefaults() throws {
        let fromDB = try ConnectionTarget(url: "postgresql://u@h/d", environment: ["DB_PASSWORD": "one", "PGPASSWORD": "two"])
        XCTAssertEqual(fromDB.password, "one", "DB_PASSWORD, the platform scripts' name, wins")
        let fromPG = try ConnectionTarget(url: "postgres://u@h", environment: ["PGPASSWORD": "two"])
        XCTAssertEqual(fromPG.password, "two")
        XCTAssertNil(fromPG.database, "no database: every database")
        let bare = ConnectionTarget(environment: [:])
        XCTAssertNil(bare.password)
        XCTAssertNil(bare.toolEnvironment["PGHOST"], "libpq's own defaults apply")
    }

    func testBadURLs() {
        XCTAssertThrowsError(try ConnectionTarget(url: "mysql://u@h/d", environment: [:]))
        XCTAssertThrowsError(try ConnectionTarget(url: "postgresql://u@h/d?options=-c", environment: [:]))
    }

    func testGlobalsScriptSplitsStatements() {
        let script = """
            --
            -- PostgreSQL database cluster dump
            --
            \\restrict abc
            SET default_transaction_read_only = off;

            CREATE ROLE app;
            ALTER ROLE app WITH NOSUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';
            GRANT app TO reader
              GRANTED BY postgres;
            \\unrestrict abc
            """
        XCTAssertEqual(GlobalsScript.statements(script), [
            "SET default_transaction_read_only = off;", "CREATE ROLE app;",
            "ALTER ROLE app WITH NOSUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';",
            "GRANT app TO reader\n  GRANTED BY postgres;",
        ])
    }
}

final class DatabaseManifestTests: XCTestCase {
    private func manifest(rows: Int64 = 10, checksum: String = "42", sequence: Int64? = 10, schema: String = "abc") -> DatabaseManifest {
        DatabaseManifest(database: "d", owner: "o", serverVersion: "15.18", encoding: "UTF8", schemaSHA256: schema,
                         tables: [.init(schema: "public", name: "t", rows: rows, checksum: checksum)],
                         sequences: [.init(schema: "public", name: "s", lastValueBefore: sequence, lastValueAfter: sequence)],
                         largeObjects: [.init(oid: 1, md5: "x")])
    }

    func testEqualManifestsHaveNoDifferences() {
        XCTAssertEqual(manifest().differences(from: manifest()), [])
    }

    func testEachKindOfDifferenceIsNamed() {
        let backedUp = manifest()
        XCTAssertEqual(backedUp.differences(from: manifest(rows: 9)).count, 1)
        XCTAssertTrue(backedUp.differences(from: manifest(checksum: "43"))[0].contains("checksum"))
        XCTAssertTrue(backedUp.differences(from: manifest(schema: "zzz"))[0].contains("schema"))
        XCTAssertTrue(backedUp.differences(from: manifest(sequence: 11))[0].contains("sequence public.s"))
        var noObjects = manifest()
        noObjects.largeObjects = []
        XCTAssertTrue(backedUp.differences(from: noObjects)[0].contains("large objects"))
        var extra = manifest()
        extra.tables.append(.init(schema: "public", name: "u", rows: 0, checksum: "0"))
        XCTAssertTrue(backedUp.differences(from: extra)[0].contains("was not in the backup"))
    }

    func testSequenceMovingDuringTheDumpIsAdmittedWithinItsRange() {
        var backedUp = manifest()
        backedUp.sequences[0].lastValueBefore = 10
        backedUp.sequences[0].lastValueAfter = 15
        XCTAssertEqual(backedUp.differences(from: manifest(sequence: 12)), [])
        XCTAssertEqual(backedUp.differences(from: manifest(sequence: 16)).count, 1)
        XCTAssertEqual(backedUp.differences(from: manifest(sequence: 9)).count, 1)
    }
}
