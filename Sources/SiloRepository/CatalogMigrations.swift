import Foundation

/// The catalog's schema: named migrations, applied in order, never edited once released.
extension Catalog {
    /// Named migrations, applied in order, never edited once released.
    static let migrations: [(name: String, sql: String)] = [
        ("0001-initial", """
            CREATE TABLE index_files(id BLOB PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE packs(id BLOB PRIMARY KEY, index_file BLOB NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
            CREATE INDEX packs_by_index ON packs(index_file);
            CREATE TABLE chunks(id BLOB NOT NULL, pack BLOB NOT NULL, type INTEGER NOT NULL, compression INTEGER NOT NULL,
                                offset INTEGER NOT NULL, length INTEGER NOT NULL, raw_length INTEGER NOT NULL,
                                PRIMARY KEY(id, pack)) WITHOUT ROWID;
            CREATE INDEX chunks_by_pack ON chunks(pack);
            CREATE TABLE snapshots(id BLOB PRIMARY KEY, time INTEGER NOT NULL, host TEXT NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE tree_cache(id BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
            """),
        ("0002-deletion-markers", """
            CREATE TABLE markers(key TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE marked_packs(pack BLOB NOT NULL, marker TEXT NOT NULL, marked REAL NOT NULL, PRIMARY KEY(pack, marker)) WITHOUT ROWID;
            """),
        ("0003-copy-map", """
            CREATE TABLE copy_map(source TEXT NOT NULL, id BLOB NOT NULL, target BLOB NOT NULL, PRIMARY KEY(source, id)) WITHOUT ROWID;
            """),
        ("0004-live-set", """
            CREATE TABLE live(id BLOB PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE live_state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            """),
        // Bytes of a pack's chunks, so that prune weighs packs without a pass over every chunk.
        ("0005-pack-chunk-bytes", """
            ALTER TABLE packs ADD COLUMN chunk_bytes INTEGER NOT NULL DEFAULT 0;
            UPDATE packs SET chunk_bytes = (SELECT coalesce(sum(length), 0) FROM chunks WHERE chunks.pack = packs.id);
            """),
        // The base chunk of a delta blob (NULL for the others), and the resemblance features of
        // the chunks of database dumps, which find a new chunk's previous version.
        ("0006-delta-chunks", """
            ALTER TABLE chunks ADD COLUMN base BLOB;
            CREATE INDEX chunks_by_base ON chunks(base) WHERE base IS NOT NULL;
            CREATE TABLE resemblance(feature INTEGER PRIMARY KEY, id BLOB NOT NULL);
            """),
        // Packs the index names that the store's last listing did not have (lost, deleted by
        // hand): their chunks are neither reused by a backup nor chosen while another copy exists.
        ("0007-missing-packs", """
            CREATE TABLE missing_packs(pack BLOB PRIMARY KEY) WITHOUT ROWID;
            """),
    ]

    static func isForeignSchema(_ message: String) -> Bool {
        ["already exists", "no such table", "no such column", "has no column"].contains { message.contains($0) }
    }

    static func migrate(_ db: SQLiteDatabase) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS migrations(name TEXT PRIMARY KEY, applied INTEGER NOT NULL)")
        try db.transaction {
            var applied = Set<String>()
            try db.prepare("SELECT name FROM migrations").forEach { applied.insert($0.text(0)) }
            for migration in migrations where !applied.contains(migration.name) {
                try db.execute(migration.sql)
                try db.prepare("INSERT INTO migrations VALUES (?1, ?2)").bind([migration.name, Int(Date().timeIntervalSince1970)]).run()
            }
        }
    }
}
