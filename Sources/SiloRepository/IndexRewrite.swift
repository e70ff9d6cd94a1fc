import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    /// Index files written by a rewrite hold up to this many chunk entries (a few MiB).
    static let entriesPerRewrittenIndex = 50_000

    /// Writes an index file (named by its content's hash) and returns its ID; the caller
    /// records it in the catalog once it is durable.
    func putIndexFile(_ index: IndexFile) throws -> IndexID {
        let data = index.encode(sealer: sealer)
        let id = IndexID(Crypto.sha256(data))
        try store.put(ObjectKeys.index(id), data: data)
        return id
    }

    /// Takes `packs` out of the index: reads only the index files that name one of them (the
    /// catalog, synchronised by the caller, knows which), writes what they still name into as
    /// few new index files as sizes allow, and only then deletes them: a crash in between
    /// leaves duplicates, never a gap. Returns how many index files were replaced.
    public func rewriteIndex(without packs: Set<PackID>) throws -> Int {
        let affected = Set(try catalog.packs().filter { packs.contains($0.id) }.map(\.index)).sorted()
        var remaining: [IndexFile.Pack] = []
        var entries = 0
        func writeRemaining() throws {
            guard !remaining.isEmpty else { return }
            let index = IndexFile(packs: remaining)
            try catalog.adoptIndexFile(try putIndexFile(index), index)
            remaining = []
            entries = 0
        }
        for id in affected {
            let index = try IndexFile.decode(try store.get(ObjectKeys.index(id)), sealer: sealer)
            for pack in index.packs where !packs.contains(pack.id) {
                remaining.append(pack)
                entries += pack.entries.count
                if entries >= Self.entriesPerRewrittenIndex { try writeRemaining() }
            }
        }
        try writeRemaining()
        for id in affected { try store.delete(ObjectKeys.index(id)) }
        try catalog.removeIndexFiles(affected)
        return affected.count
    }
}
