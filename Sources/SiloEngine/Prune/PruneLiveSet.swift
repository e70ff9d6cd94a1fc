import Foundation
import SiloFormat
import SiloRepository

/// Prune's live set in the catalog (tables `live`, `live_state`): the chunks the snapshots reach,
/// in a table so that memory stays bounded. Only prune uses these queries.
extension Catalog {
    /// The chunks a set of snapshots reaches depend on that set alone (trees never change), so
    /// the live set of the last prune is kept with a digest of its snapshot IDs: the next prune
    /// reuses it when no snapshot was added or removed since (the sweep run after a mark run).
    package func liveSetIsCurrent(for snapshots: String) throws -> Bool {
        try withSQL { db in
            try db.prepare("SELECT value FROM live_state WHERE key = 'snapshots'").first { $0.text(0) } == snapshots
        }
    }

    /// Empties the live set and forgets what it was for (until `completeLiveSet`).
    package func createLiveSet() throws {
        try withSQL { db in try db.execute("DELETE FROM live_state; DELETE FROM live;") }
    }

    package func completeLiveSet(for snapshots: String) throws {
        try withSQL { db in try db.prepare("INSERT OR REPLACE INTO live_state VALUES ('snapshots', ?1)").bind([snapshots]).run() }
    }

    package func dropLiveSet() throws {
        try withSQL { db in try db.execute("DROP TABLE IF EXISTS temp.candidates;") }
    }

    /// Adds IDs to the live set; returns how many were not in it yet.
    @discardableResult
    package func addLive(_ ids: [ChunkID]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try withSQL { db in
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

    package func liveCount() throws -> Int {
        try withSQL { db in try db.prepare("SELECT count(*) FROM live").first { Int($0.int(0)) } ?? 0 }
    }

    package struct PackUsage: Sendable {
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
    package func packUsage() throws -> [PackUsage] {
        var result: [PackUsage] = []
        try withSQL { db in
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
    package func packsHoldingOnlyCopiesOfLiveChunks(among candidates: Set<PackID>) throws -> Set<PackID> {
        var result = Set<PackID>()
        try withSQL { db in
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
}
