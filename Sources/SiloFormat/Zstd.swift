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
    /// (media and already-compressed files are then stored raw). With a `prefix` (the
    /// plaintext of a similar chunk, which the decompressor must be given too), what `input`
    /// shares with it costs almost nothing.
    public func compress(_ input: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer? = nil) -> Data? {
        var size: Int?
        let output = Data.filling(capacity: Self.bound(input.count)) { out in
            size = compress(input, prefix: prefix, into: UnsafeMutableRawBufferPointer(start: out, count: Self.bound(input.count)))
            return size ?? 0
        }
        return size == nil ? nil : output
    }

    /// The output room `compress(_:prefix:into:)` needs for `count` input bytes.
    public static func bound(_ count: Int) -> Int { ZSTD_compressBound(count) }

    /// Compresses into `output` (at least `bound(input.count)` bytes) and returns the
    /// compressed size, or nil when that would not be smaller than the input.
    public func compress(_ input: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer? = nil,
                         into output: UnsafeMutableRawBufferPointer) -> Int? {
        precondition(output.count >= Self.bound(input.count), "zstd output buffer too small")
        let context = lock.withLock { compressors.popLast() } ?? ZSTD_createCCtx()!
        defer { lock.withLock { compressors.append(context) } }
        let size: Int?
        if let prefix {
            // The prefix serves this one frame; the level set here is ignored by
            // ZSTD_compressCCtx, which takes its own.
            let ready = ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)) == 0
                && ZSTD_isError(ZSTD_CCtx_refPrefix(context, prefix.baseAddress, prefix.count)) == 0
            size = ready ? ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count) : nil
        } else {
            size = ZSTD_compressCCtx(context, output.baseAddress, output.count, input.baseAddress, input.count, level)
        }
        guard let size, ZSTD_isError(size) == 0, size < input.count else {
            // A failed frame must not leave its prefix to the context's next user.
            if prefix != nil { ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters) }
            return nil
        }
        return size
    }

    public func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int, prefix: UnsafeRawBufferPointer? = nil) throws -> Data {
        let context = lock.withLock { decompressors.popLast() } ?? ZSTD_createDCtx()!
        defer { lock.withLock { decompressors.append(context) } }
        if let prefix, ZSTD_isError(ZSTD_DCtx_refPrefix(context, prefix.baseAddress, prefix.count)) != 0 {
            throw FormatError(.malformed, "zstd: cannot use the base chunk")
        }
        var output = Data(count: rawLength)
        let size = output.withUnsafeMutableBytes { out in
            ZSTD_decompressDCtx(context, out.baseAddress, rawLength, input.baseAddress, input.count)
        }
        if ZSTD_isError(size) != 0 {
            ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
            throw FormatError(.malformed, "zstd: " + String(cString: ZSTD_getErrorName(size)))
        }
        guard size == rawLength else {
            throw FormatError(.malformed, "zstd produced \(size) bytes, expected \(rawLength)")
        }
        return output
    }

    public func decompress(_ input: Data, rawLength: Int, prefix: Data? = nil) throws -> Data {
        try input.withUnsafeBytes { raw in
            guard let prefix else { return try decompress(raw, rawLength: rawLength) }
            return try prefix.withUnsafeBytes { try decompress(raw, rawLength: rawLength, prefix: $0) }
        }
    }
}
