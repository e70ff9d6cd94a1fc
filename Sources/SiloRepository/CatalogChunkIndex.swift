import Foundation
import SiloFormat

/// The chunk index: index files, their packs and chunks, and the packs the store lacks.
extension Catalog {
    package func location(of id: ChunkID) throws -> ChunkLocation? {
        try lock.withLock {
            try findChunk.bind([id.digest]).first { row in
                ChunkLocation(pack: PackID(row.digest(0)), entry: Self.entry(row, id: id, from: 1))
            }
        }
    }

    /// A pack entry from the columns `type, compression, offset, length, raw_length, base`
    /// starting at `first`.
    package static func entry(_ row: SQLiteDatabase.Row, id: ChunkID, from first: Int32) -> PackEntry {
        PackEntry(id: id, type: BlobType(rawValue: UInt8(row.int(first))) ?? .data,
                  compression: Compression(rawValue: UInt8(row.int(first + 1))) ?? .none,
                  offset: UInt32(row.int(first + 2)), length: UInt32(row.int(first + 3)), rawLength: UInt32(row.int(first + 4)),
                  base: row.optionalDigest(first + 5).map(ChunkID.init))
    }

    package func contains(_ id: ChunkID) throws -> Bool { try location(of: id) != nil }

    /// A read-only view of the chunk index as it is now, for the many lookups of one backup.
    /// It holds one read transaction on its own connection: in WAL mode every statement outside
    /// a transaction takes and releases file locks, which cost more than the lookup itself.
    /// Chunks added after the view was taken are not in it (the backup tracks its own).
    public final class ChunkLookup: @unchecked Sendable {
        private let db: SQLiteDatabase
        private let find: SQLiteDatabase.Statement
        private let lock = NSLock()

        init(path: String) throws {
            db = try SQLiteDatabase(path: path)
            try db.execute("PRAGMA cache_size=-4096")
            // Chunks only in packs marked for deletion do not count: a backup must not start
            // relying on data a prune is about to delete (docs/FORMAT.md §11). Nor do chunks
            // only in packs the store no longer has: they are stored again.
            find = try db.prepare("""
                SELECT 1 FROM chunks WHERE id = ?1 AND pack NOT IN (SELECT pack FROM marked_packs)
                AND pack NOT IN (SELECT pack FROM missing_packs) LIMIT 1
                """)
            try db.execute("BEGIN; SELECT count(*) FROM index_files;")
        }

        deinit { try? db.execute("COMMIT") }

        public func contains(_ id: ChunkID) throws -> Bool {
            try lock.withLock { try find.bind([id.digest]).first { _ in true } ?? false }
        }
    }

    package func chunkLookup() throws -> ChunkLookup { try ChunkLookup(path: db.path) }

    package func knownIndexFiles() throws -> Set<IndexID> {
        var result = Set<IndexID>()
        try lock.withLock { try db.prepare("SELECT id FROM index_files").forEach { result.insert(IndexID($0.digest(0))) } }
        return result
    }

    /// Records an index file and its chunks; called only once the index file is durable in the
    /// repository, so the catalog never knows of a chunk the repository cannot give back.
    package func addIndexFile(_ id: IndexID, _ index: IndexFile) throws {
        try record(id, index, keepingKnownPacks: false)
    }

    /// Records an index file that prune wrote to replace others: packs the catalog already
    /// knows are pointed at it and keep their chunk rows (a pack's entries are the same in every
    /// index file naming it), so moving half a million chunks costs a row per pack, not two per
    /// chunk. Packs it does not know are added with their chunks.
    package func adoptIndexFile(_ id: IndexID, _ index: IndexFile) throws {
        try record(id, index, keepingKnownPacks: true)
    }

