import Foundation

/// What a blob holds: file content or a tree (directory listing).
public enum BlobType: UInt8, Codable, Sendable {
    case data = 0
    case tree = 1
}

/// How a blob's plaintext was stored.
public enum Compression: UInt8, Codable, Sendable {
    case none = 0
    case zstd = 1
    /// zstd with the plaintext of another chunk, the entry's `base`, as reference prefix: a
    /// new version of a database dump's chunk costs little more than what changed.
    case zstdDelta = 2
}

/// A blob ready to go into a pack.
public struct EncodedBlob: Sendable {
    public let id: ChunkID
    public let type: BlobType
    public let compression: Compression
    public let rawLength: Int
    public let stored: Data
    /// The chunk whose plaintext a `zstdDelta` blob was compressed against.
    public let base: ChunkID?

    public init(id: ChunkID, type: BlobType, compression: Compression, rawLength: Int, stored: Data, base: ChunkID? = nil) {
        self.id = id
        self.type = type
        self.compression = compression
        self.rawLength = rawLength
        self.stored = stored
        self.base = base
    }
}

/// Turns plaintext into stored bytes and back: compress (skipped when it does not shrink),
/// then seal with AES-256-GCM using the chunk ID as associated data. Decoding verifies the
/// authentication tag and then the chunk ID of the plaintext, so no byte is used unverified.
public struct BlobCodec: Sendable {
    public let identifier: ChunkIdentifier
    public let cipher: AESGCM?
    public let zstd: Zstd
    /// Deltas use at least level 6: from there zstd searches the base for long matches well
    /// enough to store a new version of a dump's chunk in about a quarter less than at level 3
    /// (measured on pgbench dumps), and deltas are few and small.
    private let deltaZstd: Zstd

    public init(keys: MasterKeys?, compressionLevel: Int) {
        identifier = ChunkIdentifier(key: keys?.chunkID)
        cipher = keys.map { AESGCM(key: $0.encryption) }
        zstd = Zstd(level: compressionLevel)
        deltaZstd = compressionLevel >= 6 ? zstd : Zstd(level: 6)
    }

    /// Compresses (when that shrinks it) and seals `plaintext` into bytes of its own.
    public func encode(_ plaintext: UnsafeRawBufferPointer, id: ChunkID, type: BlobType) -> EncodedBlob {
        let buffers = EncodingBuffers()
        return withExtendedLifetime(buffers) {
            let lent = encode(plaintext, id: id, type: type, using: buffers)
            return EncodedBlob(id: id, type: type, compression: lent.compression, rawLength: lent.rawLength,
                               stored: lent.stored.withUnsafeBytes { Data($0) })
        }
    }

    /// Like `encode(_:id:type:)`, but made in `buffers`: the blob's `stored` bytes are only
    /// lent, valid until `buffers` is used again. The chunk is compressed where its ciphertext
    /// goes (after the nonce) and sealed in place.
    public func encode(_ plaintext: UnsafeRawBufferPointer, id: ChunkID, type: BlobType, using buffers: EncodingBuffers) -> EncodedBlob {
        let bound = Zstd.bound(plaintext.count)
        let room = buffers.room(bound + AESGCM.overhead)
        let payload = room.baseAddress! + (cipher == nil ? 0 : AESGCM.nonceSize)
        let compressedCount = zstd.compress(plaintext, into: UnsafeMutableRawBufferPointer(start: payload, count: bound))
        if compressedCount == nil, plaintext.count > 0 {
            payload.copyMemory(from: plaintext.baseAddress!, byteCount: plaintext.count)
        }
        let payloadCount = compressedCount ?? plaintext.count
        let storedCount = cipher.map {
            $0.seal(UnsafeRawBufferPointer(start: payload, count: payloadCount), associatedData: id.digest.data, into: room)
        } ?? payloadCount
        return EncodedBlob(id: id, type: type, compression: compressedCount == nil ? .none : .zstd, rawLength: plaintext.count,
                           stored: Data(bytesNoCopy: room.baseAddress!, count: storedCount, deallocator: .none))
    }

    /// Encodes `plaintext` as a delta against the plaintext of chunk `baseID`; nil when that
    /// does not shrink it (the caller then encodes it whole, raw if need be).
    public func encodeDelta(_ plaintext: UnsafeRawBufferPointer, id: ChunkID, type: BlobType,
                            base: Data, baseID: ChunkID) -> EncodedBlob? {
        guard let compressed = base.withUnsafeBytes({ deltaZstd.compress(plaintext, prefix: $0) }) else { return nil }
        let stored = cipher.map { cipher in compressed.withUnsafeBytes { cipher.seal($0, associatedData: id.digest.data) } } ?? compressed
        return EncodedBlob(id: id, type: type, compression: .zstdDelta, rawLength: plaintext.count, stored: stored, base: baseID)
    }

    public func encode(_ plaintext: Data, type: BlobType) -> EncodedBlob {
        plaintext.withUnsafeBytes { encode($0, id: identifier.id(of: $0), type: type) }
    }

    /// The verified plaintext; `base` is the base chunk's plaintext, needed for `zstdDelta`.
    public func decode(_ stored: Data, id: ChunkID, compression: Compression, rawLength: Int, base: Data? = nil) throws -> Data {
        var payload = stored
        if let cipher {
            do {
                payload = try cipher.open(stored, associatedData: id.digest.data)
            } catch {
                throw FormatError(.authenticationFailed, "chunk \(id.shortHex): authentication failed (data damaged or altered)")
            }
        }
        let plaintext: Data
        switch compression {
        case .none: plaintext = payload
        case .zstd: plaintext = try zstd.decompress(payload, rawLength: rawLength)
        case .zstdDelta:
            guard let base else { throw FormatError(.malformed, "chunk \(id.shortHex): a delta chunk needs its base") }
            plaintext = try zstd.decompress(payload, rawLength: rawLength, prefix: base)
        }
        guard plaintext.count == rawLength, identifier.id(of: plaintext) == id else {
            throw FormatError(.hashMismatch, "chunk \(id.shortHex): content does not match its ID")
        }
        return plaintext
    }
}
