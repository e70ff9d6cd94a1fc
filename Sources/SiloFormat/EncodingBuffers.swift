import Foundation

/// Working memory for `BlobCodec.encode(_:id:type:using:)`, kept from one chunk to the next by
/// one thread at a time. A compressed and a sealed copy of every chunk in fresh allocations cost
/// a page fault for every 4 KiB written into them: a sixth of an initial backup's CPU time.
public final class EncodingBuffers: @unchecked Sendable {
    private var compressed = Region()
    private var sealed = Region()

    public init() {}

    deinit {
        compressed.release()
        sealed.release()
    }

    /// Room for the compressed copy of a chunk, at least `count` bytes.
    func compressedRoom(_ count: Int) -> UnsafeMutableRawBufferPointer { compressed.room(count) }

    /// Room for the sealed copy of a chunk, at least `count` bytes.
    func sealedRoom(_ count: Int) -> UnsafeMutableRawBufferPointer { sealed.room(count) }

    private struct Region {
        var memory = UnsafeMutableRawBufferPointer(start: nil, count: 0)

        mutating func room(_ count: Int) -> UnsafeMutableRawBufferPointer {
            if memory.count < count {
                release()
                memory = .allocate(byteCount: max(count, 64 << 10), alignment: 64)
            }
            return memory
        }

        func release() { memory.deallocate() }
    }
}
