import Foundation
import SiloFormat
import SiloRepository

/// Copies snapshots from one repository into another, local or remote, sending only the
/// chunks the destination lacks.
///
/// Chunk IDs are keyed per repository (HMAC with the repository's ID key), so a chunk's ID in
/// the destination can only be learnt from its plaintext: the first copy of a chunk reads and
/// decrypts it from the source, and the destination's catalog remembers the pair so that later
/// copies skip the read (`Catalog.copiedID`). Trees are rewritten with the destination's IDs.
/// Chunk boundaries are kept as the source cut them: when the two repositories' chunkers differ,
/// copied data does not deduplicate against backups made directly into the destination
/// (`chunkingDiffers`).
///
/// Each snapshot is committed on its own after its packs and index (FORMAT.md §10), so an
/// interrupted copy keeps every snapshot it finished and, in the destination's index, most
/// chunks of the one it was copying: the next copy sends neither again.
public final class SnapshotCopier {
    public struct Totals: Sendable {
        /// Chunks and trees written to the destination, and their plaintext and stored sizes.
        public var blobsSent = 0
        public var rawBytesSent: UInt64 = 0
        public var storedBytesSent: UInt64 = 0
        /// Chunks read from the source to learn their destination ID or to send them.
        public var chunksRead = 0
    }

    public let source: Repository
    public let destination: Repository
    private let builder: SnapshotBuilder
    /// Both repositories give the same chunk the same ID: IDs need no translation.
    private let sameIDs: Bool
    private var translated: [ChunkID: ChunkID] = [:]
    private var unrecorded: [(ChunkID, ChunkID)] = []
    /// Source snapshot → its identity, and identity → the destination's snapshot, read once
    /// and kept up to date as snapshots are copied.
    private let sourceIdentities: [SnapshotID: SnapshotID]
    private var destinationByIdentity: [SnapshotID: SnapshotID] = [:]
    public private(set) var totals = Totals()

    public init(from source: Repository, to destination: Repository) throws {
        guard source.config.id != destination.config.id else {
            throw RepositoryError(.invalidArgument, "source and destination are the same repository (\(source.config.id))")
        }
        self.source = source
        self.destination = destination
        sameIDs = source.keys?.chunkID == destination.keys?.chunkID
        builder = try SnapshotBuilder(repository: destination)
        // After the builder's lease and catalog sync: the destination's snapshots as they are now.
        sourceIdentities = Dictionary(try source.snapshots().map { ($0.id, Self.identity($0.id, $0.snapshot)) }) { a, _ in a }
        for (id, snapshot) in try destination.catalog.snapshots() { destinationByIdentity[Self.identity(id, snapshot)] = id }
    }

    /// Ends the destination's lease early.
    public func release() { builder.release() }

    /// True when the two repositories cut chunks differently (another chunker seed or profile).
    public var chunkingDiffers: Bool { !source.cutsChunksLike(destination) }

    /// A snapshot's identity across copies: the snapshot it was first copied from, or itself.
    public static func identity(_ id: SnapshotID, _ snapshot: Snapshot) -> SnapshotID { snapshot.original ?? id }

    /// Splits `wanted` into the snapshots to copy and those the destination already has
    /// (paired with the destination's ID), in the order given.
    public func plan(_ wanted: [(id: SnapshotID, snapshot: Snapshot)])
        -> (copy: [(id: SnapshotID, snapshot: Snapshot)], present: [(source: SnapshotID, destination: SnapshotID)]) {
        var copy: [(id: SnapshotID, snapshot: Snapshot)] = []
        var present: [(source: SnapshotID, destination: SnapshotID)] = []
        for entry in wanted {
            if let existing = destinationByIdentity[Self.identity(entry.id, entry.snapshot)] {
                present.append((entry.id, existing))
            } else {
                copy.append(entry)
            }
        }
        return (copy, present)
    }

