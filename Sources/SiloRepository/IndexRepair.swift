import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    public struct IndexRepairResult: Sendable {
        public var packsIndexed = 0
        public var packsUnreadable: [PackID] = []
        public var indexFilesWritten = 0
    }

    /// Writes index files for every pack that no index file names, from the packs' own
    /// trailers. Recovers from lost or damaged index files; deletes nothing.
    public func indexUnindexedPacks() throws -> IndexRepairResult {
        var result = IndexRepairResult()
        do {
            try syncCatalog()
            let indexed = Set(try catalog.packs().map(\.id))
            var batch: [IndexFile.Pack] = []
            func writeBatch() throws {
                guard !batch.isEmpty else { return }
                let index = IndexFile(packs: batch)
                try catalog.addIndexFile(try putIndexFile(index), index)
                result.indexFilesWritten += 1
                batch = []
            }
            for key in try store.list(prefix: ObjectKeys.packsPrefix).sorted() {
                guard let id = ObjectKeys.id(from: key, as: PackID.self), !indexed.contains(id) else { continue }
                do {
                    let size = try store.stat(key).size
                    let lengthBytes = try store.get(key, offset: size - 4, length: 4)
                    let trailerLength = try PackFormat.trailerLength(fromTail: lengthBytes)
                    guard UInt64(trailerLength + 4) < size else { throw FormatError(.malformed, "trailer longer than the pack") }
                    let tail = try store.get(key, offset: size - UInt64(trailerLength + 4), length: trailerLength + 4)
                    let entries = try PackFormat.entries(fromTail: tail, sealer: sealer, packSize: size)
                    batch.append(IndexFile.Pack(id: id, size: size, entries: entries))
                    result.packsIndexed += 1
                } catch {
                    result.packsUnreadable.append(id)
                }
                if batch.count >= 64 { try writeBatch() }
            }
            try writeBatch()
        } catch {
            throw RepositoryError.wrap(error, context: "rebuilding the index from packs")
        }
        return result
    }
}
