import Foundation

/// Where one blob lives inside a pack. Offsets and lengths are of the stored (sealed) bytes.
public struct PackEntry: Sendable, Equatable {
    public var id: ChunkID
    public var type: BlobType
    public var compression: Compression
    public var offset: UInt32
    public var length: UInt32
    public var rawLength: UInt32
    /// For `zstdDelta` blobs: the chunk whose plaintext decodes this one.
    public var base: ChunkID?

    public init(id: ChunkID, type: BlobType, compression: Compression, offset: UInt32, length: UInt32, rawLength: UInt32,
                base: ChunkID? = nil) {
        self.id = id
        self.type = type
        self.compression = compression
        self.offset = offset
        self.length = length
        self.rawLength = rawLength
        self.base = base
    }

    /// Bytes of an entry without a base; a delta entry has 32 more.
    static let encodedSize = 46

    func encode(into writer: inout BinaryWriter) {
        writer.u8(type.rawValue)
        writer.u8(compression.rawValue)
        writer.digest(id.digest)
        writer.u32(offset)
        writer.u32(length)
        writer.u32(rawLength)
        if compression == .zstdDelta {
            guard let base else { preconditionFailure("a delta entry without its base") }
            writer.digest(base.digest)
        }
    }

    /// `version` 1 objects predate delta blobs and may not contain one.
    static func decode(from reader: inout BinaryReader, version: UInt8) throws -> PackEntry {
        guard let type = BlobType(rawValue: try reader.u8()),
              let compression = Compression(rawValue: try reader.u8()),
              compression != .zstdDelta || version >= 2
        else { throw FormatError(.malformed, "\(reader.what): unknown blob type or compression") }
        var entry = PackEntry(id: ChunkID(try reader.digest()), type: type, compression: compression,
                              offset: try reader.u32(), length: try reader.u32(), rawLength: try reader.u32())
        if compression == .zstdDelta { entry.base = ChunkID(try reader.digest()) }
        return entry
    }

    /// The version an object listing `entries` is written in: 2 only when it names a delta
    /// blob, so repositories without any stay readable by earlier versions of silo.
    static func version(for entries: some Sequence<PackEntry>) -> UInt8 {
        entries.contains { $0.compression == .zstdDelta } ? 2 : 1
    }
}

/// Pack file layout (docs/FORMAT.md §Packs):
///
///     "SILOPAK" version(1) ‖ blob … blob ‖ sealed trailer ‖ trailer length (u32 LE)
///
/// The trailer lists every blob, so the index can be rebuilt from packs alone.
public enum PackFormat {
    public static let version: UInt8 = 1
    public static let header = Data("SILOPAK".utf8) + Data([version])
    static let trailerKind = "silo.pack-trailer"

    public static func trailer(entries: [PackEntry], sealer: ObjectSealer) -> Data {
        var writer = BinaryWriter()
        writer.u8(PackEntry.version(for: entries))
        writer.u32(UInt32(entries.count))
        for entry in entries { entry.encode(into: &writer) }
        let sealed = sealer.seal(writer.data, kind: trailerKind)
        var out = sealed
        withUnsafeBytes(of: UInt32(sealed.count).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The sealed trailer's length, read from the last 4 bytes of a pack.
    public static func trailerLength(fromTail tail: Data) throws -> Int {
        guard tail.count >= 4 else { throw FormatError(.malformed, "pack is truncated") }
        return Int(tail.suffix(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
    }

    /// Parses the trailer from the last `trailerLength + 4` bytes of a pack.
    public static func entries(fromTail tail: Data, sealer: ObjectSealer, packSize: UInt64) throws -> [PackEntry] {
        let length = try trailerLength(fromTail: tail)
        guard length + 4 <= tail.count, UInt64(length + 4 + header.count) <= packSize else {
            throw FormatError(.malformed, "pack trailer length \(length) does not fit the pack")
        }
        let sealed = tail[(tail.endIndex - 4 - length)..<(tail.endIndex - 4)]
        let plain = try sealer.open(Data(sealed), kind: trailerKind)
        var reader = BinaryReader(plain, what: "pack trailer")
        let v = try reader.u8()
        guard v == 1 || v == 2 else { throw FormatError(.unsupportedVersion, "pack trailer version \(v) is not supported") }
        let count = Int(try reader.u32())
        guard count * PackEntry.encodedSize <= reader.remaining else { throw FormatError(.malformed, "pack trailer is truncated") }
        var entries: [PackEntry] = []
        entries.reserveCapacity(count)
        let trailerStart = packSize - UInt64(length + 4)
        for _ in 0..<count {
            let entry = try PackEntry.decode(from: &reader, version: v)
            guard UInt64(entry.offset) >= UInt64(header.count), UInt64(entry.offset) + UInt64(entry.length) <= trailerStart else {
                throw FormatError(.malformed, "pack trailer entry for \(entry.id.shortHex) lies outside the pack")
            }
            entries.append(entry)
        }
        return entries
    }
}

/// An index file lists the blobs of several packs. Written after its packs are durable and
/// before any snapshot that needs them (docs/FORMAT.md §Write order).
public struct IndexFile: Sendable, Equatable {
    static let kind = "silo.index"

    public struct Pack: Sendable, Equatable {
        public var id: PackID
        public var size: UInt64
        public var entries: [PackEntry]
        public init(id: PackID, size: UInt64, entries: [PackEntry]) {
            self.id = id
            self.size = size
            self.entries = entries
        }
    }

    public var packs: [Pack]

    public init(packs: [Pack]) { self.packs = packs }

    public func encode(sealer: ObjectSealer) -> Data {
        var writer = BinaryWriter()
        // Version 2 when an entry has a base (a delta blob), else 1.
        writer.u8(PackEntry.version(for: packs.lazy.flatMap(\.entries)))
        writer.u32(UInt32(packs.count))
        for pack in packs {
            writer.digest(pack.id.digest)
            writer.u64(pack.size)
            writer.u32(UInt32(pack.entries.count))
            for entry in pack.entries { entry.encode(into: &writer) }
        }
        return sealer.seal(writer.data, kind: Self.kind)
    }

    public static func decode(_ stored: Data, sealer: ObjectSealer) throws -> IndexFile {
        let plain = try sealer.open(stored, kind: kind)
        var reader = BinaryReader(plain, what: "index file")
        let v = try reader.u8()
        guard v == 1 || v == 2 else { throw FormatError(.unsupportedVersion, "index file version \(v) is not supported") }
        let packCount = Int(try reader.u32())
        var packs: [Pack] = []
        for _ in 0..<packCount {
            let id = PackID(try reader.digest())
            let size = try reader.u64()
            let count = Int(try reader.u32())
            guard count * PackEntry.encodedSize <= reader.remaining else { throw FormatError(.malformed, "index file is truncated") }
            var entries: [PackEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try PackEntry.decode(from: &reader, version: v)) }
            packs.append(Pack(id: id, size: size, entries: entries))
        }
        return IndexFile(packs: packs)
    }
}
