import Foundation
import SiloStorage
import SiloTestSupport
import XCTest

final class FaultInjectingStoreTests: XCTestCase {
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

    /// Counts calls of one operation, for rules that fail "the Nth put".
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }

    func testPassesEverythingThroughWithoutARule() throws {
        let store = FaultInjectingStore(base)
        XCTAssertEqual(store.location, base.location)
        try store.put("packs/p", data: Data("abc".utf8))
        XCTAssertEqual(try base.get("packs/p"), Data("abc".utf8), "writes reach the wrapped store")
        XCTAssertEqual(try store.get("packs/p"), Data("abc".utf8))
        XCTAssertEqual(try store.get("packs/p", offset: 1, length: 2), Data("bc".utf8))
        XCTAssertEqual(try store.list(prefix: "packs/"), ["packs/p"])
        XCTAssertEqual(try store.stat("packs/p").size, 3)
        try store.delete("packs/p")
        XCTAssertFalse(try base.exists("packs/p"))
        XCTAssertEqual(store.callCount, 6, "base.get and base.exists do not go through the wrapper")
    }

    func testRuleFailsTheThirdPut() throws {
        let puts = Counter()
        let store = FaultInjectingStore(base) { operation, _, _ in
            guard operation == .put else { return nil }
            return puts.next() == 3 ? StorageError(.noSpace, key: "", "injected") : nil
        }
        // Reads in between do not count as puts.
        try store.put("a", data: Data([1]))
        XCTAssertEqual(try store.list(prefix: ""), ["a"])
        try store.put("b", data: Data([2]))
        _ = try store.get("a")
        XCTAssertThrowsError(try store.put("c", data: Data([3]))) { error in
            XCTAssertEqual((error as? StorageError)?.code, .noSpace)
            XCTAssertEqual((error as? StorageError)?.message, "injected")
        }
        try store.put("d", data: Data([4]))
        XCTAssertEqual(Set(try base.list(prefix: "")), ["a", "b", "d"], "the failed put wrote nothing")
    }

    func testCallNumberCountsEveryOperation() throws {
        let seen = SeenCalls()
        let store = FaultInjectingStore(base) { operation, key, number in
            seen.add("\(number) \(operation) \(key)")
            return number == 4 ? StorageError(.io, key: key, "injected") : nil
        }
        try store.put("x", data: Data([1]))
        _ = try store.get("x")
        _ = try store.stat("x")
        XCTAssertThrowsError(try store.get("x", offset: 0, length: 1)) { error in
            XCTAssertEqual((error as? StorageError)?.code, .io)
            XCTAssertEqual((error as? StorageError)?.key, "x")
        }
        _ = try store.list(prefix: "")
        try store.delete("x")
        XCTAssertEqual(seen.all, ["1 put x", "2 get x", "3 stat x", "4 get x", "5 list ", "6 delete x"])
        XCTAssertEqual(store.callCount, 6)
    }

    /// An upload is one call, checked at `finish` as the `put` of its key; a refused one
    /// leaves nothing behind.
    func testUploadsAreCheckedOnceAtFinishAsAPut() throws {
        let seen = SeenCalls()
        let store = FaultInjectingStore(base) { operation, key, number in
            seen.add("\(number) \(operation) \(key)")
            return key.hasSuffix("refused") ? StorageError(.noSpace, key: key, "injected") : nil
        }
        XCTAssertTrue(store.acceptsUploads)
        for key in ["packs/ok", "packs/refused"] {
            let upload = try XCTUnwrap(try store.beginUpload(folder: "packs"))
            try Data(repeating: 3, count: 5000).withUnsafeBytes { try upload.append($0) }
            try Data(repeating: 4, count: 10).withUnsafeBytes { try upload.append($0) }
            if key.hasSuffix("refused") {
                XCTAssertThrowsError(try upload.finish(as: key)) { XCTAssertEqual(($0 as? StorageError)?.code, .noSpace) }
            } else {
                try upload.finish(as: key)
            }
        }
        XCTAssertEqual(seen.all, ["1 put packs/ok", "2 put packs/refused"])
        XCTAssertEqual(try base.list(prefix: ""), ["packs/ok"])
        XCTAssertEqual(try base.get("packs/ok"), Data(repeating: 3, count: 5000) + Data(repeating: 4, count: 10))
        XCTAssertEqual(temp.allEntries().filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }, [])
    }

    func testRuleCanTargetOneKeyAndBeReplaced() throws {
        let store = FaultInjectingStore(base) { operation, key, _ in
            operation == .get && key.hasPrefix("index/") ? StorageError(.permissionDenied, key: key, "injected") : nil
        }
        try store.put("index/i1", data: Data([1]))
        try store.put("packs/p1", data: Data([2]))
        XCTAssertEqual(try store.get("packs/p1"), Data([2]))
        XCTAssertThrowsError(try store.get("index/i1")) { error in
            XCTAssertEqual((error as? StorageError)?.code, .permissionDenied)
        }
        XCTAssertFalse(try store.exists("nothing"), "stat is not affected by a get rule")

        store.setRule { operation, _, _ in operation == .delete ? StorageError(.readOnly, key: "", "injected") : nil }
        XCTAssertEqual(try store.get("index/i1"), Data([1]), "the new rule replaced the old one")
        XCTAssertThrowsError(try store.delete("packs/p1")) { error in
            XCTAssertEqual((error as? StorageError)?.code, .readOnly)
        }
        XCTAssertTrue(try base.exists("packs/p1"), "a failed delete deleted nothing")

        store.setRule { _, _, _ in nil }
        try store.delete("packs/p1")
        XCTAssertFalse(try base.exists("packs/p1"))
    }

    func testCorruptionAltersBytesOnGetOnly() throws {
        let store = FaultInjectingStore(base)
        let original = Data((0..<100).map { UInt8($0) })
        try store.put("packs/p", data: original)
        try store.put("config", data: Data("clean".utf8))
        store.setCorruption { key, data in
            guard key.hasPrefix("packs/"), !data.isEmpty else { return data }
            var damaged = data
            damaged[damaged.startIndex] ^= 0x01
            return damaged
        }
        let whole = try store.get("packs/p")
        XCTAssertEqual(whole.count, original.count)
        XCTAssertNotEqual(whole, original)
        XCTAssertEqual(whole.first, original.first! ^ 0x01)
        XCTAssertEqual(whole.dropFirst(), original.dropFirst(), "only the chosen byte changed")

        let range = try store.get("packs/p", offset: 10, length: 5)
        XCTAssertEqual(Array(range), [10 ^ 0x01, 11, 12, 13, 14], "ranged reads are corrupted as well")

        XCTAssertEqual(try store.get("config"), Data("clean".utf8), "the closure chose not to touch this key")
        XCTAssertEqual(try base.get("packs/p"), original, "the stored bytes stay intact")
        XCTAssertEqual(try store.stat("packs/p").size, 100)

        store.setCorruption(nil)
        XCTAssertEqual(try store.get("packs/p"), original, "removing the corruption restores clean reads")
    }

    func testConcurrentCallsAreCountedExactly() throws {
        let store = FaultInjectingStore(base)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for i in 0..<50 {
                try? store.put("k\(t)-\(i)", data: Data([UInt8(i)]))
            }
        }
        XCTAssertEqual(store.callCount, 200)
        XCTAssertEqual(try base.list(prefix: "").count, 200)
    }
}

final class SeenCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [String] = []
    func add(_ call: String) { lock.withLock { calls.append(call) } }
    var all: [String] { lock.withLock { calls } }
}
