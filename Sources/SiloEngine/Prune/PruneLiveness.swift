import Foundation
import SiloFormat
import SiloRepository

/// The live set: every tree and chunk the snapshots reach, plus the bases, to the end of their
/// chains, of the copies prune keeps of them (`Catalog.keepCopiesAndBases`).
extension Pruner {
    func markLive() throws {
        let catalog = repository.catalog
        let snapshots = try catalog.snapshots()
        liveSnapshots = Set(snapshots.map(\.id))
        if try catalog.liveSetIsCurrent(for: Self.digest(liveSnapshots)) {
            // What the snapshots reach is unchanged; which copies are kept depends on the index.
            try catalog.keepCopiesAndBases(restart: true)
        } else {
            try catalog.inOneTransaction {
                try catalog.createLiveSet()
                try addToLiveSet(snapshots, restart: true)
            }
        }
        report.liveChunks = try catalog.liveCount()
    }

    /// Adds what `snapshots` reach (and the bases of the kept copies' deltas) to the live set.
    func addToLiveSet(_ snapshots: [(id: SnapshotID, snapshot: Snapshot)], restart: Bool) throws {
        for (id, snapshot) in snapshots {
            do {
                try markTree(snapshot.tree)
            } catch {
                throw RepositoryError(.integrity, "snapshot \(id.shortHex) cannot be read completely (\(error)); prune stops without deleting anything — run `silo check`")
            }
        }
        try repository.catalog.keepCopiesAndBases(restart: restart)
        liveSnapshots.formUnion(snapshots.map(\.id))
        try repository.catalog.completeLiveSet(for: Self.digest(liveSnapshots))
    }

    /// Snapshots saved since the live set was computed — by backups that were running then and
    /// have ended since — join it. Called after the leases are read: a backup writes its
    /// snapshot before it deletes its lease, so one whose lease was not seen has its snapshot
    /// listed here (FORMAT.md §11, "Sweep"; docs/model/prune.pml checks this order).
    func addSnapshotsSavedMeanwhile() throws {
        try repository.syncCatalog()
        let added = try repository.snapshots().filter { !liveSnapshots.contains($0.id) }
        guard !added.isEmpty else { return }
        say("\(added.count) snapshot(s) saved while prune ran: their data stays")
        try repository.catalog.inOneTransaction { try addToLiveSet(added, restart: false) }
        report.liveChunks = try repository.catalog.liveCount()
    }

    /// The digest the live set is stored under. The prefix names how the set was computed: a
    /// set of an older version (which followed every delta in a kept pack) is not reused.
    static func digest(_ snapshots: Set<SnapshotID>) -> String {
        "kept-copies:" + Crypto.sha256(Data(snapshots.map(\.hex).sorted().joined(separator: "\n").utf8)).hex
    }

    /// Adds a tree and everything below it to the live set. Iterative: a tree nested however
    /// deep (a hostile or damaged repository) costs heap, not stack.
    private func markTree(_ root: ChunkID) throws {
        var pending = [root]
        while let id = pending.popLast() {
            guard try repository.catalog.addLive([id]) == 1 else { continue }  // tree seen before: all below is marked
            let tree = try repository.loadTree(id)
            var content: [ChunkID] = []
            for node in tree.nodes {
                content += node.content ?? []
                if let subtree = node.subtree { pending.append(subtree) }
            }
            _ = try repository.catalog.addLive(content)
        }
    }
}
