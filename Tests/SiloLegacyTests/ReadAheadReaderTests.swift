import Foundation
import XCTest
@testable import SiloLegacy

final class ReadAheadReaderTests: XCTestCase {
    /// Yields `data` in odd-sized pieces, then fails instead of ending.
    private final class FailingReader: ByteReader {
        private let inner: MemoryReader
        private var done = false
        init(_ data: [UInt8]) { inner = MemoryReader(data, chunk: 4093) }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = try inner.read(into: buffer)
            if n == 0 { throw LegacyArchiveError(.truncated, "the source broke") }
            return n
        }
    }

    private func drain(_ reader: ByteReader, readSize: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: readSize)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return result }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    func testDeliversEveryByteInOrder() throws {
        let data = (0..<3_000_001).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        for readSize in [1 << 20, 100_003, 512] {
            let reader = ReadAheadReader(MemoryReader(data), blocks: 3, blockSize: 65_536)
            XCTAssertEqual(try drain(reader, readSize: readSize), data, "read size \(readSize)")
        }
    }

    func testErrorArrivesAfterTheBytesBeforeIt() throws {
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        let reader = ReadAheadReader(FailingReader(data), blocks: 2, blockSize: 65_536)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 10_000)
        XCTAssertThrowsError(try {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                received.append(contentsOf: buffer[0..<n])
            }
        }()) { error in
            XCTAssertTrue("\(error)".contains("the source broke"))
        }
        XCTAssertEqual(received, data)
    }

    /// A consumer that stops early (a bad member) lets the reader go without hanging.
    func testAbandonedReaderStops() throws {
        let data = [UInt8](repeating: 7, count: 5_000_000)
        let reader = ReadAheadReader(MemoryReader(data), blocks: 2, blockSize: 65_536)
        var buffer = [UInt8](repeating: 0, count: 1000)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }, 1000)
        XCTAssertTrue(reader.stop(waiting: 30), "the read-ahead thread should stop at its next block")
    }
}
