import Foundation

/// Reads a database's `DatabaseProperties` from the shared catalogs (`pg_database`,
/// `pg_db_role_setting`, `pg_shdescription`), so any connection to the server can read them
/// for any database: inside the dump's snapshot at backup time, from `postgres` at restore.
struct DatabasePropertiesReader {
    let connection: PostgresConnection

    func read(database: String) throws -> DatabaseProperties {
        // The locale provider appeared in 15; 17 renamed daticulocale to datlocale.
        let provider: String
        switch connection.versionNumber {
        case 170000...: provider = "d.datlocprovider::text, d.datlocale"
        case 150000...: provider = "d.datlocprovider::text, d.daticulocale"
        default: provider = "'c', NULL::text"
        }
        guard let row = try connection.query("""
            SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, \(provider),
                   t.spcname, d.datconnlimit::text, d.datistemplate::text, shobj_description(d.oid, 'pg_database')
            FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1
            """, [database]).first else {
            throw PostgresError(.notFound, "database \(database) does not exist")
        }
        return DatabaseProperties(
            owner: row[0] ?? "", encoding: row[1] ?? "", collate: row[2], ctype: row[3], localeProvider: row[4] ?? "c",
            providerLocale: row[5], tablespace: row[6] ?? "pg_default", connectionLimit: Int(row[7] ?? "") ?? -1,
            isTemplate: row[8] == "true", comment: row[9],
            settings: try settings(database), roleSettings: try roleSettings(database), acl: try acl(database))
    }

    private func settings(_ database: String) throws -> [String] {
        try connection.query("""
            SELECT c FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
            WHERE d.datname = $1 AND s.setrole = 0 ORDER BY 1
            """, [database]).compactMap { $0[0] }
    }

    private func roleSettings(_ database: String) throws -> [DatabaseProperties.RoleSetting] {
        try connection.query("""
            SELECT pg_get_userbyid(s.setrole), c FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
            WHERE d.datname = $1 AND s.setrole <> 0 ORDER BY 1, 2
            """, [database]).map { DatabaseProperties.RoleSetting(role: $0[0] ?? "", setting: $0[1] ?? "") }.sorted()
    }

    /// A null `datacl` means the default (owner: all, PUBLIC: CONNECT and TEMPORARY): spelled
    /// out, so that an explicit ACL equal to the default compares equal.
    private func acl(_ database: String) throws -> [DatabaseProperties.ACLEntry] {
        try connection.query("""
            SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END, pg_get_userbyid(a.grantor),
                   a.privilege_type, a.is_grantable::text
            FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = $1
            """, [database]).map {
            DatabaseProperties.ACLEntry(grantee: $0[0], grantor: $0[1] ?? "", privilege: $0[2] ?? "", grantable: $0[3] == "true")
        }.sorted()
    }
}
