import Foundation
import SiloFormat
import SiloTestSupport
import XCTest

final class PackFormatTests: XCTestCase {
    let encrypted = ObjectSealer(keys: testKeys(3))
    let plain = ObjectSealer(keys: nil)

    func chunkID(_ n: Int) -> ChunkID { ChunkID(Digest32(data: pseudoRandomBytes(32, seed: UInt64(n) + 500))!) }

    /// A pack as a writer would lay it out: header, blobs, sealed trailer, trailer length.
    func makePack(blobs: [Data], sealer: ObjectSealer) -> (pack: Data, entries: [PackEntry]) {
        var pack = PackFormat.header
        var entries: [PackEntry] = []
        for (i, blob) in blobs.enumerated() {
            entries.append(PackEntry(id: chunkID(i), type: i % 3 == 2 ? .tree : .data, compression: i % 2 == 0 ? .zstd : .none,
                                     offset: UInt32(pack.count), length: UInt32(blob.count), rawLength: UInt32(blob.count * 2 + i)))
            pack.append(blob)
        }
        pack.append(PackFormat.trailer(entries: entries, sealer: sealer))
        return (pack, entries)
    }

    func testHeaderBytes() {
        XCTAssertEqual(PackFormat.header, Data([0x53, 0x49, 0x4C, 0x4F, 0x50, 0x41, 0x4B, 0x01]), "\"SILOPAK\" then version 1")
    }

    func testTrailerRoundTrip() throws {
        for sealer in [encrypted, plain] {
            let blobs = (0..<7).map { pseudoRandomBytes(100 + $0 * 37, seed: UInt64($0)) }
            let (pack, entries) = makePack(blobs: blobs, sealer: sealer)
            let length = try PackFormat.trailerLength(fromTail: pack.suffix(4))
            XCTAssertEqual(length, 1 + 4 + entries.count * 46 + sealer.overhead, "version, count, 46 bytes per entry")
            // The reader fetches only the tail: the trailer plus its length.
            let tail = pack.suffix(length + 4)
            let parsed = try PackFormat.entries(fromTail: tail, sealer: sealer, packSize: UInt64(pack.count))
            XCTAssertEqual(parsed, entries)
            // A longer tail (a reader guessing a generous size) works too.
            XCTAssertEqual(try PackFormat.entries(fromTail: pack.suffix(length + 100), sealer: sealer, packSize: UInt64(pack.count)),
                           entries)
            // Every entry points at its blob.
            for (entry, blob) in zip(parsed, blobs) {
                XCTAssertEqual(pack.subdata(in: Int(entry.offset)..<Int(entry.offset + entry.length)), blob)
            }
        }
    }

    func testPlainTrailerLayout() throws {
        let entry = PackEntry(id: ChunkID(Digest32(data: Data((0..<32).map { UInt8($0) }))!), type: .tree, compression: .zstd,
                              offset: 8, length: 0x0102_0304, rawLength: 0x0A0B_0C0D)
        let trailer = PackFormat.trailer(entries: [entry], sealer: plain)
        var expected = Data([1, 1, 0, 0, 0])                // version 1, count 1 (u32 LE)
        expected += Data([1, 1])                           // type tree, compression zstd
        expected += Data((0..<32).map { UInt8($0) })       // chunk ID
        expected += Data([8, 0, 0, 0, 4, 3, 2, 1, 0x0D, 0x0C, 0x0B, 0x0A])
        expected += Data([UInt8(expected.count), 0, 0, 0]) // trailer length (u32 LE)
        XCTAssertEqual(trailer, expected)
    }

