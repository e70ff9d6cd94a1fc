import Foundation

/// Writes a POSIX pax archive (what `tar --format=pax` writes): a ustar header per member,
/// preceded by an extended header whenever ustar cannot hold a value exactly — long or
/// non-ASCII paths and link targets, sizes ≥ 8 GiB, large ids, sub-second times, long
/// user/group names, extended attributes (`SCHILY.xattr.*`).
final class TarWriter {
    enum Kind { case file, hardLink, symlink, characterDevice, blockDevice, directory, fifo }

    struct Member {
        var path: [UInt8]
        var kind: Kind
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var userName: String?
        var groupName: String?
        var mtime: Int64
        var atime: Int64?
        var size: UInt64 = 0
        var linkTarget: [UInt8] = []
        var devMajor: UInt64 = 0
        var devMinor: UInt64 = 0
        var xattrs: [(String, Data)] = []
    }

    private let sink: ByteSink
    private var written: UInt64 = 0
    private var pendingPadding = 0

    init(_ sink: ByteSink) { self.sink = sink }

    /// Writes a member's header; for files, `content` must then be written, exactly `size` bytes.
    func begin(_ member: Member) throws {
        try padPrevious()
        var pax: [(String, [UInt8])] = []
        let path = member.kind == .directory && member.path.last != UInt8(ascii: "/") ? member.path + [UInt8(ascii: "/")] : member.path
        let split = Self.splitUstar(path)
        if split == nil { pax.append(("path", path)) }
        if member.linkTarget.count > 100 || !Self.isASCII(member.linkTarget) { pax.append(("linkpath", member.linkTarget)) }
        if member.size > 0o77777777777 { pax.append(("size", Array(String(member.size).utf8))) }
        if member.uid > 0o7777777 { pax.append(("uid", Array(String(member.uid).utf8))) }
        if member.gid > 0o7777777 { pax.append(("gid", Array(String(member.gid).utf8))) }
        // ustar holds whole seconds of mtime only: sub-seconds, and an atime of its own, go to pax.
        // (ctime cannot be set on extraction and is left out, as GNU tar does by default.)
        if member.mtime % 1_000_000_000 != 0 || member.mtime < 0 { pax.append(("mtime", Array(Self.timeText(member.mtime).utf8))) }
        if let atime = member.atime, atime != member.mtime { pax.append(("atime", Array(Self.timeText(atime).utf8))) }
        if let user = member.userName, user.utf8.count > 31 || !Self.isASCII(Array(user.utf8)) { pax.append(("uname", Array(user.utf8))) }
        if let group = member.groupName, group.utf8.count > 31 || !Self.isASCII(Array(group.utf8)) { pax.append(("gname", Array(group.utf8))) }
        for (name, value) in member.xattrs { pax.append(("SCHILY.xattr." + name, Array(value))) }
        let needed = pax
        if !needed.isEmpty {
            var body: [UInt8] = []
            for (key, value) in needed { body += Self.paxRecord(key, value) }
            let base = path.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? path
            let headerName = Array("PaxHeaders/".utf8) + base.prefix(88)
            try writeHeader(name: headerName, prefix: [], type: UInt8(ascii: "x"), member: member, size: UInt64(body.count), linkName: [])
            try sink.write(body)
            written += UInt64(body.count)
            try padTo512()
        }
        let type: UInt8
        switch member.kind {
        case .file: type = UInt8(ascii: "0")
        case .hardLink: type = UInt8(ascii: "1")
        case .symlink: type = UInt8(ascii: "2")
        case .characterDevice: type = UInt8(ascii: "3")
        case .blockDevice: type = UInt8(ascii: "4")
        case .directory: type = UInt8(ascii: "5")
        case .fifo: type = UInt8(ascii: "6")
        }
        let (prefix, name) = split ?? ([], Array(path.suffix(100)))
        try writeHeader(name: name, prefix: prefix, type: type, member: member, size: member.kind == .file ? member.size : 0,
                        linkName: Array(member.linkTarget.prefix(100)))
    }

    func content(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        written += UInt64(bytes.count)
    }

    /// Two zero blocks, then zeros to a multiple of 10240 bytes (GNU tar's record size).
    func finish() throws {
        try padPrevious()
        var end = 1024
        let total = written + UInt64(end)
        end += Int((10240 - total % 10240) % 10240)
        try sink.write([UInt8](repeating: 0, count: end))
        try sink.finish()
    }

    private func padPrevious() throws { try padTo512() }

    private func padTo512() throws {
        let pad = Int((512 - written % 512) % 512)
        if pad > 0 {
            try sink.write([UInt8](repeating: 0, count: pad))
            written += UInt64(pad)
        }
    }

    private func writeHeader(name: [UInt8], prefix: [UInt8], type: UInt8, member: Member, size: UInt64, linkName: [UInt8]) throws {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], _ offset: Int, _ length: Int) {
            for (i, byte) in bytes.prefix(length).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: UInt64, _ offset: Int, _ length: Int) {
            let text = String(min(value, (1 << (3 * UInt64(length - 1))) - 1), radix: 8)
            put(Array(String(repeating: "0", count: max(0, length - 1 - text.count)).utf8) + Array(text.utf8), offset, length - 1)
        }
        put(name, 0, 100)
        octal(UInt64(member.mode & 0o7777), 100, 8)
        octal(UInt64(member.uid), 108, 8)
        octal(UInt64(member.gid), 116, 8)
        octal(size, 124, 12)
        octal(UInt64(max(0, member.mtime / 1_000_000_000)), 136, 12)
        block[156] = type
        put(linkName, 157, 100)
        put(Array("ustar\0".utf8), 257, 6)
        put(Array("00".utf8), 263, 2)
        put(Array((member.userName ?? "").utf8), 265, 31)
        put(Array((member.groupName ?? "").utf8), 297, 31)
        if member.kind == .characterDevice || member.kind == .blockDevice {
            octal(member.devMajor, 329, 8)
            octal(member.devMinor, 337, 8)
        }
        put(prefix, 345, 155)
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        let text = String(sum, radix: 8)
        put(Array(String(repeating: "0", count: 6 - text.count).utf8) + Array(text.utf8) + [0, UInt8(ascii: " ")], 148, 8)
        try sink.write(block)
        written += 512
    }

    /// ustar's name (100) and prefix (155) split of an ASCII path, or nil when it does not fit.
    static func splitUstar(_ path: [UInt8]) -> (prefix: [UInt8], name: [UInt8])? {
        guard isASCII(path) else { return nil }
        if path.count <= 100 { return ([], path) }
        guard path.count <= 256 else { return nil }
        for i in stride(from: min(155, path.count - 1), through: 1, by: -1) where path[i] == UInt8(ascii: "/") {
            let name = Array(path[(i + 1)...])
            if name.count <= 100 && !name.isEmpty { return (Array(path[..<i]), name) }
        }
        return nil
    }

    static func isASCII(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 < 0x80 && $0 != 0 } }

    /// "seconds.nanoseconds" without trailing zeros (whole seconds without a point).
    static func timeText(_ nanoseconds: Int64) -> String {
        let negative = nanoseconds < 0
        let magnitude = nanoseconds.magnitude
        let seconds = magnitude / 1_000_000_000, fraction = magnitude % 1_000_000_000
        var text = (negative ? "-" : "") + String(seconds)
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    /// "<length> key=value\n", the length counting itself.
    static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
        return Array(String(length).utf8) + body
    }
}
