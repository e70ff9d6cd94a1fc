import Foundation
import SiloFormat

/// Plaintext trees, cached so that a backup or a listing need not fetch and decrypt them.
extension Catalog {
    package func cachedTree(_ id: ChunkID) throws -> Data? {
        try lock.withLock {
            if let pending = pendingTrees[id] { return pending }
            return try findTree.bind([id.digest]).first { $0.data(0) }
        }
    }

    /// Caches a tree's plaintext. Written in batches: one transaction per tree cost a
    /// millisecond each, most of a no-change backup of a deep tree.
    package func cacheTree(_ id: ChunkID, _ body: Data) throws {
        let full = lock.withLock { () -> Bool in
            pendingTrees[id] = body
            return pendingTrees.count >= 512
        }
        if full { try flushTreeCache() }
    }

    /// Forgets a cached tree (it failed verification).
    package func dropCachedTree(_ id: ChunkID) throws {
        try lock.withLock {
            pendingTrees[id] = nil
            try db.prepare("DELETE FROM tree_cache WHERE id = ?1").bind([id.digest]).run()
        }
    }

    /// Every cached tree that does not hash to its ID is dropped; returns how many.
    package func dropDamagedCachedTrees(identifier: ChunkIdentifier) throws -> Int {
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

    package func flushTreeCache() throws {
        try lock.withLock {
            guard !pendingTrees.isEmpty else { return }
            try db.transaction {
                for (id, body) in pendingTrees { try insertTree.bind([id.digest, body]).run() }
            }
            pendingTrees = [:]
        }
    }
}
