import Foundation
import SiloStorage
import SiloTestSupport
import XCTest

final class MeteredStoreTests: XCTestCase {
    private var temp: TemporaryDirectory!
    private var base: LocalObjectStore!

    override func setUpWithError() throws {
        temp = try TemporaryDirectory()
        base = LocalObjectStore(root: temp.path + "/repo")
        try base.createRoot()
    }

    override func tearDown() {
        temp = nil
        base = nil
        super.tearDown()
    }

    func testEveryRequestIsCountedByKind() throws {
        let store = MeteredStore(base)
        try store.put("packs/a", data: Data("abc".utf8))
        try store.put("packs/b", data: Data("de".utf8))
        _ = try store.get("packs/a")
        _ = try store.get("packs/a", offset: 1, length: 1)
        XCTAssertThrowsError(try store.get("packs/missing"), "a failed request is a request too")
        XCTAssertEqual(Set(try store.list(prefix: "packs/")), ["packs/a", "packs/b"])
        XCTAssertEqual(try store.stat("packs/b").size, 2)
        try store.delete("packs/b")
        let upload = try XCTUnwrap(try store.beginUpload(folder: "packs"))
        try Data("xyz".utf8).withUnsafeBytes { try upload.append($0) }
        try Data("w".utf8).withUnsafeBytes { try upload.append($0) }
        try upload.finish(as: "packs/c")
        XCTAssertEqual(try base.get("packs/c"), Data("xyzw".utf8), "the upload reaches the wrapped store")
        let counts = Dictionary(uniqueKeysWithValues: StoreRequest.allCases.map { ($0, store.count(of: $0)) })
        XCTAssertEqual(counts, [.put: 3, .get: 3, .list: 1, .stat: 1, .delete: 1], "an upload counts once, as a put")
        XCTAssertEqual(store.total, 9)
    }

    func testCapabilitiesPassThrough() throws {
        let local = MeteredStore(base)
        XCTAssertEqual(local.location, base.location)
        XCTAssertEqual(local.locality, .local(root: base.root))
        XCTAssertEqual(local.preferredReadSpan, base.preferredReadSpan)
        XCTAssertEqual(local.hasAtomicReplace, base.hasAtomicReplace)
        XCTAssertEqual(local.listingIsReadAfterWrite, base.listingIsReadAfterWrite)
        XCTAssertEqual(local.acceptsUploads, base.acceptsUploads)
        XCTAssertNotNil(local.temporaryFiles)
        try local.put("config", data: Data())
        XCTAssertNil(local.requestCount, "requests to a local directory cost nothing and are not reported")

        let remote = MeteredStore(FaultInjectingStore(base, locality: .remote))
        XCTAssertEqual(remote.locality, .remote)
        XCTAssertEqual(remote.preferredReadSpan, StoreLocality.remote.defaultReadSpan)
        _ = try remote.get("config")
        _ = try remote.list(prefix: "packs/")
        XCTAssertEqual(remote.requestCount, 2, "a remote store without its own wire count reports the requests counted here")
    }

    /// The wrapper keeps the store contract, unfinished uploads included.
    func testWholeConformanceSuiteThroughTheWrapper() throws {
        var directories: [TemporaryDirectory] = []
        try runObjectStoreConformance(plantUnfinishedPut: LocalObjectStoreConformanceTests.plantTempFile) {
            let directory = try TemporaryDirectory()
            directories.append(directory)
            let store = LocalObjectStore(root: directory.path + "/repo")
            try store.createRoot()
            return MeteredStore(store)
        }
    }
}
