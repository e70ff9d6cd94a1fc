import Foundation

/// One 512-byte tar header block, in any of the formats GNU tar reads: v7 (no magic), ustar
/// (`ustar\0` `00`, with a 155-byte prefix), and GNU (`ustar  \0`, base-256 numbers).
struct TarHeader {
    let block: [UInt8]

    enum Format { case v7, ustar, gnu }

    var format: Format {
        let magic = Array(block[257..<265])
        if magic == Array("ustar  \0".utf8) { return .gnu }
        if magic.starts(with: Array("ustar".utf8)) { return .ustar }
        return .v7
    }

    var isZeroBlock: Bool { block.allSatisfy { $0 == 0 } }
    var typeFlag: UInt8 { block[156] }

    /// Name, with the ustar prefix when there is one (GNU's header keeps other data there).
    var name: [UInt8] {
        let base = Self.cString(block[0..<100])
        guard format == .ustar else { return base }
        let prefix = Self.cString(block[345..<500])
        return prefix.isEmpty ? base : prefix + [UInt8(ascii: "/")] + base
    }
    var linkName: [UInt8] { Self.cString(block[157..<257]) }
    var userName: String { String(decoding: Self.cString(block[265..<297]), as: UTF8.self) }
    var groupName: String { String(decoding: Self.cString(block[297..<329]), as: UTF8.self) }

    func number(_ range: Range<Int>, _ field: String) throws -> UInt64 {
        try Self.number(block[range], field)
    }
    var mode: UInt64 { get throws { try number(100..<108, "mode") } }
    var uid: UInt64 { get throws { try number(108..<116, "uid") } }
    var gid: UInt64 { get throws { try number(116..<124, "gid") } }
    var size: UInt64 { get throws { try number(124..<136, "size") } }
    var mtime: UInt64 { get throws { try number(136..<148, "mtime") } }
    var devMajor: UInt64 { get throws { format == .v7 ? 0 : try number(329..<337, "devmajor") } }
    var devMinor: UInt64 { get throws { format == .v7 ? 0 : try number(337..<345, "devminor") } }
    /// GNU headers keep atime and ctime (when written with --atime-preserve etc.).
    var gnuAtime: UInt64? { format == .gnu ? (try? number(345..<357, "atime")).flatMap { $0 == 0 ? nil : $0 } : nil }

    /// The stored checksum equals the sum of the block with the checksum field as spaces
    /// (unsigned, or signed as some old tars computed it).
    static func checksumMatches(_ block: [UInt8]) -> Bool {
        guard block.count >= 512, let stored = try? number(block[148..<156], "checksum") else { return false }
        var unsigned = 0, signed = 0
        for i in 0..<512 {
            let byte = (148..<156).contains(i) ? UInt8(ascii: " ") : block[i]
            unsigned += Int(byte)
            signed += Int(Int8(bitPattern: byte))
        }
        return UInt64(unsigned) == stored || Int(stored) == signed
    }

    /// Octal text (NUL/space terminated), or GNU base-256 when the high bit of the first byte is set.
    static func number(_ field: ArraySlice<UInt8>, _ name: String) throws -> UInt64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            guard first & 0x40 == 0 else { throw LegacyArchiveError(.corrupt, "negative \(name) in a tar header") }
            var value: UInt64 = UInt64(first & 0x3f)
            for byte in field.dropFirst() {
                guard value >> 56 == 0 else { throw LegacyArchiveError(.corrupt, "\(name) too large in a tar header") }
                value = value << 8 | UInt64(byte)
            }
            return value
        }
        var value: UInt64 = 0
        var started = false
        for byte in field {
            if byte == 0 || (byte == UInt8(ascii: " ") && started) { break }
            if byte == UInt8(ascii: " ") { continue }
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) else {
                throw LegacyArchiveError(.corrupt, "bad \(name) field in a tar header")
            }
            guard value >> 60 == 0 else { throw LegacyArchiveError(.corrupt, "\(name) too large in a tar header") }
            value = value << 3 | UInt64(byte - UInt8(ascii: "0"))
            started = true
        }
        return value
    }

    static func cString(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(bytes.prefix { $0 != 0 })
    }
}
