import Foundation

/// The repository's secrets, created once by `init` and never changed: adding or removing a
/// password only re-wraps these, so data is never re-encrypted.
public struct MasterKeys: Codable, Sendable, Equatable {
    /// AES-256-GCM key for chunks, trees, packs' trailers, index files and snapshots.
    public var encryption: Data
    /// HMAC-SHA-256 key for chunk IDs.
    public var chunkID: Data
    /// Seed of the chunker's gear table.
    public var chunkerSeed: Data

    public init(encryption: Data, chunkID: Data, chunkerSeed: Data) {
        self.encryption = encryption
        self.chunkID = chunkID
        self.chunkerSeed = chunkerSeed
    }

    /// New random keys; `chunkerSeed` given to cut chunks exactly as another repository does
    /// (`init --copy-chunker-params`), so that copies between them deduplicate.
    public static func random(chunkerSeed: Data? = nil) -> MasterKeys {
        MasterKeys(encryption: Crypto.randomBytes(32), chunkID: Crypto.randomBytes(32), chunkerSeed: chunkerSeed ?? Crypto.randomBytes(32))
    }
}

/// Seals whole objects (snapshots, index files, pack trailers, config settings) or leaves them
/// plain in an unencrypted repository. The associated data names the object's kind, so an
/// index file cannot be passed off as a snapshot.
public struct ObjectSealer: Sendable {
    public let cipher: AESGCM?

    public init(keys: MasterKeys?) {
        cipher = keys.map { AESGCM(key: $0.encryption) }
    }

    public var overhead: Int { cipher == nil ? 0 : AESGCM.overhead }

    public func seal(_ plaintext: Data, kind: String) -> Data {
        guard let cipher else { return plaintext }
        return cipher.seal(plaintext, associatedData: Data(kind.utf8))
    }

    public func open(_ sealed: Data, kind: String) throws -> Data {
        guard let cipher else { return sealed }
        return try cipher.open(sealed, associatedData: Data(kind.utf8))
    }
}
