import Foundation
import XCTest
@testable import SiloConfig

/// `services` and `drill`: the seed's tiers, one control each, health checks with their
/// defaults, paths and databases that must be backed up, and every mistake named where it is.
final class ServiceSettingsTests: XCTestCase {
    private let head = """
        repository:
          location: /backup/silo
        sources:
          app:
            paths: [/srv/app/uploads, /srv/app/.env]
          db:
            postgres:
              url: postgresql://app@localhost:5432/shop
        """

    private func load(_ yaml: String) throws -> Configuration {
        try ConfigurationLoader.parse(head + "\n" + yaml, file: "silo.yaml", environment: [:], options: .shapeOnly)
    }

    private func issues(_ yaml: String) -> [String] {
        do {
            _ = try load(yaml)
            return []
        } catch let error as ConfigurationError {
            return error.issues.map { $0.description }
        } catch {
            return ["\(error)"]
        }
    }

    func testTheSeedsTiersAndEveryKindOfControlAndCheck() throws {
        let configuration = try load("""
            services:
              database:
                priority: critical
                systemd: postgresql.service
                keep_running: true
                databases: [shop]
                health:
                  - tcp: 127.0.0.1:5432
              api-server:
                priority: high
                pm2: api-server
                paths: /srv/app/.env
                health:
                  - http: http://127.0.0.1:3000/health
                    body: ok
                    timeout: 3s
                    retries: 20
                    interval: 0
              web:
                priority: medium
                timeout: 30s
                commands:
                  start: /srv/bin/start-web
                  stop: /srv/bin/stop-web
                  status: /srv/bin/web-status
                paths: [/srv/app/uploads]
                health:
                  - command: curl -fs http://127.0.0.1:8080/
            drill:
              cadence: 2w
              smoke:
                - command: test -s "$SILO_DRILL_ROOT/srv/app/.env"
            """)
        XCTAssertEqual(configuration.services.map(\.name), ["database", "api-server", "web"])
        XCTAssertEqual(configuration.services.map(\.priority), [.critical, .high, .medium])
        XCTAssertEqual(configuration.services[0].control, .systemd(unit: "postgresql.service"))
        XCTAssertTrue(configuration.services[0].keepRunning)
        XCTAssertEqual(configuration.services[0].health, [HealthCheckSettings(probe: .tcp(host: "127.0.0.1", port: 5432))])
        XCTAssertEqual(configuration.services[1].control, .pm2(process: "api-server"))
        XCTAssertEqual(configuration.services[1].paths, ["/srv/app/.env"])
        XCTAssertEqual(configuration.services[1].health, [HealthCheckSettings(probe: .http(url: "http://127.0.0.1:3000/health", status: 200, body: "ok"),
                                                                              timeout: .seconds(3), retries: 20, interval: .zero)])
        XCTAssertEqual(configuration.services[2].control, .commands(start: "/srv/bin/start-web", stop: "/srv/bin/stop-web", status: "/srv/bin/web-status"))
        XCTAssertEqual(configuration.services[2].timeout, .seconds(30))
        XCTAssertEqual(configuration.drill, DrillSettings(cadence: Cadence("2w")!, smoke: [Hook(command: "test -s \"$SILO_DRILL_ROOT/srv/app/.env\"")]))

        // config show writes every default out, and reads back the same.
        let shown = configuration.yaml(masked: false)
        let again = try ConfigurationLoader.parse(shown, file: "silo.yaml", environment: [:], options: .shapeOnly)
        XCTAssertEqual(again.services, configuration.services)
        XCTAssertEqual(again.drill, configuration.drill)
        XCTAssertTrue(shown.contains("retries: 10"), "the tcp check's default retries are written out:\n\(shown)")
    }

    func testMistakesAreNamedWhereTheyAre() {
        let found = issues("""
            services:
              web:
                priority: urgent
                systemd: web.service
                pm2: web
                paths: [/srv/other, /srv/app/uploads, /srv/app/uploads/2026]
                databases: [billing]
                health:
                  - tcp: localhost
                  - http: ftp://example.com/
                  - command: "true"
                    body: ok
                  - {}
              Bad_Name:
                priority: low
                commands: { start: "true" }
              api:
                priority: high
                pm2: api
                paths: [/srv/app/uploads]
            """)
        let expected = [
            "'urgent' is not", "exclude each other: a service is controlled one way",
            "/srv/other is not inside any paths source", "/srv/app/uploads/2026 overlaps /srv/app/uploads",
            "database billing is not dumped by any postgres source", "'localhost' is not HOST:PORT",
            "'ftp://example.com/' is not an http:// or https:// URL", "'body' applies to http checks only",
            "a health check needs one of http", "'Bad_Name' is not a valid name", "stop",
        ]
        for text in expected {
            XCTAssertTrue(found.contains { $0.contains(text) }, "no issue mentions \"\(text)\":\n\(found.joined(separator: "\n"))")
        }
        XCTAssertTrue(issues("services:\n  web:\n    systemd: web.service\n").contains { $0.contains("priority") })
        let shared = issues("""
            services:
              web: { priority: medium, pm2: web, paths: [/srv/app/uploads], databases: [shop] }
              api: { priority: high, pm2: api, paths: [/srv/app/uploads/2026], databases: [shop] }
            """)
        XCTAssertTrue(shared.contains { $0.contains("/srv/app/uploads/2026 overlaps /srv/app/uploads of service 'web'") }, "\(shared)")
        XCTAssertTrue(shared.contains { $0.contains("database shop already belongs to service 'web'") }, "\(shared)")
    }

    func testAServerWideSourceDumpsAnyDatabase() throws {
        let configuration = try ConfigurationLoader.parse("""
            repository:
              location: /backup/silo
            sources:
              cluster:
                postgres:
                  url: postgresql://postgres@localhost:5432
            services:
              database:
                priority: critical
                systemd: postgresql.service
                databases: [shop, auth]
            """, file: "silo.yaml", environment: [:], options: .shapeOnly)
        XCTAssertEqual(configuration.sources.dumping(database: "auth")?.name, "cluster")
        XCTAssertEqual(PostgresSource.databaseName(in: "postgresql://app@db:5432/shop?sslmode=require"), "shop")
        XCTAssertNil(PostgresSource.databaseName(in: "postgresql://app@db:5432"))
    }
}
