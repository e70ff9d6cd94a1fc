import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    /// Brings the catalog in line with the repository: index files and snapshots added by
    /// other clients (or left by a killed run) are loaded, removed ones dropped. A damaged index
    /// file, snapshot or deletion marker is recorded in `findings` and left out, never fatal:
    /// on a new machine every object is read here, and one bad object must not stop the commands
    /// that do not need it. A damaged index file is not recorded as known, so it is read again
    /// (and reported again) until `index rebuild` replaces it.
    public func syncCatalog() throws {
        do {
            // Markers before the index: a prune's whole sweep (index rewritten, pack and marker
            // deleted) between the two listings would otherwise leave a deleted pack looking
            // indexed and unmarked (docs/model/prune.pml, variant SYNC_INDEX_FIRST).
            let storedMarkers = Set(try store.list(prefix: DeletionMarker.prefix))
            let knownMarkers = try catalog.knownMarkers()
            for key in knownMarkers.subtracting(storedMarkers) { try catalog.removeMarker(key) }
            if !storedMarkers.subtracting(knownMarkers).isEmpty {
                for (key, marker) in try deletionMarkers() where !knownMarkers.contains(key) && storedMarkers.contains(key) {
                    try catalog.markPacks(marker.packs, at: marker.marked, marker: key)
                }
            }
            let stored = Set(try store.list(prefix: ObjectKeys.indexPrefix).compactMap { ObjectKeys.id(from: $0, as: IndexID.self) })
            let known = try catalog.knownIndexFiles()
            try catalog.removeIndexFiles(Array(known.subtracting(stored)))
            for id in stored.subtracting(known).sorted() {
                guard let index = try readIndexFile(id) else { continue }
                try catalog.addIndexFile(id, index)
            }
            let storedSnapshots = Set(try store.list(prefix: ObjectKeys.snapshotsPrefix).compactMap { ObjectKeys.id(from: $0, as: SnapshotID.self) })
            let knownSnapshots = try catalog.knownSnapshots()
            for id in knownSnapshots.subtracting(storedSnapshots) { try catalog.removeSnapshot(id) }
            for id in storedSnapshots.subtracting(knownSnapshots) {
                guard let snapshot = try readSnapshotTolerantly(id) else { continue }
                try catalog.addSnapshot(id, snapshot)
            }
        } catch {
            throw RepositoryError.wrap(error, context: "synchronising the catalog")
        }
    }

    /// Recreates the catalog from the repository's objects alone; what it had to leave out is
    /// in `findings`.
    public func rebuildCatalog() throws {
        try catalog.clearAll()
        try syncCatalog()
    }

    /// An index file, checked against its name (FORMAT.md §10, invariant 4) and authenticated;
    /// nil when it was deleted since the listing or is damaged (then recorded as a finding).
    /// A newer format version is not damage: that stays fatal, and says to upgrade.
    func readIndexFile(_ id: IndexID) throws -> IndexFile? {
        let key = ObjectKeys.index(id)
        let data: Data
        do {
            data = try store.get(key)
        } catch let error as StorageError where error.code == .notFound {
            return nil
        }
        guard Crypto.sha256(data) == id.digest else {
            record(.indexFile, key, "index file \(key) is damaged: its content does not match its name")
            return nil
        }
        do {
            return try IndexFile.decode(data, sealer: sealer)
        } catch let error as FormatError where error.code == .unsupportedVersion {
            throw RepositoryError(.unsupportedVersion, "index file \(key): \(error.message)")
        } catch {
            record(.indexFile, key, "index file \(key) is damaged: \(error)")
            return nil
        }
    }

    /// A snapshot for the catalog; nil when deleted since the listing or damaged (recorded).
    func readSnapshotTolerantly(_ id: SnapshotID) throws -> Snapshot? {
        do {
            return try loadSnapshot(id)
        } catch let error as StorageError where error.code == .notFound {
            return nil
        } catch let error as RepositoryError where error.code == .integrity {
            record(.snapshot, ObjectKeys.snapshot(id), "\(ObjectKeys.snapshot(id)): \(error.message)")
            return nil
        }
    }

    func record(_ kind: RepositoryFinding.Kind, _ key: String, _ message: String) {
        findingsLog.record(RepositoryFinding(kind: kind, key: key, message: message))
    }

    /// Damage found since this repository was opened, each object once.
    public var findings: [RepositoryFinding] { findingsLog.all }
}
