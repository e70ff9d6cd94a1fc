import COpenSSL
import Foundation

/// Hashing, MACs, AES-256-GCM, scrypt and randomness, all through OpenSSL 3 EVP so that
/// SHA-NI and AES-NI are used where the CPU has them.
public enum Crypto {
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> Digest32 {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = EVP_Digest(bytes.baseAddress, bytes.count, &out, &length, EVP_sha256(), nil)
        precondition(ok == 1, "EVP_Digest failed")
        return out.withUnsafeBytes { Digest32(bytes: $0) }
    }

    public static func sha256(_ data: Data) -> Digest32 {
        data.withUnsafeBytes { sha256($0) }
    }

    public static func hmacSHA256(key: Data, _ bytes: UnsafeRawBufferPointer) -> Digest32 {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                 bytes.count, &out, &length)
        }
        precondition(result != nil, "HMAC failed")
        return out.withUnsafeBytes { Digest32(bytes: $0) }
    }

    public static func randomBytes(_ count: Int) -> Data {
        var data = Data(count: count)
        let ok = data.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed: no entropy available")
        return data
    }

    /// scrypt key derivation (RFC 7914).
    public static func scrypt(password: Data, salt: Data, n: UInt64, r: UInt64, p: UInt64, length: Int = 32) throws -> Data {
        var key = Data(count: length)
        // OpenSSL refuses parameters needing more than maxmem; allow what the parameters need.
        let maxmem = 128 * r * n * p + 64 * 1024 * 1024
        let ok = key.withUnsafeMutableBytes { k in
            password.withUnsafeBytes { pw in
                salt.withUnsafeBytes { s in
                    EVP_PBE_scrypt(pw.baseAddress?.assumingMemoryBound(to: CChar.self), pw.count,
                                   s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                                   n, r, p, maxmem, k.baseAddress?.assumingMemoryBound(to: UInt8.self), length)
                }
            }
        }
        guard ok == 1 else { throw FormatError(.library, "scrypt failed with N=\(n) r=\(r) p=\(p)") }
        return key
    }
}

/// SHA-256 over bytes that arrive in pieces (a pack written as it fills).
public final class SHA256Stream: @unchecked Sendable {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()!
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    /// The digest of everything given; the stream is then spent.
    public func finish() -> Digest32 {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1, "EVP_DigestFinal_ex failed")
        return out.withUnsafeBytes { Digest32(bytes: $0) }
    }
}

/// Computes chunk IDs: HMAC-SHA-256 with the repository's ID key, or plain SHA-256 when the
/// repository is unencrypted. Keying the ID stops anyone without the key from confirming that
/// a known file is stored.
public struct ChunkIdentifier: Sendable {
    public let key: Data?

    public init(key: Data?) { self.key = key }

    public func id(of bytes: UnsafeRawBufferPointer) -> ChunkID {
        if let key { return ChunkID(Crypto.hmacSHA256(key: key, bytes)) }
        return ChunkID(Crypto.sha256(bytes))
    }

    public func id(of data: Data) -> ChunkID {
        data.withUnsafeBytes { id(of: $0) }
    }
}

/// AES-256-GCM with a random 96-bit nonce per message: output is nonce ‖ ciphertext ‖ tag.
/// The associated data binds a ciphertext to its purpose (a chunk ID, an object kind), so a
/// blob cannot be swapped for another one without detection.
public struct AESGCM: Sendable {
    public static let nonceSize = 12
    public static let tagSize = 16
    public static let overhead = nonceSize + tagSize

    private let key: Data

