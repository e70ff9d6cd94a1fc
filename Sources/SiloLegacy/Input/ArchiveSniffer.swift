import Foundation

/// Recognises what an archive file is from its first bytes, whatever its name says.
enum ArchiveSniffer {
    enum Kind { case gzip, zstd, opensslEnc, tar }

    static func kind(of head: [UInt8]) -> Kind? {
        if head.starts(with: [0x1f, 0x8b]) { return .gzip }
        if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if head.starts(with: OpenSSLEncReader.magic) { return .opensslEnc }
        if head.count >= 512, TarHeader.checksumMatches(head) { return .tar }
        return nil
    }

    /// For choosing a key derivation: does this plaintext start like something we can import?
    static func looksLikeArchiveStart(_ plain: [UInt8]) -> Bool {
        if plain.starts(with: [0x1f, 0x8b, 0x08]) || plain.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return true }
        return plain.count >= 512 && TarHeader.checksumMatches(plain)
    }
}
