import Foundation
import SiloFormat
import SiloRepository

/// A change to the tags of snapshots, with restic's semantics: `set` replaces them all (an
/// empty `set` removes every tag); otherwise `remove` takes tags away and `add` appends the
/// ones missing, in the order given.
public struct TagChange: Sendable, Equatable {
    public var add: [String]
    public var remove: [String]
    public var set: [String]?

    public init(add: [String] = [], remove: [String] = [], set: [String]? = nil) {
        self.add = add
        self.remove = remove
        self.set = set
    }

    public func applied(to tags: [String]) -> [String] {
        var result: [String] = []
        for tag in set ?? tags.filter({ !remove.contains($0) }) + add where !result.contains(tag) { result.append(tag) }
        return result
    }

    /// Writes the snapshot anew with the changed tags, then removes the old object
    /// (`Repository.replaceSnapshot`). The new snapshot's `original` names the first snapshot
    /// it descends from, as a copy's does, so that `copy` still knows it for the same snapshot.
    /// Both happen under `lease` (a backup lease, which a prune sees as a backup running),
    /// confirmed first: an interruption never falls between the write and the delete, and
    /// after one nothing more is changed. Returns the new ID, or nil when the tags are already
    /// as asked and nothing was written.
    public func apply(to id: SnapshotID, _ snapshot: Snapshot, in repository: Repository,
                      lease: HeldLease) throws -> (id: SnapshotID, snapshot: Snapshot)? {
        let tags = applied(to: snapshot.tags)
        guard tags != snapshot.tags else { return nil }
        var changed = snapshot
        changed.tags = tags
        changed.original = snapshot.original ?? id
        return try lease.whileCommitting {
            try lease.confirm()
            return (try repository.replaceSnapshot(id, with: changed), changed)
        }
    }
}
