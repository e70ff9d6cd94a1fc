import Foundation

/// Where one blob lives inside a pack. Offsets and lengths are of the stored (sealed) bytes.
public struct PackEntry: Sendable, Equatable {
    public var id: ChunkID
    public var type: BlobType
    public var compression: Compression
    public var offset: UInt32
    public var length: UInt32
    public var rawLength: UInt32

    public init(id: ChunkID, type: BlobType, compression: Compression, offset: UInt32, length: UInt32, rawLength: UInt32) {
        self.id = id
        self.type = type
        self.compression = compression
        self.offset = offset
        self.length = length
        self.rawLength = rawLength
    }

    static let encodedSize = 46

    func encode(into writer: inout BinaryWriter) {
        writer.u8(type.rawValue)
        writer.u8(compression.rawValue)
        writer.digest(id.digest)
        writer.u32(offset)
        writer.u32(length)
        writer.u32(rawLength)
    }

    static func decode(from reader: inout BinaryReader) throws -> PackEntry {
        guard let type = BlobType(rawValue: try reader.u8()),
              let compression = Compression(rawValue: try reader.u8())
        else { throw FormatError(.malformed, "\(reader.what): unknown blob type or compression") }
        return PackEntry(id: ChunkID(try reader.digest()), type: type, compression: compression,
                         offset: try reader.u32(), length: try reader.u32(), rawLength: try reader.u32())
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
        writer.u8(version)
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
        guard v == version else { throw FormatError(.unsupportedVersion, "pack trailer version \(v) is not supported") }
        let count = Int(try reader.u32())
        guard count * PackEntry.encodedSize <= reader.remaining else { throw FormatError(.malformed, "pack trailer is truncated") }
        var entries: [PackEntry] = []
        entries.reserveCapacity(count)
        let trailerStart = packSize - UInt64(length + 4)
        for _ in 0..<count {
            let entry = try PackEntry.decode(from: &reader)
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
    public static let version: UInt8 = 1
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
        writer.u8(Self.version)
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
        guard v == version else { throw FormatError(.unsupportedVersion, "index file version \(v) is not supported") }
        let packCount = Int(try reader.u32())
        var packs: [Pack] = []
        for _ in 0..<packCount {
            let id = PackID(try reader.digest())
            let size = try reader.u64()
            let count = Int(try reader.u32())
            guard count * PackEntry.encodedSize <= reader.remaining else { throw FormatError(.malformed, "index file is truncated") }
            var entries: [PackEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try PackEntry.decode(from: &reader)) }
            packs.append(Pack(id: id, size: size, entries: entries))
        }
        return IndexFile(packs: packs)
    }
}
