import CZlib
import Foundation

/// gzip decompression with zlib, across concatenated members (`cat a.gz b.gz`, pigz, Silo's own
/// parallel export). Anything after the last member that is not another member is an error.
final class GzipReader: ByteReader {
    private let source: ByteReader
    /// On the heap: zlib keeps a pointer back to its z_stream, which must therefore never move.
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var finished = false
    private let name: String

    init(_ source: ByteReader, name: String) throws {
        self.source = source
        self.name = name
        input = .allocate(byteCount: 1 << 20, alignment: 16)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        silo_inflate_init_gzip(stream)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out == UInt32(min(buffer.count, Int(UInt32.max))) {
            if stream.pointee.avail_in == 0 {
                let n = try source.read(into: input)
                if n == 0 { throw LegacyArchiveError(.truncated, "\(name): the gzip data ends early (truncated file?)") }
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = UInt32(n)
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                if try !nextMember() {
                    finished = true
                    return buffer.count - Int(stream.pointee.avail_out)
                }
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw LegacyArchiveError(.corrupt, "\(name): the gzip data is damaged (\(detail))")
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }

    /// After a member ends: another member follows, or the input ends (true/false); else an error.
    private func nextMember() throws -> Bool {
        if stream.pointee.avail_in == 0 {
            let n = try source.read(into: input)
            if n == 0 { return false }
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = UInt32(n)
        }
        guard stream.pointee.next_in[0] == 0x1f else {
            // GNU tar pads archives with zeros, and some writers do so after gzip too.
            if try restIsZero() { return false }
            throw LegacyArchiveError(.corrupt, "\(name): unexpected data after the end of the gzip stream")
        }
        inflateReset(stream)
        return true
    }

    private func restIsZero() throws -> Bool {
        while true {
            for i in 0..<Int(stream.pointee.avail_in) where stream.pointee.next_in[i] != 0 { return false }
            let n = try source.read(into: input)
            if n == 0 { return true }
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = UInt32(n)
        }
    }
}
