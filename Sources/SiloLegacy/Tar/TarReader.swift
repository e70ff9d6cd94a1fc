import Foundation

/// Reads tar members one after another from a stream, never seeking and never holding a
/// member's content: `next()` returns the next member, `readContent` its bytes. Formats: v7,
/// ustar, GNU (long names and links, base-256 numbers) and PAX (per-member and global
/// extended headers, sub-second times, large sizes, UTF-8 names, `SCHILY.xattr.*`).
/// GNU sparse members are refused with a clear error.
final class TarReader {
    private let source: ByteReader
    private let name: String
    private var remaining: UInt64 = 0
    private var padding: Int = 0
    private var globalPax: [String: [UInt8]] = [:]
    private var previous = "(the start)"
    private var offset: UInt64 = 0
    private var ended = false
    private var block = [UInt8](repeating: 0, count: 512)

    init(_ source: ByteReader, name: String) {
        self.source = source
        self.name = name
    }

    /// The next member, or nil after the end-of-archive marker.
    func next() throws -> TarEntry? {
        try skipContent()
        guard !ended else { return nil }
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var pax: [String: [UInt8]] = [:]
        while true {
            guard try readBlock() else {
                // No end marker: GNU tar accepts an archive that simply stops between members.
                ended = true
                return nil
            }
            let header = TarHeader(block: block)
            if header.isZeroBlock {
                try finishAfterEndMarker()
                return nil
            }
            guard TarHeader.checksumMatches(block) else {
                throw LegacyArchiveError(.corrupt, "\(name): bad tar header checksum at byte \(offset - 512), after member \(previous)")
            }
            let size = try header.size
            switch header.typeFlag {
            case UInt8(ascii: "L"):
                longName = TarHeader.cString(ArraySlice(try readSmallContent(size, what: "GNU long name")))
                continue
            case UInt8(ascii: "K"):
                longLink = TarHeader.cString(ArraySlice(try readSmallContent(size, what: "GNU long link name")))
                continue
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                pax.merge(try parsePax(try readSmallContent(size, what: "PAX header"))) { _, new in new }
                continue
            case UInt8(ascii: "g"):
                globalPax.merge(try parsePax(try readSmallContent(size, what: "PAX global header"))) { _, new in new }
                continue
            case UInt8(ascii: "V"):
                try skip(size)  // volume label
                continue
            default:
                break
            }
            var entry = try makeEntry(header, size: size, longName: longName, longLink: longLink, pax: globalPax.merging(pax) { _, new in new })
            if entry.path.isEmpty { throw LegacyArchiveError(.corrupt, "\(name): a member after \(previous) has an empty name") }
            previous = entry.displayPath
            // Only files (and GNU dump directories) carry content after the header.
            let contentSize = entry.kind == .file ? entry.size : (header.typeFlag == UInt8(ascii: "D") ? size : 0)
            remaining = contentSize
            padding = Int((512 - contentSize % 512) % 512)
            if entry.kind != .file { entry.size = 0 }
            return entry
        }
    }

    /// Content of the member `next()` returned; 0 at its end.
    func readContent(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { return 0 }
        let wanted = Int(min(UInt64(buffer.count), remaining))
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
        if n == 0 { throw LegacyArchiveError(.truncated, "\(name): the archive ends inside member \(previous) (truncated)") }
        remaining -= UInt64(n)
        offset += UInt64(n)
        return n
    }

    // MARK: blocks

    private func readBlock() throws -> Bool {
        var filled = 0
        while filled < 512 {
            let n = try block.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 {
                if filled == 0 { return false }
                throw LegacyArchiveError(.truncated, "\(name): the archive ends inside a header after member \(previous) (truncated)")
            }
            filled += n
        }
        offset += 512
        return true
    }

    private func skipContent() throws {
        try skip(remaining)
        remaining = 0
        if padding > 0 { try skip(UInt64(padding)) }
        padding = 0
    }

