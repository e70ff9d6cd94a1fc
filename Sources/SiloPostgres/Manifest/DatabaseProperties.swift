import Foundation

/// What `pg_dump --create` would set on the database itself rather than inside it: owner,
/// encoding and locale, tablespace, connection limit, comment, ACL and per-database settings
/// (docs/FORMAT.md §13). Read from the shared catalogs at backup time and stored in the
/// manifest, because a restore under another name cannot take them from the dump.
public struct DatabaseProperties: Codable, Sendable, Equatable {
    public var owner: String
    public var encoding: String
    public var collate: String?
    public var ctype: String?
    /// `pg_database.datlocprovider`: `c` (libc), `i` (ICU), `b` (builtin, PostgreSQL 17).
    public var localeProvider: String
    /// The ICU (or builtin) locale; nil with libc.
    public var providerLocale: String?
    public var tablespace: String
    /// -1: no limit.
    public var connectionLimit: Int
    public var isTemplate: Bool
    public var comment: String?
    /// `ALTER DATABASE … SET`: `name=value` as `pg_db_role_setting` stores them, sorted.
    public var settings: [String]
    /// `ALTER ROLE … IN DATABASE … SET`, sorted by role then setting.
    public var roleSettings: [RoleSetting]
    /// The effective ACL (the default one spelled out when `datacl` is null), sorted.
    public var acl: [ACLEntry]

    public struct RoleSetting: Codable, Sendable, Equatable, Hashable, Comparable {
        public var role: String
        public var setting: String
        public static func < (a: Self, b: Self) -> Bool { (a.role, a.setting) < (b.role, b.setting) }
    }

    /// One privilege of one grantee, as `aclexplode` gives it.
    public struct ACLEntry: Codable, Sendable, Equatable, Hashable, Comparable {
        /// nil: PUBLIC.
        public var grantee: String?
        public var grantor: String
        /// `CONNECT`, `TEMPORARY` or `CREATE`.
        public var privilege: String
        public var grantable: Bool

        public var granteeName: String { grantee ?? "PUBLIC" }
        var sortKey: String { "\(grantee.map { "1" + $0 } ?? "0")\u{0}\(privilege)\u{0}\(grantor)\u{0}\(grantable)" }
        public static func < (a: Self, b: Self) -> Bool { a.sortKey < b.sortKey }
    }

    /// Differences between what was backed up (`self`) and a restored database, one line each.
    public func differences(from restored: DatabaseProperties) -> [String] {
        var problems: [String] = []
        func compare<T: Equatable>(_ what: String, _ expected: T, _ actual: T, _ show: (T) -> String) {
            if expected != actual { problems.append("database \(what) is \(show(actual)), expected \(show(expected))") }
        }
        let text: (String?) -> String = { $0.map { "'\($0)'" } ?? "unset" }
        compare("owner", owner, restored.owner) { $0 }
        compare("encoding", encoding, restored.encoding) { $0 }
        compare("LC_COLLATE", collate, restored.collate, text)
        compare("LC_CTYPE", ctype, restored.ctype, text)
        compare("locale provider", localeProvider, restored.localeProvider) { $0 }
        compare("provider locale", providerLocale, restored.providerLocale, text)
        compare("tablespace", tablespace, restored.tablespace) { $0 }
        compare("connection limit", connectionLimit, restored.connectionLimit) { String($0) }
        compare("IS_TEMPLATE", isTemplate, restored.isTemplate) { String($0) }
        compare("comment", comment, restored.comment, text)
        problems += Self.setDifferences("setting", settings, restored.settings) { $0 }
        problems += Self.setDifferences("role setting", roleSettings, restored.roleSettings) { "\($0.role): \($0.setting)" }
        problems += Self.setDifferences("privilege", acl, restored.acl) {
            "\($0.privilege) for \($0.granteeName) granted by \($0.grantor)\($0.grantable ? " WITH GRANT OPTION" : "")"
        }
        return problems
    }

    private static func setDifferences<T: Hashable>(_ what: String, _ expected: [T], _ actual: [T], _ show: (T) -> String) -> [String] {
        let expectedSet = Set(expected), actualSet = Set(actual)
        return expected.filter { !actualSet.contains($0) }.map { "database \(what) \(show($0)) is missing" }
            + actual.filter { !expectedSet.contains($0) }.map { "database \(what) \(show($0)) was not in the backup" }
    }
}
