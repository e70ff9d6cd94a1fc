import Foundation

/// Little-endian writer for the binary structures (pack trailers, index files).
struct BinaryWriter {
    var data = Data()

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func digest(_ d: Digest32) { data.append(d.data) }
    mutating func bytes(_ d: Data) { data.append(d) }
}

/// Bounds-checked little-endian reader; running past the end is a `.malformed` error, never a crash.
struct BinaryReader {
    let data: Data
    var offset: Int
    let what: String

    init(_ data: Data, what: String) {
        self.data = data
        self.offset = data.startIndex
        self.what = what
    }

    var remaining: Int { data.endIndex - offset }

    private mutating func take(_ n: Int) throws -> Data {
        guard n >= 0, remaining >= n else { throw FormatError(.malformed, "\(what) is truncated") }
        defer { offset += n }
        return data[offset..<offset + n]
    }

    mutating func u8() throws -> UInt8 { try take(1).first! }
    mutating func u32() throws -> UInt32 {
        try take(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }
    mutating func u64() throws -> UInt64 {
        try take(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
    mutating func digest() throws -> Digest32 { try take(32).withUnsafeBytes { Digest32(bytes: $0) } }
}