    /// A delta entry carries its base after the fixed fields, and makes the trailer version 2;
    /// a version 1 trailer may not hold one.
    func testDeltaEntryLayoutAndVersion() throws {
        let base = ChunkID(Digest32(data: Data((100..<132).map { UInt8($0) }))!)
        let entry = PackEntry(id: ChunkID(Digest32(data: Data((0..<32).map { UInt8($0) }))!), type: .data, compression: .zstdDelta,
                              offset: 8, length: 0x0102_0304, rawLength: 0x0A0B_0C0D, base: base)
        let trailer = PackFormat.trailer(entries: [entry], sealer: plain)
        var expected = Data([2, 1, 0, 0, 0])                // version 2, count 1 (u32 LE)
        expected += Data([0, 2])                           // type data, compression zstd delta
        expected += Data((0..<32).map { UInt8($0) })       // chunk ID
        expected += Data([8, 0, 0, 0, 4, 3, 2, 1, 0x0D, 0x0C, 0x0B, 0x0A])
        expected += Data((100..<132).map { UInt8($0) })    // base chunk ID
        expected += Data([UInt8(expected.count), 0, 0, 0]) // trailer length (u32 LE)
        XCTAssertEqual(trailer, expected)

        var pack = PackFormat.header + Data(count: 0x0102_0304) + trailer
        XCTAssertEqual(try PackFormat.entries(fromTail: pack.suffix(trailer.count), sealer: plain, packSize: UInt64(pack.count)), [entry])
        // The same bytes under version 1 are refused.
        pack[pack.count - trailer.count] = 1
        XCTAssertThrowsError(try PackFormat.entries(fromTail: pack.suffix(trailer.count), sealer: plain, packSize: UInt64(pack.count)))
    }

    func testEmptyPackTrailer() throws {
        let (pack, entries) = makePack(blobs: [], sealer: encrypted)
        XCTAssertEqual(entries, [])
        XCTAssertEqual(try PackFormat.entries(fromTail: pack.suffix(pack.count - 8), sealer: encrypted, packSize: UInt64(pack.count)), [])
    }

    func testEntriesOutsideThePackAreRejected() {
        let cases: [(String, PackEntry)] = [
            ("inside the header", PackEntry(id: chunkID(1), type: .data, compression: .none, offset: 4, length: 10, rawLength: 10)),
            ("at offset 0", PackEntry(id: chunkID(1), type: .data, compression: .none, offset: 0, length: 1, rawLength: 1)),
            ("overlapping the trailer", PackEntry(id: chunkID(2), type: .data, compression: .none, offset: 8, length: 101, rawLength: 101)),
            ("far beyond the end", PackEntry(id: chunkID(3), type: .data, compression: .none, offset: 1_000_000, length: 1, rawLength: 1)),
            ("overflowing u32", PackEntry(id: chunkID(4), type: .data, compression: .none, offset: .max, length: .max, rawLength: 1)),
        ]
        for sealer in [encrypted, plain] {
            for (what, bad) in cases {
                let good = PackEntry(id: chunkID(0), type: .data, compression: .none, offset: 8, length: 100, rawLength: 100)
                var pack = PackFormat.header + pseudoRandomBytes(100, seed: 1)
                pack.append(PackFormat.trailer(entries: [good, bad], sealer: sealer))
                assertFormatError(.malformed, what) {
                    try PackFormat.entries(fromTail: pack.suffix(pack.count - 108), sealer: sealer, packSize: UInt64(pack.count))
                }
            }
        }
        // The boundary itself is fine: a blob may end exactly where the trailer starts.
        let exact = PackEntry(id: chunkID(0), type: .data, compression: .none, offset: 8, length: 100, rawLength: 100)
        var pack = PackFormat.header + pseudoRandomBytes(100, seed: 1)
        pack.append(PackFormat.trailer(entries: [exact], sealer: plain))
        XCTAssertEqual(try PackFormat.entries(fromTail: pack.suffix(pack.count - 108), sealer: plain, packSize: UInt64(pack.count)),
                       [exact])
    }

    func testTruncatedTailIsRejected() throws {
        for sealer in [encrypted, plain] {
            let (pack, _) = makePack(blobs: [pseudoRandomBytes(500, seed: 2), pseudoRandomBytes(700, seed: 3)], sealer: sealer)
            let length = try PackFormat.trailerLength(fromTail: pack.suffix(4))
            assertFormatError(.malformed, "fewer than 4 bytes") { try PackFormat.trailerLength(fromTail: pack.suffix(3)) }
            assertFormatError(.malformed, "empty tail") {
                try PackFormat.entries(fromTail: Data(), sealer: sealer, packSize: UInt64(pack.count))
            }
            assertFormatError(.malformed, "tail shorter than the trailer") {
                try PackFormat.entries(fromTail: pack.suffix(length + 3), sealer: sealer, packSize: UInt64(pack.count))
            }
            assertFormatError(.malformed, "pack smaller than header plus trailer") {
                try PackFormat.entries(fromTail: pack.suffix(length + 4), sealer: sealer, packSize: UInt64(length + 4 + 7))
            }
            // A pack cut short: its last 4 bytes are now somewhere inside the trailer or a blob.
            for cut in [1, 4, 30, length + 4] {
                let short = pack.prefix(pack.count - cut)
                XCTAssertThrowsError(try PackFormat.entries(fromTail: short.suffix(min(short.count, length + 4)), sealer: sealer,
                                                            packSize: UInt64(short.count)), "cut \(cut)") { error in
                    XCTAssertTrue(error is FormatError, "\(error)")
                }
            }
        }
    }

