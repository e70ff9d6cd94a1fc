import Foundation
import XCTest
@testable import SiloPostgres

/// Database-level properties: how settings are re-quoted, what a server without the roles
/// gets, and that verification names every property that is missing or differs.
final class DatabasePropertiesTests: XCTestCase {
    private let sample = DatabaseProperties(
        owner: "shop_owner", encoding: "UTF8", collate: "C.utf8", ctype: "C", localeProvider: "i", providerLocale: "en-US",
        tablespace: "fast", connectionLimit: 7, isTemplate: false, comment: "the shop",
        settings: ["TimeZone=Europe/Berlin", "work_mem=64MB"],
        roleSettings: [.init(role: "shop_app", setting: "work_mem=8MB")],
        acl: [.init(grantee: "shop_app", grantor: "shop_owner", privilege: "CONNECT", grantable: false),
              .init(grantee: "shop_owner", grantor: "shop_owner", privilege: "CONNECT", grantable: false),
              .init(grantee: "shop_owner", grantor: "shop_owner", privilege: "CREATE", grantable: false)])

    func testListSettingsAreQuotedElementByElement() {
        XCTAssertEqual(ConfigSetting.splitList("\"$user\", public, \"Shop \"\"Data\"\"\""), ["$user", "public", "Shop \"Data\""])
        XCTAssertEqual(ConfigSetting("search_path=\"$user\", public")?.clause, "\"search_path\" TO '$user', 'public'")
        XCTAssertEqual(ConfigSetting("search_path=\"\"")?.clause, "\"search_path\" TO ''")
        XCTAssertEqual(ConfigSetting("work_mem=64MB")?.clause, "\"work_mem\" TO '64MB'")
        XCTAssertEqual(ConfigSetting("app.motto=it's a=b")?.clause, "\"app.motto\" TO 'it''s a=b'")
        XCTAssertNil(ConfigSetting("no equals sign"))
    }

    func testCreateStatementCarriesEncodingLocaleAndProvider() {
        XCTAssertEqual(DatabasePropertiesApplier.createStatement("new", sample),
                       "CREATE DATABASE \"new\" TEMPLATE template0 OWNER \"shop_owner\" ENCODING 'UTF8' LC_COLLATE 'C.utf8' LC_CTYPE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TABLESPACE \"fast\"")
    }

    /// Missing roles and tablespaces: warnings, and the owner's privileges pass to its stand-in.
    func testPlanLeavesOutWhatTheServerLacks() {
        let plan = DatabasePropertiesPlan(sample, on: .init(roles: ["postgres"], tablespaces: ["pg_default"], currentUser: "postgres"), database: "shop")
        XCTAssertEqual(plan.properties.owner, "postgres")
        XCTAssertEqual(plan.properties.tablespace, "pg_default")
        XCTAssertEqual(plan.properties.roleSettings, [])
        XCTAssertEqual(plan.properties.acl, [.init(grantee: "postgres", grantor: "postgres", privilege: "CONNECT", grantable: false),
                                             .init(grantee: "postgres", grantor: "postgres", privilege: "CREATE", grantable: false)])
        XCTAssertEqual(plan.warnings.count, 4, "\(plan.warnings)")
        XCTAssertTrue(plan.warnings.contains { $0.hasPrefix("role shop_owner, the owner of shop, does not exist") })
        XCTAssertTrue(plan.warnings.contains { $0.hasPrefix("role shop_app does not exist on this server: its CONNECT privilege") })
        let complete = DatabasePropertiesPlan(sample, on: .init(roles: ["shop_owner", "shop_app"], tablespaces: ["fast"], currentUser: "postgres"), database: "shop")
        XCTAssertEqual(complete.properties, sample)
        XCTAssertEqual(complete.warnings, [])
    }

    func testEveryPropertyIsCompared() {
        let changes: [(String, (inout DatabaseProperties) -> Void)] = [
            ("database owner is postgres, expected shop_owner", { $0.owner = "postgres" }),
            ("database encoding is LATIN1", { $0.encoding = "LATIN1" }),
            ("database LC_COLLATE is 'C'", { $0.collate = "C" }),
            ("database LC_CTYPE is unset", { $0.ctype = nil }),
            ("database locale provider is c", { $0.localeProvider = "c" }),
            ("database provider locale is unset", { $0.providerLocale = nil }),
            ("database tablespace is pg_default", { $0.tablespace = "pg_default" }),
            ("database connection limit is -1, expected 7", { $0.connectionLimit = -1 }),
            ("database IS_TEMPLATE is true", { $0.isTemplate = true }),
            ("database comment is unset, expected 'the shop'", { $0.comment = nil }),
            ("database setting work_mem=64MB is missing", { $0.settings.removeLast() }),
            ("database setting work_mem=4MB was not in the backup", { $0.settings[1] = "work_mem=4MB" }),
            ("database role setting shop_app: work_mem=8MB is missing", { $0.roleSettings = [] }),
            ("database privilege CONNECT for shop_app granted by shop_owner is missing", { $0.acl.removeFirst() }),
            ("database privilege CONNECT for PUBLIC granted by shop_owner was not in the backup",
             { $0.acl.append(.init(grantee: nil, grantor: "shop_owner", privilege: "CONNECT", grantable: false)) }),
        ]
        XCTAssertEqual(sample.differences(from: sample), [])
        for (message, change) in changes {
            var restored = sample
            change(&restored)
            let problems = sample.differences(from: restored)
            XCTAssertTrue(problems.contains { $0.hasPrefix(message) }, "\(message): \(problems)")
        }
    }

    /// Version-1 manifests have no properties: they decode, and compare without them; a
    /// version-2 manifest fails against a database whose properties were not read.
    func testManifestVersionsAndMissingProperties() throws {
        let v1 = #"{"database":"shop","largeObjects":[],"owner":"o","schemaSHA256":"x","sequences":[],"serverVersion":"15.18","tables":[],"version":1}"#
        let old = try JSONDecoder().decode(DatabaseManifest.self, from: Data(v1.utf8))
        XCTAssertNil(old.properties)
        var restored = old
        restored.properties = sample
        XCTAssertEqual(old.differences(from: restored), [])
        var current = old
        current.version = DatabaseManifest.currentVersion
        current.properties = sample
        XCTAssertEqual(current.differences(from: old), ["database-level properties were not read from the restored database"])
        let decoded = try JSONDecoder().decode(DatabaseManifest.self, from: JSONEncoder().encode(current))
        XCTAssertEqual(decoded, current)
    }
}
