import Foundation

/// Working memory for `BlobCodec.encode(_:id:type:using:)`, kept from one chunk to the next by
/// one thread at a time. A compressed and a sealed copy of every chunk in fresh allocations cost
/// a page fault for every 4 KiB written into them: a sixth of an initial backup's CPU time.
/// One region serves both: the chunk is compressed where its ciphertext goes and sealed in place.
public final class EncodingBuffers: @unchecked Sendable {
    private var memory = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    public init() {}

    deinit { memory.deallocate() }

    /// At least `count` bytes, kept for the next call.
    func room(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if memory.count < count {
            memory.deallocate()
            memory = .allocate(byteCount: max(count, 64 << 10), alignment: 64)
        }
        return memory
    }
}
