import CZstd
import Foundation

/// zstd decompression (`.tar.zst`), across concatenated frames.
final class ZstdReader: ByteReader {
    private let source: ByteReader
    private let stream: OpaquePointer
    private var input: UnsafeMutableRawBufferPointer
    private var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var lastResult = 0
    private var sourceEnded = false
    private let name: String

    init(_ source: ByteReader, name: String) throws {
        self.source = source
        self.name = name
        guard let made = ZSTD_createDStream() else { throw LegacyArchiveError(.corrupt, "\(name): cannot start zstd decompression") }
        stream = made
        ZSTD_initDStream(stream)
        input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDStream(stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while output.pos == 0 {
            if inBuffer.pos == inBuffer.size {
                if sourceEnded { break }
                let n = try source.read(into: input)
                if n == 0 {
                    sourceEnded = true
                    if lastResult != 0 { throw LegacyArchiveError(.truncated, "\(name): the zstd data ends early (truncated file?)") }
                    break
                }
                inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: n, pos: 0)
            }
            let result = ZSTD_decompressStream(stream, &output, &inBuffer)
            if ZSTD_isError(result) != 0 {
                throw LegacyArchiveError(.corrupt, "\(name): the zstd data is damaged (\(String(cString: ZSTD_getErrorName(result))))")
            }
            lastResult = result
        }
        return output.pos
    }
}
