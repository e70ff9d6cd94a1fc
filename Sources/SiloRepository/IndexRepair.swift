import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    public struct IndexRepairResult: Sendable {
        public var packsIndexed = 0
        public var packsUnreadable: [PackID] = []
        public var indexFilesWritten = 0
        /// Damaged index files deleted once every pack in the store was indexed without them.
        public var damagedIndexFilesRemoved: [String] = []
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
            result.damagedIndexFilesRemoved = try removeDamagedIndexFiles()
        } catch {
            throw RepositoryError.wrap(error, context: "rebuilding the index from packs")
        }
        return result
    }

    /// A damaged index file can name nothing that the packs' trailers do not: once every pack in
    /// the store is indexed without it (above), it is only noise for every later open. Each is read
    /// again first (`readIndexFile`, as the catalog reads it), so that a passing read error, which
    /// throws, never costs an index file.
    private func removeDamagedIndexFiles() throws -> [String] {
        var removed: [String] = []
        for finding in findings where finding.kind == .indexFile {
            guard let id = ObjectKeys.id(from: finding.key, as: IndexID.self), try readIndexFile(id) == nil else { continue }
            try store.delete(finding.key)
            findingsLog.forget(key: finding.key)
            removed.append(finding.key)
        }
        return removed
    }
}
