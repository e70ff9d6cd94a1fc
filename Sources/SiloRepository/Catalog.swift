import Foundation
import SiloFormat

/// Where a chunk is stored.
public struct ChunkLocation: Sendable, Equatable {
    public let pack: PackID
    public let entry: PackEntry
}

/// The local SQLite view of a repository: snapshots, the chunk index and a cache of trees.
/// It is never the only copy of anything: `Repository.syncCatalog()` reconciles it with the
/// repository's objects on every open and `catalog rebuild` recreates it from them alone.
///
/// One connection, split by concern into files: migrations (`CatalogMigrations`), the chunk
/// index (`CatalogChunkIndex`), snapshots, deletion markers, the tree cache; and, beside their
/// only users in SiloEngine, prune's live set, the resemblance features of dump chunks and
/// copy's ID map, which reach the connection through `withSQL`.
public final class Catalog: @unchecked Sendable {
    let db: SQLiteDatabase
    let lock = NSLock()
    let findChunk: SQLiteDatabase.Statement
    let insertChunk: SQLiteDatabase.Statement
    let findTree: SQLiteDatabase.Statement
    let insertTree: SQLiteDatabase.Statement
    var pendingTrees: [ChunkID: Data] = [:]

    deinit { try? flushTreeCache() }

    package var path: String { db.path }

    /// Whether `error` says the catalog file itself is damaged or foreign (so a rebuilt one
    /// replaces it), rather than that it could not be used just now.
    package static func isDamage(_ error: RepositoryError) -> Bool { error.code == .catalogDamaged }

    package init(path: String) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;")
        do {
            try Catalog.migrate(db)
        } catch let error as RepositoryError where error.code == .catalog && Catalog.isForeignSchema(error.message) {
            // Another program's database, or a catalog whose tables are not ours.
            throw RepositoryError(.catalogDamaged, "it is not a Silo catalog (\(error.message))")
        }
        // A copy in a pack marked for deletion is the last choice.
        findChunk = try db.prepare("""
            SELECT pack, type, compression, offset, length, raw_length, base FROM chunks WHERE id = ?1
            ORDER BY pack IN (SELECT pack FROM missing_packs), pack IN (SELECT pack FROM marked_packs) LIMIT 1
            """)
        insertChunk = try db.prepare("INSERT OR IGNORE INTO chunks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        findTree = try db.prepare("SELECT body FROM tree_cache WHERE id = ?1")
        insertTree = try db.prepare("INSERT OR IGNORE INTO tree_cache VALUES (?1, ?2)")
    }

    /// The connection, under the catalog's lock: for the queries that live beside the engine
    /// code they serve (prune's live set, resemblance, the copy map). Not reentrant.
    package func withSQL<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try lock.withLock { try body(db) }
    }

    /// Hands the page cache's memory back: for a command that is done with the catalog for a
    /// while and needs the memory for data (a restore, once its plan is made).
    package func releaseCachedPages() {
        lock.withLock { try? db.execute("PRAGMA shrink_memory") }
    }

    /// Runs `body` (which may call the catalog) in one transaction: the hundreds of thousands
    /// of rows of a live set then reach the journal once, not once per tree. Catalog calls
    /// inside join it, and a failure anywhere rolls all of it back. Single-threaded use only:
    /// other threads' catalog calls would join the transaction.
    package func inOneTransaction<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock { try db.execute("BEGIN IMMEDIATE") }
        do {
            let result = try body()
            try lock.withLock { try db.execute("COMMIT") }
            return result
        } catch {
            lock.withLock { try? db.execute("ROLLBACK") }
            throw error
        }
    }

    package func clearAll() throws {
        try lock.withLock {
            try db.transaction {
                try db.execute("DELETE FROM chunks; DELETE FROM packs; DELETE FROM index_files; DELETE FROM snapshots; DELETE FROM tree_cache; DELETE FROM marked_packs; DELETE FROM markers; DELETE FROM live; DELETE FROM live_state; DELETE FROM missing_packs;")
            }
        }
    }
}
