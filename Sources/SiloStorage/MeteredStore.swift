import Foundation

/// One kind of request the layers above send to a store (`MeteredStore`). A ranged `get` is a
/// `get`; an upload counts once, as the `put` of its key.
public enum StoreRequest: String, Sendable, CaseIterable {
    case put, get, list, stat, delete
}

/// Wraps a store and counts the requests sent through it, by kind, the way Kopia's
/// `storagemetrics` wraps its blob storage: every backend is counted alike, without each one
/// keeping its own tally. Everything else passes through unchanged.
///
/// A store that sees more than its callers do (S3: retries, the parts of an upload, the pages
/// of a listing) declares its own `requestCount`, and that wire count is the one reported as
/// what a run cost on a paid service.
public final class MeteredStore: ObjectStore, @unchecked Sendable {
    public let base: ObjectStore
    private let lock = NSLock()
    private var counts: [StoreRequest: Int] = [:]

    public init(_ base: ObjectStore) {
        self.base = base
    }

    /// Requests of `kind` sent so far.
    public func count(of kind: StoreRequest) -> Int { lock.withLock { counts[kind, default: 0] } }

    /// Every request sent so far.
    public var total: Int { lock.withLock { counts.values.reduce(0, +) } }

    private func counted<T>(_ kind: StoreRequest, _ body: () throws -> T) rethrows -> T {
        lock.withLock { counts[kind, default: 0] += 1 }
        return try body()
    }

    public var location: String { base.location }
    public func put(_ key: String, data: Data) throws { try counted(.put) { try base.put(key, data: data) } }
    public func get(_ key: String) throws -> Data { try counted(.get) { try base.get(key) } }
    public func get(_ key: String, offset: UInt64, length: Int) throws -> Data {
        try counted(.get) { try base.get(key, offset: offset, length: length) }
    }
    public func list(prefix: String) throws -> [String] { try counted(.list) { try base.list(prefix: prefix) } }
    public func stat(_ key: String) throws -> ObjectInfo { try counted(.stat) { try base.stat(key) } }
    public func delete(_ key: String) throws { try counted(.delete) { try base.delete(key) } }

    public var acceptsUploads: Bool { base.acceptsUploads }
    public var listingIsReadAfterWrite: Bool { base.listingIsReadAfterWrite }
    public var locality: StoreLocality { base.locality }
    public var preferredReadSpan: Int { base.preferredReadSpan }
    public var hasAtomicReplace: Bool { base.hasAtomicReplace }
    /// The store's own wire count where it keeps one; else, for a remote store, the requests
    /// counted here; nil for a local directory, where requests cost nothing.
    public var requestCount: Int? { base.requestCount ?? (isLocal ? nil : total) }
    public var temporaryFiles: (any TemporaryFiles)? { base.temporaryFiles }
    public func createContainer() throws { try base.createContainer() }

    public func beginUpload(folder: String) throws -> ObjectUpload? {
        guard let upload = try base.beginUpload(folder: folder) else { return nil }
        return MeteredUpload(base: upload) { [self] in lock.withLock { counts[.put, default: 0] += 1 } }
    }

    private final class MeteredUpload: ObjectUpload {
        private let base: ObjectUpload
        private let finished: () -> Void

        init(base: ObjectUpload, finished: @escaping () -> Void) {
            self.base = base
            self.finished = finished
        }

        func append(_ bytes: UnsafeRawBufferPointer) throws { try base.append(bytes) }

        func finish(as key: String) throws {
            finished()
            try base.finish(as: key)
        }

        func abandon() { base.abandon() }
    }
}
