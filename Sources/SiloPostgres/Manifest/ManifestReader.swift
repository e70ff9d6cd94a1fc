import Foundation
import SiloFormat

/// Computes a `DatabaseManifest` on a connection: inside a dump's exported snapshot at backup
/// time, and on the restored database at verification time (the same queries both times).
struct ManifestReader {
    let connection: PostgresConnection
    /// The exported snapshot `pg_dump --schema-only` must see, when there is one.
    let snapshotID: String?

    /// Everything but sequences' "before" value (see `sequenceValues`).
    func read(database: String) throws -> DatabaseManifest {
        let info = try connection.query("""
            SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding) FROM pg_database d WHERE d.datname = current_database()
            """).first
        var tables: [DatabaseManifest.TableChecksum] = []
        for row in try connection.query("""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND c.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1, 2
            """) {
            let schema = row[0] ?? "", name = row[1] ?? ""
            tables.append(try checksum(schema: schema, table: name))
        }
        let objects = try connection.query("SELECT oid::text, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid").map {
            DatabaseManifest.LargeObjectDigest(oid: UInt32($0[0] ?? "") ?? 0, md5: $0[1] ?? "")
        }
        let sequences = try sequenceValues().map {
            DatabaseManifest.SequenceState(schema: $0.schema, name: $0.name, lastValueBefore: $0.value, lastValueAfter: $0.value)
        }
        return DatabaseManifest(database: database, owner: info?[0] ?? nil, serverVersion: connection.serverVersion,
                                encoding: info?[1] ?? nil, schemaSHA256: try schemaHash(), tables: tables,
                                sequences: sequences, largeObjects: objects,
                                properties: try DatabasePropertiesReader(connection: connection).read(database: database))
    }

    func checksum(schema: String, table: String) throws -> DatabaseManifest.TableChecksum {
        let qualified = quoteIdentifier(schema) + "." + quoteIdentifier(table)
        let row = try connection.query("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text FROM ONLY \(qualified) AS t").first
        return DatabaseManifest.TableChecksum(schema: schema, name: table, rows: Int64(row?[0] ?? "") ?? -1, checksum: row?[1] ?? "")
    }

    /// Current sequence values (not transactional: what they are now, snapshot or not).
    func sequenceValues() throws -> [(schema: String, name: String, value: Int64?)] {
        try connection.query("SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2").map {
            (schema: $0[0] ?? "", name: $0[1] ?? "", value: $0[2].flatMap { Int64($0) })
        }
    }

    /// Hash of the schema as `pg_dump --schema-only` prints it, lines that name tool versions or
    /// carry random keys left out.
    private func schemaHash() throws -> String {
        var arguments = ["--schema-only", "--no-password"]
        if let snapshotID { arguments.append("--snapshot=\(snapshotID)") }
        let text = try ChildProcess.output(PostgresTools.path("pg_dump"), arguments, environment: connection.target.toolEnvironment)
        let kept = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            !(line.hasPrefix("\\restrict") || line.hasPrefix("\\unrestrict") || line.hasPrefix("-- Dumped from") || line.hasPrefix("-- Dumped by"))
        }
        return Crypto.sha256(Data(kept.joined(separator: "\n").utf8)).hex
    }
}
