import Foundation
import SiloFormat
import SiloRepository
import SiloStorage

/// What every way of making a snapshot shares (a backup of files, an import of a tar archive):
/// a backup lease, the pack writer and encoding pipeline, content chunking, tree storage, and
/// the final write order — packs, then index, then the snapshot (docs/FORMAT.md §10).
public final class SnapshotBuilder: @unchecked Sendable {
    public let repository: Repository
    let writer: BlobWriter
    /// None in a dry run: a lease is a file in the repository, and a dry run writes nothing.
    private let lease: HeldLease?
    /// Computes what would be stored without storing it: new chunks and trees are counted,
    /// never queued, and nothing is committed (`backup --dry-run`).
    public let dryRun: Bool
    /// A dry run's counts of the chunks it would add, and their plaintext bytes.
    private var dryBlobs = 0
    private var dryRawBytes: UInt64 = 0
    /// Packs the index names that the store does not have: their chunks are stored again.
    public let missingPacks: [PackID]
    private let pipeline: ChunkPipeline
    private let readBuffer: UnsafeMutableRawBufferPointer
    private static let readSize = 1 << 20
    private var chunkers: [ContentProfile: FastCDC] = [:]
    /// Resemblance features of the dump chunks this run stores, recorded once they are indexed.
    private var resemblance: [(id: ChunkID, features: [Int64])] = []
    /// Deltas are written at most this many hops from a whole chunk: a restore decodes the
    /// whole chain, and a backup the chain of each base. With 4-hourly backups a dump's chunks
    /// are stored whole again about every three days.
    static let deltaDepth = 16

    public init(repository: Repository, leaseTiming: Lease.Timing = .standard, dryRun: Bool = false) throws {
        self.repository = repository
        self.dryRun = dryRun
        // The lease goes first and the catalog is read again after it: any pack a prune marked
        // before this backup announced itself is then known, and not relied on (FORMAT.md §11).
        let lease = dryRun ? nil : try repository.takeLease(.backup, timing: leaseTiming)
        self.lease = lease
        lease?.keepAlive()
        do {
            try repository.syncCatalog()
            missingPacks = try repository.syncPackListing()
            // Writes nothing until a chunk is queued or `flush` is called: a dry run does neither.
            writer = try BlobWriter(repository: repository)
        } catch {
            lease?.release()
            throw error
        }
        pipeline = ChunkPipeline(codec: repository.codec, writer: writer) { [repository] in try repository.loadBlob($0) }
        // Room for the largest chunk any profile cuts (`files`: 4 MiB) plus one read.
        readBuffer = .allocate(byteCount: (4 << 20) + Self.readSize, alignment: 64)
    }

    deinit {
        pipeline.waitForWorkers()
        readBuffer.deallocate()
        lease?.release()
    }

    /// Ends the lease early (the snapshot is saved, or the attempt abandoned).
    public func release() { lease?.release() }

    /// The repository's chunker for `profile`, made once per builder.
    public func chunker(for profile: ContentProfile) throws -> FastCDC {
        if let known = chunkers[profile] { return known }
        let made = try repository.chunker(profile: profile.chunkerName)
        guard made.profile.maxSize <= 4 << 20 else {
            throw RepositoryError(.invalidArgument, "chunker profile \(profile.chunkerName) cuts chunks larger than 4 MiB")
        }
        chunkers[profile] = made
        return made
    }

    /// Whether the repository (or this run) already holds a blob, outside marked packs.
    public func isKnown(_ id: ChunkID) throws -> Bool { try writer.isKnown(id) }

