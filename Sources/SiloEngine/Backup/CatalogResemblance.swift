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

    /// The chunk that shares most of `features`, and at least two, if any: the previous
    /// version of a new chunk of a dump (the most recent chunk recorded for a feature wins).
    package func similarChunk(_ features: [Int64]) throws -> ChunkID? {
        guard !features.isEmpty else { return nil }
        var votes: [ChunkID: Int] = [:]
        try withSQL { db in
            let placeholders = features.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
            try db.prepare("SELECT id FROM resemblance WHERE feature IN (\(placeholders))").bind(features).forEach {
                votes[ChunkID($0.digest(0)), default: 0] += 1
            }
        }
        return votes.filter { $0.value >= 2 }.max { $0.value < $1.value }?.key
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
