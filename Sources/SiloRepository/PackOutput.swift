import Foundation
import SiloFormat
import SiloStorage

/// The threads that write packs, so that encoding workers never wait for the store (when one
/// did, it held one of the pipeline's few slots and a core went idle: a quarter of an initial
/// backup's wall time). `BlobWriter` hands over a pack's bytes in buffers this class reuses:
///
/// - to a store that takes uploads (the local directory), in pieces of `pieceSize` as the pack
///   fills, hashed and appended to a temporary file: no pack is ever whole in memory;
/// - to any other store (S3), whole, with one `put` each, up to three at once, as restic
///   uploads over several connections: a remote request waits on the network and the server
///   more than on a CPU. (On the loopback test server the gain was within noise: 2.23–2.31 s
///   against 2.29–2.34 s one at a time.)
///
/// At most `backlogLimit` buffers wait; `waitForBacklog` holds a worker back when the store
/// falls behind, which bounds the memory held.
final class PackOutput: @unchecked Sendable {
    /// Bytes per piece when the store takes uploads; nil: whole packs.
    let pieceSize: Int?
    private let store: ObjectStore
    private let wholeCapacity: Int
    private let queue: DispatchQueue
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
        // Pieces go in order, a few megabytes in flight. Whole packs go up to three at once.
        queue = DispatchQueue(label: "silo.pack-writes", attributes: store.acceptsUploads ? [] : .concurrent)
        backlogLimit = store.acceptsUploads ? 4 : 2
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
            written(Result { try pieceSize == nil ? putWhole(piece) : finishPack(with: piece) })
        }
    }

    /// Blocks while more than `backlogLimit` buffers wait for the pack thread.
    func waitForBacklog() {
        backlog.lock()
        while queued > backlogLimit { backlog.wait() }
        backlog.unlock()
    }

    /// Returns once everything queued so far is written (or has failed).
    func waitUntilWritten() { queue.sync(flags: .barrier) {} }

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

    /// Puts a whole pack, named by its hash (on one of the pack threads; touches no state
    /// shared with the others).
    private func putWhole(_ pack: PackBuffer) throws -> (PackID, Int) {
        let id = pack.withData { PackID(Crypto.sha256($0)) }
        try pack.withData { try store.put(ObjectKeys.pack(id), data: $0) }
        return (id, pack.count)
    }

    /// Writes the pack's last piece and names the pack by the hash of its bytes (on the pack
    /// thread, in order after its other pieces).
    private func finishPack(with piece: PackBuffer) throws -> (PackID, Int) {
        defer {
            upload?.abandon()
            upload = nil
            hash = nil
            packBytes = 0
            packFailure = nil
        }
        if let packFailure { throw packFailure }
        try write(piece)
        guard let upload, let hash else { throw RepositoryError(.storage, "a pack ended before it began") }
        let id = PackID(hash.finish())
        try upload.finish(as: ObjectKeys.pack(id))
        self.upload = nil
        return (id, packBytes)
    }
}
