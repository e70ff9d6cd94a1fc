import Foundation

/// Puts database-level properties on a database under any name: what `CREATE DATABASE` must
/// fix (encoding, locale, provider, tablespace, owner), then, once the dump is restored, what
/// `pg_dump --create` would have set after it (comment, settings, ACL, connection limit).
/// All statements run from the `postgres` database: these properties live in shared catalogs.
enum DatabasePropertiesApplier {
    /// `CREATE DATABASE … TEMPLATE template0` with the source's encoding and locale: another
    /// template's would not do, and a different encoding or collation changes the data's meaning.
    static func createStatement(_ name: String, _ properties: DatabaseProperties) -> String {
        var sql = "CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0 OWNER \(quoteIdentifier(properties.owner))"
        sql += " ENCODING \(quoteLiteral(properties.encoding))"
        if let collate = properties.collate { sql += " LC_COLLATE \(quoteLiteral(collate))" }
        if let ctype = properties.ctype { sql += " LC_CTYPE \(quoteLiteral(ctype))" }
        switch properties.localeProvider {
        case "i":
            sql += " LOCALE_PROVIDER icu"
            if let locale = properties.providerLocale { sql += " ICU_LOCALE \(quoteLiteral(locale))" }
        case "b":
            sql += " LOCALE_PROVIDER builtin"
            if let locale = properties.providerLocale { sql += " BUILTIN_LOCALE \(quoteLiteral(locale))" }
        default:
            break  // libc: the only provider before 15, where the clause does not exist.
        }
        if properties.tablespace != "pg_default" { sql += " TABLESPACE \(quoteIdentifier(properties.tablespace))" }
        return sql
    }

    static func create(_ name: String, _ properties: DatabaseProperties, admin: PostgresConnection) throws {
        do {
            try admin.execute(createStatement(name, properties))
        } catch let error as PostgresError where error.code == .query {
            throw PostgresError(.query, "cannot create database \(name) with the backed-up encoding \(properties.encoding), locale \(properties.collate ?? "-")/\(properties.ctype ?? "-")"
                                + (properties.providerLocale.map { ", provider locale \($0)" } ?? "") + ": \(error.message); "
                                + "this server must support that locale (see `locale -a` and pg_collation)", sqlState: error.sqlState)
        }
    }

    /// Everything after the data: run once `pg_restore` is done, so that settings such as
    /// `default_transaction_read_only` or a low connection limit cannot get in its way.
    static func apply(_ properties: DatabaseProperties, to name: String, admin: PostgresConnection) throws {
        let database = quoteIdentifier(name)
        if let comment = properties.comment { try admin.execute("COMMENT ON DATABASE \(database) IS \(quoteLiteral(comment))") }
        for entry in properties.settings {
            try admin.execute("ALTER DATABASE \(database) SET \(try clause(entry, name))")
        }
        for setting in properties.roleSettings {
            try admin.execute("ALTER ROLE \(quoteIdentifier(setting.role)) IN DATABASE \(database) SET \(try clause(setting.setting, name))")
        }
        try applyACL(properties, database, admin)
        if properties.connectionLimit != -1 { try admin.execute("ALTER DATABASE \(database) CONNECTION LIMIT \(properties.connectionLimit)") }
        if properties.isTemplate { try admin.execute("ALTER DATABASE \(database) IS_TEMPLATE true") }
    }

    private static func clause(_ entry: String, _ database: String) throws -> String {
        guard let setting = ConfigSetting(entry) else {
            throw PostgresError(.invalidArgument, "the manifest of \(database) holds a setting '\(entry)' that is not name=value: the manifest is damaged")
        }
        return setting.clause
    }

    /// Starts from nothing (the new database's default ACL revoked from PUBLIC and the owner)
    /// and grants exactly the backed-up entries; grants made by a role other than the owner
    /// are made as that role, after the owner's, which may be what allows them.
    private static func applyACL(_ properties: DatabaseProperties, _ database: String, _ admin: PostgresConnection) throws {
        try admin.execute("REVOKE ALL ON DATABASE \(database) FROM PUBLIC")
        try admin.execute("REVOKE ALL ON DATABASE \(database) FROM \(quoteIdentifier(properties.owner))")
        let groups = Dictionary(grouping: properties.acl) { GrantGroup(grantor: $0.grantor, grantee: $0.grantee, grantable: $0.grantable) }
        let ordered = groups.keys.sorted { ($0.grantor != properties.owner ? 1 : 0, $0.grantor, $0.grantee ?? "") < ($1.grantor != properties.owner ? 1 : 0, $1.grantor, $1.grantee ?? "") }
        for group in ordered {
            let privileges = Set(groups[group]!.map(\.privilege)).sorted().joined(separator: ", ")
            let grantee = group.grantee.map(quoteIdentifier) ?? "PUBLIC"
            let grant = "GRANT \(privileges) ON DATABASE \(database) TO \(grantee)" + (group.grantable ? " WITH GRANT OPTION" : "")
            if group.grantor == properties.owner {
                try admin.execute(grant)
            } else {
                try admin.execute("SET ROLE \(quoteIdentifier(group.grantor))")
                defer { try? admin.execute("RESET ROLE") }
                try admin.execute(grant)
            }
        }
    }

    private struct GrantGroup: Hashable {
        var grantor: String
        var grantee: String?
        var grantable: Bool
    }
}
