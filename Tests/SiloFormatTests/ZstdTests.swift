import Foundation
import SiloFormat
import SiloTestSupport
import XCTest

final class ZstdTests: XCTestCase {
    static func text(_ count: Int) -> Data {
        var s = ""
        var i = 0
        while s.utf8.count < count {
            s += "\(i)\tuser\(i % 97)@example.com\t{\"cart\": [\(i % 17)], \"total\": \(i % 1000)}\n"
            i += 1
        }
        return Data(s.utf8.prefix(count))
    }

    func testTextRoundTripsAndShrinks() throws {
        let zstd = Zstd(level: 3)
        for size in [100, 4096, 1 << 20] {
            let input = Self.text(size)
            let compressed = try XCTUnwrap(input.withUnsafeBytes { zstd.compress($0) }, "size \(size)")
            XCTAssertLessThan(compressed.count, size < 1000 ? input.count : input.count / 2, "size \(size)")
            XCTAssertEqual(try zstd.decompress(compressed, rawLength: input.count), input)
        }
    }

    func testOutputIsAStandardZstdFrame() throws {
        let input = Self.text(10_000)
        let compressed = try XCTUnwrap(input.withUnsafeBytes { Zstd(level: 19).compress($0) })
        XCTAssertEqual(Array(compressed.prefix(4)), [0x28, 0xB5, 0x2F, 0xFD], "zstd frame magic number")
    }

    func testDecompressesAFrameMadeByTheZstdTool() throws {
        // printf 'hello silo, hello silo, hello silo, hello silo\n' | zstd -19 -c | xxd -p
        let frame = hexBytes("28b52ffd04689d00006868656c6c6f2073696c6f2c200a0100774a12a9112e62")
        let expected = Data("hello silo, hello silo, hello silo, hello silo\n".utf8)
        XCTAssertEqual(try Zstd(level: 3).decompress(frame, rawLength: expected.count), expected)
    }

    func testIncompressibleInputReturnsNil() {
        let zstd = Zstd(level: 3)
        for size in [1, 64, 100_000, 1 << 20] {
            let random = pseudoRandomBytes(size, seed: UInt64(size))
            XCTAssertNil(random.withUnsafeBytes { zstd.compress($0) }, "size \(size)")
        }
        XCTAssertNil(Data().withUnsafeBytes { zstd.compress($0) }, "nothing to gain on empty input")
    }

    func testWrongLengthOrGarbageThrows() throws {
        let zstd = Zstd(level: 3)
        let input = Self.text(5000)
        let compressed = try XCTUnwrap(input.withUnsafeBytes { zstd.compress($0) })
        assertFormatError(.malformed, "too short a raw length") { try zstd.decompress(compressed, rawLength: input.count - 1) }
        assertFormatError(.malformed, "too long a raw length") { try zstd.decompress(compressed, rawLength: input.count + 1) }
        assertFormatError(.malformed, "garbage") { try zstd.decompress(pseudoRandomBytes(100, seed: 1), rawLength: 5000) }
        assertFormatError(.malformed, "truncated frame") { try zstd.decompress(compressed.dropLast(10), rawLength: input.count) }
        assertFormatError(.malformed, "empty") { try zstd.decompress(Data(), rawLength: 10) }
    }

    func testLevelIsKept() {
        XCTAssertEqual(Zstd(level: 7).level, 7)
        let input = Self.text(200_000)
        let fast = input.withUnsafeBytes { Zstd(level: 1).compress($0) }!
        let strong = input.withUnsafeBytes { Zstd(level: 19).compress($0) }!
        XCTAssertLessThanOrEqual(strong.count, fast.count)
    }

    func testConcurrentUseOfOneInstance() {
        let zstd = Zstd(level: 3)
        let failures = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<20 {
                let input = Data("thread \(t) round \(i) ".utf8) + Self.text(3000 + t * 100 + i)
                guard let compressed = input.withUnsafeBytes({ zstd.compress($0) }),
                      let back = try? zstd.decompress(compressed, rawLength: input.count), back == input
                else {
                    failures.add("thread \(t) round \(i)")
                    continue
                }
            }
        }
        XCTAssertEqual(failures.all, [])
    }
}

final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    func add(_ entry: String) { lock.withLock { entries.append(entry) } }
    var all: [String] { lock.withLock { entries } }
}
