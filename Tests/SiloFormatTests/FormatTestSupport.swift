import Foundation
import SiloFormat
import XCTest

/// Bytes from hex written independently of the code under test (spaces and newlines allowed).
func hexBytes(_ text: String) -> Data {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var data = Data()
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        data.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return data
}

/// Lowercase hex of bytes, written independently of `Digest32.hex`.
func hexString(_ data: Data) -> String {
    data.map { String(format: "%02x", $0) }.joined()
}

/// Asserts that `body` throws a `FormatError` with one of `codes`.
func assertFormatError<T>(_ codes: Set<FormatError.Code>, _ what: String = "",
                          file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("\(what): expected FormatError \(codes.map(\.rawValue).sorted()), nothing was thrown", file: file, line: line)
    } catch let error as FormatError {
        XCTAssertTrue(codes.contains(error.code), "\(what): got .\(error.code): \(error)", file: file, line: line)
    } catch {
        XCTFail("\(what): expected FormatError, got \(error)", file: file, line: line)
    }
}

func assertFormatError<T>(_ code: FormatError.Code, _ what: String = "",
                          file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    assertFormatError([code], what, file: file, line: line, body)
}

/// Small, fixed master keys for tests that need two different repositories.
func testKeys(_ seed: UInt8) -> MasterKeys {
    MasterKeys(encryption: Data(repeating: seed, count: 32),
               chunkID: Data(repeating: seed &+ 1, count: 32),
               chunkerSeed: Data(repeating: seed &+ 2, count: 32))
}

/// Flips one bit of `data` at `index` (relative to its start).
func flippingBit(_ data: Data, at index: Int, bit: UInt8 = 0) -> Data {
    var copy = Data(data)
    copy[index] ^= 1 << bit
    return copy
}
