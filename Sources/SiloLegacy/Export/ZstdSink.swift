import CZstd
import Foundation

/// zstd compression (`.tar.zst`), using libzstd's own worker threads when asked.
public final class ZstdSink: ByteSink {
    private let next: ByteSink
    private let context: OpaquePointer
    private var output: [UInt8]

    public init(_ next: ByteSink, level: Int = 3, threads: Int = 1) throws {
        self.next = next
        guard let made = ZSTD_createCCtx() else { throw LegacyArchiveError(.invalidArgument, "cannot start zstd compression") }
        context = made
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        if threads > 1 { ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(threads)) }
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    }

    deinit { ZSTD_freeCCtx(context) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size { _ = try step(&input, ZSTD_e_continue) }
    }

    public func finish() throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end) != 0 {}
        try next.finish()
    }

    private func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        let (remaining, produced) = output.withUnsafeMutableBytes { out -> (Int, Int) in
            var buffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let r = ZSTD_compressStream2(context, &buffer, &input, mode)
            return (r, buffer.pos)
        }
        if ZSTD_isError(remaining) != 0 {
            throw LegacyArchiveError(.invalidArgument, "zstd compression failed: \(String(cString: ZSTD_getErrorName(remaining)))")
        }
        if produced > 0 { try output.withUnsafeBytes { try next.write(UnsafeRawBufferPointer(rebasing: $0[..<produced])) } }
        return remaining
    }
}
