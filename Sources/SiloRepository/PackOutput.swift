import Foundation
import SiloFormat
import SiloStorage

/// The thread that writes packs, so that encoding workers never wait for the disk (when one
/// did, it held one of the pipeline's few slots and a core went idle: a quarter of an initial
/// backup's wall time). `BlobWriter` hands it a pack's bytes in order, in buffers it reuses:
///
/// - to a store that takes uploads (the local directory), in pieces of `pieceSize` as the pack
///   fills, hashed and appended to a temporary file, so no pack is ever whole in memory;
/// - to any other store (S3), whole, with one `put`.
///
/// At most `backlogLimit` buffers wait for the thread; `waitForBacklog` holds a worker back
/// when the disk falls behind, which bounds the memory held.
final class PackOutput: @unchecked Sendable {
    /// Bytes per piece when the store takes uploads; nil: whole packs.
    let pieceSize: Int?
    private let store: ObjectStore
    private let wholeCapacity: Int
    private let queue = DispatchQueue(label: "silo.pack-writes")
    private let backlog = NSCondition()
    private var queued = 0
    private let backlogLimit: Int
    private let poolLock = NSLock()
    private var spareBuffers: [PackBuffer] = []

    // The pack being written: touched only on `queue`.
    private var upload: ObjectUpload?
    private var hash: SHA256Stream?
    private var packBytes = 0
    /// The first failure of the pack being written: its later pieces are dropped.
    private var packFailure: Error?

    static let defaultPieceSize = 2 << 20

    /// `wholeCapacity`: room for the largest pack, for stores that take whole objects.
    init(store: ObjectStore, wholeCapacity: Int, pieceSize: Int = PackOutput.defaultPieceSize) {
        self.store = store
        self.wholeCapacity = wholeCapacity
        self.pieceSize = store.acceptsUploads ? pieceSize : nil
        // Pieces: a few megabytes in flight. Whole packs: one written while the next fills.
        backlogLimit = store.acceptsUploads ? 4 : 1
    }

    /// An empty buffer for the next bytes of a pack.
    func takeBuffer() -> PackBuffer {
        let buffer = poolLock.withLock { spareBuffers.popLast() } ?? PackBuffer(capacity: pieceSize ?? wholeCapacity)
        buffer.removeAll()
        return buffer
    }

    /// Queues the next piece of the pack being filled (not its last).
    func send(_ piece: PackBuffer) {
        enqueue(piece) { [self] in
            try write(piece)
        }
    }

    /// Queues the last bytes of a pack (the whole pack when `pieceSize` is nil). `written` runs
    /// on the pack thread with the pack's ID and size once it is durable, or with the error
    /// that stopped it.
    func sendLast(_ piece: PackBuffer, written: @escaping @Sendable (Result<(PackID, Int), Error>) -> Void) {
        enqueue(piece) { [self] in
            written(Result { try finishPack(with: piece) })
        }
    }

    /// Blocks while more than `backlogLimit` buffers wait for the pack thread.
    func waitForBacklog() {
        backlog.lock()
        while queued > backlogLimit { backlog.wait() }
        backlog.unlock()
    }

    /// Returns once everything queued so far is written (or has failed).
    func waitUntilWritten() { queue.sync {} }

    private func enqueue(_ buffer: PackBuffer, _ work: @escaping @Sendable () throws -> Void) {
        backlog.lock()
        queued += 1
        backlog.unlock()
        queue.async { [self] in
            do {
                try work()
            } catch {
                if packFailure == nil { packFailure = error }
            }
            poolLock.withLock { if spareBuffers.count < 2 { spareBuffers.append(buffer) } }
            backlog.lock()
            queued -= 1
            backlog.broadcast()
            backlog.unlock()
        }
    }

    /// Appends a piece to the pack's upload (on the pack thread).
    private func write(_ piece: PackBuffer) throws {
        guard packFailure == nil else { return }
        if upload == nil {
            upload = try store.beginUpload(folder: "packs")
            hash = SHA256Stream()
        }
        try piece.withBytes { bytes in
            hash!.update(bytes)
            try upload!.append(bytes)
        }
        packBytes += piece.count
    }

    /// Writes the pack's last bytes and names it by their hash (on the pack thread).
    private func finishPack(with piece: PackBuffer) throws -> (PackID, Int) {
        defer {
            upload?.abandon()
            upload = nil
            hash = nil
            packBytes = 0
            packFailure = nil
        }
        if let packFailure { throw packFailure }
        guard pieceSize != nil else {
            let id = piece.withData { PackID(Crypto.sha256($0)) }
            try piece.withData { try store.put(ObjectKeys.pack(id), data: $0) }
            return (id, piece.count)
        }
        try write(piece)
        guard let upload, let hash else { throw RepositoryError(.storage, "a pack ended before it began") }
        let id = PackID(hash.finish())
        try upload.finish(as: ObjectKeys.pack(id))
        self.upload = nil
        return (id, packBytes)
    }
}
