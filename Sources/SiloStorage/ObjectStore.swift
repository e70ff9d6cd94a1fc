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

extension ObjectStore {
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
