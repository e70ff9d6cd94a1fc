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

extension Repository {
    /// Deletes the snapshot objects found damaged (`silo repair snapshots`), each read again
    /// first so that a passing read error never costs a snapshot. The data they referenced stays
    /// until a prune; nothing else references a snapshot object. Returns the keys removed.
    public func removeDamagedSnapshots() throws -> [String] {
        var removed: [String] = []
        for finding in findings where finding.kind == .snapshot {
            guard let id = ObjectKeys.id(from: finding.key, as: SnapshotID.self) else { continue }
            do {
                _ = try loadSnapshot(id)
                findingsLog.forget(key: finding.key)
                continue
            } catch let error as RepositoryError where error.code == .integrity {
                // still damaged: remove it
            } catch let error as StorageError where error.code == .notFound {
                findingsLog.forget(key: finding.key)
                continue
            }
            try removeSnapshot(id)
            findingsLog.forget(key: finding.key)
            removed.append(finding.key)
        }
        return removed
    }
}
