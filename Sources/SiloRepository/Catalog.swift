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
public final class Catalog: @unchecked Sendable {
    let db: SQLiteDatabase
    let lock = NSLock()
    private let findChunk: SQLiteDatabase.Statement
    private let insertChunk: SQLiteDatabase.Statement
    private let findTree: SQLiteDatabase.Statement
    private let insertTree: SQLiteDatabase.Statement
    private let findCopiedID: SQLiteDatabase.Statement
    private var pendingTrees: [ChunkID: Data] = [:]

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

    deinit { try? flushTreeCache() }

    public var path: String { db.path }

    /// Whether `error` says the catalog file itself is damaged or foreign (so a rebuilt one
    /// replaces it), rather than that it could not be used just now.
    public static func isDamage(_ error: RepositoryError) -> Bool { error.code == .catalogDamaged }

    public init(path: String) throws {
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
        findCopiedID = try db.prepare("SELECT target FROM copy_map WHERE source = ?1 AND id = ?2")
    }

    private static func isForeignSchema(_ message: String) -> Bool {
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

    // MARK: chunk index

    public func location(of id: ChunkID) throws -> ChunkLocation? {
        try lock.withLock {
            try findChunk.bind([id.digest]).first { row in
                ChunkLocation(pack: PackID(row.digest(0)), entry: Self.entry(row, id: id, from: 1))
            }
        }
    }

    /// A pack entry from the columns `type, compression, offset, length, raw_length, base`
    /// starting at `first`.
    static func entry(_ row: SQLiteDatabase.Row, id: ChunkID, from first: Int32) -> PackEntry {
        PackEntry(id: id, type: BlobType(rawValue: UInt8(row.int(first))) ?? .data,
                  compression: Compression(rawValue: UInt8(row.int(first + 1))) ?? .none,
                  offset: UInt32(row.int(first + 2)), length: UInt32(row.int(first + 3)), rawLength: UInt32(row.int(first + 4)),
                  base: row.optionalDigest(first + 5).map(ChunkID.init))
    }

    public func contains(_ id: ChunkID) throws -> Bool { try location(of: id) != nil }

    /// Hands the page cache's memory back: for a command that is done with the catalog for a
    /// while and needs the memory for data (a restore, once its plan is made).
    public func releaseCachedPages() {
        lock.withLock { try? db.execute("PRAGMA shrink_memory") }
    }

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

    public func chunkLookup() throws -> ChunkLookup { try ChunkLookup(path: db.path) }

    public func knownIndexFiles() throws -> Set<IndexID> {
        var result = Set<IndexID>()
        try lock.withLock { try db.prepare("SELECT id FROM index_files").forEach { result.insert(IndexID($0.digest(0))) } }
        return result
    }

    /// Records an index file and its chunks; called only once the index file is durable in the
    /// repository, so the catalog never knows of a chunk the repository cannot give back.
    public func addIndexFile(_ id: IndexID, _ index: IndexFile) throws {
        try record(id, index, keepingKnownPacks: false)
    }

    /// Records an index file that prune wrote to replace others: packs the catalog already
    /// knows are pointed at it and keep their chunk rows (a pack's entries are the same in every
    /// index file naming it), so moving half a million chunks costs a row per pack, not two per
    /// chunk. Packs it does not know are added with their chunks.
    public func adoptIndexFile(_ id: IndexID, _ index: IndexFile) throws {
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
    public func removeIndexFiles(_ ids: [IndexID]) throws {
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

    public func packs() throws -> [PackRecord] {
        var result: [PackRecord] = []
        try lock.withLock {
            try db.prepare("SELECT id, size, index_file FROM packs").forEach {
                result.append(PackRecord(id: PackID($0.digest(0)), size: UInt64($0.int(1)), index: IndexID($0.digest(2))))
            }
        }
        return result
    }

    public func entries(inPack pack: PackID) throws -> [PackEntry] {
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
    public func totals() throws -> IndexTotals {
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

    // MARK: snapshots

    public func knownSnapshots() throws -> Set<SnapshotID> {
        var result = Set<SnapshotID>()
        try lock.withLock { try db.prepare("SELECT id FROM snapshots").forEach { result.insert(SnapshotID($0.digest(0))) } }
        return result
    }

    public func addSnapshot(_ id: SnapshotID, _ snapshot: Snapshot) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(snapshot)
        try lock.withLock {
            try db.prepare("INSERT OR REPLACE INTO snapshots VALUES (?1, ?2, ?3, ?4)").bind([id.digest, snapshot.time, snapshot.host, body]).run()
        }
    }

    public func removeSnapshot(_ id: SnapshotID) throws {
        try lock.withLock { try db.prepare("DELETE FROM snapshots WHERE id = ?1").bind([id.digest]).run() }
    }

    /// All snapshots, oldest first (ties broken by ID so the order is stable).
    public func snapshots() throws -> [(id: SnapshotID, snapshot: Snapshot)] {
        var result: [(SnapshotID, Snapshot)] = []
        let decoder = JSONDecoder()
        try lock.withLock {
            try db.prepare("SELECT id, body FROM snapshots ORDER BY time, id").forEach { row in
                result.append((SnapshotID(row.digest(0)), try decoder.decode(Snapshot.self, from: row.data(1))))
            }
        }
        return result
    }

    // MARK: deletion markers

    public func knownMarkers() throws -> Set<String> {
        var result = Set<String>()
        try lock.withLock { try db.prepare("SELECT key FROM markers").forEach { result.insert($0.text(0)) } }
        return result
    }

    public func markPacks(_ packs: [PackID], at time: Double, marker: String) throws {
        try lock.withLock {
            try db.transaction {
                try db.prepare("INSERT OR IGNORE INTO markers VALUES (?1)").bind([marker]).run()
                let insert = try db.prepare("INSERT OR IGNORE INTO marked_packs VALUES (?1, ?2, ?3)")
                for pack in packs { try insert.bind([pack.digest, marker, time]).run() }
            }
        }
    }

    public func removeMarker(_ key: String) throws {
        try lock.withLock {
            try db.transaction {
                try db.prepare("DELETE FROM marked_packs WHERE marker = ?1").bind([key]).run()
                try db.prepare("DELETE FROM markers WHERE key = ?1").bind([key]).run()
            }
        }
    }

    /// Records the packs the index names that the store does not have, replacing the last record.
    public func setMissingPacks(_ packs: [PackID]) throws {
        try lock.withLock {
            try db.transaction {
                try db.execute("DELETE FROM missing_packs")
                let insert = try db.prepare("INSERT OR IGNORE INTO missing_packs VALUES (?1)")
                for pack in packs { try insert.bind([pack.digest]).run() }
            }
        }
    }

    public func markedPacks() throws -> [PackID] {
        var result: [PackID] = []
        try lock.withLock { try db.prepare("SELECT DISTINCT pack FROM marked_packs").forEach { result.append(PackID($0.digest(0))) } }
        return result
    }

    // MARK: liveness (prune's mark phase, in a table: memory stays bounded)

    /// The chunks a set of snapshots reaches depend on that set alone (trees never change), so
    /// the live set of the last prune is kept with a digest of its snapshot IDs: the next prune
    /// reuses it when no snapshot was added or removed since (the sweep run after a mark run).
    public func liveSetIsCurrent(for snapshots: String) throws -> Bool {
        try lock.withLock {
            try db.prepare("SELECT value FROM live_state WHERE key = 'snapshots'").first { $0.text(0) } == snapshots
        }
    }

    /// Runs `body` (which may call the catalog) in one transaction: the hundreds of thousands
    /// of rows of a live set then reach the journal once, not once per tree. Catalog calls
    /// inside join it, and a failure anywhere rolls all of it back. Single-threaded use only:
    /// other threads' catalog calls would join the transaction.
    public func inOneTransaction<T>(_ body: () throws -> T) throws -> T {
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

    /// Empties the live set and forgets what it was for (until `completeLiveSet`).
    public func createLiveSet() throws {
        try lock.withLock { try db.execute("DELETE FROM live_state; DELETE FROM live;") }
    }

    public func completeLiveSet(for snapshots: String) throws {
        try lock.withLock { try db.prepare("INSERT OR REPLACE INTO live_state VALUES ('snapshots', ?1)").bind([snapshots]).run() }
    }

    public func dropLiveSet() throws {
        try lock.withLock { try db.execute("DROP TABLE IF EXISTS temp.candidates;") }
    }

    /// Adds IDs to the live set; returns how many were not in it yet.
    @discardableResult
    public func addLive(_ ids: [ChunkID]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try lock.withLock {
            try db.transaction {
                let insert = try db.prepare("INSERT OR IGNORE INTO live VALUES (?1)")
                var added = 0
                for id in ids {
                    try insert.bind([id.digest]).run()
                    added += Int(db.changes)
                }
                return added
            }
        }
    }

    // MARK: delta chunks

    /// Forgets the features of chunks no longer in the index (prune deleted them).
    public func trimResemblance() throws {
        try lock.withLock {
            try db.execute("DELETE FROM resemblance WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = resemblance.id)")
        }
    }

    /// How many resemblance features the catalog keeps.
    public func resemblanceCount() throws -> Int {
        try lock.withLock { try db.prepare("SELECT count(*) FROM resemblance").first { Int($0.int(0)) } ?? 0 }
    }

    /// The chunk that shares most of `features`, and at least two, if any: the previous
    /// version of a new chunk of a dump (the most recent chunk recorded for a feature wins).
    public func similarChunk(_ features: [Int64]) throws -> ChunkID? {
        guard !features.isEmpty else { return nil }
        var votes: [ChunkID: Int] = [:]
        try lock.withLock {
            let placeholders = features.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
            try db.prepare("SELECT id FROM resemblance WHERE feature IN (\(placeholders))").bind(features).forEach {
                votes[ChunkID($0.digest(0)), default: 0] += 1
            }
        }
        return votes.filter { $0.value >= 2 }.max { $0.value < $1.value }?.key
    }

    /// Records the features of chunks now in the index (called after their index file).
    public func recordResemblance(_ chunks: [(id: ChunkID, features: [Int64])]) throws {
        guard !chunks.isEmpty else { return }
        try lock.withLock {
            try db.transaction {
                let insert = try db.prepare("INSERT OR REPLACE INTO resemblance VALUES (?1, ?2)")
                for chunk in chunks {
                    for feature in chunk.features { try insert.bind([feature, chunk.id.digest]).run() }
                }
            }
        }
    }

    public func liveCount() throws -> Int {
        try lock.withLock { try db.prepare("SELECT count(*) FROM live").first { Int($0.int(0)) } ?? 0 }
    }

    public struct PackUsage: Sendable {
        public let pack: PackID
        public let size: UInt64
        /// Stored bytes of live chunks in the pack.
        public let liveBytes: UInt64
        /// Stored bytes of chunks no snapshot needs. `size` is more than live + dead: the
        /// pack's header and trailer count as neither, so small packs are not judged by them.
        public let deadBytes: UInt64
        /// Share of the pack's chunk data still needed (1 when it holds no chunk at all).
        public var liveFraction: Double {
            let chunkBytes = liveBytes + deadBytes
            return chunkBytes == 0 ? 1 : Double(liveBytes) / Double(chunkBytes)
        }
    }

    /// Live bytes are those of the kept copies (`keepCopiesAndBases`, which must have run): a
    /// pack holding only duplicates of chunks kept elsewhere is unused. They are summed from the
    /// kept copies' side, dead bytes are the rest of the pack's chunk bytes: one pass over the
    /// live set instead of a lookup in it for every chunk of the repository.
    public func packUsage() throws -> [PackUsage] {
        var result: [PackUsage] = []
        try lock.withLock {
            try db.prepare("""
                SELECT p.id, p.size, coalesce(u.live, 0), p.chunk_bytes - coalesce(u.live, 0)
                FROM packs p LEFT JOIN (SELECT k.pack AS pack, sum(c.length) AS live FROM kept k
                                        CROSS JOIN chunks c ON c.id = k.id AND c.pack = k.pack GROUP BY k.pack) u ON u.pack = p.id
                """).forEach { row in
                    result.append(PackUsage(pack: PackID(row.digest(0)), size: UInt64(row.int(1)), liveBytes: UInt64(row.int(2)),
                                            deadBytes: UInt64(max(0, row.int(3)))))
                }
        }
        return result
    }

    /// Those of `candidates` that hold a live chunk no pack outside `candidates` also holds.
    /// (The copy test names `l.id` so that it runs only for live chunks.)
    public func packsHoldingOnlyCopiesOfLiveChunks(among candidates: Set<PackID>) throws -> Set<PackID> {
        var result = Set<PackID>()
        try lock.withLock {
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS candidates(pack BLOB PRIMARY KEY) WITHOUT ROWID; DELETE FROM candidates;")
            try db.transaction {
                let insert = try db.prepare("INSERT OR IGNORE INTO candidates VALUES (?1)")
                for pack in candidates { try insert.bind([pack.digest]).run() }
            }
            try db.prepare("""
                SELECT DISTINCT c.pack FROM candidates k CROSS JOIN chunks c ON c.pack = k.pack CROSS JOIN live l ON l.id = c.id
                WHERE NOT EXISTS (SELECT 1 FROM chunks c2 WHERE c2.id = l.id AND c2.pack NOT IN (SELECT pack FROM candidates))
                """).forEach { result.insert(PackID($0.digest(0))) }
        }
        return result
    }

    // MARK: tree cache

    public func cachedTree(_ id: ChunkID) throws -> Data? {
        try lock.withLock {
            if let pending = pendingTrees[id] { return pending }
            return try findTree.bind([id.digest]).first { $0.data(0) }
        }
    }

    /// Caches a tree's plaintext. Written in batches: one transaction per tree cost a
    /// millisecond each, most of a no-change backup of a deep tree.
    public func cacheTree(_ id: ChunkID, _ body: Data) throws {
        let full = lock.withLock { () -> Bool in
            pendingTrees[id] = body
            return pendingTrees.count >= 512
        }
        if full { try flushTreeCache() }
    }

    /// Forgets a cached tree (it failed verification).
    public func dropCachedTree(_ id: ChunkID) throws {
        try lock.withLock {
            pendingTrees[id] = nil
            try db.prepare("DELETE FROM tree_cache WHERE id = ?1").bind([id.digest]).run()
        }
    }

    /// Every cached tree that does not hash to its ID is dropped; returns how many.
    public func dropDamagedCachedTrees(identifier: ChunkIdentifier) throws -> Int {
        try flushTreeCache()
        var damaged: [ChunkID] = []
        try lock.withLock {
            try db.prepare("SELECT id, body FROM tree_cache").forEach { row in
                let id = ChunkID(row.digest(0))
                if identifier.id(of: row.data(1)) != id { damaged.append(id) }
            }
            try db.transaction {
                for id in damaged { try db.prepare("DELETE FROM tree_cache WHERE id = ?1").bind([id.digest]).run() }
            }
        }
        return damaged.count
    }

    public func flushTreeCache() throws {
        try lock.withLock {
            guard !pendingTrees.isEmpty else { return }
            try db.transaction {
                for (id, body) in pendingTrees { try insertTree.bind([id.digest, body]).run() }
            }
            pendingTrees = [:]
        }
    }

    // MARK: copy map

    /// The ID in this repository of a blob `copy` brought from repository `source` (its
    /// config ID). IDs are keyed per repository, so a copy must learn each one from the
    /// plaintext once; remembering them spares later copies from reading it again. The map
    /// only says what the ID would be: whether the blob is still stored is the index's business.
    public func copiedID(from source: String, _ id: ChunkID) throws -> ChunkID? {
        try lock.withLock {
            try findCopiedID.bind([source, id.digest]).first { ChunkID($0.digest(0)) }
        }
    }

    public func recordCopiedIDs(from source: String, _ pairs: [(ChunkID, ChunkID)]) throws {
        guard !pairs.isEmpty else { return }
        try lock.withLock {
            try db.transaction {
                let insert = try db.prepare("INSERT OR REPLACE INTO copy_map VALUES (?1, ?2, ?3)")
                for (id, target) in pairs { try insert.bind([source, id.digest, target.digest]).run() }
            }
        }
    }

    // MARK: maintenance

    /// Everything but the cache, as sorted text lines: two catalogs with equal dumps hold the
    /// same snapshots and index. Used to show that `catalog rebuild` is faithful.
    public func contentDump() throws -> [String] {
        var lines: [String] = []
        try lock.withLock {
            try db.prepare("SELECT hex(id) FROM index_files ORDER BY id").forEach { lines.append("index \($0.text(0))") }
            try db.prepare("SELECT hex(id), hex(index_file), size, chunk_bytes FROM packs ORDER BY id").forEach {
                lines.append("pack \($0.text(0)) \($0.text(1)) \($0.int(2)) \($0.int(3))")
            }
            try db.prepare("SELECT hex(id), hex(pack), type, compression, offset, length, raw_length, hex(base) FROM chunks ORDER BY id, pack").forEach {
                lines.append("chunk \($0.text(0)) \($0.text(1)) \($0.int(2)) \($0.int(3)) \($0.int(4)) \($0.int(5)) \($0.int(6)) \($0.text(7))")
            }
            try db.prepare("SELECT hex(pack), marker, marked FROM marked_packs ORDER BY pack, marker").forEach {
                lines.append("marked \($0.text(0)) \($0.text(1)) \($0.text(2))")
            }
            try db.prepare("SELECT hex(id), time, host, hex(body) FROM snapshots ORDER BY id").forEach {
                lines.append("snapshot \($0.text(0)) \($0.int(1)) \($0.text(2)) \($0.text(3))")
            }
        }
        return lines
    }

    public func clearAll() throws {
        try lock.withLock {
            try db.transaction {
                try db.execute("DELETE FROM chunks; DELETE FROM packs; DELETE FROM index_files; DELETE FROM snapshots; DELETE FROM tree_cache; DELETE FROM marked_packs; DELETE FROM markers; DELETE FROM live; DELETE FROM live_state; DELETE FROM missing_packs;")
            }
        }
    }
}
