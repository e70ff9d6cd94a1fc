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
    public var liveChunks = 0
    public var packsDeleted = 0
    public var bytesFreed: UInt64 = 0
    public var indexFilesRewritten = 0
    public var packsMarked = 0
    public var bytesMarked: UInt64 = 0
    public var packsRepacked = 0
    public var bytesRepacked: UInt64 = 0
    /// Marked packs kept back because a backup that may use them is still running, and why.
    public var packsWaiting = 0
    public var waitReason: String?
    /// Of the packs deleted, those marked by this same run (nothing was running that could use them).
    public var packsDeletedAtOnce = 0
    /// Marked packs found in use again (by a backup that started before the mark) and kept.
    public var packsRevived = 0
    /// Temporary files of killed writers removed, and their bytes.
    public var leftoversRemoved = 0
    public var leftoverBytes: UInt64 = 0
    /// Packs the index named that the store no longer has; taken out of the index.
    public var packsMissing: [PackID] = []
    public var seconds = 0.0
}

/// Collects what no snapshot needs, in two phases (docs/FORMAT.md §11):
/// 1. mark: packs with no live chunk (and packs repacked into new ones, and packs no index names)
///    are recorded in a deletion marker; backups stop relying on them from then on;
/// 2. sweep: marked packs still unneeded are removed from the index and then deleted, once no
///    backup that started before the mark is still running: in the same run when no backup
///    lease is listed (on a store whose listing is reliable), else in a later one.
/// Liveness is computed in a temporary SQLite table, so memory does not grow with the repository.
public final class Pruner: @unchecked Sendable {
    private let repository: Repository
    private let options: PruneOptions
    private let say: @Sendable (String) -> Void
    private var report = PruneReport()

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
        try sweep()
        if report.packsDeleted > 0 { try repository.catalog.trimResemblance() }
        try markUnneeded()
        // What this run just marked goes at once when the leases prove that no backup can be
        // relying on it (FORMAT.md §11, "Sweep"): a user with a full disk gets the space now.
        if report.packsMarked > 0 && !options.dryRun && repository.store.listingIsReliable {
            let before = report.packsDeleted
            try sweep()
            report.packsDeletedAtOnce = report.packsDeleted - before
            if report.packsDeletedAtOnce > 0 { try repository.catalog.trimResemblance() }
        }
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
        guard let local = repository.store as? LocalObjectStore else { return }
        let limit = horizon - max(options.grace, 60)
        for leftover in try local.leftovers() where leftover.modified.timeIntervalSince1970 < limit {
            if !options.dryRun { try local.removeLeftover(leftover) }
            report.leftoversRemoved += 1
            report.leftoverBytes += leftover.size
        }
    }

    // MARK: liveness

    /// The snapshots the live set was computed for.
    private var liveSnapshots = Set<SnapshotID>()

    private func markLive() throws {
        let catalog = repository.catalog
        let snapshots = try catalog.snapshots()
        liveSnapshots = Set(snapshots.map(\.id))
        if try catalog.liveSetIsCurrent(for: Self.digest(liveSnapshots)) {
            report.liveChunks = try catalog.liveCount()
            return
        }
        try catalog.inOneTransaction {
            try catalog.createLiveSet()
            try addToLiveSet(snapshots)
        }
        report.liveChunks = try catalog.liveCount()
    }

    /// Adds what `snapshots` reach (and the bases of deltas in packs kept) to the live set.
    private func addToLiveSet(_ snapshots: [(id: SnapshotID, snapshot: Snapshot)]) throws {
        for (id, snapshot) in snapshots {
            do {
                try markTree(snapshot.tree)
            } catch {
                throw RepositoryError(.integrity, "snapshot \(id.shortHex) cannot be read completely (\(error)); prune stops without deleting anything — run `silo check`")
            }
        }
        try repository.catalog.addLiveBases()
        liveSnapshots.formUnion(snapshots.map(\.id))
        try repository.catalog.completeLiveSet(for: Self.digest(liveSnapshots))
    }

    /// Snapshots saved since the live set was computed — by backups that were running then and
    /// have ended since — join it. Called after the leases are read: a backup writes its
    /// snapshot before it deletes its lease, so one whose lease was not seen has its snapshot
    /// listed here (FORMAT.md §11, "Sweep"; docs/model/prune.pml checks this order).
    private func addSnapshotsSavedMeanwhile() throws {
        try repository.syncCatalog()
        let added = try repository.catalog.snapshots().filter { !liveSnapshots.contains($0.id) }
        guard !added.isEmpty else { return }
        say("\(added.count) snapshot(s) saved while prune ran: their data stays")
        try repository.catalog.inOneTransaction { try addToLiveSet(added) }
        report.liveChunks = try repository.catalog.liveCount()
    }

    private static func digest(_ snapshots: Set<SnapshotID>) -> String {
        Crypto.sha256(Data(snapshots.map(\.hex).sorted().joined(separator: "\n").utf8)).hex
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

    // MARK: sweep (earlier marks)

    private func sweep() throws {
        let markers = try repository.deletionMarkers()
        guard !markers.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let backups = try repository.liveLeases(removingStale: true).filter { $0.purpose == .backup }
        let oldestBackup = backups.map(\.started).min() ?? .infinity
        // No backup lease listed by a store whose listing is reliable: no backup that read the
        // markers before one was written is still running (it wrote its lease before that
        // read), so no marker needs the grace period, which stands for clock skew and leases
        // listed late. Otherwise a marker must be older than the grace, and than every backup.
        let noBackupUnseen = backups.isEmpty && repository.store.listingIsReliable
        var deletable: [(key: String, marker: DeletionMarker)] = []
        report.packsWaiting = 0
        for entry in markers {
            let old = entry.marker.marked < now - options.grace
            let noBackupBefore = entry.marker.marked < oldestBackup - options.grace
            if noBackupUnseen || (old && noBackupBefore) { deletable.append(entry) } else { report.packsWaiting += entry.marker.packs.count }
        }
        if report.packsWaiting > 0 {
            report.waitReason = !backups.isEmpty
                ? "\(backups.count) backup(s) running that may use them"
                : "this store's listing may show leases late, so marked packs wait the grace period of \(Int(options.grace / 60)) minute(s)"
        }
        guard !deletable.isEmpty else { return }
        // Only now, after the leases: a backup that ended since the live set was computed.
        try addSnapshotsSavedMeanwhile()
        let candidates = Set(deletable.flatMap { $0.marker.packs })
        // A marked pack holding a live chunk with no copy elsewhere was used by a backup that
        // started before the mark: it stays.
        let needed = try repository.catalog.packsHoldingOnlyCopiesOfLiveChunks(among: candidates)
        report.packsRevived += needed.count
        let doomed = candidates.subtracting(needed)
        if options.dryRun {
            report.packsDeleted = doomed.count
            return
        }
        let sizes = try Dictionary(repository.catalog.packs().map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a })

        // 1. The index first: rewrite every index file naming a doomed pack without it.
        report.indexFilesRewritten += try repository.rewriteIndex(without: doomed)
        // 2. Then the packs.
        for pack in doomed.sorted() {
            let key = ObjectKeys.pack(pack)
            let size = sizes[pack] ?? ((try? repository.store.stat(key).size) ?? 0)
            try repository.store.delete(key)
            report.packsDeleted += 1
            report.bytesFreed += size
        }
        // 3. Then the markers; packs kept back are marked again by this run if still unneeded.
        for entry in deletable {
            try repository.store.delete(entry.key)
            try repository.catalog.removeMarker(entry.key)
        }
        say("deleted \(report.packsDeleted) pack(s), \(report.bytesFreed) bytes")
    }

    // MARK: mark (this run)

    private func markUnneeded() throws {
        let catalog = repository.catalog
        let alreadyMarked = Set(try catalog.markedPacks())
        var toMark: [PackID] = []
        var usage = try catalog.packUsage().filter { !alreadyMarked.contains($0.pack) }

        // Packs without a live chunk.
        for pack in usage where pack.liveBytes == 0 {
            toMark.append(pack.pack)
            report.bytesMarked += pack.size
        }
        usage.removeAll { $0.liveBytes == 0 }

        // Packs no index names (left by killed backups, or by a killed prune's rewrite).
        let indexed = Set(try catalog.packs().map(\.id))
        for key in try repository.store.list(prefix: ObjectKeys.packsPrefix) {
            guard let id = PackID(hex: String(key.split(separator: "/").last ?? "")), !indexed.contains(id), !alreadyMarked.contains(id) else { continue }
            toMark.append(id)
            report.bytesMarked += (try? repository.store.stat(key).size) ?? 0
        }

        // Mostly-dead packs: repack their live chunks, emptiest first, while unused data is
        // above the limit. Only chunk bytes count: a pack's header and trailer are not "unused",
        // else every small pack would look mostly dead and be repacked on every run.
        let total = usage.reduce(UInt64(0)) { $0 + $1.liveBytes + $1.deadBytes }
        var unused = usage.reduce(UInt64(0)) { $0 + $1.deadBytes }
        let candidates = usage.filter { $0.deadBytes > 0 && $0.liveFraction < options.repackThreshold }
            .sorted { $0.liveFraction < $1.liveFraction }
        var repack: [PackID] = []
        for pack in candidates where Double(unused) > options.maxUnused * Double(max(total, 1)) {
            repack.append(pack.pack)
            unused -= pack.deadBytes
        }
        if !repack.isEmpty && !options.dryRun { try repackLiveChunks(of: repack) }
        toMark += repack
        report.packsMarked = toMark.count
        if !toMark.isEmpty && !options.dryRun {
            try repository.writeDeletionMarker(DeletionMarker(marked: Date().timeIntervalSince1970, packs: toMark))
        }
    }

    /// Copies the live chunks of `packs` into new packs (stored bytes as they are, after
    /// authenticating them) and indexes those; the old packs can then be marked.
    private func repackLiveChunks(of packs: [PackID]) throws {
        let writer = try BlobWriter(repository: repository)
        var copied = Set<ChunkID>()
        for pack in packs {
            let data = try repository.store.get(ObjectKeys.pack(pack))
            for entry in try repository.catalog.liveEntries(inPack: pack) where copied.insert(entry.id).inserted {
                let start = Int(entry.offset), end = start + Int(entry.length)
                guard end <= data.count else { throw RepositoryError(.integrity, "pack \(pack.shortHex) is shorter than its index says") }
                let stored = Data(data[start..<end])
                _ = try repository.codec.decode(stored, id: entry.id, compression: entry.compression, rawLength: Int(entry.rawLength),
                                                base: try repository.basePlaintext(of: entry))
                try writer.add(EncodedBlob(id: entry.id, type: entry.type, compression: entry.compression,
                                           rawLength: Int(entry.rawLength), stored: stored, base: entry.base))
            }
            report.packsRepacked += 1
            report.bytesRepacked += UInt64(data.count)
        }
        try writer.flush()
    }
}
