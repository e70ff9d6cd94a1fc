import Foundation
import SiloFormat
import SiloRepository

/// The copy map (table `copy_map`): the IDs in this repository of blobs `copy` brought from others.
extension Catalog {
    /// The ID in this repository of a blob `copy` brought from repository `source` (its
    /// config ID). IDs are keyed per repository, so a copy must learn each one from the
    /// plaintext once; remembering them spares later copies from reading it again. The map
    /// only says what the ID would be: whether the blob is still stored is the index's business.
    package func copiedID(from source: String, _ id: ChunkID) throws -> ChunkID? {
        try withSQL { db in
            try db.cached("SELECT target FROM copy_map WHERE source = ?1 AND id = ?2").bind([source, id.digest]).first { ChunkID($0.digest(0)) }
        }
    }

    package func recordCopiedIDs(from source: String, _ pairs: [(ChunkID, ChunkID)]) throws {
        guard !pairs.isEmpty else { return }
        try withSQL { db in
            try db.transaction {
                let insert = try db.prepare("INSERT OR REPLACE INTO copy_map VALUES (?1, ?2, ?3)")
                for (id, target) in pairs { try insert.bind([source, id.digest, target.digest]).run() }
            }
        }
    }
}