    /// Copies one snapshot; returns its ID in the destination.
    public func copy(_ id: SnapshotID, _ snapshot: Snapshot) throws -> SnapshotID {
        let before = builder.added
        let tree = try translateTree(snapshot.tree)
        var copied = snapshot
        copied.tree = tree
        copied.original = Self.identity(id, snapshot)
        copied.parent = snapshot.parent.flatMap { destinationByIdentity[sourceIdentities[$0] ?? $0] }
        let saved = try builder.commit(copied)
        destinationByIdentity[copied.original!] = saved
        try recordTranslations()
        let after = builder.added
        totals.blobsSent += after.blobs - before.blobs
        totals.storedBytesSent += after.storedBytes - before.storedBytes
        totals.rawBytesSent += after.rawBytes - before.rawBytes
        return saved
    }

    // MARK: translation

    /// A tree rewritten with the destination's IDs, stored unless the destination has it.
    /// Trees seen earlier in this run are not walked again: everything this run stored is
    /// committed before any snapshot that refers to it.
    ///
    /// A loop over an explicit stack of trees being rewritten, not recursion: a snapshot's depth
    /// comes from its data, and recursion as deep as that overflows the thread's stack. A tree
    /// is stored once all its subtrees are; until then it waits on the stack at the node whose
    /// subtree is being translated.
    private func translateTree(_ id: ChunkID) throws -> ChunkID {
        if let known = translated[id] { return known }
        var stack: [(id: ChunkID, tree: Tree, next: Int)] = [(id, try loadTranslatingContent(id), 0)]
        // Read through `stack[level]`, never a copy of it: a copy would share the tree's nodes,
        // and every update of a subtree ID would then copy them all.
        while !stack.isEmpty {
            let level = stack.count - 1
            let next = stack[level].next
            if next < stack[level].tree.nodes.count {
                if let subtree = stack[level].tree.nodes[next].subtree {
                    guard let known = translated[subtree] else {
                        stack.append((subtree, try loadTranslatingContent(subtree), 0))
                        continue  // this node again once its subtree is translated
                    }
                    stack[level].tree.nodes[next].subtree = known
                }
                stack[level].next += 1
                continue
            }
            let done = stack.removeLast()
            translated[done.id] = try builder.storeTree(done.tree)
        }
        return translated[id]!
    }

    /// A source tree with its files' chunk IDs already the destination's.
    private func loadTranslatingContent(_ id: ChunkID) throws -> Tree {
        var tree = try source.loadTree(id)
        try translateContent(of: tree.nodes.flatMap { $0.content ?? [] })
        for i in tree.nodes.indices {
            if let content = tree.nodes[i].content {
                tree.nodes[i].content = content.map { translated[$0]! }
            }
        }
        return tree
    }

    /// Learns the destination IDs of data chunks (into `translated`). A chunk is read from the
    /// source only when its destination ID is not known or the destination lacks it; those are
    /// read in groups of up to 32 MiB, a pack span per request (`Repository.loadBlobs`).
    private func translateContent(of ids: [ChunkID]) throws {
        var group: [ChunkID] = []
        var grouped = Set<ChunkID>()
        var groupBytes = 0
        for id in ids where translated[id] == nil {
            let remembered = sameIDs ? id : try destination.catalog.copiedID(from: source.config.id, id)
            if let remembered, try builder.isKnown(remembered) {
                translated[id] = remembered
                continue
            }
            guard grouped.insert(id).inserted else { continue }
            group.append(id)
            groupBytes += Int(try source.catalog.location(of: id)?.entry.rawLength ?? 0)
            if groupBytes >= 32 << 20 {
                try send(group)
                group = []
                groupBytes = 0
            }
        }
        try send(group)
    }

    private func send(_ ids: [ChunkID]) throws {
        guard !ids.isEmpty else { return }
        let batch = source.loadBlobs(ids)
        for id in ids {
            guard let plaintext = try batch.plaintext(id) else { throw RepositoryError(.integrity, "chunk \(id.shortHex) could not be read") }
            let stored = try builder.storeChunk(plaintext)
            totals.chunksRead += 1
            translated[id] = stored
            if !sameIDs {
                unrecorded.append((id, stored))
                if unrecorded.count >= 20_000 { try recordTranslations() }
            }
        }
    }

    private func recordTranslations() throws {
        try destination.catalog.recordCopiedIDs(from: source.config.id, unrecorded)
        unrecorded.removeAll(keepingCapacity: true)
    }
}
