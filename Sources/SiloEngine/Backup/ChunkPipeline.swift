import Foundation
import SiloFormat
import SiloRepository

/// The parallel half of a backup: chunks found new by the reading thread are compressed and
/// encrypted on a bounded pool of workers and handed to the pack writer. At most `inFlight`
/// chunks wait at once, so memory stays bounded whatever the input size.
final class ChunkPipeline: @unchecked Sendable {
    private let codec: BlobCodec
    private let writer: BlobWriter
    private let queue = DispatchQueue(label: "silo.encode", attributes: .concurrent)
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?
    /// Plaintext buffers of chunks no longer in flight, reused by `submit(copying:)`.
    private var spareBuffers: [ChunkBuffer] = []
    /// Compression and encryption buffers of workers that are done, reused by the next ones.
    private var spareEncodingBuffers: [EncodingBuffers] = []
    /// The largest chunk any profile cuts.
    private static let bufferSize = 4 << 20

    /// Reads the plaintext of a stored chunk (the base of a delta).
    private let loadChunk: @Sendable (ChunkID) throws -> Data

    init(codec: BlobCodec, writer: BlobWriter, inFlight: Int = ProcessInfo.processInfo.activeProcessorCount + 1,
         loadChunk: @escaping @Sendable (ChunkID) throws -> Data) {
        self.codec = codec
        self.writer = writer
        self.loadChunk = loadChunk
        slots = DispatchSemaphore(value: inFlight)
    }

    /// Queues a new chunk, to be stored as a delta against `base` when given (and whole when
    /// that fails). Throws the first error any worker met, so a failing disk stops the backup
    /// promptly.
    func submit(_ plaintext: Data, id: ChunkID, type: BlobType, base: ChunkID? = nil) throws {
        try enqueue(id: id, type: type, base: base) {
            { encode in plaintext.withUnsafeBytes { encode($0) } }
        }
    }

    /// Queues a copy of `chunk`, made into one of the pipeline's reused buffers: the caller's
    /// bytes may change as soon as this returns. A fresh allocation per chunk cost a page fault
    /// for every 4 KiB copied.
    func submit(copying chunk: UnsafeRawBufferPointer, id: ChunkID, type: BlobType, base: ChunkID? = nil) throws {
        try enqueue(id: id, type: type, base: base) {
            // Taken once `enqueue` holds a slot, so there are never more buffers than slots.
            let buffer = takeBuffer(count: chunk.count)
            buffer.memory.baseAddress!.copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
            let count = chunk.count
            return { [self] encode in
                defer { lock.withLock { spareBuffers.append(buffer) } }
                encode(UnsafeRawBufferPointer(start: buffer.memory.baseAddress, count: count))
            }
        }
    }

    private func takeBuffer(count: Int) -> ChunkBuffer {
        if let spare = lock.withLock({ spareBuffers.popLast() }) {
            if spare.memory.count >= count { return spare }
            spare.memory.deallocate()
        }
        return ChunkBuffer(memory: .allocate(byteCount: max(count, Self.bufferSize), alignment: 64))
    }

    /// Lends a chunk's plaintext to the encoder it is given, for as long as the call lasts.
    private typealias PlaintextLender = @Sendable (_ encode: (UnsafeRawBufferPointer) -> Void) -> Void

    /// Waits for a slot, then has `lender` made and the chunk encoded and stored on a worker.
    private func enqueue(id: ChunkID, type: BlobType, base: ChunkID?, lender: () -> PlaintextLender) throws {
        if let error = lock.withLock({ failure }) { throw error }
        slots.wait()
        let withPlaintext = lender()
        group.enter()
        queue.async { [self] in
            defer {
                slots.signal()
                group.leave()
            }
            // A base that cannot be read (damaged, unreachable) costs only the saving: the
            // chunk is stored whole, and the backup goes on.
            let basePlaintext = base.flatMap { try? loadChunk($0) }
            let buffers = lock.withLock { spareEncodingBuffers.popLast() } ?? EncodingBuffers()
            defer { lock.withLock { spareEncodingBuffers.append(buffers) } }
            withPlaintext { raw in
                let blob: EncodedBlob
                if let base, let basePlaintext, let delta = codec.encodeDelta(raw, id: id, type: type, base: basePlaintext, baseID: base) {
                    blob = delta
                } else {
                    blob = codec.encode(raw, id: id, type: type, using: buffers)
                }
                do {
                    // The blob's bytes live in `buffers`: added (copied into a pack) before
                    // the buffers go back.
                    try writer.add(blob)
                } catch {
                    lock.withLock { if failure == nil { failure = error } }
                }
            }
        }
    }

    /// Waits for the workers without reporting: a run that failed elsewhere must still not
    /// exit while a worker encrypts (OpenSSL's exit handlers would pull its state away).
    func waitForWorkers() { group.wait() }

    deinit {
        for buffer in spareBuffers { buffer.memory.deallocate() }
    }

    /// Waits for every queued chunk; rethrows the first failure.
    func drain() throws {
        group.wait()
        if let error = lock.withLock({ failure }) { throw error }
    }
}

/// A plaintext buffer handed from the reading thread to one worker at a time.
private struct ChunkBuffer: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer
}
