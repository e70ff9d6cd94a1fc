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

    /// The readable markers. A damaged one (not hashing to its name, or not authenticating) is
    /// recorded in `findings` and left out: it names no pack anyone can read, so no sweep can
    /// delete by it, and prune removes it (`removeDamagedMarkers`).
    public func deletionMarkers() throws -> [(key: String, marker: DeletionMarker)] {
        try store.list(prefix: DeletionMarker.prefix).sorted().compactMap { key in
            let data: Data
            do {
                data = try store.get(key)
            } catch let error as StorageError where error.code == .notFound {
                return nil  // a prune's sweep removed it since the listing
            }
            guard let marker = Self.decodeMarker(data, key: key, sealer: sealer) else {
                record(.deletionMarker, key, "deletion marker \(key) is damaged")
                return nil
            }
            return (key, marker)
        }
    }

    private static func decodeMarker(_ data: Data, key: String, sealer: ObjectSealer) -> DeletionMarker? {
        guard key.dropFirst(DeletionMarker.prefix.count) == Crypto.sha256(data).hex,
              let plain = try? sealer.open(data, kind: DeletionMarker.kind) else { return nil }
        return try? JSONDecoder().decode(DeletionMarker.self, from: plain)
    }

    /// Deletes the markers found damaged, each read again first (a finding may be old). Safe:
    /// the packs such a marker named stay where they are, and this prune marks them again if
    /// nothing needs them; a backup never relied on a marker it could not read. Returns the keys.
    public func removeDamagedMarkers() throws -> [String] {
        var removed: [String] = []
        for finding in findings where finding.kind == .deletionMarker {
            guard let data = try? store.get(finding.key),
                  Self.decodeMarker(data, key: finding.key, sealer: sealer) == nil else { continue }
            do {
                try store.delete(finding.key)
            } catch {
                throw RepositoryError.wrap(error, context: "removing damaged deletion marker \(finding.key)")
            }
            findingsLog.forget(key: finding.key)
            removed.append(finding.key)
        }
        return removed
    }
}
