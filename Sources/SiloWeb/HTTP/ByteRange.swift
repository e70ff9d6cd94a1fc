/// One `Range: bytes=…` request (RFC 9110 §14.2), resolved against a size. Several ranges, or
/// anything unparsable, are served whole (allowed by the RFC); a range that cannot be satisfied
/// is answered 416.
enum ByteRange: Equatable {
    case whole
    case partial(ClosedRange<UInt64>)
    case unsatisfiable

    init(header: String?, size: UInt64) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { self = .whole; return }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { String($0) }
        guard parts.count == 2 else { self = .whole; return }
        if parts[0].isEmpty {
            // A suffix: the last N bytes.
            guard let count = UInt64(parts[1]), count > 0 else { self = parts[1].allSatisfy(\.isNumber) && !parts[1].isEmpty ? .unsatisfiable : .whole; return }
            self = size == 0 ? .unsatisfiable : .partial((size - min(count, size))...(size - 1))
            return
        }
        guard let start = UInt64(parts[0]) else { self = .whole; return }
        guard start < size else { self = .unsatisfiable; return }
        if parts[1].isEmpty { self = .partial(start...(size - 1)); return }
        guard let end = UInt64(parts[1]) else { self = .whole; return }
        guard end >= start else { self = .whole; return }
        self = .partial(start...min(end, size - 1))
    }
}
