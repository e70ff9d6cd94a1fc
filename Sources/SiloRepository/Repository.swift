import Foundation
import SiloFormat
import SiloStorage

/// An open repository: its config, keys and codecs, the object store, and the local catalog.
public final class Repository: @unchecked Sendable {
    public let store: ObjectStore
    public let config: RepositoryConfig
    public let settings: RepositorySettings
    public let keys: MasterKeys?
    public let sealer: ObjectSealer
    public let codec: BlobCodec
    package let catalog: Catalog
    /// The key file the password opened (nil when unencrypted).
    public let openedKey: KeyID?
    /// Damaged objects met so far (`findings`): recorded, not fatal.
    let findingsLog = FindingsLog()

    init(store: ObjectStore, config: RepositoryConfig, settings: RepositorySettings, keys: MasterKeys?,
         catalog: Catalog, openedKey: KeyID?) {
        self.store = store
        self.config = config
        self.settings = settings
        self.keys = keys
        self.sealer = ObjectSealer(keys: keys)
        self.codec = BlobCodec(keys: keys, compressionLevel: settings.compressionLevel)
        self.catalog = catalog
        self.openedKey = openedKey
    }

    public var isEncrypted: Bool { keys != nil }

    // MARK: init and open

    public struct InitOptions: Sendable {
        public var encrypted = true
        public var compressionLevel = 3
        public var packTargetSize = 16 << 20
        public var scryptN = KeyFile.defaultN
        /// The chunker seed of another repository, to cut chunks as it does; random when nil.
        public var chunkerSeed: Data?
        public init() {}
    }

    /// Creates a repository in an empty location. Refuses a location that already has a config.
    @discardableResult
    public static func initialize(store: ObjectStore, password: Data?, options: InitOptions = InitOptions(),
                                  cacheRoot: String) throws -> Repository {
        do {
            if try store.exists(ObjectKeys.config) {
                throw RepositoryError(.alreadyExists, "a repository already exists at \(store.location)")
            }
            let master: MasterKeys? = options.encrypted ? MasterKeys.random(chunkerSeed: options.chunkerSeed) : nil
            if options.encrypted && (password ?? Data()).isEmpty {
                throw RepositoryError(.invalidArgument, "an empty password is not allowed; set SILO_PASSWORD or use --password-file")
            }
            let settings = RepositorySettings(encrypted: options.encrypted, compressionLevel: options.compressionLevel,
                                              packTargetSize: options.packTargetSize,
                                              chunkerSeed: options.encrypted ? nil : options.chunkerSeed ?? Crypto.randomBytes(32))
            let sealer = ObjectSealer(keys: master)
            let config = RepositoryConfig(id: Crypto.randomBytes(16).map { String(format: "%02x", $0) }.joined(),
                                          created: Timestamp.iso8601(Date()), encrypted: options.encrypted,
                                          settings: settings, sealer: sealer)
            var keyID: KeyID?
            if let master, let password {
                let keyFile = try KeyFile.create(password: password, keys: master, created: Timestamp.iso8601(Date()),
                                                 host: Host.name, username: Host.user, n: options.scryptN)
                let data = keyFile.encoded()
                keyID = KeyID(Crypto.sha256(data))
                try store.put(ObjectKeys.key(keyID!), data: data)
            }
            // The config goes last: until it exists the location is not a repository.
            try store.put(ObjectKeys.config, data: config.encoded())
            let (catalog, _) = try openCatalog(config: config, cacheRoot: cacheRoot)
            return Repository(store: store, config: config, settings: settings, keys: master, catalog: catalog, openedKey: keyID)
        } catch {
            throw RepositoryError.wrap(error, context: "init")
        }
    }

