import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    /// Compares the index with the store's listing of packs and records in the catalog the
    /// packs the index names that the store does not have: a backup then stores their chunks
    /// again instead of referencing data that is gone (FORMAT.md §10, invariant 8). One LIST
    /// on a local store, a few paginated requests on S3. Returns the missing packs.
    @discardableResult
    public func syncPackListing() throws -> [PackID] {
        do {
            let listed = Set(try store.list(prefix: ObjectKeys.packsPrefix).compactMap { ObjectKeys.id(from: $0, as: PackID.self) })
            let missing = try catalog.packs().map(\.id).filter { !listed.contains($0) }
            try catalog.setMissingPacks(missing)
            return missing
        } catch {
            throw RepositoryError.wrap(error, context: "listing packs")
        }
    }

    /// Takes the packs the store no longer has out of the index (`index rebuild`, `prune`).
    /// Each is confirmed missing by its own request first: a listing that missed a pack must
    /// never cost the pack its index entries (an unindexed pack is later collected).
    public func dropMissingPacksFromIndex() throws -> [PackID] {
        try syncCatalog()
        let missing = try syncPackListing().filter { !((try? store.exists(ObjectKeys.pack($0))) ?? true) }
        guard !missing.isEmpty else { return [] }
        do {
            _ = try rewriteIndex(without: Set(missing))
        } catch {
            throw RepositoryError.wrap(error, context: "dropping missing packs from the index")
        }
        try syncPackListing()
        return missing.sorted()
    }
}
