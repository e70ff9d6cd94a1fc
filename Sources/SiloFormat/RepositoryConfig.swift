import Foundation

/// Algorithms and parameters of a repository, recorded by stable names so that every client
/// (and every future version) reads the repository the same way. Sealed in encrypted
/// repositories so that nobody without a key can change them (e.g. downgrade encryption).
public struct RepositorySettings: Codable, Sendable, Equatable {
    public var chunkIDAlgorithm: String
    public var compression: String
    public var compressionLevel: Int
    public var chunker: String
    public var chunkerProfiles: [String: ChunkerProfile]
    public var packTargetSize: Int
    /// Only in unencrypted repositories, which have no key files to hold it.
    public var chunkerSeed: Data?

    public init(encrypted: Bool, compressionLevel: Int = 3, packTargetSize: Int = 16 << 20, chunkerSeed: Data?) {
        chunkIDAlgorithm = encrypted ? "hmac-sha256" : "sha256"
        compression = "zstd"
        self.compressionLevel = compressionLevel
        chunker = "fastcdc-nc2"
        chunkerProfiles = ["files": .files, "database": .database]
        self.packTargetSize = packTargetSize
        self.chunkerSeed = chunkerSeed
    }

    enum CodingKeys: String, CodingKey {
        case chunkIDAlgorithm = "chunk_id", compression, compressionLevel = "compression_level", chunker
        case chunkerProfiles = "chunker_profiles", packTargetSize = "pack_target_size", chunkerSeed = "chunker_seed"
    }
}

/// The `config` object: readable without a key so that a client can tell a repository, its
/// format version and whether it needs a password before asking for one.
public struct RepositoryConfig: Codable, Sendable, Equatable {
    /// The repository format version this program writes and reads.
    public static let currentVersion = 1
    static let settingsKind = "silo.settings"

    public var version: Int
    public var id: String
    public var created: String
    /// "aes-256-gcm" or "none".
    public var encryption: String
    /// Settings JSON, sealed with the master key in encrypted repositories.
    public var settings: Data

    enum CodingKeys: String, CodingKey {
        case version = "silo_repository_version", id, created, encryption, settings
    }

    public var isEncrypted: Bool { encryption != "none" }

    public init(id: String, created: String, encrypted: Bool, settings: RepositorySettings, sealer: ObjectSealer) {
        version = RepositoryConfig.currentVersion
        self.id = id
        self.created = created
        encryption = encrypted ? "aes-256-gcm" : "none"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.settings = sealer.seal(try! encoder.encode(settings), kind: RepositoryConfig.settingsKind)
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try! encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> RepositoryConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let version = object["silo_repository_version"] as? Int
        else { throw FormatError(.malformed, "config is not a Silo repository config") }
        guard version <= currentVersion else {
            throw FormatError(.unsupportedVersion,
                              "repository format version \(version) is newer than this silo supports (\(currentVersion)); upgrade silo")
        }
        let config: RepositoryConfig
        do {
            config = try JSONDecoder().decode(RepositoryConfig.self, from: data)
        } catch {
            throw FormatError(.malformed, "config does not parse: \(error)")
        }
        // The ID names the cache folder: anything but 32 hex digits could lead outside it.
        guard config.id.utf8.count == 32, config.id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw FormatError(.malformed, "config id is not 32 lowercase hex digits")
        }
        return config
    }

    public func openSettings(sealer: ObjectSealer) throws -> RepositorySettings {
        let plain = try sealer.open(settings, kind: RepositoryConfig.settingsKind)
        do {
            return try JSONDecoder().decode(RepositorySettings.self, from: plain)
        } catch {
            throw FormatError(.malformed, "repository settings do not parse: \(error)")
        }
    }
}

/// A key file: the master keys wrapped by a key derived from one password with scrypt.
/// Several key files can open one repository; each is independent.
public struct KeyFile: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    static let kind = "silo.key"

    public var version: Int
    public var kdf: String
    public var n: UInt64
    public var r: UInt64
    public var p: UInt64
    public var salt: Data
    public var created: String
    public var host: String
    public var username: String
    /// MasterKeys JSON sealed with the derived key.
    public var keys: Data

    /// scrypt parameters: N=2^14, r=8, p=1 (scrypt's recommendation for interactive use) costs
    /// 16 MiB and about 50 ms here, paid by every command; restic's calibrated default costs
    /// about ten times that. Parameters are recorded per key file, so they can be raised later.
    public static let defaultN: UInt64 = 1 << 14

    /// The most work a key file may ask of every command that opens the repository: N up to
    /// 2^17, eight times the default (128 MiB and about 0.75 s here), r up to 8 and p up to 1,
    /// what silo writes. Whoever can write to `keys/` can plant a key file, and one asking for
    /// N=2^20 made every open take 5 s and 1 GiB whatever the password; a key file beyond the
    /// limits is never derived.
    public static let maxN: UInt64 = 1 << 17
    public static let maxR: UInt64 = 8
    public static let maxP: UInt64 = 1

    /// Why this key file is never tried (its scrypt parameters are invalid or beyond the
    /// limits), or nil.
    public var parameterProblem: String? {
        guard n >= 2, n & (n - 1) == 0, r >= 1, p >= 1 else {
            return "asks for scrypt N=\(n), r=\(r), p=\(p), which scrypt does not accept"
        }
        guard n <= Self.maxN, r <= Self.maxR, p <= Self.maxP else {
            return "asks for scrypt N=\(n), r=\(r), p=\(p), above the limit N=\(Self.maxN), r=\(Self.maxR), p=\(Self.maxP)"
        }
        return nil
    }

    public static func create(password: Data, keys master: MasterKeys, created: String, host: String, username: String,
                              n: UInt64 = defaultN) throws -> KeyFile {
        guard n >= 2, n & (n - 1) == 0, n <= maxN else {
            throw FormatError(.malformed, "scrypt N=\(n) is not a power of two up to \(maxN), which is all a key file may ask for")
        }
        let salt = Crypto.randomBytes(32)
        let wrapping = try Crypto.scrypt(password: password, salt: salt, n: n, r: 8, p: 1)
        let plain = try JSONEncoder().encode(master)
        let sealed = AESGCM(key: wrapping).seal(plain, associatedData: Data(kind.utf8))
        return KeyFile(version: currentVersion, kdf: "scrypt", n: n, r: 8, p: 1, salt: salt, created: created,
                       host: host, username: username, keys: sealed)
    }

    /// The master keys, or nil when the password is not this key's, or when the key file's
    /// scrypt parameters are beyond the limits (`parameterProblem` says so; nothing is derived).
    public func open(password: Data) throws -> MasterKeys? {
        guard version == KeyFile.currentVersion, kdf == "scrypt" else {
            throw FormatError(.unsupportedVersion, "key file version \(version) with KDF \(kdf) is not supported")
        }
        // nil rather than an error: a planted key file must not stop the others being tried.
        guard parameterProblem == nil else { return nil }
        let wrapping = try Crypto.scrypt(password: password, salt: salt, n: n, r: r, p: p)
        guard let plain = try? AESGCM(key: wrapping).open(keys, associatedData: Data(KeyFile.kind.utf8)) else {
            return nil
        }
        do {
            return try JSONDecoder().decode(MasterKeys.self, from: plain)
        } catch {
            throw FormatError(.malformed, "key file content does not parse")
        }
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try! encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> KeyFile {
        do {
            return try JSONDecoder().decode(KeyFile.self, from: data)
        } catch {
            throw FormatError(.malformed, "key file does not parse")
        }
    }
}
