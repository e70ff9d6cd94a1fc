import Foundation
import SiloFormat
import SiloRepository

/// The parallel half of a backup: chunks found new by the reading thread are compressed and
/// encrypted on a bounded pool of workers and handed to the pack writer. At most `inFlight`
/// jobs wait at once, so memory stays bounded whatever the input size.
///
/// Small chunks (a tree of small files gives one each) travel in batches: a job per chunk cost
/// a thread wake-up and a context switch each, and left a core idle a quarter of the time.
/// `submit` is called from one thread (the reading one); the workers are many.
final class ChunkPipeline: @unchecked Sendable {
    private let codec: BlobCodec
    private let writer: BlobWriter
    private let queue = DispatchQueue(label: "silo.encode", attributes: .concurrent)
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?
    /// Plaintext buffers of jobs that are done, reused by the next ones: a fresh allocation
    /// per chunk cost a page fault for every 4 KiB copied into it.
    private var spareBuffers: [ChunkBuffer] = []
    /// Compression and encryption buffers of workers that are done, reused by the next ones.
    private var spareEncodingBuffers: [EncodingBuffers] = []
    /// Small chunks gathered for the next job (only the submitting thread touches it).
    private var batch: Job?

    /// Plaintext buffers hold the largest chunk any profile cuts, or one batch.
    private static let bufferSize = 4 << 20
    /// Chunks below this size are batched; a batch is sent once it holds `batchSize` bytes.
    private static let batchedChunkLimit = 256 << 10
    private static let batchSize = 1 << 20
    private static let batchCountLimit = 256

    /// Reads the plaintext of a stored chunk (the base of a delta).
    private let loadChunk: @Sendable (ChunkID) throws -> Data

    init(codec: BlobCodec, writer: BlobWriter, inFlight: Int = ProcessInfo.processInfo.activeProcessorCount + 1,
         loadChunk: @escaping @Sendable (ChunkID) throws -> Data) {
        self.codec = codec
        self.writer = writer
        self.loadChunk = loadChunk
        slots = DispatchSemaphore(value: inFlight)
    }

    deinit {
        if let batch { batch.buffer.memory.deallocate() }
        for buffer in spareBuffers { buffer.memory.deallocate() }
    }

    /// Queues a new chunk, to be stored as a delta against the one of `bases` that gives the
    /// smallest (and whole when none shrinks it). Throws the first error any worker met, so a
    /// failing disk stops the backup promptly.
    func submit(_ plaintext: Data, id: ChunkID, type: BlobType, bases: [ChunkID] = []) throws {
        try plaintext.withUnsafeBytes { try submit(copying: $0, id: id, type: type, bases: bases) }
    }

    /// Queues a copy of `chunk`: the caller's bytes may change as soon as this returns.
    func submit(copying chunk: UnsafeRawBufferPointer, id: ChunkID, type: BlobType, bases: [ChunkID] = []) throws {
        if let error = lock.withLock({ failure }) { throw error }
        guard bases.isEmpty, chunk.count < Self.batchedChunkLimit else {
            var job = Job(buffer: takeBuffer(count: chunk.count))
            job.append(chunk, id: id, type: type, bases: bases)
            dispatch(job)
            return
        }
        if let pending = batch, !pending.hasRoom(for: chunk.count) {
            batch = nil
            dispatch(pending)
        }
        var pending = batch ?? Job(buffer: takeBuffer(count: Self.batchSize))
        pending.append(chunk, id: id, type: type, bases: [])
        if pending.used >= Self.batchSize || pending.items.count >= Self.batchCountLimit {
            batch = nil
            dispatch(pending)
        } else {
            batch = pending
        }
    }

    private func takeBuffer(count: Int) -> ChunkBuffer {
        if let spare = lock.withLock({ spareBuffers.popLast() }) {
            if spare.memory.count >= count { return spare }
            spare.memory.deallocate()
        }
        return ChunkBuffer(memory: .allocate(byteCount: max(count, Self.bufferSize), alignment: 64))
    }

    /// Waits for a slot, then encodes and stores the job's chunks on a worker.
    private func dispatch(_ job: Job) {
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer {
                lock.withLock { spareBuffers.append(job.buffer) }
                slots.signal()
                group.leave()
            }
            let buffers = lock.withLock { spareEncodingBuffers.popLast() } ?? EncodingBuffers()
            defer { lock.withLock { spareEncodingBuffers.append(buffers) } }
            for item in job.items {
                if lock.withLock({ failure }) != nil { return }
                store(job.plaintext(of: item), item: item, buffers: buffers)
            }
        }
    }

    private func store(_ plaintext: UnsafeRawBufferPointer, item: Job.Item, buffers: EncodingBuffers) {
        // A base that cannot be read (damaged, unreachable) costs only the saving: the chunk
        // is stored whole, and the backup goes on.
        let deltas = item.bases.compactMap { base in
            (try? loadChunk(base)).flatMap { codec.encodeDelta(plaintext, id: item.id, type: item.type, base: $0, baseID: base) }
        }
        let best = deltas.min { $0.stored.count < $1.stored.count }
        let blob: EncodedBlob
        if let best, best.stored.count < plaintext.count / 4 {
            blob = best
        } else {
            // A delta no smaller than a quarter of the chunk may be no gain over the chunk
            // whole (dumps compress 3-4x), and a needless base costs every restore a read.
            let whole = codec.encode(plaintext, id: item.id, type: item.type, using: buffers)
            blob = best.map { $0.stored.count < whole.stored.count ? $0 : whole } ?? whole
        }
        do {
            // The blob's bytes may live in `buffers`: added (copied into a pack) before the
            // buffers go back.
            try writer.add(blob)
        } catch {
            lock.withLock { if failure == nil { failure = error } }
        }
    }

    /// Waits for the workers without reporting: a run that failed elsewhere must still not
    /// exit while a worker encrypts (OpenSSL's exit handlers would pull its state away).
    func waitForWorkers() { group.wait() }

    /// Sends the last batch, waits for every queued chunk; rethrows the first failure.
    func drain() throws {
        if let pending = batch {
            batch = nil
            dispatch(pending)
        }
        group.wait()
        if let error = lock.withLock({ failure }) { throw error }
    }
}

/// Chunks for one worker: one large chunk, or a batch of small ones, with their plaintext
/// copied one after another into a buffer of the pipeline's.
private struct Job: Sendable {
    struct Item: Sendable {
        let id: ChunkID
        let type: BlobType
        let bases: [ChunkID]
        let offset: Int
        let count: Int
    }

    let buffer: ChunkBuffer
    private(set) var items: [Item] = []
    private(set) var used = 0

    init(buffer: ChunkBuffer) { self.buffer = buffer }

    func hasRoom(for count: Int) -> Bool { used + count <= buffer.memory.count }

    mutating func append(_ chunk: UnsafeRawBufferPointer, id: ChunkID, type: BlobType, bases: [ChunkID]) {
        precondition(hasRoom(for: chunk.count))
        if chunk.count > 0 { (buffer.memory.baseAddress! + used).copyMemory(from: chunk.baseAddress!, byteCount: chunk.count) }
        items.append(Item(id: id, type: type, bases: bases, offset: used, count: chunk.count))
        used += chunk.count
    }

    func plaintext(of item: Item) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer.memory.baseAddress! + item.offset, count: item.count)
    }
}

/// A plaintext buffer handed from the reading thread to one worker at a time.
private struct ChunkBuffer: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer
}
