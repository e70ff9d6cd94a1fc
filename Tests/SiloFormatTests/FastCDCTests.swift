import Foundation
@testable import SiloFormat
import SiloTestSupport
import XCTest

final class FastCDCTests: XCTestCase {
    static let seedA = Data(repeating: 0xA5, count: 32)
    static let seedB = Data((0..<32).map { UInt8($0) })

    /// Lengths of the chunks `cdc` cuts `data` into, feeding it the rest of the input each time
    /// as the chunker's callers do.
    func chunkLengths(_ data: Data, _ cdc: FastCDC, file: StaticString = #filePath, line: UInt = #line) -> [Int] {
        data.withUnsafeBytes { raw in
            var lengths: [Int] = []
            var offset = 0
            while offset < raw.count {
                let n = cdc.cutPoint(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                guard n > 0, n <= raw.count - offset else {
                    XCTFail("cut point \(n) at offset \(offset) of \(raw.count)", file: file, line: line)
                    break
                }
                lengths.append(n)
                offset += n
            }
            return lengths
        }
    }

    /// Offsets where chunks end, without the end of the input.
    func boundaries(_ lengths: [Int]) -> [Int] {
        var offsets: [Int] = []
        var total = 0
        for length in lengths.dropLast() {
            total += length
            offsets.append(total)
        }
        return offsets
    }

    func chunks(_ data: Data, _ lengths: [Int]) -> [Data] {
        var result: [Data] = []
        var offset = data.startIndex
        for length in lengths {
            result.append(data[offset..<offset + length])
            offset += length
        }
        return result
    }

    func mean(_ lengths: [Int]) -> Double {
        Double(lengths.reduce(0, +)) / Double(lengths.count)
    }

    // MARK: - profiles and masks

    func testProfilesMatchTheDocumentedSizes() {
        XCTAssertEqual(ChunkerProfile.files, ChunkerProfile(minSize: 256 * 1024, averageSize: 1024 * 1024, maxSize: 4 * 1024 * 1024))
        XCTAssertEqual(ChunkerProfile.database, ChunkerProfile(minSize: 16 * 1024, averageSize: 64 * 1024, maxSize: 256 * 1024))
    }

    func testProfileCodableRoundTrip() throws {
        let profile = ChunkerProfile(minSize: 1, averageSize: 2, maxSize: 3)
        let json = try JSONEncoder().encode(profile)
        XCTAssertEqual(try JSONDecoder().decode(ChunkerProfile.self, from: json), profile)
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Int]
        XCTAssertEqual(object, ["minSize": 1, "averageSize": 2, "maxSize": 3])
    }

    func testMasksAreTheTopBitsOfTheWord() {
        for bits in [12, 14, 16, 18, 20, 22, 24] {
            let mask = FastCDC.highMask(bits: bits)
            XCTAssertEqual(mask.nonzeroBitCount, bits, "bits \(bits)")
            XCTAssertEqual(mask.leadingZeroBitCount, 0, "the top bit depends on the most bytes")
            XCTAssertEqual(mask.trailingZeroBitCount, 64 - bits, "mask \(String(mask, radix: 2)) is not contiguous from the top")
        }
    }

    // MARK: - boundaries

