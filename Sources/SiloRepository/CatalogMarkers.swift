import Foundation
import SiloFormat

/// Deletion markers (FORMAT.md §11) and the packs they name.
extension Catalog {
    package func knownMarkers() throws -> Set<String> {
        var result = Set<String>()
        try lock.withLock { try db.prepare("SELECT key FROM markers").forEach { result.insert($0.text(0)) } }
        return result
    }

    package func markPacks(_ packs: [PackID], at time: Double, marker: String) throws {
        try lock.withLock {
            try db.transaction {
                try db.prepare("INSERT OR IGNORE INTO markers VALUES (?1)").bind([marker]).run()
                let insert = try db.prepare("INSERT OR IGNORE INTO marked_packs VALUES (?1, ?2, ?3)")
                for pack in packs { try insert.bind([pack.digest, marker, time]).run() }
            }
        }
    }

    package func removeMarker(_ key: String) throws {
        try lock.withLock {
            try db.transaction {
                try db.prepare("DELETE FROM marked_packs WHERE marker = ?1").bind([key]).run()
                try db.prepare("DELETE FROM markers WHERE key = ?1").bind([key]).run()
            }
        }
    }

    package func markedPacks() throws -> [PackID] {
        var result: [PackID] = []
        try lock.withLock { try db.prepare("SELECT DISTINCT pack FROM marked_packs").forEach { result.append(PackID($0.digest(0))) } }
        return result
    }
}
