import CZstd
import Foundation

/// zstd compression with contexts reused across calls: creating a context per chunk costs
/// more than compressing a small chunk. Contexts are pooled so any thread can borrow one.
public final class Zstd: @unchecked Sendable {
    public let level: Int32
    private let lock = NSLock()
    private var compressors: [OpaquePointer] = []
    private var decompressors: [OpaquePointer] = []

    public init(level: Int) {
        self.level = Int32(level)
    }

    deinit {
        for c in compressors { ZSTD_freeCCtx(c) }
        for d in decompressors { ZSTD_freeDCtx(d) }
    }

    /// Compressed bytes, or nil when compression would not make the input smaller
    /// (media and already-compressed files are then stored raw).
    public func compress(_ input: UnsafeRawBufferPointer) -> Data? {
        let bound = ZSTD_compressBound(input.count)
        let context = lock.withLock { compressors.popLast() } ?? ZSTD_createCCtx()!
        defer { lock.withLock { compressors.append(context) } }
        var failed = false
        let output = Data.filling(capacity: bound) { out in
            let size = ZSTD_compressCCtx(context, out, bound, input.baseAddress, input.count, level)
            failed = ZSTD_isError(size) != 0 || size >= input.count
            return failed ? 0 : size
        }
        return failed ? nil : output
    }

    public func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int) throws -> Data {
        let context = lock.withLock { decompressors.popLast() } ?? ZSTD_createDCtx()!
        defer { lock.withLock { decompressors.append(context) } }
        var output = Data(count: rawLength)
        let size = output.withUnsafeMutableBytes { out in
            ZSTD_decompressDCtx(context, out.baseAddress, rawLength, input.baseAddress, input.count)
        }
        if ZSTD_isError(size) != 0 {
            throw FormatError(.malformed, "zstd: " + String(cString: ZSTD_getErrorName(size)))
        }
        guard size == rawLength else {
            throw FormatError(.malformed, "zstd produced \(size) bytes, expected \(rawLength)")
        }
        return output
    }

    public func decompress(_ input: Data, rawLength: Int) throws -> Data {
        try input.withUnsafeBytes { try decompress($0, rawLength: rawLength) }
    }
}
