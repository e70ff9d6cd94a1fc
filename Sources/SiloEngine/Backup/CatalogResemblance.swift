import Foundation
import SiloFormat
import SiloRepository

/// The resemblance features of the chunks of database dumps (table `resemblance`), which find
/// a new chunk's previous version to store it as a delta against (`SnapshotBuilder.ingest`).
extension Catalog {
    /// Forgets the features of chunks no longer in the index (prune deleted them).
    package func trimResemblance() throws {
        try withSQL { db in
            try db.execute("DELETE FROM resemblance WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = resemblance.id)")
        }
    }

    /// The chunks that share any of `features`, with how many each shares, most first (ties in
    /// digest order, so a run's choice does not depend on hashing's per-process seed).
    package func similarChunks(_ features: [Int64]) throws -> [(id: ChunkID, shared: Int)] {
        guard !features.isEmpty else { return [] }
        var votes: [ChunkID: Int] = [:]
        try withSQL { db in
            let placeholders = features.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
            try db.prepare("SELECT id FROM resemblance WHERE feature IN (\(placeholders))").bind(features).forEach {
                votes[ChunkID($0.digest(0)), default: 0] += 1
            }
        }
        return votes.map { (id: $0.key, shared: $0.value) }.sorted {
            $0.shared != $1.shared ? $0.shared > $1.shared : $0.id.digest.data.lexicographicallyPrecedes($1.id.digest.data)
        }
    }

    /// Records the features of chunks now in the index (called after their index file).
    package func recordResemblance(_ chunks: [(id: ChunkID, features: [Int64])]) throws {
        guard !chunks.isEmpty else { return }
        try withSQL { db in
            try db.transaction {
                let insert = try db.prepare("INSERT OR REPLACE INTO resemblance VALUES (?1, ?2)")
                for chunk in chunks {
                    for feature in chunk.features { try insert.bind([feature, chunk.id.digest]).run() }
                }
            }
        }
    }
}