    public init(key: Data) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        self.key = key
    }

    public func seal(_ plaintext: UnsafeRawBufferPointer, associatedData: Data) -> Data {
        let total = plaintext.count + Self.overhead
        return Data.filling(capacity: total) { out in
            seal(plaintext, associatedData: associatedData, into: UnsafeMutableRawBufferPointer(start: out, count: total))
        }
    }

    /// Seals into `output` (at least `plaintext.count + overhead` bytes); returns the sealed size.
    /// The plaintext may already sit where its ciphertext goes, at `output` + `nonceSize`: it is
    /// then encrypted in place, which GCM allows.
    @discardableResult
    public func seal(_ plaintext: UnsafeRawBufferPointer, associatedData: Data, into output: UnsafeMutableRawBufferPointer) -> Int {
        let total = Self.nonceSize + plaintext.count + Self.tagSize
        precondition(output.count >= total, "AES-GCM output buffer too small")
        let o = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        precondition(RAND_bytes(o, Int32(Self.nonceSize)) == 1, "RAND_bytes failed: no entropy available")
        let ctx = EVP_CIPHER_CTX_new()!
        defer { EVP_CIPHER_CTX_free(ctx) }
        var ok = key.withUnsafeBytes { k in
            EVP_EncryptInit_ex2(ctx, AESGCM.cipher, k.baseAddress!.assumingMemoryBound(to: UInt8.self), o, nil)
        }
        var outLength: Int32 = 0
        if !associatedData.isEmpty {
            ok &= associatedData.withUnsafeBytes { a in
                EVP_EncryptUpdate(ctx, nil, &outLength, a.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(a.count))
            }
        }
        if plaintext.count > 0 {
            ok &= EVP_EncryptUpdate(ctx, o + Self.nonceSize, &outLength,
                                    plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count))
        }
        var finalLength: Int32 = 0
        ok &= EVP_EncryptFinal_ex(ctx, o + Self.nonceSize + plaintext.count, &finalLength)
        ok &= EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagSize), o + Self.nonceSize + plaintext.count)
        precondition(ok == 1, "AES-GCM encryption failed")
        return total
    }

    public func seal(_ plaintext: Data, associatedData: Data) -> Data {
        plaintext.withUnsafeBytes { seal($0, associatedData: associatedData) }
    }

    public func open(_ sealed: UnsafeRawBufferPointer, associatedData: Data) throws -> Data {
        guard sealed.count >= Self.overhead else {
            throw FormatError(.authenticationFailed, "ciphertext of \(sealed.count) bytes is too short")
        }
        let length = sealed.count - Self.overhead
        var plaintext = Data(count: length)
        let s = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let ok: Int32 = plaintext.withUnsafeMutableBytes { out in
            let ctx = EVP_CIPHER_CTX_new()!
            defer { EVP_CIPHER_CTX_free(ctx) }
            var ok = key.withUnsafeBytes { k in
                EVP_DecryptInit_ex2(ctx, AESGCM.cipher, k.baseAddress!.assumingMemoryBound(to: UInt8.self), s, nil)
            }
            var outLength: Int32 = 0
            if !associatedData.isEmpty {
                ok &= associatedData.withUnsafeBytes { a in
                    EVP_DecryptUpdate(ctx, nil, &outLength, a.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(a.count))
                }
            }
            if length > 0 {
                ok &= EVP_DecryptUpdate(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLength,
                                        s + Self.nonceSize, Int32(length))
            }
            let tag = UnsafeMutableRawPointer(mutating: s + Self.nonceSize + length)
            ok &= EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagSize), tag)
            var finalLength: Int32 = 0
            let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
            defer { scratch.deallocate() }
            ok &= EVP_DecryptFinal_ex(ctx, scratch, &finalLength)
            return ok
        }
        guard ok == 1 else {
            throw FormatError(.authenticationFailed, "authentication failed: data altered or wrong key")
        }
        return plaintext
    }

    public func open(_ sealed: Data, associatedData: Data) throws -> Data {
        try sealed.withUnsafeBytes { try open($0, associatedData: associatedData) }
    }

    /// Fetched once: an explicitly fetched cipher avoids a provider lookup on every message.
    nonisolated(unsafe) private static let cipher: OpaquePointer = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)!
}
