import Foundation
import SiloFormat

/// What `check --read-data` finds when it lays a pack's own trailer beside the index (restic's
/// checkPackInner is the model): blobs one lists and the other lacks, blobs that overlap, and
/// bytes that no blob accounts for. Writers put blobs back to back from the header to the trailer.
struct PackTrailerComparison {
    let problems: [String]

    init(trailer: [PackEntry], indexed: [PackEntry], trailerStart: UInt64) {
        var problems: [String] = []
        let trailerKeys = Set(trailer.map(Self.key))
        let indexKeys = Set(indexed.map(Self.key))
        for entry in trailer where !indexKeys.contains(Self.key(entry)) {
            problems.append("chunk \(entry.id.shortHex) at offset \(entry.offset) is in the pack's trailer but not in the index")
        }
        for entry in indexed where !trailerKeys.contains(Self.key(entry)) {
            problems.append("the index places chunk \(entry.id.shortHex) at offset \(entry.offset), length \(entry.length), where the pack's trailer has no such blob")
        }
        var cursor = UInt64(PackFormat.header.count)
        for entry in trailer.sorted(by: { $0.offset < $1.offset }) {
            let start = UInt64(entry.offset)
            if start < cursor {
                problems.append("chunk \(entry.id.shortHex) at offset \(start) overlaps the blob before it (which ends at \(cursor))")
            } else if start > cursor {
                problems.append("\(start - cursor) byte(s) at offset \(cursor) belong to no blob")
            }
            cursor = max(cursor, start + UInt64(entry.length))
        }
        if cursor < trailerStart {
            problems.append("\(trailerStart - cursor) byte(s) at offset \(cursor), before the trailer, belong to no blob")
        }
        self.problems = problems
    }

    /// A blob as both lists place it; two entries for one chunk at different places differ.
    private static func key(_ entry: PackEntry) -> String {
        "\(entry.id.hex):\(entry.offset):\(entry.length):\(entry.rawLength):\(entry.compression.rawValue)"
    }
}
