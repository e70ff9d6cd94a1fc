import Foundation
import SiloStorage
import XCTest

/// The `ObjectStore` contract as executable checks. Every backend (the local directory, S3)
/// must pass all of them:
///
///     try runObjectStoreConformance { MyStore(...) }
///
/// or, for one test method per check, build an `ObjectStoreConformance` and call the checks
/// one by one (see `LocalObjectStoreConformanceTests`). Each check asks for a fresh, empty store.
public func runObjectStoreConformance(
    plantUnfinishedPut: ((ObjectStore, String) throws -> Void)? = nil,
    _ makeStore: @escaping () throws -> ObjectStore
) throws {
    let suite = ObjectStoreConformance(makeStore: makeStore, plantUnfinishedPut: plantUnfinishedPut)
    for (_, check) in ObjectStoreConformance.allChecks {
        try check(suite)
    }
}

public struct ObjectStoreConformance {
    /// Returns a new, empty store.
    public let makeStore: () throws -> ObjectStore
    /// Leaves behind whatever an interrupted `put` of the given key leaves in this backend
    /// (a temp file, an unfinished multipart upload); nil when the backend has no such state.
    public let plantUnfinishedPut: ((ObjectStore, String) throws -> Void)?

    public init(makeStore: @escaping () throws -> ObjectStore, plantUnfinishedPut: ((ObjectStore, String) throws -> Void)? = nil) {
        self.makeStore = makeStore
        self.plantUnfinishedPut = plantUnfinishedPut
    }

    /// Every check, by name; `runObjectStoreConformance` runs them all.
    public static let allChecks: [(String, @Sendable (ObjectStoreConformance) throws -> Void)] = [
        ("roundTripEmptyObject", { try $0.roundTripEmptyObject() }),
        ("roundTripOneByte", { try $0.roundTripOneByte() }),
        ("roundTripSeveralMiB", { try $0.roundTripSeveralMiB() }),
        ("roundTripPageAlignedObjects", { try $0.roundTripPageAlignedObjects() }),
        ("roundTripAllByteValues", { try $0.roundTripAllByteValues() }),
        ("overwriteReplaces", { try $0.overwriteReplaces() }),
        ("getMissingKeyIsNotFound", { try $0.getMissingKeyIsNotFound() }),
        ("folderIsNotAnObject", { try $0.folderIsNotAnObject() }),
        ("rangedGet", { try $0.rangedGet() }),
        ("rangedGetOutOfRange", { try $0.rangedGetOutOfRange() }),
        ("listByPrefix", { try $0.listByPrefix() }),
        ("listHidesUnfinishedPuts", { try $0.listHidesUnfinishedPuts() }),
        ("statSizes", { try $0.statSizes() }),
        ("deleteThenNotFound", { try $0.deleteThenNotFound() }),
        ("deleteMissingKeyIsFine", { try $0.deleteMissingKeyIsFine() }),
        ("invalidKeysRejected", { try $0.invalidKeysRejected() }),
        ("validKeysAccepted", { try $0.validKeysAccepted() }),
        ("concurrentPutsAllVisible", { try $0.concurrentPutsAllVisible() }),
    ]

    // MARK: - helpers

    /// Asserts that `body` throws a `StorageError` with `code`.
    public static func assertStorageError<T>(_ code: StorageError.Code, _ what: String,
                                      file: StaticString = #filePath, line: UInt = #line,
                                      _ body: () throws -> T) {
        do {
            _ = try body()
            XCTFail("\(what): expected StorageError .\(code), nothing was thrown", file: file, line: line)
        } catch let error as StorageError {
            XCTAssertEqual(error.code, code, "\(what): \(error)", file: file, line: line)
        } catch {
            XCTFail("\(what): expected StorageError .\(code), got \(error)", file: file, line: line)
        }
    }

    private func roundTrip(_ data: Data, key: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try makeStore()
        try store.put(key, data: data)
        let back = try store.get(key)
        XCTAssertEqual(back.count, data.count, "size of \(key)", file: file, line: line)
        XCTAssertTrue(back == data, "content of \(key) differs after a round trip", file: file, line: line)
        XCTAssertEqual(try store.stat(key), ObjectInfo(key: key, size: UInt64(data.count)), file: file, line: line)
        XCTAssertTrue(try store.exists(key), file: file, line: line)
        XCTAssertEqual(try store.list(prefix: ""), [key], file: file, line: line)
    }

    // MARK: - checks

    public func roundTripEmptyObject() throws {
        try roundTrip(Data(), key: "empty")
    }

