import CZlib
import Foundation

/// gzip compression on worker threads, so that producing the tar stream and compressing it
/// overlap, as `tar czf` does with its separate gzip process.
///
/// With one thread the output is a single gzip member. With more, input is cut into 1 MiB
/// blocks compressed independently into consecutive gzip members (RFC 1952 allows any number;
/// gzip, GNU tar and zlib read them), written in order.
public final class GzipSink: ByteSink, @unchecked Sendable {
    private let next: ByteSink
    private let level: Int32
    private let threads: Int
    private static let blockSize = 1 << 20
    private var block = Data()
    private var sequence = 0
    private let compressQueue: DispatchQueue
    private let writeQueue = DispatchQueue(label: "silo.gzip.write")
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var ready: [Int: Data] = [:]
    private var nextToWrite = 0
    private var failure: Error?
    /// The single stream's state when `threads` == 1 (used only on `compressQueue`, serial then).
    /// On the heap: zlib keeps a pointer back to its z_stream, which must therefore never move.
    private var single: UnsafeMutablePointer<z_stream>?

    public init(_ next: ByteSink, level: Int = 6, threads: Int = 1) throws {
        self.next = next
        self.level = Int32(level)
        self.threads = max(1, threads)
        compressQueue = self.threads == 1 ? DispatchQueue(label: "silo.gzip") : DispatchQueue(label: "silo.gzip", attributes: .concurrent)
        slots = DispatchSemaphore(value: self.threads * 2)
        block.reserveCapacity(Self.blockSize)
        if self.threads == 1 {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard silo_deflate_init_gzip(stream, self.level) == Z_OK else {
                stream.deallocate()
                throw LegacyArchiveError(.invalidArgument, "cannot start gzip compression")
            }
            single = stream
        }
    }

    deinit {
        if let single {
            deflateEnd(single)
            single.deallocate()
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Self.blockSize - block.count)
            block.append(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, count: n)
            offset += n
            if block.count == Self.blockSize { submit(final: false) }
        }
    }

    public func finish() throws {
        submit(final: true)
        group.wait()
        writeQueue.sync {}
        if let failure = lock.withLock({ failure }) { throw failure }
        try next.finish()
    }

    private func submit(final: Bool) {
        let input = block
        block = Data()
        block.reserveCapacity(Self.blockSize)
        let number = sequence
        sequence += 1
        slots.wait()
        group.enter()
        compressQueue.async { [self] in
            defer { group.leave() }
            do {
                let output = threads == 1 ? try compressContinuing(input, final: final) : try compressMember(input)
                lock.withLock { ready[number] = output }
                writeQueue.async { [self] in drainReady() }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
                slots.signal()
            }
        }
    }

    /// Writes finished blocks in order; each written block frees a slot.
    private func drainReady() {
        while true {
            guard let output = lock.withLock({ ready.removeValue(forKey: nextToWrite) }) else { return }
            nextToWrite += 1
            do { try next.write(output) } catch { lock.withLock { if failure == nil { failure = error } } }
            slots.signal()
        }
    }

    private func compressContinuing(_ input: Data, final: Bool) throws -> Data {
        try deflate(single!, input, flush: final ? Z_FINISH : Z_NO_FLUSH)
    }

    private func compressMember(_ input: Data) throws -> Data {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard silo_deflate_init_gzip(stream, level) == Z_OK else { throw LegacyArchiveError(.invalidArgument, "cannot start gzip compression") }
        defer { deflateEnd(stream) }
        return try deflate(stream, input, flush: Z_FINISH)
    }

    private func deflate(_ stream: UnsafeMutablePointer<z_stream>, _ input: Data, flush: Int32) throws -> Data {
        var output = Data(count: Int(deflateBound(stream, uLong(input.count))) + 64)
        var produced = 0
        try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Void in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: raw.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(raw.count)
            repeat {
                if produced == output.count { output.count += 1 << 16 }
                let status = output.withUnsafeMutableBytes { out -> Int32 in
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.pointee.avail_out = UInt32(out.count - produced)
                    let status = CZlib.deflate(stream, flush)
                    produced = out.count - Int(stream.pointee.avail_out)
                    return status
                }
                if status == Z_STREAM_END { break }
                guard status == Z_OK || status == Z_BUF_ERROR else { throw LegacyArchiveError(.invalidArgument, "gzip compression failed (\(status))") }
            } while stream.pointee.avail_in > 0 || (flush == Z_FINISH) || stream.pointee.avail_out == 0
        }
        output.count = produced
        return output
    }
}
