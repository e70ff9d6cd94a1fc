import Foundation

/// 32 bytes of SHA-256 or HMAC-SHA-256 output, kept as four words so that hashing and
/// comparing IDs in the index costs no allocation.
public struct Digest32: Hashable, Comparable, Sendable {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32)
        w0 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        w1 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w2 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w3 = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    public init?(data: Data) {
        guard data.count == 32 else { return nil }
        self = data.withUnsafeBytes { Digest32(bytes: $0) }
    }

    public init?(hex: String) {
        guard hex.utf8.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        var index = 0
        var high: UInt8 = 0
        for (i, c) in hex.utf8.enumerated() {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            if i % 2 == 0 { high = v } else { bytes[index] = high << 4 | v; index += 1 }
        }
        self = bytes.withUnsafeBytes { Digest32(bytes: $0) }
    }

    public var data: Data {
        var d = Data(count: 32)
        d.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
        }
        return d
    }

    public var hex: String {
        func h(_ w: UInt64) -> String {
            let s = String(w, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return h(w0) + h(w1) + h(w2) + h(w3)
    }

    public static func < (a: Digest32, b: Digest32) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}

/// An identifier that is a 32-byte digest, printed as 64 hex digits. Each kind of object
/// has its own type so that a pack ID can never be passed where a chunk ID is expected.
public protocol DigestIdentifier: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    var digest: Digest32 { get }
    init(_ digest: Digest32)
}

extension DigestIdentifier {
    public init?(hex: String) {
        guard let d = Digest32(hex: hex) else { return nil }
        self.init(d)
    }
    public var hex: String { digest.hex }
    public var shortHex: String { String(digest.hex.prefix(8)) }
    public var description: String { digest.hex }
    public static func < (a: Self, b: Self) -> Bool { a.digest < b.digest }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let d = Digest32(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 64-digit hex id: \(text)")
        }
        self.init(d)
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digest.hex)
    }
}

/// A chunk of file content or a tree: HMAC-SHA-256 (or SHA-256 when unencrypted) of its plaintext.
public struct ChunkID: DigestIdentifier { public let digest: Digest32; public init(_ d: Digest32) { digest = d } }
/// A pack file: SHA-256 of its stored bytes.
public struct PackID: DigestIdentifier { public let digest: Digest32; public init(_ d: Digest32) { digest = d } }
/// A snapshot object: SHA-256 of its stored bytes.
public struct SnapshotID: DigestIdentifier { public let digest: Digest32; public init(_ d: Digest32) { digest = d } }
/// An index file: SHA-256 of its stored bytes.
public struct IndexID: DigestIdentifier { public let digest: Digest32; public init(_ d: Digest32) { digest = d } }
/// A key file: SHA-256 of its stored bytes.
public struct KeyID: DigestIdentifier { public let digest: Digest32; public init(_ d: Digest32) { digest = d } }
