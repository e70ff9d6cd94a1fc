import Foundation
import SiloFormat
import SiloRepository
import SiloStorage

/// Deleting marked packs (FORMAT.md §11, "Sweep" and "Sweep at once").
extension Pruner {
    /// Markers of earlier prunes: their packs go once the marker is older than the grace period
    /// and older, by the grace period, than the start of every live backup lease.
    func sweepDueMarkers() throws {
        let markers = try repository.deletionMarkers()
        guard !markers.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        // After the markers: a marker written after this lease read is newer than any lease seen.
        let backups = try repository.liveLeases(removingStale: true).filter { $0.purpose == .backup }
        let oldestBackup = backups.map(\.started).min() ?? .infinity
        var deletable: [(key: String, marker: DeletionMarker)] = []
        for entry in markers {
            let old = entry.marker.marked < now - options.grace
            let noBackupBefore = entry.marker.marked < oldestBackup - options.grace
            if old && noBackupBefore {
                deletable.append(entry)
            } else {
                wait(for: entry.marker, because: noBackupBefore ? .markedRecently : .backupRunning)
            }
        }
        guard !deletable.isEmpty else { return }
        _ = try deletePacks(of: deletable)
    }

    /// This run's marker, and any earlier one left waiting: their packs go now when the leases,
    /// listed after this marker was written (and after the markers were read again), show no
    /// live backup at all. A backup whose lease this read misses either wrote it later, and so
    /// reads the markers after they exist and does not rely on their packs, or has ended, and
    /// its snapshot is listed after this read, or lost its lease and commits nothing. No clock
    /// is compared, so no grace is needed; but the listing must show every lease written
    /// before it, which only a read-after-write consistent store promises.
    func sweepAtOnce(_ marked: (key: String, marker: DeletionMarker)) throws {
        guard repository.store.listingIsReadAfterWrite else {
            wait(for: marked.marker, because: .listingNotConsistent)
            return
        }
        let markers = try repository.deletionMarkers()
        let backups = try repository.liveLeases(removingStale: true).filter { $0.purpose == .backup }
        guard backups.isEmpty else {
            wait(for: marked.marker, because: .backupRunning)
            return
        }
        // Nothing waits any more: every marker read is deletable.
        (report.packsWaiting, report.bytesWaiting, report.waitReasons) = (0, 0, [])
        let deleted = try deletePacks(of: markers)
        for pack in marked.marker.packs { if let size = deleted[pack] { report.packsDeletedNow += 1; report.bytesFreedNow += size } }
    }

    private func wait(for marker: DeletionMarker, because reason: PruneReport.WaitReason) {
        let sizes = (try? repository.catalog.packs()).map { Dictionary($0.map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
        report.packsWaiting += marker.packs.count
        report.bytesWaiting += marker.packs.reduce(UInt64(0)) { $0 + (sizes[$1] ?? 0) }
        report.waitReasons.insert(reason)
    }

    /// Deletes the packs of `deletable` that are still unneeded, then the markers; returns the
    /// packs deleted with their sizes. Called only after a lease read that made the markers
    /// deletable.
    private func deletePacks(of deletable: [(key: String, marker: DeletionMarker)]) throws -> [PackID: UInt64] {
        // Only now, after the leases: a backup that ended since the live set was computed.
        try addSnapshotsSavedMeanwhile()
        let doomed = try doomedPacks(among: Set(deletable.flatMap { $0.marker.packs }))
        if options.dryRun {
            report.packsDeleted += doomed.count
            return [:]
        }
        let sizes = try Dictionary(repository.catalog.packs().map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a })

        // 1. The index first: rewrite every index file naming a doomed pack without it.
        report.indexFilesRewritten += try repository.rewriteIndex(without: doomed)
        // 2. Then the packs.
        var deleted: [PackID: UInt64] = [:]
        for pack in doomed.sorted() {
            let key = ObjectKeys.pack(pack)
            let size = sizes[pack] ?? ((try? repository.store.stat(key).size) ?? 0)
            try repository.store.delete(key)
            deleted[pack] = size
            report.packsDeleted += 1
            report.bytesFreed += size
        }
        // 3. Then the markers; packs kept back are marked again by this run if still unneeded.
        for entry in deletable {
            try repository.store.delete(entry.key)
            try repository.catalog.removeMarker(entry.key)
        }
        // The kept copies may have been in deleted packs (another copy is then kept) or marked.
        if !doomed.isEmpty { try repository.catalog.keepCopiesAndBases(restart: true) }
        return deleted
    }

    /// `candidates` less the packs that must stay: those holding a live chunk with no copy
    /// elsewhere (a backup that started before the mark used it), and then, until none is
    /// left, those holding the only copy of the base of a delta in a pack that stays
    /// (FORMAT.md §10, invariant 7: no indexed delta outlives its base).
    private func doomedPacks(among candidates: Set<PackID>) throws -> Set<PackID> {
        let catalog = repository.catalog
        let needed = try catalog.packsHoldingOnlyCopiesOfLiveChunks(among: candidates)
        report.packsRevived += needed.count
        var doomed = candidates.subtracting(needed)
        while !doomed.isEmpty {
            let bases = try catalog.packsHoldingBasesOfRemainingDeltas(doomed: doomed)
            guard !bases.isEmpty else { break }
            report.packsKeptAsBases += bases.count
            doomed.subtract(bases)
        }
        return doomed
    }
}