    /// Reads the config without a password: tells a missing location, a foreign one and a
    /// newer format apart before asking anything of the user.
    public static func readConfig(store: ObjectStore) throws -> RepositoryConfig {
        if let root = store.localRoot {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw RepositoryError(.notARepository, "\(store.location) is a file, not a Silo repository")
            }
        }
        let data: Data
        do {
            data = try store.get(ObjectKeys.config)
        } catch let error as StorageError where error.code == .notFound {
            let anything: [String]
            do {
                anything = try store.list(prefix: "")
            } catch let missing as StorageError where missing.code == .notFound {
                // The container itself is missing (an S3 bucket): say so, as `init` does.
                throw RepositoryError(.repositoryNotFound, "repository \(store.location) does not exist: \(missing)")
            } catch {
                anything = []
            }
            if anything.isEmpty, let root = store.localRoot, !FileManager.default.fileExists(atPath: root) {
                throw RepositoryError(.repositoryNotFound, "repository \(store.location) does not exist; create it with `silo init`")
            }
            throw RepositoryError(.notARepository, "\(store.location) is not a Silo repository (it has no config)")
        } catch {
            throw RepositoryError.wrap(error, context: "reading the config")
        }
        do {
            return try RepositoryConfig.decode(data)
        } catch let error as FormatError where error.code == .unsupportedVersion {
            throw RepositoryError(.unsupportedVersion, "\(store.location): \(error.message)")
        } catch {
            throw RepositoryError(.notARepository, "\(store.location) is not a Silo repository (its config does not parse: \(error))")
        }
    }

    public static func needsPassword(store: ObjectStore) throws -> Bool {
        try readConfig(store: store).isEncrypted
    }

    public static func open(store: ObjectStore, password: Data?, cacheRoot: String) throws -> Repository {
        let config = try readConfig(store: store)
        var opened: OpenedKey?
        if config.isEncrypted {
            guard let password, !password.isEmpty else {
                throw RepositoryError(.wrongPassword, "this repository is encrypted: give its password with SILO_PASSWORD or --password-file")
            }
            opened = try openKey(store: store, password: password)
        }
        let sealer = ObjectSealer(keys: opened?.keys)
        let settings: RepositorySettings
        do {
            settings = try config.openSettings(sealer: sealer)
        } catch {
            throw RepositoryError(.integrity, "the repository settings fail authentication: \(error)")
        }
        var setAside: RepositoryFinding?
        func make() throws -> Repository {
            let (catalog, finding) = try openCatalog(config: config, cacheRoot: cacheRoot)
            setAside = finding ?? setAside
            return Repository(store: store, config: config, settings: settings, keys: opened?.keys, catalog: catalog, openedKey: opened?.id)
        }
        var repository = try make()
        do {
            try repository.syncCatalog()
        } catch let error as RepositoryError where Catalog.isDamage(error) {
            // A catalog that opened but whose pages are damaged (a truncated file): a cache,
            // so it is set aside and rebuilt rather than failing every command.
            try setAsideCatalog(at: repository.catalog.path, reason: error.message, finding: &setAside)
            repository = try make()
            try repository.syncCatalog()
        }
        for finding in (opened?.findings ?? []) + [setAside].compactMap({ $0 }) { repository.findingsLog.record(finding) }
        return repository
    }

    /// The catalog holds file names, owners and paths in plaintext (FORMAT.md §12): its folder
    /// is made private (0700) even when it existed before, and its files 0600. A file there that
    /// is not a catalog (damaged, truncated, foreign) is set aside beside it and a new catalog made:
    /// the catalog is a cache of the repository, never a reason to stop.
    static func openCatalog(config: RepositoryConfig, cacheRoot: String) throws -> (Catalog, RepositoryFinding?) {
        let directory = cacheRoot + "/" + config.id
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw RepositoryError(.catalog, "cannot create the cache directory \(directory): \(error.localizedDescription)")
        }
        var st = stat()
        guard lstat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw RepositoryError(.catalog, "the cache directory \(directory) is not a directory; remove it or choose another with --cache-dir")
        }
        if st.st_mode & 0o077 != 0 && (st.st_uid != geteuid() || chmod(directory, 0o700) != 0) {
            throw RepositoryError(.catalog, "the cache directory \(directory) can be read by other users and cannot be made private; run `chmod 700` on it or choose another with --cache-dir")
        }
        let path = directory + "/catalog.sqlite"
        for file in [path, path + "-wal", path + "-shm"] { _ = chmod(file, 0o600) }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        do {
            return (try Catalog(path: path), nil)
        } catch let error as RepositoryError where Catalog.isDamage(error) {
            var finding: RepositoryFinding?
            try setAsideCatalog(at: path, reason: error.message, finding: &finding)
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
            return (try Catalog(path: path), finding)
        }
    }

    /// Moves a damaged catalog (and its WAL files) to `catalog.sqlite.damaged`, replacing an
    /// older one set aside there, so the user can still look at it.
    static func setAsideCatalog(at path: String, reason: String, finding: inout RepositoryFinding?) throws {
        let aside = path + ".damaged"
        for suffix in ["", "-wal", "-shm"] {
            _ = unlink(aside + suffix)
            if rename(path + suffix, aside + suffix) != 0 && errno != ENOENT {
                throw RepositoryError(.catalog, "the local catalog \(path) is damaged (\(reason)) and cannot be moved aside: \(String(cString: strerror(errno))); delete it, it is only a cache")
            }
        }
        // SQLite's own words, without the statement that met them.
        let cause = reason.components(separatedBy: ": ").last ?? reason
        finding = RepositoryFinding(kind: .catalog, key: path,
                                    message: "the local catalog \(path) was damaged (\(cause)); it was set aside as \(aside) and rebuilt from the repository")
    }

    // MARK: reading

    public func loadBlob(_ id: ChunkID) throws -> Data {
        guard let location = try catalog.location(of: id) else {
            throw RepositoryError(.integrity, "chunk \(id.shortHex) is missing from the index")
        }
        return try loadBlob(at: location)
    }

    /// Delta chains are at most this long (FORMAT.md §6); longer ones are refused as damage,
    /// which also stops a cycle of bases.
    public static let maxDeltaDepth = 32

    public func loadBlob(at location: ChunkLocation) throws -> Data {
        try loadBlob(at: location, depth: 0)
    }

    /// The plaintext of a delta blob's base (which may itself be a delta); nil for other blobs.
    public func basePlaintext(of entry: PackEntry, depth: Int = 0) throws -> Data? {
        guard entry.compression == .zstdDelta else { return nil }
        guard let base = entry.base else {
            throw RepositoryError(.integrity, "delta chunk \(entry.id.shortHex) names no base")
        }
        guard depth < Self.maxDeltaDepth else {
            throw RepositoryError(.integrity, "chunk \(entry.id.shortHex): its chain of delta bases is longer than \(Self.maxDeltaDepth)")
        }
        guard let location = try catalog.location(of: base) else {
            throw RepositoryError(.integrity, "chunk \(base.shortHex), the base of \(entry.id.shortHex), is missing from the index")
        }
        return try loadBlob(at: location, depth: depth + 1)
    }

    private func loadBlob(at location: ChunkLocation, depth: Int) throws -> Data {
        let e = location.entry
        let stored: Data
        do {
            stored = try store.get(ObjectKeys.pack(location.pack), offset: UInt64(e.offset), length: Int(e.length))
        } catch {
            throw RepositoryError.wrap(error, context: "reading chunk \(e.id.shortHex) from pack \(location.pack.shortHex)")
        }
        let base = try basePlaintext(of: e, depth: depth)
        do {
            return try codec.decode(stored, id: e.id, compression: e.compression, rawLength: Int(e.rawLength), base: base)
        } catch {
            throw RepositoryError(.integrity, "chunk \(e.id.shortHex) in pack \(location.pack.shortHex) is damaged: \(error)")
        }
    }

    /// A tree, from the catalog's cache when allowed (`check` reads the repository itself).
    /// The catalog is a cache, never a source of truth: a cached tree counts only when it
    /// hashes to its ID (a keyed hash when encrypted), else the repository's copy is read and
    /// replaces it. Prune decides liveness from these trees.
    public func loadTree(_ id: ChunkID, useCache: Bool = true) throws -> Tree {
        if useCache, let cached = try catalog.cachedTree(id) {
            if codec.identifier.id(of: cached) == id, let tree = try? Tree.decode(cached) { return tree }
            try catalog.dropCachedTree(id)
        }
        let body = try loadBlob(id)
        let tree: Tree
        do {
            tree = try Tree.decode(body)
        } catch {
            throw RepositoryError.wrap(error, context: "tree \(id.shortHex)")
        }
        try catalog.cacheTree(id, body)
        return tree
    }

    public func loadSnapshot(_ id: SnapshotID) throws -> Snapshot {
        let data = try store.get(ObjectKeys.snapshot(id))
        guard Crypto.sha256(data) == id.digest else {
            throw RepositoryError(.integrity, "snapshot \(id.shortHex) is damaged (its content does not match its ID)")
        }
        do {
            return try Snapshot.decode(data, sealer: sealer)
        } catch {
            throw RepositoryError.wrap(error, context: "snapshot \(id.shortHex)")
        }
    }

    // MARK: writing

    /// Writes a snapshot object. Call only after every chunk and tree it reaches is in a
    /// durable index file (the write-order invariant, docs/FORMAT.md).
    public func saveSnapshot(_ snapshot: Snapshot) throws -> SnapshotID {
        let data = snapshot.encode(sealer: sealer)
        let id = SnapshotID(Crypto.sha256(data))
        do {
            try store.put(ObjectKeys.snapshot(id), data: data)
        } catch {
            throw RepositoryError.wrap(error, context: "saving snapshot")
        }
        try catalog.addSnapshot(id, snapshot)
        return id
    }

    /// The secret that, with the profiles, decides where chunks are cut.
    public var chunkerSeed: Data? { keys?.chunkerSeed ?? settings.chunkerSeed }

    /// Whether this repository cuts the same content into the same chunks as `other`: only then
    /// do chunks copied from one deduplicate against backups made into the other.
    public func cutsChunksLike(_ other: Repository) -> Bool {
        chunkerSeed == other.chunkerSeed && settings.chunker == other.settings.chunker
            && settings.chunkerProfiles == other.settings.chunkerProfiles
    }

    /// The chunker of the profile named `name` in the settings (`files`, `database`).
    public func chunker(profile name: String) throws -> FastCDC {
        guard let profile = settings.chunkerProfiles[name] else {
            throw RepositoryError(.invalidArgument, "unknown chunker profile \(name)")
        }
        guard let seed = chunkerSeed else {
            throw RepositoryError(.integrity, "the repository has no chunker seed")
        }
        return FastCDC(profile: profile, seed: seed)
    }
}

/// Facts about this machine recorded in snapshots and key files.
public enum Host {
    public static var name: String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: names.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public static var user: String {
        ProcessInfo.processInfo.environment["USER"] ?? (getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "unknown")
    }
}

public enum Timestamp {
    public static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

// What the commands above ask of the catalog, so that none of them reaches SQLite itself.
extension Repository {
    /// All snapshots, oldest first (ties broken by ID so the order is stable).
    public func snapshots() throws -> [(id: SnapshotID, snapshot: Snapshot)] { try catalog.snapshots() }
    /// Whether the repository holds snapshot `id`, without decoding any snapshot.
    public func containsSnapshot(_ id: SnapshotID) throws -> Bool { try catalog.knownSnapshots().contains(id) }

    /// Totals of the index over distinct chunks, and of the packs.
    public func indexTotals() throws -> Catalog.IndexTotals { try catalog.totals() }

    /// Where the local catalog is (a cache: it may be deleted at any time).
    public var catalogPath: String { catalog.path }
}