    private func record(_ id: IndexID, _ index: IndexFile, keepingKnownPacks: Bool) throws {
        try lock.withLock {
            try db.transaction {
                try db.prepare("INSERT OR IGNORE INTO index_files VALUES (?1)").bind([id.digest]).run()
                let move = try db.prepare("UPDATE packs SET index_file = ?2 WHERE id = ?1")
                let insertPack = try db.prepare("INSERT OR REPLACE INTO packs VALUES (?1, ?2, ?3, ?4)")
                for pack in index.packs {
                    if keepingKnownPacks {
                        try move.bind([pack.id.digest, id.digest]).run()
                        if db.changes > 0 { continue }
                    }
                    try insertPack.bind([pack.id.digest, id.digest, pack.size, Self.chunkBytes(pack)]).run()
                    for e in pack.entries {
                        try insertChunk.bind([e.id.digest, pack.id.digest, Int(e.type.rawValue), Int(e.compression.rawValue),
                                              e.offset, e.length, e.rawLength, e.base?.digest]).run()
                    }
                }
            }
        }
    }

    /// Stored bytes of a pack's chunks, each counted once (as its rows are).
    static func chunkBytes(_ pack: IndexFile.Pack) -> Int {
        var seen = Set<ChunkID>()
        return pack.entries.reduce(0) { $0 + (seen.insert($1.id).inserted ? Int($1.length) : 0) }
    }

    /// Forgets index files and their chunks in one transaction: chunk IDs are random, so the
    /// rows of one index file sit on as many pages as it has chunks, and a transaction per file
    /// would write most pages of the table once per file.
    package func removeIndexFiles(_ ids: [IndexID]) throws {
        guard !ids.isEmpty else { return }
        try lock.withLock {
            try db.transaction {
                let chunks = try db.prepare("DELETE FROM chunks WHERE pack IN (SELECT id FROM packs WHERE index_file = ?1)")
                let packs = try db.prepare("DELETE FROM packs WHERE index_file = ?1")
                let files = try db.prepare("DELETE FROM index_files WHERE id = ?1")
                for id in ids {
                    try chunks.bind([id.digest]).run()
                    try packs.bind([id.digest]).run()
                    try files.bind([id.digest]).run()
                }
            }
        }
    }

    public struct PackRecord: Sendable {
        public let id: PackID
        public let size: UInt64
        public let index: IndexID
    }

    package func packs() throws -> [PackRecord] {
        var result: [PackRecord] = []
        try lock.withLock {
            try db.prepare("SELECT id, size, index_file FROM packs").forEach {
                result.append(PackRecord(id: PackID($0.digest(0)), size: UInt64($0.int(1)), index: IndexID($0.digest(2))))
            }
        }
        return result
    }

    package func entries(inPack pack: PackID) throws -> [PackEntry] {
        var result: [PackEntry] = []
        try lock.withLock {
            try db.prepare("SELECT id, type, compression, offset, length, raw_length, base FROM chunks WHERE pack = ?1 ORDER BY offset")
                .bind([pack.digest]).forEach { row in result.append(Self.entry(row, id: ChunkID(row.digest(0)), from: 1)) }
        }
        return result
    }

    public struct IndexTotals: Sendable {
        public var chunks = 0
        public var storedBytes: UInt64 = 0
        public var rawBytes: UInt64 = 0
        public var packs = 0
        public var packBytes: UInt64 = 0
    }

    /// Totals over distinct chunks (a chunk stored twice by concurrent backups counts once).
    package func totals() throws -> IndexTotals {
        var t = IndexTotals()
        try lock.withLock {
            _ = try db.prepare("""
                SELECT count(*), coalesce(sum(length),0), coalesce(sum(raw_length),0)
                FROM (SELECT length, raw_length FROM chunks GROUP BY id)
                """).first { row in
                t.chunks = Int(row.int(0)); t.storedBytes = UInt64(row.int(1)); t.rawBytes = UInt64(row.int(2))
            }
            _ = try db.prepare("SELECT count(*), coalesce(sum(size),0) FROM packs").first { row in
                t.packs = Int(row.int(0)); t.packBytes = UInt64(row.int(1))
            }
        }
        return t
    }

    /// Records the packs the index names that the store does not have, replacing the last record.
    package func setMissingPacks(_ packs: [PackID]) throws {
        try lock.withLock {
            try db.transaction {
                try db.execute("DELETE FROM missing_packs")
                let insert = try db.prepare("INSERT OR IGNORE INTO missing_packs VALUES (?1)")
                for pack in packs { try insert.bind([pack.digest]).run() }
            }
        }
    }
}
