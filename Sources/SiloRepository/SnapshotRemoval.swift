import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    /// Removes a snapshot object. Its data stays until a prune collects what no snapshot
    /// references any more; removing snapshots alone never makes another snapshot unreadable.
    public func removeSnapshot(_ id: SnapshotID) throws {
        do {
            try store.delete(ObjectKeys.snapshot(id))
        } catch {
            throw RepositoryError.wrap(error, context: "removing snapshot \(id.shortHex)")
        }
        try catalog.removeSnapshot(id)
    }
}
