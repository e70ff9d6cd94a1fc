import Foundation
import SiloFormat

/// Passes a reader's bytes through, hashing them: the SHA-256 and size of an archive file
/// as it is imported, which identify the import (`ImportIdentity`) without a second read.
final class DigestingReader: ByteReader {
    private let source: ByteReader
    private let hash = SHA256Stream()
    private(set) var count: UInt64 = 0

    init(_ source: ByteReader) { self.source = source }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        hash.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        count += UInt64(n)
        return n
    }

    /// Reads what is left, so the digest covers the whole source even when the layers above
    /// stopped early; then the SHA-256 of everything, in hex. Call once, after the layers above
    /// have finished reading.
    func finish() throws -> String {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while try scratch.withUnsafeMutableBytes({ try read(into: $0) }) > 0 {}
        return hash.finish().hex
    }
}
