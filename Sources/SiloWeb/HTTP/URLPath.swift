/// Paths inside snapshots as they travel in URLs: every byte that is not unreserved is
/// percent-encoded, so names that are not UTF-8 survive; decoding refuses `.` and `..`
/// segments, NUL and a bad escape (the request is then a 400, never a walk outside the tree).
enum URLPath {
    static func encode(_ path: [UInt8]) -> String {
        var out = ""
        for byte in path {
            let c = Character(Unicode.Scalar(byte))
            if byte < 128 && (c.isLetter || c.isNumber || "-._~/".contains(c)) { out.append(c) } else { out += "%" + hex(byte) }
        }
        return out
    }

    static func encodeSegment(_ name: [UInt8]) -> String { encode(name).replacingOccurrences(of: "/", with: "%2F") }

    /// The bytes of a percent-encoded path; nil for a traversal or a malformed escape.
    static func decode(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second < utf8.endIndex, let high = value(utf8[first]), let low = value(utf8[second]) else { return nil }
                bytes.append(high << 4 | low)
                index = utf8.index(after: second)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        guard !bytes.contains(0) else { return nil }
        let segments = bytes.split(separator: 47, omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0.elementsEqual([46]) || $0.elementsEqual([46, 46]) }) else { return nil }
        return segments.isEmpty ? [47] : segments.reduce(into: [UInt8]()) { $0 += [47] + $1 }
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: digit - 48
        case 65...70: digit - 55
        case 97...102: digit - 87
        default: nil
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        String(format: "%02X", byte)
    }
}