    private func skip(_ count: UInt64) throws {
        var left = count
        var scratch = [UInt8](repeating: 0, count: 65536)
        while left > 0 {
            let want = Int(min(left, UInt64(scratch.count)))
            let n = try scratch.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<want])) }
            if n == 0 { throw LegacyArchiveError(.truncated, "\(name): the archive ends inside member \(previous) (truncated)") }
            left -= UInt64(n)
            offset += UInt64(n)
        }
    }

    private func readSmallContent(_ size: UInt64, what: String) throws -> [UInt8] {
        guard size <= 16 << 20 else { throw LegacyArchiveError(.corrupt, "\(name): \(what) of \(size) bytes after member \(previous) is implausibly large") }
        var data = [UInt8](repeating: 0, count: Int(size))
        guard try data.withUnsafeMutableBytes({ try source.readFully(into: $0) }) else {
            throw LegacyArchiveError(.truncated, "\(name): the archive ends inside a \(what) after member \(previous) (truncated)")
        }
        offset += size
        let pad = (512 - size % 512) % 512
        try skip(pad)
        return data
    }

    /// After the first zero block: a second one (or the end) closes the archive, and everything
    /// after must be zero padding.
    private func finishAfterEndMarker() throws {
        ended = true
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try scratch.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return }
            if scratch[0..<n].contains(where: { $0 != 0 }) {
                throw LegacyArchiveError(.corrupt, "\(name): garbage after the end of the archive (after member \(previous))")
            }
        }
    }

    // MARK: headers

    private func parsePax(_ data: [UInt8]) throws -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[i..<space], as: UTF8.self)), length > 0, i + length <= data.count,
                  data[i + length - 1] == UInt8(ascii: "\n"),
                  let equals = data[(space + 1)..<(i + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw LegacyArchiveError(.corrupt, "\(name): malformed PAX header after member \(previous)")
            }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records[key] = Array(data[(equals + 1)..<(i + length - 1)])
            i += length
        }
        return records
    }

    private func makeEntry(_ header: TarHeader, size: UInt64, longName: [UInt8]?, longLink: [UInt8]?,
                           pax: [String: [UInt8]]) throws -> TarEntry {
        let path = pax["path"] ?? longName ?? header.name
        let display = String(decoding: path, as: UTF8.self)
        if pax.keys.contains(where: { $0.hasPrefix("GNU.sparse.") }) || header.typeFlag == UInt8(ascii: "S") {
            throw LegacyArchiveError(.unsupported, "\(name): member \(display) is a GNU sparse file, which Silo does not import yet; re-create the archive without --sparse")
        }
        if header.typeFlag == UInt8(ascii: "M") {
            throw LegacyArchiveError(.unsupported, "\(name): member \(display) continues a multi-volume archive, which Silo does not import")
        }
        let kind: TarEntry.Kind
        switch header.typeFlag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = path.last == UInt8(ascii: "/") && header.format == .v7 ? .directory : .file
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        default:
            throw LegacyArchiveError(.unsupported, "\(name): member \(display) has tar type '\(String(UnicodeScalar(header.typeFlag)))', which Silo does not import")
        }
        func paxNumber(_ key: String) throws -> UInt64? {
            guard let text = pax[key] else { return nil }
            guard let value = UInt64(String(decoding: text, as: UTF8.self)) else {
                throw LegacyArchiveError(.corrupt, "\(name): bad PAX \(key) for member \(display)")
            }
            return value
        }
        func paxTime(_ key: String) throws -> Int64? {
            guard let text = pax[key] else { return nil }
            guard let value = Self.nanoseconds(String(decoding: text, as: UTF8.self)) else {
                throw LegacyArchiveError(.corrupt, "\(name): bad PAX \(key) for member \(display)")
            }
            return value
        }
        let gnuAtime = header.gnuAtime.map { Int64($0) * 1_000_000_000 }
        let realSize = try paxNumber("size") ?? size
        var xattrs: [(String, Data)] = []
        for (key, value) in pax where key.hasPrefix("SCHILY.xattr.") {
            xattrs.append((String(key.dropFirst("SCHILY.xattr.".count)), Data(value)))
        }
        xattrs.sort { $0.0 < $1.0 }
        return TarEntry(path: path, kind: kind, mode: UInt32(try header.mode & 0o7777),
                        uid: UInt32(truncatingIfNeeded: try paxNumber("uid") ?? header.uid),
                        gid: UInt32(truncatingIfNeeded: try paxNumber("gid") ?? header.gid),
                        userName: pax["uname"].map { String(decoding: $0, as: UTF8.self) } ?? (header.userName.isEmpty ? nil : header.userName),
                        groupName: pax["gname"].map { String(decoding: $0, as: UTF8.self) } ?? (header.groupName.isEmpty ? nil : header.groupName),
                        mtime: try paxTime("mtime") ?? Int64(try header.mtime) * 1_000_000_000,
                        atime: try paxTime("atime") ?? gnuAtime, ctime: try paxTime("ctime"),
                        size: realSize, linkTarget: pax["linkpath"] ?? longLink ?? header.linkName,
                        devMajor: try header.devMajor, devMinor: try header.devMinor, xattrs: xattrs)
    }

    /// "1700000000.123456789" (or negative) → nanoseconds.
    static func nanoseconds(_ text: String) -> Int64? {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = String(parts[1].prefix(9)).padding(toLength: 9, withPad: "0", startingAt: 0)
            guard let value = Int64(digits) else { return nil }
            fraction = value
        }
        let total = seconds * 1_000_000_000 + fraction
        return negative ? -total : total
    }
}
