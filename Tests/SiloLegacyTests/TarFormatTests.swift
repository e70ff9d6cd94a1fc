import Foundation
import XCTest
@testable import SiloLegacy

/// Bytes in memory, as a reader and a sink.
final class MemoryReader: ByteReader {
    private let data: [UInt8]
    private var offset = 0
    private let chunk: Int
    init(_ data: [UInt8], chunk: Int = 7919) {
        self.data = data
        self.chunk = chunk
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, data.count - offset, chunk)
        data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

final class MemorySink: ByteSink {
    var data: [UInt8] = []
    var finished = false
    func write(_ bytes: UnsafeRawBufferPointer) throws { data += bytes }
    func finish() throws { finished = true }
}

final class TarFormatTests: XCTestCase {
    func testNumbersOctalAndBase256() throws {
        XCTAssertEqual(try TarHeader.number(ArraySlice(Array("0000644\0".utf8)), "mode"), 0o644)
        XCTAssertEqual(try TarHeader.number(ArraySlice(Array("  12 \0".utf8)), "x"), 0o12)
        // GNU base-256: 0x80 then big-endian bytes.
        XCTAssertEqual(try TarHeader.number(ArraySlice([0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x00, 0x00, 0x01]), "size"), (2 << 32) + 1)
        XCTAssertThrowsError(try TarHeader.number(ArraySlice(Array("0009\0".utf8)), "mode"))
        XCTAssertThrowsError(try TarHeader.number(ArraySlice([0xff, 0xff]), "mtime"), "negative base-256")
    }

    func testPaxRecordLengthCountsItself() {
        let record = TarWriter.paxRecord("path", Array(String(repeating: "a", count: 93).utf8))
        XCTAssertEqual(String(decoding: record, as: UTF8.self).split(separator: " ")[0], "\(record.count)")
        XCTAssertEqual(TarWriter.timeText(1_700_000_000_120_000_000), "1700000000.12")
        XCTAssertEqual(TarWriter.timeText(-1_500_000_000), "-1.5")
        XCTAssertEqual(TarReader.nanoseconds("-1.5"), -1_500_000_000)
        XCTAssertEqual(TarReader.nanoseconds("1700000000.123456789123"), 1_700_000_000_123_456_789)
    }

    func testUstarSplit() {
        let long = Array((String(repeating: "d/", count: 60) + "file.txt").utf8)
        let split = TarWriter.splitUstar(long)
        XCTAssertNotNil(split)
        XCTAssertEqual(split.map { $0.prefix + [UInt8(ascii: "/")] + $0.name }, long)
        XCTAssertNil(TarWriter.splitUstar(Array(String(repeating: "x", count: 120).utf8)), "no slash to split at")
        XCTAssertNil(TarWriter.splitUstar(Array("한국어".utf8)), "non-ASCII goes to pax")
    }

    /// What TarWriter writes, TarReader reads back identically, content included.
    func testWriterReaderRoundTrip() throws {
        let sink = MemorySink()
        let writer = TarWriter(sink)
        let longName = Array(("deep/" + String(repeating: "n", count: 180) + "/é.txt").utf8)
        let content = (0..<70000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var file = TarWriter.Member(path: longName, kind: .file, mode: 0o4755, uid: 3_000_000, gid: 7, userName: "a-very-long-user-name-over-31-bytes",
                                    groupName: "g", mtime: 1_700_000_000_123_456_789, atime: 1_700_000_001_000_000_000)
        file.size = UInt64(content.count)
        file.xattrs = [("user.color", Data("blue".utf8))]
        try writer.begin(file)
        try content.withUnsafeBytes { try writer.content($0) }
        try writer.begin(TarWriter.Member(path: Array("dir".utf8), kind: .directory, mode: 0o700, uid: 0, gid: 0, mtime: 0))
        var link = TarWriter.Member(path: Array("l".utf8), kind: .symlink, mode: 0o777, uid: 0, gid: 0, mtime: 0)
        link.linkTarget = Array(String(repeating: "t/", count: 70).utf8)
        try writer.begin(link)
        var device = TarWriter.Member(path: Array("null".utf8), kind: .characterDevice, mode: 0o666, uid: 0, gid: 0, mtime: 0)
        device.devMajor = 1
        device.devMinor = 3
        try writer.begin(device)
        try writer.finish()
        XCTAssertTrue(sink.finished)
        XCTAssertEqual(sink.data.count % 10240, 0)

        let reader = TarReader(MemoryReader(sink.data), name: "test")
        let first = try XCTUnwrap(try reader.next())
        XCTAssertEqual(first.path, longName)
        XCTAssertEqual(first.mode, 0o4755)
        XCTAssertEqual(first.uid, 3_000_000)
        XCTAssertEqual(first.userName, "a-very-long-user-name-over-31-bytes")
        XCTAssertEqual(first.mtime, 1_700_000_000_123_456_789)
        XCTAssertEqual(first.atime, 1_700_000_001_000_000_000)
        XCTAssertEqual(first.xattrs.map(\.name), ["user.color"])
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.readContent(into: $0) }
            if n == 0 { break }
            read += buffer[..<n]
        }
        XCTAssertEqual(read, content)
        XCTAssertEqual(try reader.next()?.kind, .directory)
        let symlink = try XCTUnwrap(try reader.next())
        XCTAssertEqual(symlink.linkTarget, link.linkTarget)
        let null = try XCTUnwrap(try reader.next())
        XCTAssertEqual([null.devMajor, null.devMinor], [1, 3])
        XCTAssertNil(try reader.next())
    }

