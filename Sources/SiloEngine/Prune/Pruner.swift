import Foundation
import SiloFormat
import SiloRepository
import SiloStorage

public struct PruneOptions: Sendable {
    /// Margin for clock differences between hosts and for a backup that has not yet written
    /// its lease: a mark must be older than this, and older than every running backup's start
    /// by this much, before its packs are deleted.
    public var grace: TimeInterval = 10 * 60
    /// Packs with less than this share of live data are repacked…
    public var repackThreshold = 0.8
    /// …until unused data is at most this share of all pack data.
    public var maxUnused = 0.05
    public var dryRun = false
    public init() {}
}

public struct PruneReport: Sendable {
    /// Why marked packs were left for a later prune.
    public enum WaitReason: String, Sendable, CaseIterable {
        /// A backup lease was live: the backup may have started before the mark and use them.
        case backupRunning = "backup_running"
        /// Marked less than the grace period ago, by an earlier prune that could not delete at once.
        case markedRecently = "marked_recently"
        /// The store's listing may miss recent writes (leases): only the grace period protects.
        case listingNotConsistent = "listing_not_consistent"
    }

    public var liveChunks = 0
    /// Packs deleted, and their bytes, in all: those marked earlier and those marked by this run.
    public var packsDeleted = 0
    public var bytesFreed: UInt64 = 0
    /// Of the above, the packs this run marked and deleted at once (nothing was running).
    public var packsDeletedNow = 0
    public var bytesFreedNow: UInt64 = 0
    public var indexFilesRewritten = 0
    /// Packs marked by this run, and their bytes (repacked packs included).
    public var packsMarked = 0
    public var bytesMarked: UInt64 = 0
    /// Packs repacked: their size, the kept chunks copied out of them (stored bytes) into new
    /// packs, and the rest, which no snapshot needs.
    public var packsRepacked = 0
    public var bytesRepacked: UInt64 = 0
    public var bytesMoved: UInt64 = 0
    public var bytesRepackedUnused: UInt64 { bytesRepacked > bytesMoved ? bytesRepacked - bytesMoved : 0 }
    /// Packs repacked because a dead delta in them would otherwise outlive its base.
    public var packsRepackedForDeadDeltas = 0
    /// Marked packs kept back for a later prune, their bytes, and why.
    public var packsWaiting = 0
    public var bytesWaiting: UInt64 = 0
    public var waitReasons: Set<WaitReason> = []
    /// Marked packs found in use again (by a backup that started before the mark) and kept.
    public var packsRevived = 0
    /// Marked packs kept because they hold the only copy of the base of a delta still indexed.
    public var packsKeptAsBases = 0
    /// Temporary files of killed writers removed, and their bytes.
    public var leftoversRemoved = 0
    public var leftoverBytes: UInt64 = 0
    /// Packs the index named that the store no longer has; taken out of the index.
    public var packsMissing: [PackID] = []
    public var seconds = 0.0
}

/// Collects what no snapshot needs, in two phases (docs/FORMAT.md §11):
/// 1. mark: packs with no kept chunk (and packs repacked into new ones, and packs no index
///    names) are recorded in a deletion marker; backups stop relying on them from then on;
/// 2. sweep: marked packs still unneeded are removed from the index and then deleted, once no
///    backup that started before the mark can still be running: in the same run when the
///    leases, read again after the marker was written, show no backup at all (on a store whose
///    listing is read-after-write consistent), else by a later prune after the grace period.
/// Liveness is computed in a temporary SQLite table, so memory does not grow with the repository.
public final class Pruner: @unchecked Sendable {
    let repository: Repository
    let options: PruneOptions
    let say: @Sendable (String) -> Void
    var report = PruneReport()
    /// The snapshots the live set was computed for.
    var liveSnapshots = Set<SnapshotID>()

    public init(repository: Repository, options: PruneOptions, say: @escaping @Sendable (String) -> Void = { _ in }) {
        self.repository = repository
        self.options = options
        self.say = say
    }

    public func run() throws -> PruneReport {
        let started = Date()
        let lease = try takeLease()
        lease.keepAlive()
        defer { lease.release() }
        let leasesRead = Date()
        let leases = try repository.liveLeases(removingStale: true)
        let others = leases.filter { $0.purpose == .prune }
        if others.count > (lease.inMemoryOnly ? 0 : 1) {
            throw RepositoryError(.locked, "another prune is running; a lease left by a dead one is ignored after \(Int(Lease.staleAfter / 60)) minutes")
        }
        // First, as it needs no space: on a full disk this may be what lets the rest run.
        try removeLeftovers(olderThan: min(leasesRead.timeIntervalSince1970, leases.map(\.started).min() ?? .infinity))
        try repository.syncCatalog()
        try refuseOnDamage()
        report.packsMissing = options.dryRun ? try repository.syncPackListing() : try repository.dropMissingPacksFromIndex()
        if !report.packsMissing.isEmpty {
            say("warning: \(report.packsMissing.count) pack(s) named by the index are missing and were taken out of it; run `silo check` to see what they affect")
        }

        try markLive()
        try sweepDueMarkers()
        if let marked = try markUnneeded() { try sweepAtOnce(marked) }
        if report.packsDeleted > 0 { try repository.catalog.trimResemblance() }
        try repository.catalog.dropLiveSet()
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Prune decides what is garbage from the index and the snapshots: with an index file
    /// unread, its packs would look unindexed and be collected; with a snapshot unread, its data
    /// would. So it stops until they are repaired. A damaged deletion marker only goes.
    private func refuseOnDamage() throws {
        let blocking = repository.findings.filter { $0.kind == .indexFile || $0.kind == .snapshot }
        if let first = blocking.first {
            throw RepositoryError(.integrity, "prune stopped, nothing was deleted: \(first.message) (\(blocking.count) damaged object(s) in all); \(first.remedy), then prune again")
        }
        if !options.dryRun {
            for key in try repository.removeDamagedMarkers() { say("warning: removed the damaged deletion marker \(key); its packs are marked again if unneeded") }
        }
    }

    /// The prune lease; on a full disk, where even the lease cannot be written, one held in
    /// memory: prune is how a full disk gets space back. Backups never look at prune leases,
    /// so the only cost is that a second prune started meanwhile is not refused.
    private func takeLease() throws -> HeldLease {
        do {
            return try repository.takeLease(.prune)
        } catch let error as RepositoryError where error.code == .noSpace {
            say("warning: no space for the prune lease; pruning without one — do not start another prune until this one ends")
            return try repository.inMemoryLease(.prune)
        }
    }

    /// Removes the temporary files of writes killed midway (`.tmp-…`, local stores) that are
    /// older, by the grace period and at least a minute, than `horizon`: the start of every
    /// live lease and the moment they were read. A writer takes its lease before it creates
    /// any, so a live writer's files are never that old.
    private func removeLeftovers(olderThan horizon: Double) throws {
        guard let temporaryFiles = repository.store.temporaryFiles else { return }
        let limit = horizon - max(options.grace, 60)
        for leftover in try temporaryFiles.leftovers() where leftover.modified.timeIntervalSince1970 < limit {
            if !options.dryRun { try temporaryFiles.removeLeftover(leftover) }
            report.leftoversRemoved += 1
            report.leftoverBytes += leftover.size
        }
    }
}