    public func roundTripOneByte() throws {
        try roundTrip(Data([0x5A]), key: "data/one")
    }

    public func roundTripSeveralMiB() throws {
        // Not a multiple of any page or block size.
        try roundTrip(pseudoRandomBytes(5 << 20 | 12345, seed: 1), key: "packs/ab/big-object")
    }

    /// Bytes that start on a page boundary, as packs do: a store may write them another way
    /// (the local one past the page cache), whole pages and a tail. Sizes below, at and above
    /// whole pages; the buffer is changed after each put, as the pack writer reuses it.
    public func roundTripPageAlignedObjects() throws {
        let store = try makeStore()
        let capacity = (3 << 20) + 8192
        var memory: UnsafeMutableRawPointer?
        XCTAssertEqual(posix_memalign(&memory, 4096, capacity), 0)
        defer { free(memory) }
        for (index, size) in [(1 << 20) - 1, 1 << 20, (3 << 20) + 4096, (3 << 20) + 4097].enumerated() {
            let expected = pseudoRandomBytes(size, seed: UInt64(20 + index))
            expected.withUnsafeBytes { memory!.copyMemory(from: $0.baseAddress!, byteCount: size) }
            let key = "packs/aligned-\(index % 2)"
            try store.put(key, data: Data(bytesNoCopy: memory!, count: size, deallocator: .none))
            memset(memory!, 0xEE, capacity)
            let back = try store.get(key)
            XCTAssertEqual(back.count, size, "size of object \(index)")
            XCTAssertTrue(back == expected, "content of object \(index) differs after a round trip")
            XCTAssertEqual(try store.get(key, offset: UInt64(size - 5000), length: 5000), expected.suffix(5000))
        }
    }

    public func roundTripAllByteValues() throws {
        var data = Data((0...255).map { UInt8($0) })
        data.append(contentsOf: (0...255).reversed().map { UInt8($0) })
        try roundTrip(data, key: "bytes")
    }

    public func overwriteReplaces() throws {
        let store = try makeStore()
        try store.put("config", data: pseudoRandomBytes(10_000, seed: 2))
        let second = Data("short replacement".utf8)
        try store.put("config", data: second)
        XCTAssertEqual(try store.get("config"), second, "a put to an existing key must replace it completely")
        XCTAssertEqual(try store.stat("config").size, UInt64(second.count))
        XCTAssertEqual(try store.list(prefix: ""), ["config"], "an overwrite must not leave a second object")
        let third = pseudoRandomBytes(20_000, seed: 3)
        try store.put("config", data: third)
        XCTAssertEqual(try store.get("config"), third)
    }

    public func getMissingKeyIsNotFound() throws {
        let store = try makeStore()
        Self.assertStorageError(.notFound, "get of a key in an empty store") { try store.get("nothing") }
        try store.put("packs/aa/one", data: Data([1]))
        Self.assertStorageError(.notFound, "get of a missing key") { try store.get("packs/aa/two") }
        Self.assertStorageError(.notFound, "get of a key under a missing folder") { try store.get("packs/bb/one") }
        Self.assertStorageError(.notFound, "ranged get of a missing key") { try store.get("packs/aa/two", offset: 0, length: 1) }
        Self.assertStorageError(.notFound, "stat of a missing key") { try store.stat("packs/aa/two") }
        XCTAssertFalse(try store.exists("packs/aa/two"))
        XCTAssertTrue(try store.exists("packs/aa/one"))
    }

    /// A key that is only the folder of other keys is not an object (as on S3).
    public func folderIsNotAnObject() throws {
        let store = try makeStore()
        try store.put("snapshots/abc", data: Data([1, 2, 3]))
        Self.assertStorageError(.notFound, "get of a folder") { try store.get("snapshots") }
        Self.assertStorageError(.notFound, "ranged get of a folder") { try store.get("snapshots", offset: 0, length: 1) }
        Self.assertStorageError(.notFound, "stat of a folder") { try store.stat("snapshots") }
        XCTAssertFalse(try store.exists("snapshots"))
    }

    public func rangedGet() throws {
        let store = try makeStore()
        let data = pseudoRandomBytes(300_001, seed: 4)
        try store.put("packs/00/range", data: data)
        func check(_ offset: Int, _ length: Int, file: StaticString = #filePath, line: UInt = #line) throws {
            let got = try store.get("packs/00/range", offset: UInt64(offset), length: length)
            XCTAssertEqual(got.count, length, "length of range \(offset)+\(length)", file: file, line: line)
            XCTAssertTrue(got == data.subdata(in: offset..<offset + length), "bytes of range \(offset)+\(length)",
                          file: file, line: line)
        }
        try check(0, 1)                          // start
        try check(0, 4096)
        try check(123_457, 70_001)               // middle
        try check(data.count - 4, 4)             // end, as a pack's trailer length is read
        try check(data.count - 1, 1)
        try check(0, data.count)                 // everything
        try check(200_000, 0)                    // empty range inside the object
        try check(data.count, 0)                 // empty range at the very end
    }

