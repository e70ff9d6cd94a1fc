import Foundation
import SiloFormat
import SiloRepository

/// Sizes of a set of snapshots against what the repository stores for them.
public struct RepositoryStatistics: Sendable {
    /// Sum of the snapshots' file sizes, as if each were a full copy.
    public let logicalBytes: UInt64
    public let index: Catalog.IndexTotals

    public init(snapshots: [(id: SnapshotID, snapshot: Snapshot)], repository: Repository) throws {
        logicalBytes = snapshots.reduce(UInt64(0)) { $0 + $1.snapshot.summary.totalBytes }
        index = try repository.indexTotals()
    }

    /// Logical size over unique plaintext.
    public var deduplicationRatio: Double { ratio(logicalBytes, index.rawBytes) }
    /// Unique plaintext over stored (compressed, encrypted) bytes.
    public var compressionRatio: Double { ratio(index.rawBytes, index.storedBytes) }
    /// Logical size over the bytes the packs take: what all the saving adds up to.
    public var overallRatio: Double { ratio(logicalBytes, index.packBytes) }

    private func ratio(_ a: UInt64, _ b: UInt64) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
}
