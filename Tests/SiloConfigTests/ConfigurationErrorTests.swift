import XCTest
@testable import SiloConfig

/// Each error names the file, line, column and key path, and what to do.
final class ConfigurationErrorTests: XCTestCase {
    func testAWrongTypeIsNamedAtItsValue() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              uploads:
                paths: /srv/uploads
            """)
        let found = issues(of: file)
        XCTAssertEqual(found.map(\.description), ["\(file):6:12: sources.uploads.paths: expected a list, found a scalar"])
    }

    func testAnUnknownKeyGetsADidYouMean() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              uploads:
                paths: [/srv/uploads]
                exclude_cache: true
            retension:
              keep_daily: 3
            """)
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):7:5: sources.uploads.exclude_cache: unknown key 'exclude_cache'; did you mean 'exclude_caches'?",
            "\(file):8:1: retension: unknown key 'retension'; did you mean 'retention'?",
        ])
    }

    func testAnUnsetVariableIsNamedAtItsColumn() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration("""
            repository:
              location: /backup/${SITE}/silo
              password_file: repository.password
            sources:
              db:
                postgres:
                  url: "postgresql://app@${DB_HOST}:5432/app"
            """)
        XCTAssertEqual(issues(of: file, environment: ["SITE": "x"]).map(\.description), [
            "\(file):7:30: sources.db.postgres.url: environment variable DB_HOST is not set: set it, or give a default as ${DB_HOST:-value}",
        ])
        XCTAssertNoThrow(try ConfigurationLoader.load(path: file, environment: ["SITE": "x", "DB_HOST": "db"]))
    }

    func testABadCadenceAndAMissingKeyAreNamed() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              logs:
                paths: [/var/log/app]
                cadence: every 4 hours
            copies:
              - name: offsite
            """)
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):7:14: sources.logs.cadence: 'every 4 hours' is not a cadence: expected \(Cadence.grammar)",
            "\(file):9:5: copies[0].location: missing required key 'location'",
        ])
    }

    func testAPasswordFileReadableByOthersIsRefused() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + "sources:\n  etc:\n    paths: [/etc]\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: scratch.path("repository.password"))
        let password = scratch.path("repository.password")
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):3:18: repository.password_file: password file \(password) has mode 0644: others can read it; run chmod 600 \(password)",
        ])
        try FileManager.default.removeItem(atPath: password)
        XCTAssertEqual(issues(of: file).map(\.description), [
            "\(file):3:18: repository.password_file: password file \(password) cannot be used: no such file or directory",
        ])
    }

    func testALiteralSecretNeedsAPrivateFile() throws {
        let scratch = try ConfigScratch()
        let yaml = minimalRepository + """
            sources:
              db:
                postgres:
                  url: postgresql://app:hunter2@localhost/app
            """
        let open = try scratch.configuration(yaml, mode: 0o644)
        XCTAssertEqual(issues(of: open).map(\.description), [
            "\(open):7:12: sources.db.postgres.url: holds a secret written out, but \(open) has mode 0644: run chmod 600 \(open), or refer to an environment variable as ${VAR}",
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: open)
        XCTAssertNoThrow(try ConfigurationLoader.load(path: open, environment: [:]))
        // A reference is not a secret written out: 0644 is then fine.
        let referring = try scratch.configuration(yaml.replacingOccurrences(of: "hunter2", with: "${DB_PASSWORD}"), mode: 0o644)
        XCTAssertNoThrow(try ConfigurationLoader.load(path: referring, environment: ["DB_PASSWORD": "x"]))
    }

    func testNamesRulesAndCoverage() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration(minimalRepository + """
            sources:
              Web Uploads:
                paths: [/srv]
              both:
                paths: [/srv]
                postgres: { url: postgresql://a@b/c }
            checks:
              read_data:
                cadence: weekly
                share: 10%
            retention:
              keep_daily: 0
              sources:
                uplods: { keep_daily: 3 }
            """)
        let messages = issues(of: file).map { "\($0.position!.line) \($0.keyPath): \($0.message)" }
        XCTAssertEqual(messages, [
            "5 sources.Web Uploads: 'Web Uploads' is not a valid name for a source: use lower-case letters, digits, _ and - only",
            "9 sources.both.postgres: 'paths' and 'postgres' exclude each other: make two sources",
            "12 checks.read_data: reading 10% every weekly reads 42% of the packs in 30 days: some pack would go unread for a month; read at least 24% each time, or more often",
            "15 retention: this policy keeps no snapshot: give at least one keep_* rule above 0",
            "17 retention.sources.uplods: no source is named 'uplods'",
        ])
    }

    func testYAMLSyntaxErrorsHaveAPosition() throws {
        let scratch = try ConfigScratch()
        let file = try scratch.configuration("repository:\n  location: [unclosed\n")
        let found = issues(of: file)
        XCTAssertEqual(found.count, 1)
        XCTAssertNotNil(found.first?.position)
        XCTAssertTrue(found.first!.description.hasPrefix("\(file):"), found.first!.description)
        XCTAssertTrue(found.first!.message.hasPrefix("YAML syntax: "), found.first!.message)
        let missing = issues(of: scratch.path("nothing.yaml"))
        XCTAssertEqual(missing.map(\.description), ["\(scratch.path("nothing.yaml")): cannot read the configuration: no such file (write one with `silo config init`, or name another with --config or SILO_CONFIG)"])
    }

    func testEveryReferencedFileAndHookIsChecked() throws {
        let scratch = try ConfigScratch()
        try scratch.write("db.password", "pw\n", mode: 0o640)
        let file = try scratch.configuration(minimalRepository + """
            copies:
              - name: offsite
                location: s3:https://s3.example.com/bucket/silo
                password_file: offsite.password
                password_command: pass show silo
            sources:
              www:
                paths: [/srv/www]
                exclude_file: [excludes.txt]
                hooks:
                  after:
                    - command: echo done
                      timeout: soon
              db:
                postgres:
                  url: mysql://root@localhost/app
                  password_file: db.password
                exclude: ["*.tmp"]
            """)
        XCTAssertEqual(issues(of: file).map { "\($0.position!.line):\($0.position!.column) \($0.keyPath): \($0.message)" }, [
            "8:23 copies[0].password_command: password_file and password_command exclude each other; give one",
            "12:20 sources.www.exclude_file[0]: exclude file \(scratch.path("excludes.txt")) cannot be used: no such file or directory",
            "16:20 sources.www.hooks.after[0].timeout: 'soon' is not a timeout: expected \(Cadence.durationGrammar)",
            "19:12 sources.db.postgres.url: 'mysql://root@localhost/app' is not a database URL: expected postgresql://USER@HOST:PORT/DB",
            "20:22 sources.db.postgres.password_file: password file \(scratch.path("db.password")) has mode 0640: others can read it; run chmod 600 \(scratch.path("db.password"))",
            "21:5 sources.db.exclude: 'exclude' applies to paths sources only, not to a postgres source",
        ])
        // The shape alone, for examples whose files are elsewhere: the file checks are left out.
        XCTAssertThrowsError(try ConfigurationLoader.parse(try String(contentsOfFile: file, encoding: .utf8), file: file, options: .shapeOnly)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.issues.count, 4)
        }
    }
}