    public func rangedGetOutOfRange() throws {
        let store = try makeStore()
        let data = pseudoRandomBytes(1000, seed: 5)
        try store.put("range", data: data)
        Self.assertStorageError(.outOfRange, "range running past the end") { try store.get("range", offset: 990, length: 11) }
        Self.assertStorageError(.outOfRange, "range longer than the object") { try store.get("range", offset: 0, length: 1001) }
        Self.assertStorageError(.outOfRange, "range starting past the end") { try store.get("range", offset: 5000, length: 1) }
        Self.assertStorageError(.outOfRange, "range starting at the end") { try store.get("range", offset: 1000, length: 1) }
        Self.assertStorageError(.outOfRange, "negative length") { try store.get("range", offset: 0, length: -1) }
        Self.assertStorageError(.outOfRange, "offset beyond any file size") { try store.get("range", offset: .max, length: 1) }
        // A failed ranged read leaves the object alone.
        XCTAssertEqual(try store.get("range"), data)
    }

    public func listByPrefix() throws {
        let store = try makeStore()
        XCTAssertEqual(try store.list(prefix: ""), [], "a new store is empty")
        XCTAssertEqual(try store.list(prefix: "packs/"), [], "listing a folder that does not exist is empty, not an error")
        let keys = [
            "config",
            "keys/k1",
            "packs/00/p1",
            "packs/00/p2",
            "packs/ff/p3",
            "packs/ff/deeper/p4",
            "packsX/not-a-pack",
            "snapshots/s1",
            "index/i1",
        ]
        for (i, key) in keys.enumerated() { try store.put(key, data: Data([UInt8(i)])) }

        XCTAssertEqual(Set(try store.list(prefix: "")), Set(keys))
        XCTAssertEqual(try store.list(prefix: "").count, keys.count, "no key listed twice")
        XCTAssertEqual(Set(try store.list(prefix: "packs/")),
                       ["packs/00/p1", "packs/00/p2", "packs/ff/p3", "packs/ff/deeper/p4"],
                       "only keys under the folder, recursively; not packsX/")
        XCTAssertEqual(Set(try store.list(prefix: "packs/ff/")), ["packs/ff/p3", "packs/ff/deeper/p4"])
        XCTAssertEqual(Set(try store.list(prefix: "packs/ff/deeper/")), ["packs/ff/deeper/p4"])
        XCTAssertEqual(try store.list(prefix: "keys/"), ["keys/k1"])
        XCTAssertEqual(try store.list(prefix: "locks/"), [])

        // Every listed key can be read back as listed.
        for key in try store.list(prefix: "") {
            XCTAssertEqual(try store.get(key), Data([UInt8(keys.firstIndex(of: key)!)]), key)
        }

        // Deleting the last object of a folder removes it from listings.
        try store.delete("keys/k1")
        XCTAssertEqual(try store.list(prefix: "keys/"), [])
        XCTAssertFalse(try store.list(prefix: "").contains("keys/k1"))
    }

    public func listHidesUnfinishedPuts() throws {
        guard let plantUnfinishedPut else { return }
        let store = try makeStore()
        try store.put("packs/aa/done", data: Data([1]))
        try plantUnfinishedPut(store, "packs/aa/unfinished")
        try plantUnfinishedPut(store, "top-level-unfinished")
        XCTAssertEqual(try store.list(prefix: "packs/"), ["packs/aa/done"])
        XCTAssertEqual(try store.list(prefix: ""), ["packs/aa/done"])
        Self.assertStorageError(.notFound, "get of an unfinished put") { try store.get("packs/aa/unfinished") }
        XCTAssertFalse(try store.exists("packs/aa/unfinished"))
    }

    public func statSizes() throws {
        let store = try makeStore()
        for size in [0, 1, 4095, 4096, 4097, 1 << 20] {
            let key = "sizes/s\(size)"
            try store.put(key, data: pseudoRandomBytes(size, seed: UInt64(size)))
            XCTAssertEqual(try store.stat(key), ObjectInfo(key: key, size: UInt64(size)))
        }
    }

