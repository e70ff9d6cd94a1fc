import Foundation
import SiloStorage

/// Wraps a store and fails chosen operations on purpose, so tests can show what the layers
/// above do when storage misbehaves. For tests only: it lives in SiloTestSupport, outside the product.
public final class FaultInjectingStore: ObjectStore, @unchecked Sendable {
    public enum Operation: Sendable { case put, get, list, stat, delete }

    /// Decides, per call, whether to fail it. Return nil to let the call through.
    public typealias Rule = @Sendable (_ operation: Operation, _ key: String, _ callNumber: Int) -> StorageError?

    private let base: ObjectStore
    private let lock = NSLock()
    private var calls = 0
    private var rule: Rule
    /// When set, `get` returns these bytes altered by the closure (simulates a corrupting server).
    private var corruption: (@Sendable (String, Data) -> Data)?

    public var location: String { base.location }

    /// Set to make the layers above treat the wrapped store as remote (or local) whatever it
    /// is: a local directory standing in for S3.
    private let localityOverride: StoreLocality?

    public init(_ base: ObjectStore, locality: StoreLocality? = nil, rule: @escaping Rule = { _, _, _ in nil }) {
        self.base = base
        self.localityOverride = locality
        self.rule = rule
    }

    public func setRule(_ rule: @escaping Rule) {
        lock.withLock { self.rule = rule }
    }

    public func setCorruption(_ corrupt: (@Sendable (String, Data) -> Data)?) {
        lock.withLock { self.corruption = corrupt }
    }

    public var callCount: Int { lock.withLock { calls } }

    private func check(_ operation: Operation, _ key: String) throws {
        let (number, rule) = lock.withLock { () -> (Int, Rule) in
            calls += 1
            return (calls, self.rule)
        }
        if let error = rule(operation, key, number) { throw error }
    }

    public func put(_ key: String, data: Data) throws {
        try check(.put, key)
        try base.put(key, data: data)
    }

    public func get(_ key: String) throws -> Data {
        try check(.get, key)
        let data = try base.get(key)
        return lock.withLock { corruption }.map { $0(key, data) } ?? data
    }

    public func get(_ key: String, offset: UInt64, length: Int) throws -> Data {
        try check(.get, key)
        let data = try base.get(key, offset: offset, length: length)
        return lock.withLock { corruption }.map { $0(key, data) } ?? data
    }

    public func list(prefix: String) throws -> [String] {
        try check(.list, prefix)
        return try base.list(prefix: prefix)
    }

    public func stat(_ key: String) throws -> ObjectInfo {
        try check(.stat, key)
        return try base.stat(key)
    }

    public func delete(_ key: String) throws {
        try check(.delete, key)
        try base.delete(key)
    }

    public var acceptsUploads: Bool { base.acceptsUploads }
    public var listingIsReadAfterWrite: Bool { base.listingIsReadAfterWrite }
    public var locality: StoreLocality { localityOverride ?? base.locality }
    public var preferredReadSpan: Int { localityOverride?.defaultReadSpan ?? base.preferredReadSpan }
    public var hasAtomicReplace: Bool { base.hasAtomicReplace }
    public var requestCount: Int? { base.requestCount }
    public var temporaryFiles: (any TemporaryFiles)? { base.temporaryFiles }
    public func createContainer() throws { try base.createContainer() }

    /// Uploads are checked once, at `finish`, as the `put` of their key: rules and call
    /// counts see one call per object either way.
    public func beginUpload(folder: String) throws -> ObjectUpload? {
        guard let upload = try base.beginUpload(folder: folder) else { return nil }
        return Upload(base: upload) { [self] key in try check(.put, key) }
    }

    private final class Upload: ObjectUpload {
        private let base: ObjectUpload
        private let check: (String) throws -> Void

        init(base: ObjectUpload, check: @escaping (String) throws -> Void) {
            self.base = base
            self.check = check
        }

        func append(_ bytes: UnsafeRawBufferPointer) throws { try base.append(bytes) }

        func finish(as key: String) throws {
            do {
                try check(key)
            } catch {
                base.abandon()
                throw error
            }
            try base.finish(as: key)
        }

        func abandon() { base.abandon() }
    }
}