    func testTamperedOrForeignTrailerIsRejected() throws {
        let (pack, _) = makePack(blobs: [pseudoRandomBytes(300, seed: 4)], sealer: encrypted)
        let length = try PackFormat.trailerLength(fromTail: pack.suffix(4))
        let tail = pack.suffix(length + 4)
        assertFormatError(.authenticationFailed, "flipped bit") {
            try PackFormat.entries(fromTail: flippingBit(tail, at: 20), sealer: encrypted, packSize: UInt64(pack.count))
        }
        assertFormatError(.authenticationFailed, "other repository's key") {
            try PackFormat.entries(fromTail: tail, sealer: ObjectSealer(keys: testKeys(4)), packSize: UInt64(pack.count))
        }
        // An index file sealed with the same key cannot pose as a pack trailer.
        let index = IndexFile(packs: []).encode(sealer: encrypted)
        var fake = index
        withUnsafeBytes(of: UInt32(index.count).littleEndian) { fake.append(contentsOf: $0) }
        assertFormatError(.authenticationFailed, "index sealed as trailer") {
            try PackFormat.entries(fromTail: fake, sealer: encrypted, packSize: UInt64(fake.count + 8))
        }
    }

    func testPlainTrailerWithBadContentIsRejected() throws {
        func wrap(_ body: Data) -> Data {
            var tail = body
            withUnsafeBytes(of: UInt32(body.count).littleEndian) { tail.append(contentsOf: $0) }
            return tail
        }
        assertFormatError(.unsupportedVersion, "version 3") {
            try PackFormat.entries(fromTail: wrap(Data([3, 0, 0, 0, 0])), sealer: plain, packSize: 1000)
        }
        assertFormatError(.malformed, "count larger than the entries present") {
            try PackFormat.entries(fromTail: wrap(Data([1, 2, 0, 0, 0]) + Data(count: 46)), sealer: plain, packSize: 1000)
        }
        assertFormatError(.malformed, "huge count") {
            try PackFormat.entries(fromTail: wrap(Data([1, 0xFF, 0xFF, 0xFF, 0xFF])), sealer: plain, packSize: 1000)
        }
        var entry = Data([7, 0]) + Data(count: 32) + Data([8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
        assertFormatError(.malformed, "unknown blob type") {
            try PackFormat.entries(fromTail: wrap(Data([1, 1, 0, 0, 0]) + entry), sealer: plain, packSize: 1000)
        }
        entry[0] = 0
        entry[1] = 9
        assertFormatError(.malformed, "unknown compression") {
            try PackFormat.entries(fromTail: wrap(Data([1, 1, 0, 0, 0]) + entry), sealer: plain, packSize: 1000)
        }
        entry[1] = 0
        XCTAssertEqual(try PackFormat.entries(fromTail: wrap(Data([1, 1, 0, 0, 0]) + entry), sealer: plain, packSize: 1000).count, 1,
                       "the same entry with valid fields parses")
        assertFormatError(.malformed, "no version byte") { try PackFormat.entries(fromTail: wrap(Data()), sealer: plain, packSize: 1000) }
    }
}

final class IndexFileTests: XCTestCase {
    let keys = testKeys(5)

    func sampleEntry(pack p: Int, _ e: Int) -> PackEntry {
        let id = ChunkID(Digest32(data: pseudoRandomBytes(32, seed: UInt64(p * 100 + e + 7)))!)
        let type: BlobType = e % 2 == 0 ? .data : .tree
        let compression: Compression = e % 3 == 0 ? .none : .zstd
        return PackEntry(id: id, type: type, compression: compression,
                         offset: UInt32(8 + e * 1000), length: UInt32(999 - e), rawLength: UInt32(5000 + e))
    }

    func sampleIndex() -> IndexFile {
        let packs: [IndexFile.Pack] = (0..<3).map { (p: Int) -> IndexFile.Pack in
            let id = PackID(Digest32(data: pseudoRandomBytes(32, seed: UInt64(p)))!)
            let size = UInt64(p) << 33 | 12345
            return IndexFile.Pack(id: id, size: size, entries: (0..<(p * 4)).map { sampleEntry(pack: p, $0) })
        }
        return IndexFile(packs: packs)
    }

    func testRoundTrip() throws {
        let index = sampleIndex()
        XCTAssertEqual(index.packs.map(\.entries.count), [0, 4, 8])
        for sealer in [ObjectSealer(keys: keys), ObjectSealer(keys: nil)] {
            let stored = index.encode(sealer: sealer)
            XCTAssertEqual(stored.count, 1 + 4 + 3 * (32 + 8 + 4) + 12 * 46 + sealer.overhead)
            XCTAssertEqual(try IndexFile.decode(stored, sealer: sealer), index)
        }
        // With a delta entry: version 2, 32 more bytes for its base.
        var withDelta = index
        withDelta.packs[1].entries[2].compression = .zstdDelta
        withDelta.packs[1].entries[2].base = ChunkID(Digest32(data: pseudoRandomBytes(32, seed: 77))!)
        let stored = withDelta.encode(sealer: ObjectSealer(keys: nil))
        XCTAssertEqual(stored.first, 2)
        XCTAssertEqual(stored.count, index.encode(sealer: ObjectSealer(keys: nil)).count + 32)
        XCTAssertEqual(try IndexFile.decode(stored, sealer: ObjectSealer(keys: nil)), withDelta)
        XCTAssertEqual(index.encode(sealer: ObjectSealer(keys: nil)).first, 1, "version 1 without delta entries")
        let empty = IndexFile(packs: [])
        XCTAssertEqual(try IndexFile.decode(empty.encode(sealer: ObjectSealer(keys: keys)), sealer: ObjectSealer(keys: keys)), empty)
    }

    func testWrongKindOrSealerIsRejected() {
        let sealer = ObjectSealer(keys: keys)
        let stored = sampleIndex().encode(sealer: sealer)
        assertFormatError(.authenticationFailed, "other key") { try IndexFile.decode(stored, sealer: ObjectSealer(keys: testKeys(6))) }
        assertFormatError(.authenticationFailed, "flipped bit") { try IndexFile.decode(flippingBit(stored, at: 40), sealer: sealer) }
        assertFormatError(.authenticationFailed, "truncated") { try IndexFile.decode(stored.dropLast(), sealer: sealer) }
        // The same plaintext sealed as another kind of object.
        let plainBytes = sampleIndex().encode(sealer: ObjectSealer(keys: nil))
        for kind in ["silo.snapshot", "silo.pack-trailer", "silo.key", "silo.settings", ""] {
            assertFormatError(.authenticationFailed, kind) {
                try IndexFile.decode(sealer.seal(plainBytes, kind: kind), sealer: sealer)
            }
        }
        XCTAssertEqual(try IndexFile.decode(sealer.seal(plainBytes, kind: "silo.index"), sealer: sealer), sampleIndex(),
                       "sealed under its own kind it opens")
        // A snapshot is not an index.
        let snapshot = Snapshot(time: 1, host: "h", username: "u", tags: [], paths: ["/"], tree: ChunkID(Digest32(data: Data(count: 32))!),
                                parent: nil, program: "t", summary: SnapshotSummary())
        assertFormatError(.authenticationFailed, "snapshot") { try IndexFile.decode(snapshot.encode(sealer: sealer), sealer: sealer) }
    }

    func testMalformedPlainIndexIsRejected() {
        let plain = ObjectSealer(keys: nil)
        let stored = sampleIndex().encode(sealer: plain)
        for cut in [1, 10, 46, stored.count - 1, stored.count] {
            assertFormatError(.malformed, "\(cut) bytes missing") { try IndexFile.decode(stored.dropLast(cut), sealer: plain) }
        }
        assertFormatError(.unsupportedVersion) { try IndexFile.decode(Data([3, 0, 0, 0, 0]), sealer: plain) }
        assertFormatError(.malformed, "pack count without packs") { try IndexFile.decode(Data([1, 5, 0, 0, 0]), sealer: plain) }
        var huge = Data([1, 1, 0, 0, 0]) + Data(count: 40)
        huge.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
        assertFormatError(.malformed, "entry count larger than the file") { try IndexFile.decode(huge, sealer: plain) }
    }
}
