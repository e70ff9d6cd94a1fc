import Foundation
import SiloFormat
import SiloStorage

/// Packs a prune found unneeded, recorded for deletion by a later prune (docs/FORMAT.md §11).
/// Deleting in a later run is what makes prune safe beside backups: a backup that started before
/// the mark may still reference the packs, and a backup that started after it does not use them.
public struct DeletionMarker: Codable, Sendable, Equatable {
    public static let prefix = "deletions/"
    static let kind = "silo.deletion-marker"

    public var version = 1
    /// When the packs were marked, seconds since the epoch.
    public var marked: Double
    public var packs: [PackID]

    public init(marked: Double, packs: [PackID]) {
        self.marked = marked
        self.packs = packs.sorted()
    }
}

extension Repository {
    /// Writes a marker; returns its key.
    @discardableResult
    public func writeDeletionMarker(_ marker: DeletionMarker) throws -> String {
        let data = sealer.seal(try JSONEncoder().encode(marker), kind: DeletionMarker.kind)
        let key = DeletionMarker.prefix + Crypto.sha256(data).hex
        do {
            try store.put(key, data: data)
        } catch {
            throw RepositoryError.wrap(error, context: "writing deletion marker")
        }
        try catalog.markPacks(marker.packs, at: marker.marked, marker: key)
        return key
    }

    public func deletionMarkers() throws -> [(key: String, marker: DeletionMarker)] {
        try store.list(prefix: DeletionMarker.prefix).sorted().compactMap { key in
            let data: Data
            do {
                data = try store.get(key)
            } catch let error as StorageError where error.code == .notFound {
                return nil  // a prune's sweep removed it since the listing
            }
            guard let plain = try? sealer.open(data, kind: DeletionMarker.kind),
                  let marker = try? JSONDecoder().decode(DeletionMarker.self, from: plain) else {
                throw RepositoryError(.integrity, "deletion marker \(key) is damaged; remove it to let prune go on")
            }
            return (key, marker)
        }
    }
}
