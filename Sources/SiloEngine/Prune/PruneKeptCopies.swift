import Foundation
import SiloFormat
import SiloRepository

/// Which copy of each live chunk prune keeps, and which delta bases that pins.
///
/// A chunk may be stored more than once: two backups storing it at once, a backup that stored
/// again a chunk whose copies were marked, a repack. Prune keeps one copy of each live chunk,
/// the *kept copy*, and follows delta bases from kept copies only: a duplicate copy that is a
/// delta pins nothing. (Following every delta in every pack holding a live chunk, as prune once
/// did, let one duplicate pin a whole dead chain, pack after pack.) Invariant 7 of FORMAT.md §10
/// still holds for every indexed delta: prune takes the others out of the index, with their
/// packs, in the same step as it lets their bases go (`packsWithDeltasLosingTheirBase`,
/// `packsHoldingBasesOfRemainingDeltas`).
extension Catalog {
    /// Chooses a kept copy for every live chunk that has none yet (an unmarked pack first, a
    /// whole chunk before a delta, then the lowest pack ID, so the choice is stable) and adds
    /// the bases of kept deltas to the live set, to the end of their chains. `restart` forgets
    /// earlier choices (a new run, or the index changed); otherwise only chunks added to the
    /// live set since the last call are visited. Live chunks no index names get no kept copy.
    package func keepCopiesAndBases(restart: Bool) throws {
        try withSQL { db in
            try db.execute("""
                CREATE TEMP TABLE IF NOT EXISTS kept(id BLOB PRIMARY KEY, pack BLOB NOT NULL) WITHOUT ROWID;
                CREATE TEMP TABLE IF NOT EXISTS fresh(id BLOB PRIMARY KEY) WITHOUT ROWID;
                DELETE FROM fresh;
                """)
            if restart { try db.execute("DELETE FROM kept") }
            try db.execute("INSERT INTO fresh SELECT id FROM live l WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.id = l.id)")
            let choose = try db.prepare("""
                INSERT OR REPLACE INTO kept SELECT id, pack FROM (
                    SELECT f.id AS id, (SELECT c.pack FROM chunks c WHERE c.id = f.id
                                        ORDER BY c.pack IN (SELECT pack FROM missing_packs), c.pack IN (SELECT pack FROM marked_packs),
                                                 c.compression = \(Compression.zstdDelta.rawValue), c.pack LIMIT 1) AS pack
                    FROM fresh f) WHERE pack IS NOT NULL
                """)
            while true {
                try choose.run()
                try db.execute("CREATE TEMP TABLE IF NOT EXISTS fresh_bases(id BLOB PRIMARY KEY) WITHOUT ROWID; DELETE FROM fresh_bases;")
                try db.execute("""
                    INSERT OR IGNORE INTO fresh_bases SELECT c.base FROM fresh f CROSS JOIN kept k ON k.id = f.id
                    CROSS JOIN chunks c ON c.id = k.id AND c.pack = k.pack
                    WHERE c.base IS NOT NULL AND NOT EXISTS (SELECT 1 FROM live WHERE id = c.base)
                    """)
                try db.execute("INSERT OR IGNORE INTO live SELECT id FROM fresh_bases")
                try db.execute("DELETE FROM fresh; INSERT INTO fresh SELECT id FROM fresh_bases;")
                guard db.changes > 0 else { return }
            }
        }
    }

    /// The packs, outside `leaving`, holding a delta whose base is not live and has no copy
    /// outside `leaving`: when the packs in `leaving` go, such a delta would stay indexed
    /// without its base, and a backup could reuse it. Prune repacks these packs too (their kept
    /// copies move, their dead deltas go), so a dead chain is freed, not carried.
    package func packsWithDeltasLosingTheirBase(leaving: Set<PackID>) throws -> Set<PackID> {
        try withSQL { db in
            try fillPackSet(db, "leaving", leaving)
            var result = Set<PackID>()
            try db.prepare("""
                SELECT DISTINCT d.pack FROM chunks d INDEXED BY chunks_by_base
                WHERE d.base IS NOT NULL AND d.pack NOT IN (SELECT pack FROM leaving)
                AND NOT EXISTS (SELECT 1 FROM live WHERE id = d.base)
                AND NOT EXISTS (SELECT 1 FROM chunks b WHERE b.id = d.base AND b.pack NOT IN (SELECT pack FROM leaving))
                """).forEach { result.insert(PackID($0.digest(0))) }
            return result
        }
    }

    /// Those of `doomed` holding a copy of the base of a delta in a pack outside `doomed`, when
    /// no pack outside `doomed` has one: deleting them would leave that delta indexed without
    /// its base. The sweep keeps them, whatever made the delta stay (it may be dead, in a
    /// marker not yet due, or in a pack kept because a backup used it).
    package func packsHoldingBasesOfRemainingDeltas(doomed: Set<PackID>) throws -> Set<PackID> {
        try withSQL { db in
            try fillPackSet(db, "doomed", doomed)
            var result = Set<PackID>()
            try db.prepare("""
                SELECT DISTINCT b.pack FROM doomed k CROSS JOIN chunks b ON b.pack = k.pack
                CROSS JOIN chunks d INDEXED BY chunks_by_base ON d.base = b.id
                WHERE d.pack NOT IN (SELECT pack FROM doomed)
                AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = b.id AND c.pack NOT IN (SELECT pack FROM doomed))
                """).forEach { result.insert(PackID($0.digest(0))) }
            return result
        }
    }

    /// The kept copies stored in a pack, in pack order: what a repack of it must move.
    package func keptEntries(inPack pack: PackID) throws -> [PackEntry] {
        var result: [PackEntry] = []
        try withSQL { db in
            try db.prepare("""
                SELECT c.id, c.type, c.compression, c.offset, c.length, c.raw_length, c.base FROM kept k
                CROSS JOIN chunks c ON c.id = k.id AND c.pack = k.pack WHERE k.pack = ?1 ORDER BY c.offset
                """).bind([pack.digest]).forEach { row in result.append(Catalog.entry(row, id: ChunkID(row.digest(0)), from: 1)) }
        }
        return result
    }

    /// Fills the temporary table `name` (one pack ID per row) with `packs`.
    private func fillPackSet(_ db: SQLiteDatabase, _ name: String, _ packs: Set<PackID>) throws {
        try db.execute("CREATE TEMP TABLE IF NOT EXISTS \(name)(pack BLOB PRIMARY KEY) WITHOUT ROWID; DELETE FROM \(name);")
        try db.transaction {
            let insert = try db.prepare("INSERT OR IGNORE INTO \(name) VALUES (?1)")
            for pack in packs { try insert.bind([pack.digest]).run() }
        }
    }
}
