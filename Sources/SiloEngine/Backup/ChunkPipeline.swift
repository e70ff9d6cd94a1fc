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
        if let error = lock.withLock({ failure }) { throw error }
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer {
                slots.signal()
                group.leave()
            }
            do {
                // A base that cannot be read (damaged, unreachable) costs only the saving: the
                // chunk is stored whole, and the backup goes on.
                let basePlaintext = base.flatMap { try? loadChunk($0) }
                let blob = plaintext.withUnsafeBytes { raw in
                    if let base, let basePlaintext, let delta = codec.encodeDelta(raw, id: id, type: type, base: basePlaintext, baseID: base) {
                        return delta
                    }
                    return codec.encode(raw, id: id, type: type)
                }
                try writer.add(blob)
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits for the workers without reporting: a run that failed elsewhere must still not
    /// exit while a worker encrypts (OpenSSL's exit handlers would pull its state away).
    func waitForWorkers() { group.wait() }

    /// Waits for every queued chunk; rethrows the first failure.
    func drain() throws {
        group.wait()
        if let error = lock.withLock({ failure }) { throw error }
    }
}
