import Foundation
import SiloFormat

extension Repository {
    /// Replaces the snapshot object `old` by `replacement` (same tree, other metadata): the new
    /// object is written first, the old one removed after. Interrupted in between, the
    /// repository holds both — two snapshots of the same data that differ only in what was
    /// changed — and never neither. Returns the new snapshot's ID.
    public func replaceSnapshot(_ old: SnapshotID, with replacement: Snapshot) throws -> SnapshotID {
        let id = try saveSnapshot(replacement)
        guard id != old else { return id }
        try removeSnapshot(old)
        return id
    }
}
