import Foundation
import SiloFormat

/// Questions `check` asks of the chunk index as a whole.
extension Catalog {
    /// Every pack the index records a copy of `id` in.
    package func packs(holding id: ChunkID) throws -> [PackID] {
        var result: [PackID] = []
        try lock.withLock {
            try db.prepare("SELECT pack FROM chunks WHERE id = ?1").bind([id.digest]).forEach { result.append(PackID($0.digest(0))) }
        }
        return result
    }

    /// Indexed delta blobs whose base is not indexed (FORMAT.md §10, invariant 7): whether or
    /// not a snapshot reaches them, a backup may reuse any indexed chunk without reading its chain.
    package func deltasWithoutBase() throws -> [(delta: ChunkID, base: ChunkID)] {
        var result: [(ChunkID, ChunkID)] = []
        try lock.withLock {
            try db.prepare("""
                SELECT DISTINCT c.id, c.base FROM chunks c
                WHERE c.base IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunks b WHERE b.id = c.base)
                """).forEach { result.append((ChunkID($0.digest(0)), ChunkID($0.digest(1)))) }
        }
        return result
    }
}
