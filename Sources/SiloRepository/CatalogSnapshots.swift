import Foundation
import SiloFormat

/// The snapshots of the repository, with their bodies.
extension Catalog {
    package func knownSnapshots() throws -> Set<SnapshotID> {
        var result = Set<SnapshotID>()
        try lock.withLock { try db.prepare("SELECT id FROM snapshots").forEach { result.insert(SnapshotID($0.digest(0))) } }
        return result
    }

    package func addSnapshot(_ id: SnapshotID, _ snapshot: Snapshot) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(snapshot)
        try lock.withLock {
            try db.prepare("INSERT OR REPLACE INTO snapshots VALUES (?1, ?2, ?3, ?4)").bind([id.digest, snapshot.time, snapshot.host, body]).run()
        }
    }

    package func removeSnapshot(_ id: SnapshotID) throws {
        try lock.withLock { try db.prepare("DELETE FROM snapshots WHERE id = ?1").bind([id.digest]).run() }
    }

    /// All snapshots, oldest first (ties broken by ID so the order is stable).
    package func snapshots() throws -> [(id: SnapshotID, snapshot: Snapshot)] {
        var result: [(SnapshotID, Snapshot)] = []
        let decoder = JSONDecoder()
        try lock.withLock {
            try db.prepare("SELECT id, body FROM snapshots ORDER BY time, id").forEach { row in
                result.append((SnapshotID(row.digest(0)), try decoder.decode(Snapshot.self, from: row.data(1))))
            }
        }
        return result
    }
}