    func testSameSeedGivesTheSameBoundaries() {
        let data = pseudoRandomBytes(4 << 20, seed: 1)
        let first = chunkLengths(data, FastCDC(profile: .database, seed: Self.seedA))
        let second = chunkLengths(data, FastCDC(profile: .database, seed: Self.seedA))
        XCTAssertGreaterThan(first.count, 20)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.reduce(0, +), data.count, "chunks cover the input exactly")
    }

    func testDifferentSeedsGiveDifferentBoundaries() {
        let data = pseudoRandomBytes(4 << 20, seed: 2)
        let a = Set(boundaries(chunkLengths(data, FastCDC(profile: .database, seed: Self.seedA))))
        let b = Set(boundaries(chunkLengths(data, FastCDC(profile: .database, seed: Self.seedB))))
        XCTAssertGreaterThan(a.count, 20)
        XCTAssertGreaterThan(b.count, 20)
        XCTAssertLessThan(a.intersection(b).count, min(a.count, b.count) / 5,
                          "boundaries must depend on the secret seed, not only on the content")
    }

    func testChunksStayWithinMinAndMaxExceptTheLast() {
        for (profile, size) in [(ChunkerProfile.database, 6 << 20), (ChunkerProfile.files, 24 << 20)] {
            // Random data, then the same with a long run of zeros, which hits the maximum.
            var data = pseudoRandomBytes(size, seed: 3)
            data.append(Data(count: profile.maxSize * 3 + 123))
            data.append(pseudoRandomBytes(profile.maxSize, seed: 4))
            let lengths = chunkLengths(data, FastCDC(profile: profile, seed: Self.seedA))
            XCTAssertGreaterThan(lengths.count, 10)
            XCTAssertEqual(lengths.reduce(0, +), data.count)
            for (i, length) in lengths.dropLast().enumerated() {
                XCTAssertGreaterThanOrEqual(length, profile.minSize, "chunk \(i)")
                XCTAssertLessThanOrEqual(length, profile.maxSize, "chunk \(i)")
            }
            XCTAssertTrue(lengths.contains(profile.maxSize), "a run of zeros longer than the maximum is cut at the maximum")
            XCTAssertLessThanOrEqual(lengths.last!, profile.maxSize)
            XCTAssertGreaterThan(lengths.last!, 0)
        }
    }

    func testShortInputIsOneChunk() {
        let cdc = FastCDC(profile: .database, seed: Self.seedA)
        for size in [1, 100, ChunkerProfile.database.minSize - 1, ChunkerProfile.database.minSize] {
            let data = pseudoRandomBytes(size, seed: 5)
            XCTAssertEqual(chunkLengths(data, cdc), [size], "size \(size)")
        }
        XCTAssertEqual(chunkLengths(Data(), cdc), [])
    }

    func testCutPointNeverExceedsTheBuffer() {
        let cdc = FastCDC(profile: .database, seed: Self.seedB)
        let data = pseudoRandomBytes(ChunkerProfile.database.maxSize, seed: 6)
        data.withUnsafeBytes { raw in
            for size in stride(from: ChunkerProfile.database.minSize + 1, to: raw.count, by: 7919) {
                let n = cdc.cutPoint(UnsafeRawBufferPointer(rebasing: raw[0..<size]))
                XCTAssertGreaterThan(n, ChunkerProfile.database.minSize)
                XCTAssertLessThanOrEqual(n, size)
            }
        }
    }

    // MARK: - chunk size distribution

    func assertMeanNearAverage(_ profile: ChunkerProfile, bytes: Int, seed: UInt64,
                               file: StaticString = #filePath, line: UInt = #line) {
        let data = pseudoRandomBytes(bytes, seed: seed)
        let lengths = chunkLengths(data, FastCDC(profile: profile, seed: Self.seedA))
        let average = mean(lengths.dropLast())
        let target = Double(profile.averageSize)
        XCTAssertGreaterThan(lengths.count, 30, file: file, line: line)
        XCTAssertGreaterThanOrEqual(average, target * 0.7, "mean \(Int(average)) vs target \(profile.averageSize)", file: file, line: line)
        XCTAssertLessThanOrEqual(average, target * 1.3, "mean \(Int(average)) vs target \(profile.averageSize)", file: file, line: line)
    }

    func testMeanChunkSizeOnRandomDataFilesProfile() {
        assertMeanNearAverage(.files, bytes: 64 << 20, seed: 7)
    }

    func testMeanChunkSizeOnRandomDataDatabaseProfile() {
        assertMeanNearAverage(.database, bytes: 8 << 20, seed: 8)
    }

    /// Text like a database dump: long runs of one byte value (pgbench's 84-space filler
    /// columns) between short varying fields. A gear hash only "sees" the last 64 bytes and its
    /// bit k only the last k+1, so masks on low bits find almost no cut points here and chunks
    /// grow far beyond the target (the trap in the team's chunking notes).
    static func fillerText(bytes: Int, style: Int) -> Data {
        var text = Data()
        text.reserveCapacity(bytes + 200)
        let filler = Data(repeating: UInt8(ascii: " "), count: 84)
        var i = 0
        var state: UInt64 = 0x1234_5678
        while text.count < bytes {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            switch style {
            case 0:  // 84-space filler lines alternating with number lines
                text.append(filler)
                text.append(UInt8(ascii: "\n"))
                text.append(Data("\(i)\n".utf8))
            case 1:  // number, 84-space filler, number on each line
                text.append(Data(String(i).utf8))
                text.append(filler)
                text.append(Data("\(state >> 40)\n".utf8))
            default:  // pgbench_accounts as pg_dump writes it: aid, bid, abalance, filler char(84)
                let balance = state % 7 == 0 ? Int(state >> 50) - 8000 : 0
                text.append(Data("\(i + 1)\t\(i / 100_000 + 1)\t\(balance)\t".utf8))
                text.append(filler)
                text.append(UInt8(ascii: "\n"))
            }
            i += 1
        }
        return text
    }

    func assertMeanOnRepetitiveText(_ profile: ChunkerProfile, bytes: Int,
                                    file: StaticString = #filePath, line: UInt = #line) {
        for style in 0..<3 {
            let data = Self.fillerText(bytes: bytes, style: style)
            for seed in [Self.seedA, Self.seedB] {
                let lengths = chunkLengths(data, FastCDC(profile: profile, seed: seed))
                let average = mean(lengths.dropLast())
                XCTAssertGreaterThan(lengths.count, 10, "style \(style)", file: file, line: line)
                XCTAssertLessThanOrEqual(average, Double(profile.averageSize) * 1.5,
                                         "style \(style), seed \(seed.first!): mean \(Int(average)) vs target \(profile.averageSize); "
                                         + "\(lengths.filter { $0 == profile.maxSize }.count) of \(lengths.count) chunks at the maximum",
                                         file: file, line: line)
            }
        }
    }

    func testMeanOnRepetitiveTextDatabaseProfile() {
        assertMeanOnRepetitiveText(.database, bytes: 8 << 20)
    }

    func testMeanOnRepetitiveTextFilesProfile() {
        assertMeanOnRepetitiveText(.files, bytes: 48 << 20)
    }

    // MARK: - shift resistance

    func assertEditKeepsLaterChunks(_ profile: ChunkerProfile, bytes: Int, edit: (inout Data) -> Void, what: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let cdc = FastCDC(profile: profile, seed: Self.seedB)
        let original = pseudoRandomBytes(bytes, seed: 9)
        var edited = original
        edit(&edited)
        let before = chunks(original, chunkLengths(original, cdc))
        let after = chunks(edited, chunkLengths(edited, cdc))
        let known = Set(before)
        let kept = after.filter { known.contains($0) }.count
        XCTAssertGreaterThan(before.count, 40, file: file, line: line)
        XCTAssertGreaterThanOrEqual(kept, after.count - 3,
                                    "\(what): only \(kept) of \(after.count) chunks unchanged", file: file, line: line)
        XCTAssertLessThan(kept, after.count, "\(what): the edited chunk must differ", file: file, line: line)
    }

    func testInsertingBytesNearTheStartKeepsLaterChunks() {
        assertEditKeepsLaterChunks(.database, bytes: 8 << 20, edit: { $0.insert(contentsOf: [1, 2, 3, 4, 5], at: 1000) },
                                   what: "insert 5 bytes at 1000")
        assertEditKeepsLaterChunks(.database, bytes: 8 << 20, edit: { $0.insert(contentsOf: [9, 9, 9], at: 100_000) },
                                   what: "insert 3 bytes at 100000")
        assertEditKeepsLaterChunks(.files, bytes: 48 << 20, edit: { $0.insert(contentsOf: [7, 7, 7, 7, 7, 7, 7], at: 300_000) },
                                   what: "insert 7 bytes at 300000 (files)")
    }

    func testDeletingAndChangingBytesKeepsLaterChunks() {
        assertEditKeepsLaterChunks(.database, bytes: 8 << 20, edit: { $0.removeSubrange(20_000..<20_010) },
                                   what: "delete 10 bytes at 20000")
        assertEditKeepsLaterChunks(.database, bytes: 8 << 20, edit: { $0[50_000] ^= 0xFF },
                                   what: "change 1 byte at 50000")
    }
}
