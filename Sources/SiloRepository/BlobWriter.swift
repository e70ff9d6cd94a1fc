import Foundation
import SiloFormat
import SiloStorage

/// Collects new blobs into packs, writes packs and then index files, and only then tells the
/// catalog about them. Thread-safe: encoding workers call `add` concurrently.
///
/// Write order (docs/FORMAT.md): a pack is durable before an index file names it, and an index
/// file is durable before the catalog (and so any later backup's deduplication) relies on it.
public final class BlobWriter: @unchecked Sendable {
    private let repository: Repository
    private let known: Catalog.ChunkLookup
    private let lock = NSLock()
    private var pending = Set<ChunkID>()
    private let output: PackOutput
    /// The pack being filled (under `lock`): its bytes not yet handed to `output`, its length
    /// so far, its entries and the size it stops at.
    private var current: PackBuffer
    private var currentLength = 0
    private var currentEntries: [PackEntry] = []
    private var currentTarget: Int
    private var unindexed: [IndexFile.Pack] = []
    private var firstError: Error?
    /// An index file is written every 16 packs (about 256 MiB), so that a killed backup leaves
    /// most of its work reusable, at the cost of one object (and request) per 16 packs; restic
    /// writes one per 10 minutes.
    private let packsPerIndex = 16

    /// Packs this writer has stored, and how many of them an index file names (under `lock`).
    private var packsStored = 0
    private var packsIndexed = 0

    public private(set) var blobsAdded = 0
    public private(set) var storedBytesAdded: UInt64 = 0
    public private(set) var rawBytesAdded: UInt64 = 0

    public init(repository: Repository) throws {
        self.repository = repository
        known = try repository.catalog.chunkLookup()
        currentTarget = BlobWriter.randomTarget(repository.settings.packTargetSize)
        output = PackOutput(store: repository.store, wholeCapacity: Self.bufferCapacity(repository.settings.packTargetSize))
        current = output.takeBuffer()
    }

    /// Room for the largest pack: the target's upper bound, one more chunk (4 MiB at most), the
    /// trailer.
    private static func bufferCapacity(_ target: Int) -> Int { target + target / 4 + (5 << 20) }

    /// Pack sizes vary ±25% around the target so that the sizes of a file's packs do not give
    /// away the boundaries of its chunks.
    static func randomTarget(_ target: Int) -> Int {
        target - target / 4 + Int.random(in: 0...(target / 2))
    }

    /// Claims `id` for writing. False when the repository or this writer already has it.
    public func claim(_ id: ChunkID) throws -> Bool {
        try lock.withLock {
            if pending.contains(id) { return false }
            if try known.contains(id) { return false }
            pending.insert(id)
            return true
        }
    }

    /// True when the repository's index had `id` outside packs marked for deletion when this
    /// writer started: what a new delta may use as its base (not chunks only claimed by this
    /// run, which are not durable yet).
    public func isIndexed(_ id: ChunkID) throws -> Bool {
        try lock.withLock { try known.contains(id) }
    }

    /// True when the repository or this writer already has `id`.
    public func isKnown(_ id: ChunkID) throws -> Bool {
        try lock.withLock { try pending.contains(id) || known.contains(id) }
    }

    /// Adds an encoded blob, copying its bytes (the caller may reuse them at once). The pack's
    /// bytes go to the pack-writing thread as it fills.
    public func add(_ blob: EncodedBlob) throws {
        try lock.withLock {
            if let firstError { throw firstError }
            if currentLength == 0 { appendToPack(PackFormat.header) }
            let entry = PackEntry(id: blob.id, type: blob.type, compression: blob.compression, offset: UInt32(currentLength),
                                  length: UInt32(blob.stored.count), rawLength: UInt32(blob.rawLength), base: blob.base)
            appendToPack(blob.stored)
            currentEntries.append(entry)
            blobsAdded += 1
            storedBytesAdded += UInt64(blob.stored.count)
            rawBytesAdded += UInt64(blob.rawLength)
            if currentLength >= currentTarget { endPack() }
        }
        output.waitForBacklog()
    }

    /// Writes what is buffered and a final index file. After `flush` every added blob is in
    /// the repository and in the catalog.
    public func flush() throws {
        lock.withLock { if currentLength > 0 { endPack() } }
        output.waitUntilWritten()
        if let error = lock.withLock({ firstError }) { throw error }
        try writeIndex()
    }

    /// Appends to the pack being filled (under `lock`), handing each full piece to `output`.
    private func appendToPack(_ data: Data) {
        data.withUnsafeBytes { bytes in
            var rest = bytes
            while !rest.isEmpty {
                let take = min(rest.count, output.pieceSize.map { $0 - current.count } ?? rest.count)
                current.append(UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
                currentLength += take
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
                if let pieceSize = output.pieceSize, current.count == pieceSize {
                    output.send(current)
                    current = output.takeBuffer()
                }
            }
        }
    }

    /// Ends the pack being filled (under `lock`): its trailer, then its last bytes to `output`.
    /// Once durable, the pack waits for the next index file.
    private func endPack() {
        appendToPack(PackFormat.trailer(entries: currentEntries, sealer: repository.sealer))
        let entries = currentEntries
        output.sendLast(current) { [self] result in
            switch result {
            case .success(let (id, size)):
                let indexNow = lock.withLock { () -> Bool in
                    packsStored += 1
                    unindexed.append(IndexFile.Pack(id: id, size: UInt64(size), entries: entries))
                    return unindexed.count >= packsPerIndex
                }
                if indexNow {
                    do { try writeIndex() } catch { record(error) }
                }
            case .failure(let error):
                record(RepositoryError.wrap(error, context: "writing a pack"))
            }
        }
        current = output.takeBuffer()
        currentLength = 0
        currentEntries = []
        currentTarget = BlobWriter.randomTarget(repository.settings.packTargetSize)
    }

    private func record(_ error: Error) {
        lock.withLock { if firstError == nil { firstError = error } }
    }

    private func writeIndex() throws {
        let packs = lock.withLock { () -> [IndexFile.Pack] in
            defer { unindexed = [] }
            return unindexed
        }
        guard !packs.isEmpty else { return }
        let index = IndexFile(packs: packs)
        let id: IndexID
        do {
            id = try repository.putIndexFile(index)
        } catch {
            throw RepositoryError.wrap(error, context: "writing an index file")
        }
        lock.withLock { packsIndexed += packs.count }
        try repository.catalog.addIndexFile(id, index)
    }

    /// What this writer leaves in the repository, once everything queued is written or has
    /// failed: the packs it stored, and how many of them an index file names. A failed run
    /// reports these rather than deleting them: a pack an index names may already be relied on.
    public func settle() -> (packs: Int, indexed: Int) {
        output.waitUntilWritten()
        return lock.withLock { (packsStored, packsIndexed) }
    }
}
