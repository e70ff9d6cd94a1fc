import Foundation

/// Secrets and choices for opening `openssl enc` archives.
public struct LegacyDecryption: Sendable {
    public var password: Data?
    /// Forced key derivation; nil tries PBKDF2 (with `iterations`), then EVP_BytesToKey SHA-256, then MD5.
    public var derivation: LegacyKeyDerivation?
    public var iterations: Int?
    public init(password: Data? = nil, derivation: LegacyKeyDerivation? = nil, iterations: Int? = nil) {
        self.password = password
        self.derivation = derivation
        self.iterations = iterations
    }
}

/// Opens an archive file as a stream of tar blocks, whatever wraps it: `openssl enc`, gzip,
/// zstd, or nothing. The content decides, not the file name.
enum ArchiveOpener {
    static func open(_ source: ByteReader, name: String, decryption: LegacyDecryption) throws -> ByteReader {
        var reader = source
        for _ in 0..<3 {
            var head = [UInt8](repeating: 0, count: 512)
            var length = 0
            while length < head.count {
                let n = try head.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[length...])) }
                if n == 0 { break }
                length += n
            }
            head.removeLast(head.count - length)
            if length == 0 { throw LegacyArchiveError(.truncated, "\(name): the file is empty") }
            switch ArchiveSniffer.kind(of: head) {
            // Decompression runs on a thread of its own, ahead of the tar parsing and chunking.
            case .gzip:
                return ReadAheadReader(try GzipReader(PrefixedReader(prefix: head, source: reader), name: name))
            case .zstd:
                return ReadAheadReader(try ZstdReader(PrefixedReader(prefix: head, source: reader), name: name))
            case .tar:
                return PrefixedReader(prefix: head, source: reader)
            case .opensslEnc:
                guard let password = decryption.password else {
                    throw LegacyArchiveError(.invalidArgument, "\(name) is encrypted with openssl enc: give its password with --legacy-password-file or SILO_LEGACY_PASSWORD")
                }
                let candidates = decryption.derivation.map { [$0] } ?? LegacyKeyDerivation.candidates(iterations: decryption.iterations)
                reader = try OpenSSLEncReader(PrefixedReader(prefix: Array(head.dropFirst(8)), source: reader), password: password,
                                              derivations: candidates, name: name)
            case nil:
                throw LegacyArchiveError(.corrupt, "\(name): not a tar archive (nor gzip, zstd or openssl enc around one)")
            }
        }
        throw LegacyArchiveError(.corrupt, "\(name): too many layers of wrapping")
    }
}