    func testDamageIsNamed() throws {
        let sink = MemorySink()
        let writer = TarWriter(sink)
        var member = TarWriter.Member(path: Array("a.txt".utf8), kind: .file, mode: 0o644, uid: 0, gid: 0, mtime: 0)
        member.size = 1000
        try writer.begin(member)
        try [UInt8](repeating: 65, count: 1000).withUnsafeBytes { try writer.content($0) }
        try writer.finish()

        var badChecksum = sink.data
        badChecksum[10] ^= 1
        XCTAssertThrowsError(try TarReader(MemoryReader(badChecksum), name: "t").next()) { XCTAssertTrue("\($0)".contains("checksum")) }

        let truncated = Array(sink.data.prefix(900))
        let reader = TarReader(MemoryReader(truncated), name: "t")
        _ = try reader.next()
        XCTAssertThrowsError(try { var b = [UInt8](repeating: 0, count: 2000); while try b.withUnsafeMutableBytes({ try reader.readContent(into: $0) }) > 0 {} }()) {
            XCTAssertTrue("\($0)".contains("a.txt") && "\($0)".contains("truncated"), "\($0)")
        }

        var garbage = sink.data
        garbage[garbage.count - 100] = 0x41
        let afterEnd = TarReader(MemoryReader(garbage), name: "t")
        _ = try afterEnd.next()
        XCTAssertThrowsError(try afterEnd.next()) { XCTAssertTrue("\($0)".contains("garbage after the end")) }
    }

    /// Multi-member gzip from the parallel writer reads back as one stream.
    func testParallelGzipReadsBack() throws {
        let input = (0..<3_500_000).map { UInt8(truncatingIfNeeded: ($0 / 3) &* 7) }
        for threads in [1, 3] {
            let sink = MemorySink()
            let gzip = try GzipSink(sink, level: 6, threads: threads)
            try input.withUnsafeBytes { try gzip.write($0) }
            try gzip.finish()
            let reader = try GzipReader(MemoryReader(sink.data, chunk: 65536), name: "t")
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 100_000)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                output += buffer[..<n]
            }
            XCTAssertEqual(output, input, "threads \(threads)")
        }
    }

    func testTimeFromArchiveName() {
        let utc = TimeZone(identifier: "UTC")!
        XCTAssertEqual(ArchiveTime.fromName("o4o_backup_20250129_120000.tar.gz", timeZone: utc)?.timeIntervalSince1970, 1_738_152_000)
        XCTAssertEqual(ArchiveTime.fromName("daily-20250128.tgz", timeZone: utc)?.timeIntervalSince1970, 1_738_022_400)
        XCTAssertNil(ArchiveTime.fromName("backup.tar.gz"))
        XCTAssertNil(ArchiveTime.fromName("o4o_backup_20251399_120000.tar.gz", timeZone: utc), "month 13 is not a date")
    }

    func testOpenSSLKeyDerivationMatchesKnownVector() throws {
        // `openssl enc -aes-256-cbc -pbkdf2 -S 0102030405060708 -pass pass:secret -P`
        let (key, iv) = try OpenSSLEncReader.derive(Data("secret".utf8), salt: [1, 2, 3, 4, 5, 6, 7, 8], .pbkdf2(iterations: 10000))
        let expected = Self.opensslDerivation(["-pbkdf2"])
        XCTAssertEqual(expected?.key, key.map { String(format: "%02X", $0) }.joined())
        XCTAssertEqual(expected?.iv, iv.map { String(format: "%02X", $0) }.joined())
        let (legacyKey, _) = try OpenSSLEncReader.derive(Data("secret".utf8), salt: [1, 2, 3, 4, 5, 6, 7, 8], .bytesToKeyMD5)
        XCTAssertEqual(Self.opensslDerivation(["-md", "md5"])?.key, legacyKey.map { String(format: "%02X", $0) }.joined())
    }

    /// The real openssl's key and IV for the same password and salt.
    static func opensslDerivation(_ extra: [String]) -> (key: String, iv: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["enc", "-aes-256-cbc", "-S", "0102030405060708", "-pass", "pass:secret", "-P"] + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        guard let key = values["key"], let iv = values["iv"] else { return nil }
        return (key, iv)
    }
}
