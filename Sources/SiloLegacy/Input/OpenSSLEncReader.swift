import COpenSSL
import Foundation

/// How `openssl enc` turned the password into key and IV.
public enum LegacyKeyDerivation: Sendable, Equatable {
    /// `-pbkdf2` (PBKDF2-HMAC-SHA-256; `-iter`, default 10000).
    case pbkdf2(iterations: Int)
    /// No `-pbkdf2`: `EVP_BytesToKey` with one iteration of SHA-256 (OpenSSL ≥ 1.1 default).
    case bytesToKeySHA256
    /// …or of MD5 (OpenSSL ≤ 1.0, or `-md md5`).
    case bytesToKeyMD5

    /// The candidates tried, in order, when the archive does not say.
    static func candidates(iterations: Int?) -> [LegacyKeyDerivation] {
        [.pbkdf2(iterations: iterations ?? 10000), .bytesToKeySHA256, .bytesToKeyMD5]
    }
}

/// Decrypts `openssl enc -aes-256-cbc -salt` output: `Salted__`, an 8-byte salt, then CBC with
/// PKCS#7 padding. The key derivation is not recorded in the file, so each candidate is tried
/// on the first blocks and the one whose plaintext looks like gzip, zstd or tar is kept; none
/// means a wrong password. The padding checked at the end catches what the sniff missed.
final class OpenSSLEncReader: ByteReader {
    private let source: ByteReader
    private let context: OpaquePointer
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var finished = false
    private var cipherBuffer: UnsafeMutableRawBufferPointer
    private let name: String
    let derivation: LegacyKeyDerivation

    static let magic = Array("Salted__".utf8)

    /// `source` is positioned after the 8-byte `Salted__` magic.
    init(_ source: ByteReader, password: Data, derivations: [LegacyKeyDerivation], name: String) throws {
        self.source = source
        self.name = name
        cipherBuffer = .allocate(byteCount: 1 << 20, alignment: 16)
        var salt = [UInt8](repeating: 0, count: 8)
        guard try salt.withUnsafeMutableBytes({ try source.readFully(into: $0) }) else {
            throw LegacyArchiveError(.truncated, "\(name): too short for an openssl enc file")
        }
        // Enough ciphertext to recognise a tar header (512 bytes) and more.
        var head = [UInt8](repeating: 0, count: 1024)
        var headLength = 0
        while headLength < head.count {
            let n = try head.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[headLength...])) }
            if n == 0 { break }
            headLength += n
        }
        head.removeLast(head.count - headLength)
        guard headLength >= 16, headLength % 16 == 0 || headLength == 1024 else {
            throw LegacyArchiveError(.corrupt, "\(name): not a whole number of AES blocks; truncated or not openssl enc output")
        }
        var chosen: (LegacyKeyDerivation, [UInt8], [UInt8])?
        for derivation in derivations {
            let (key, iv) = try Self.derive(password, salt: salt, derivation)
            // Without the final block: its padding cannot be checked yet.
            let sample = Self.decryptPrefix(Array(head.prefix(headLength == 1024 ? 1024 : max(0, headLength - 16))), key: key, iv: iv)
            if ArchiveSniffer.looksLikeArchiveStart(sample) {
                chosen = (derivation, key, iv)
                break
            }
        }
        guard let (derivation, key, iv) = chosen else {
            cipherBuffer.deallocate()
            throw LegacyArchiveError(.wrongPassword, "\(name): wrong legacy password (or an unusual key derivation: try --legacy-kdf and --legacy-iter)")
        }
        self.derivation = derivation
        context = EVP_CIPHER_CTX_new()
        guard EVP_DecryptInit_ex2(context, EVP_aes_256_cbc(), key, iv, nil) == 1 else {
            throw LegacyArchiveError(.corrupt, "\(name): cannot start AES-256-CBC")  // deinit frees the rest
        }
        try feed(head)
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        cipherBuffer.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pendingOffset == pending.count {
            if finished { return 0 }
            let n = try source.read(into: cipherBuffer)
            if n == 0 {
                var last = [UInt8](repeating: 0, count: 32)
                var length: Int32 = 0
                guard EVP_DecryptFinal_ex(context, &last, &length) == 1 else {
                    throw LegacyArchiveError(.wrongPassword, "\(name): bad padding at the end: wrong legacy password, or the file is damaged or truncated")
                }
                pending = Array(last.prefix(Int(length)))
                pendingOffset = 0
                finished = true
            } else {
                try feed(UnsafeRawBufferPointer(rebasing: cipherBuffer[..<n]))
            }
        }
        let n = min(buffer.count, pending.count - pendingOffset)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pendingOffset, byteCount: n) }
        pendingOffset += n
        return n
    }

    private func feed<Bytes: ContiguousBytes>(_ ciphertext: Bytes) throws {
        try ciphertext.withUnsafeBytes { raw in
            pending = [UInt8](repeating: 0, count: raw.count + 32)
            var length: Int32 = 0
            guard EVP_DecryptUpdate(context, &pending, &length, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(raw.count)) == 1 else {
                throw LegacyArchiveError(.corrupt, "\(name): decryption failed")
            }
            pending.removeLast(pending.count - Int(length))
            pendingOffset = 0
        }
    }

    static func derive(_ password: Data, salt: [UInt8], _ derivation: LegacyKeyDerivation) throws -> (key: [UInt8], iv: [UInt8]) {
        var material = [UInt8](repeating: 0, count: 48)
        let ok: Int32 = password.withUnsafeBytes { pw in
            let pwPointer = pw.baseAddress?.assumingMemoryBound(to: CChar.self)
            switch derivation {
            case .pbkdf2(let iterations):
                return PKCS5_PBKDF2_HMAC(pwPointer, Int32(pw.count), salt, 8, Int32(iterations), EVP_sha256(), 48, &material)
            case .bytesToKeySHA256, .bytesToKeyMD5:
                var key = [UInt8](repeating: 0, count: 32), iv = [UInt8](repeating: 0, count: 16)
                let digest = derivation == .bytesToKeyMD5 ? EVP_md5() : EVP_sha256()
                let made = EVP_BytesToKey(EVP_aes_256_cbc(), digest, salt, pw.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(pw.count), 1, &key, &iv)
                material = key + iv
                return made == 32 ? 1 : 0
            }
        }
        guard ok == 1 else { throw LegacyArchiveError(.corrupt, "key derivation failed") }
        return (Array(material[0..<32]), Array(material[32..<48]))
    }

    /// Decrypts whole blocks without padding checks (for recognising the plaintext).
    static func decryptPrefix(_ ciphertext: [UInt8], key: [UInt8], iv: [UInt8]) -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { return [] }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_DecryptInit_ex2(context, EVP_aes_256_cbc(), key, iv, nil) == 1 else { return [] }
        EVP_CIPHER_CTX_set_padding(context, 0)
        var out = [UInt8](repeating: 0, count: ciphertext.count + 32)
        var length: Int32 = 0
        guard EVP_DecryptUpdate(context, &out, &length, ciphertext, Int32(ciphertext.count)) == 1 else { return [] }
        return Array(out.prefix(Int(length)))
    }
}
