import Foundation
import SiloRepository
import SiloStorage
import XCTest

/// The one maker of scratch repositories for tests: quick to create (scrypt at its cheapest),
/// unencrypted when `password` is nil. The store's container (a local directory) is made first.
@discardableResult
public func makeTestRepository(store: ObjectStore, password: Data?, cacheRoot: String, packTargetSize: Int? = nil) throws -> Repository {
    try store.createContainer()
    var options = Repository.InitOptions()
    options.encrypted = password != nil
    options.scryptN = 1 << 10
    if let packTargetSize { options.packTargetSize = packTargetSize }
    return try Repository.initialize(store: store, password: password, options: options, cacheRoot: cacheRoot)
}

/// A repository in `root/repo` (or `store`), with its catalog under `root/cache`.
@discardableResult
public func makeTestRepository(root: String, password: Data, store: ObjectStore? = nil, packTargetSize: Int) throws -> Repository {
    try makeTestRepository(store: store ?? LocalObjectStore(root: root + "/repo"), password: password, cacheRoot: root + "/cache",
                           packTargetSize: packTargetSize)
}

/// A scratch directory with a repository in it, removed at the end of the test.
public final class Scratch {
    public let root: String
    public var repoPath: String { root + "/repo" }
    public var cachePath: String { root + "/cache" }
    public let password = Data("test password".utf8)

    public init() throws {
        root = NSTemporaryDirectory() + "silo-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        _ = try? FileManager.default.removeItem(atPath: root)
    }

    public func path(_ relative: String) -> String { root + "/" + relative }

    @discardableResult
    public func initRepository(encrypted: Bool = true, packTargetSize: Int = 16 << 20) throws -> Repository {
        try makeTestRepository(store: LocalObjectStore(root: repoPath), password: encrypted ? password : nil, cacheRoot: cachePath,
                               packTargetSize: packTargetSize)
    }

    public func open(cache: String? = nil) throws -> Repository {
        try Repository.open(store: LocalObjectStore(root: repoPath), password: password, cacheRoot: cache ?? cachePath)
    }

    public func write(_ relative: String, _ data: Data) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: full, contents: data))
    }
}