    /// Cuts what `read` yields (0 at the end) into chunks, hashes them and queues the new ones
    /// for compression, encryption and packing. Returns the chunk list and the byte count.
    ///
    /// `profile` picks the chunker. When it stores deltas (database dumps), a new chunk that
    /// resembles a stored one (`Resemblance`) is stored as a delta against it: from one dump to
    /// the next most chunks change by a few rows. Only on a local repository: on a remote one
    /// each base would cost requests.
    public func ingest(_ profile: ContentProfile, progress: (Int) -> Void = { _ in },
                       read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> ([ChunkID], UInt64) {
        let chunker = try chunker(for: profile)
        let deltas = profile.storesDeltas && repository.store.isLocal
        var content: [ChunkID] = []
        var total: UInt64 = 0
        var filled = 0
        var eof = false
        // The chunk just before, or the base it was given: the other half of a stored chunk
        // that a new cut split in two resembles it in none of its features.
        var neighbour: ChunkID?
        let capacity = readBuffer.count
        let base = readBuffer.baseAddress!
        while true {
            while !eof && filled < capacity {
                let n = try read(UnsafeMutableRawBufferPointer(start: base + filled, count: capacity - filled))
                if n == 0 { eof = true } else { filled += n }
            }
            var start = 0
            while filled - start >= chunker.profile.maxSize || (eof && start < filled) {
                let window = UnsafeRawBufferPointer(start: base + start, count: filled - start)
                let length = chunker.cutPoint(window)
                let chunk = UnsafeRawBufferPointer(start: base + start, count: length)
                let id = repository.codec.identifier.id(of: chunk)
                if try writer.claim(id), !countDry(length) {
                    var bases: [ChunkID] = []
                    if deltas {
                        let features = Resemblance.features(chunk)
                        bases = try deltaBases(for: id, features: features, neighbour: neighbour)
                        resemblance.append((id, features))
                    }
                    neighbour = bases.first
                    try pipeline.submit(copying: chunk, id: id, type: .data, bases: bases)
                } else {
                    neighbour = id
                }
                content.append(id)
                start += length
                total += UInt64(length)
                progress(length)
            }
            if eof { break }
            memmove(base, base + start, filled - start)
            filled -= start
        }
        return (content, total)
    }

    /// The stored chunks to try as the base of a delta for the new chunk `id`, best first; the
    /// pipeline keeps the smallest delta. One when a chunk shares nearly all features with `id`
    /// (its previous version); else up to three: the two that share most, and `neighbour` (a
    /// chunk split by a new cut leaves its features in one half only, and a chunk spanning two
    /// old ones shares a part with each, so the leader may not be the better base).
    private func deltaBases(for id: ChunkID, features: [Int64], neighbour: ChunkID?) throws -> [ChunkID] {
        let similar = try repository.catalog.similarChunks(features).filter { $0.id != id }
        if let best = similar.first, best.shared >= Resemblance.featureCount - 1 {
            return try isUsableBase(best.id, for: id) ? [best.id] : []
        }
        var candidates = similar.prefix(2).map(\.id)
        if let neighbour, !candidates.contains(neighbour) { candidates.append(neighbour) }
        return try candidates.filter { try isUsableBase($0, for: id) }
    }

    /// Whether the chain from `candidate` to its full chunk is shorter than `deltaDepth` and
    /// every chunk of it was indexed, outside packs marked for deletion, before this backup
    /// started (FORMAT.md §10, §11): a chunk this run only claimed is not durable, and a copy
    /// only in a marked pack may be deleted. The new chunk `id` itself never appears in it.
    private func isUsableBase(_ candidate: ChunkID, for id: ChunkID) throws -> Bool {
        var current = candidate
        for _ in 0..<Self.deltaDepth {
            guard current != id, try writer.isIndexed(current), let location = try repository.catalog.location(of: current) else { return false }
            guard location.entry.compression == .zstdDelta, let base = location.entry.base else { return true }
            current = base
        }
        return false
    }

    /// Stores one chunk of file content as it is (once) and returns its ID: for content whose
    /// boundaries are already decided, as when `copy` brings chunks from another repository.
    public func storeChunk(_ plaintext: Data) throws -> ChunkID {
        let id = repository.codec.identifier.id(of: plaintext)
        if try writer.claim(id), !countDry(plaintext.count) {
            try pipeline.submit(plaintext, id: id, type: .data)
        }
        return id
    }

    /// Stores a directory listing (once) and returns its ID.
    public func storeTree(_ tree: Tree) throws -> ChunkID {
        let body = tree.encoded()
        let id = repository.codec.identifier.id(of: body)
        if try writer.claim(id), !countDry(body.count) {
            try pipeline.submit(body, id: id, type: .tree)
            // The next backup compares against this tree: have it at hand.
            try repository.catalog.cacheTree(id, body)
        }
        return id
    }

    /// In a dry run, counts a new blob of `length` plaintext bytes and returns true: the caller
    /// then stores nothing. False otherwise.
    private func countDry(_ length: Int) -> Bool {
        guard dryRun else { return false }
        dryBlobs += 1
        dryRawBytes += UInt64(length)
        return true
    }

    /// A dry run's end: the snapshot that would be saved, its summary's "added" counts filled
    /// in with what would be stored (plaintext; the stored size is not known without encoding,
    /// so `bytesAdded` is 0). Nothing is written.
    public func preview(_ make: (SnapshotSummary) -> Snapshot, summary: SnapshotSummary) -> Snapshot {
        var summary = summary
        summary.chunksAdded = dryBlobs
        summary.rawBytesAdded = dryRawBytes
        summary.bytesAdded = 0
        return make(summary)
    }

    /// Waits for every queued chunk, writes the last pack and the index, then the snapshot.
    /// The summary's "added" counts are filled in here.
    public func commit(_ make: (SnapshotSummary) -> Snapshot, summary: SnapshotSummary) throws -> (SnapshotID, Snapshot) {
        try finishWrites()
        var summary = summary
        summary.chunksAdded = writer.blobsAdded
        summary.bytesAdded = writer.storedBytesAdded
        summary.rawBytesAdded = writer.rawBytesAdded
        let snapshot = make(summary)
        return (try save(snapshot), snapshot)
    }

    /// Waits for every queued chunk, writes the last pack and the index, then saves `snapshot`
    /// as given. The builder stays usable: `copy` commits one snapshot after another.
    public func commit(_ snapshot: Snapshot) throws -> SnapshotID {
        try finishWrites()
        return try save(snapshot)
    }

    /// Saves the snapshot only while the lease is certainly seen as live by every prune, and
    /// takes it back when that stopped being true while it was written: a prune that judged
    /// the lease stale may have deleted packs it needs (FORMAT.md §11, "Commit").
    private func save(_ snapshot: Snapshot) throws -> SnapshotID {
        guard let lease else { throw RepositoryError(.invalidArgument, "a dry run saves no snapshot") }
        return try lease.whileCommitting {
            try lease.confirm()
            let id = try repository.saveSnapshot(snapshot)
            do {
                try lease.confirm()
            } catch {
                try? repository.removeSnapshot(id)
                throw error
            }
            return id
        }
    }

    /// Everything before a snapshot may be saved: the queued chunks, the last pack and index
    /// file, the tree cache, and the features of the dump chunks now indexed.
    private func finishWrites() throws {
        guard !dryRun else { throw RepositoryError(.invalidArgument, "a dry run writes nothing") }
        try pipeline.drain()
        try writer.flush()
        try repository.catalog.flushTreeCache()
        try repository.catalog.recordResemblance(resemblance)
        resemblance = []
    }

    /// `error` from a failed run, completed with what the run leaves in the repository: the
    /// packs it finished stay (those an index names are reused by later backups; prune
    /// collects what no snapshot uses), so the storage's own words ("no space left", which
    /// concern one object) are not read as "nothing was kept". Waits for the pack writes still
    /// in flight, so the count is final. Errors other than `RepositoryError` pass unchanged.
    public func withLeftovers(_ error: Error) -> Error {
        pipeline.waitForWorkers()
        let (packs, indexed) = writer.settle()
        guard packs > 0, let failure = error as? RepositoryError else { return error }
        let reuse = indexed == 0 ? "none indexed yet" : "\(indexed) indexed, which a later backup reuses"
        return RepositoryError(failure.code, failure.message
            + "; the \(packs) pack(s) this run had finished stay in the repository (\(reuse)); prune collects what no snapshot uses")
    }

    /// Blobs and stored bytes this builder has added so far.
    public var added: (blobs: Int, storedBytes: UInt64, rawBytes: UInt64) {
        (writer.blobsAdded, writer.storedBytesAdded, writer.rawBytesAdded)
    }

    /// A reader of a descriptor for `ingest`, retrying on EINTR.
    public static func reader(_ fd: Int32) -> (UnsafeMutableRawBufferPointer) throws -> Int {
        { buffer in
            while true {
                let n = read(fd, buffer.baseAddress!, buffer.count)
                if n >= 0 { return n }
                if errno != EINTR { throw ReadFailure(code: errno) }
            }
        }
    }

    /// A read(2) failure inside `ingest`.
    public struct ReadFailure: Error {
        public let code: Int32
    }
}
