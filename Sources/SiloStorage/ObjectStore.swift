import Foundation

/// The storage contract every backend fulfils. It is deliberately an *object store*:
/// whole-object writes, whole or ranged reads, listing by prefix, delete and stat.
/// There is no rename, append or in-place update, so S3-like services fit unchanged.
///
/// Contract (checked by `ObjectStoreConformance` in the tests):
/// - `put` is atomic: a reader sees either no object or the complete object, never a prefix,
///   also after a crash. A `put` to an existing key replaces it atomically.
/// - read-after-write: once `put` returns, `get`, `stat` and `list` see the object.
/// - `put` returns only when the object is durable (fsync'ed or acknowledged).
/// - `get` of a missing key throws `StorageError` with code `.notFound`.
/// - `delete` of a missing key is not an error (idempotent).
/// - keys are `/`-separated relative paths of `[A-Za-z0-9._-]` components.
public protocol ObjectStore: Sendable {
    /// A human-readable location, for messages.
    var location: String { get }
    func put(_ key: String, data: Data) throws
    func get(_ key: String) throws -> Data
    /// Reads `length` bytes at `offset`. Throws `.outOfRange` when the object is shorter.
    func get(_ key: String, offset: UInt64, length: Int) throws -> Data
    /// Keys under `prefix` (a folder such as `"packs/"`), in no particular order.
    func list(prefix: String) throws -> [String]
    func stat(_ key: String) throws -> ObjectInfo
    func delete(_ key: String) throws
    /// Whether `beginUpload` gives uploads (the local directory) or nil (whole objects only).
    var acceptsUploads: Bool { get }
    /// Whether a listing is known to show every object whose `put` returned before it began
    /// (and none deleted before). Prune deletes at once only where this holds: it must see the
    /// lease of every backup that may be running (FORMAT.md §11, "Sweep at once"). A store that
    /// cannot promise it says false, and prune waits for the grace period instead.
    var listingIsReadAfterWrite: Bool { get }
    /// Where the objects are: on this machine's filesystem (requests are cheap, and the
    /// directory can be looked at) or behind a network service (every request costs).
    var locality: StoreLocality { get }
    /// How many bytes a reader should ask for at once when it reads a run of blobs
    /// (`StoreLocality.defaultReadSpan` unless the store knows better).
    var preferredReadSpan: Int { get }
    /// Whether a `put` to an existing key replaces the object atomically (a rename, an S3 PUT),
    /// so a reader sees the old or the new object, never neither.
    var hasAtomicReplace: Bool { get }
    /// Requests sent so far to a paid service (retries, parts and listing pages included): what
    /// a run costs there. Nil where requests are not counted (the local directory).
    var requestCount: Int? { get }
    /// The temporary files interrupted writes leave behind, where the store has any (the local
    /// directory); nil where a write is invisible until complete (S3 multipart uploads).
    var temporaryFiles: (any TemporaryFiles)? { get }
    /// Makes the place the repository will be created in, where the store needs one (a local
    /// directory, 0700); a no-op where it must already exist (an S3 bucket).
    func createContainer() throws
    /// Starts an object to be written in pieces under `folder` (such as `"packs"`), or nil when
    /// the store takes whole objects only. `put` must not keep `data` after it returns, nor an
    /// upload the bytes given to `append`: callers reuse their buffers.
    func beginUpload(folder: String) throws -> ObjectUpload?
}

public struct ObjectInfo: Sendable, Equatable {
    public let key: String
    public let size: UInt64
    public init(key: String, size: UInt64) {
        self.key = key
        self.size = size
    }
}

/// Where a store keeps its objects (`ObjectStore.locality`).
public enum StoreLocality: Sendable, Equatable {
    /// A directory of this machine, at `root`.
    case local(root: String)
    /// A network service.
    case remote

    /// The read span that suits the place: a few MiB of a local file (more only fills the page
    /// cache), tens of MiB of a remote object (each request has a round trip and a price).
    public var defaultReadSpan: Int { self == .remote ? 32 << 20 : 4 << 20 }
}

/// Temporary files of writes killed midway (`.tmp-…` in a local directory), which `check`
/// reports and prune removes once no running writer can own them.
public protocol TemporaryFiles: Sendable {
    func leftovers() throws -> [Leftover]
    /// Removes a leftover found by `leftovers()`.
    func removeLeftover(_ leftover: Leftover) throws
}

extension ObjectStore {
    /// Remote unless a store says otherwise: the cautious choice (no deltas, long reads).
    public var locality: StoreLocality { .remote }
    public var isLocal: Bool { localRoot != nil }
    /// The directory of a local store; nil for a remote one.
    public var localRoot: String? {
        if case .local(let root) = locality { return root }
        return nil
    }
    public var preferredReadSpan: Int { locality.defaultReadSpan }
    public var hasAtomicReplace: Bool { false }
    public var requestCount: Int? { nil }
    public var temporaryFiles: (any TemporaryFiles)? { nil }
    public func createContainer() throws {}
    public var acceptsUploads: Bool { false }
    public var listingIsReadAfterWrite: Bool { false }
    public func beginUpload(folder: String) throws -> ObjectUpload? { nil }

    public func exists(_ key: String) throws -> Bool {
        do {
            _ = try stat(key)
            return true
        } catch let error as StorageError where error.code == .notFound {
            return false
        }
    }
}