    public func deleteThenNotFound() throws {
        let store = try makeStore()
        try store.put("snapshots/victim", data: Data("bye".utf8))
        try store.put("snapshots/survivor", data: Data("hi".utf8))
        try store.delete("snapshots/victim")
        Self.assertStorageError(.notFound, "get after delete") { try store.get("snapshots/victim") }
        Self.assertStorageError(.notFound, "stat after delete") { try store.stat("snapshots/victim") }
        XCTAssertEqual(try store.list(prefix: "snapshots/"), ["snapshots/survivor"])
        XCTAssertEqual(try store.get("snapshots/survivor"), Data("hi".utf8), "delete touches only its key")
        // A deleted key can be written again.
        try store.put("snapshots/victim", data: Data("back".utf8))
        XCTAssertEqual(try store.get("snapshots/victim"), Data("back".utf8))
    }

    public func deleteMissingKeyIsFine() throws {
        let store = try makeStore()
        try store.delete("never-written")
        try store.delete("no/such/folder/key")
        try store.put("once", data: Data([1]))
        try store.delete("once")
        try store.delete("once")
        XCTAssertEqual(try store.list(prefix: ""), [])
    }

    public static let invalidKeys = [
        "", "../x", "a/../../x", "..", ".", "/abs", "/", "a//b", "a/", ".hidden", "dir/.hidden", "a/./b",
        "space in name", "tab\tname", "new\nline", "back\\slash", "é", "a*b", "a:b", "a?b",
    ]

    public func invalidKeysRejected() throws {
        let store = try makeStore()
        try store.put("existing", data: Data([1]))
        for key in Self.invalidKeys {
            Self.assertStorageError(.invalidKey, "put \(key.debugDescription)") { try store.put(key, data: Data([9])) }
            Self.assertStorageError(.invalidKey, "get \(key.debugDescription)") { try store.get(key) }
            Self.assertStorageError(.invalidKey, "ranged get \(key.debugDescription)") { try store.get(key, offset: 0, length: 1) }
            Self.assertStorageError(.invalidKey, "stat \(key.debugDescription)") { try store.stat(key) }
            Self.assertStorageError(.invalidKey, "delete \(key.debugDescription)") { try store.delete(key) }
        }
        XCTAssertEqual(try store.list(prefix: ""), ["existing"], "rejected puts must not have written anything")
    }

    public func validKeysAccepted() throws {
        let store = try makeStore()
        let keys = ["z", "A-Z_0.9", "x.y", "a/b/c/d/e/f", "packs/" + String(repeating: "f", count: 64), "trailing.dot."]
        for key in keys {
            try store.put(key, data: Data(key.utf8))
            XCTAssertEqual(try store.get(key), Data(key.utf8), key)
        }
        XCTAssertEqual(Set(try store.list(prefix: "")), Set(keys))
    }

    public func concurrentPutsAllVisible() throws {
        let store = try makeStore()
        let threads = 8
        let perThread = 25
        let errors = ErrorCollector()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                let key = "packs/\(String(format: "%02x", i % 4))/t\(t)-\(i)"
                do {
                    try store.put(key, data: pseudoRandomBytes(1000 + t * 37 + i, seed: UInt64(t * 1000 + i)))
                    // Everybody also rewrites one shared key: the last writer wins, whole.
                    try store.put("shared", data: Data(repeating: UInt8(t), count: 5000))
                } catch {
                    errors.add("\(key): \(error)")
                }
            }
        }
        XCTAssertEqual(errors.all, [])
        let listed = try store.list(prefix: "packs/")
        XCTAssertEqual(listed.count, threads * perThread)
        XCTAssertEqual(Set(listed).count, threads * perThread)
        for t in 0..<threads {
            for i in 0..<perThread {
                let key = "packs/\(String(format: "%02x", i % 4))/t\(t)-\(i)"
                XCTAssertTrue(try store.get(key) == pseudoRandomBytes(1000 + t * 37 + i, seed: UInt64(t * 1000 + i)), key)
            }
        }
        let shared = try store.get("shared")
        XCTAssertEqual(shared.count, 5000)
        XCTAssertEqual(Set(shared).count, 1, "the shared key holds exactly one writer's bytes, not a mix")
        XCTAssertEqual(Set(try store.list(prefix: "")).subtracting(listed), ["shared"])
    }
}

/// Thread-safe collection of failure messages from concurrent work.
public final class ErrorCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    public init() {}
    public func add(_ message: String) { lock.withLock { messages.append(message) } }
    public var all: [String] { lock.withLock { messages } }
}
