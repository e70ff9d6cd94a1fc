import Foundation

/// The bytes of a pack being filled: a piece of it, or all of it for a store that takes whole
/// objects only. `PackOutput` reuses these buffers: a fresh 16 MiB allocation per pack cost a
/// page fault for every 4 KiB written into it, a tenth of an initial backup's CPU time on a
/// virtual machine. Its bytes start on a page
/// boundary, so a local store can write them past the page cache. A buffer is handed from
/// thread to thread (filled under the writer's lock, then written), never used by two at once.
final class PackBuffer: @unchecked Sendable {
    private var pointer: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    private static let alignment = 4096

    init(capacity: Int) {
        self.capacity = max(capacity, Self.alignment)
        pointer = Self.allocate(self.capacity)
    }

    private static func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        var memory: UnsafeMutableRawPointer?
        precondition(posix_memalign(&memory, alignment, size) == 0, "out of memory for a pack of \(size) bytes")
        return memory!
    }

    deinit { free(pointer) }

    var isEmpty: Bool { count == 0 }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if count + bytes.count > capacity {
            let grown = max(capacity + capacity / 2, count + bytes.count)
            let moved = Self.allocate(grown)
            moved.copyMemory(from: pointer, byteCount: count)
            free(pointer)
            pointer = moved
            capacity = grown
        }
        (pointer + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    func append(_ data: Data) { data.withUnsafeBytes { append($0) } }

    /// Empties the buffer, keeping its memory.
    func removeAll() { count = 0 }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Lends the bytes as `Data` without copying them; the `Data` must not outlive `body`
    /// (`ObjectStore.put` keeps nothing after it returns).
    func withData<R>(_ body: (Data) throws -> R) rethrows -> R {
        try body(Data(bytesNoCopy: pointer, count: count, deallocator: .none))
    }
}
