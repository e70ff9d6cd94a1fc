import Foundation
import SiloFormat
import SiloRepository
import SiloStorage

/// The mark phase: which packs this run records in a deletion marker, and the repacking that
/// lets mostly dead packs be among them.
extension Pruner {
    /// Marks the packs no snapshot needs; returns the marker written, if any.
    func markUnneeded() throws -> (key: String, marker: DeletionMarker)? {
        let catalog = repository.catalog
        let alreadyMarked = Set(try catalog.markedPacks())
        var toMark: [PackID] = []
        var usage = try catalog.packUsage().filter { !alreadyMarked.contains($0.pack) }

        // Packs without a kept chunk (dead, or only duplicates of chunks kept elsewhere).
        for pack in usage where pack.liveBytes == 0 {
            toMark.append(pack.pack)
            report.bytesMarked += pack.size
        }
        usage.removeAll { $0.liveBytes == 0 }

        // Packs no index names (left by killed backups, or by a killed prune's rewrite).
        let indexed = Set(try catalog.packs().map(\.id))
        for key in try repository.store.list(prefix: ObjectKeys.packsPrefix) {
            guard let id = PackID(hex: String(key.split(separator: "/").last ?? "")), !indexed.contains(id), !alreadyMarked.contains(id) else { continue }
            toMark.append(id)
            report.bytesMarked += (try? repository.store.stat(key).size) ?? 0
        }

        var repack = mostlyDeadPacks(usage)
        repack += try packsLosingBases(leaving: alreadyMarked.union(toMark).union(repack))
        if !repack.isEmpty && !options.dryRun { try repackKeptChunks(of: repack) }
        let sizes = Dictionary(usage.map { ($0.pack, $0.size) }, uniquingKeysWith: { a, _ in a })
        report.bytesMarked += repack.reduce(UInt64(0)) { $0 + (sizes[$1] ?? 0) }
        toMark += repack
        report.packsMarked = toMark.count
        guard !toMark.isEmpty && !options.dryRun else { return nil }
        let marker = DeletionMarker(marked: Date().timeIntervalSince1970, packs: toMark)
        return (try repository.writeDeletionMarker(marker), marker)
    }

    /// Mostly-dead packs to repack, emptiest first, while unused data is above the limit. Only
    /// chunk bytes count: a pack's header and trailer are not "unused", else every small pack
    /// would look mostly dead and be repacked on every run.
    private func mostlyDeadPacks(_ usage: [Catalog.PackUsage]) -> [PackID] {
        let total = usage.reduce(UInt64(0)) { $0 + $1.liveBytes + $1.deadBytes }
        var unused = usage.reduce(UInt64(0)) { $0 + $1.deadBytes }
        let candidates = usage.filter { $0.deadBytes > 0 && $0.liveFraction < options.repackThreshold }
            .sorted { $0.liveFraction < $1.liveFraction }
        var repack: [PackID] = []
        for pack in candidates where Double(unused) > options.maxUnused * Double(max(total, 1)) {
            repack.append(pack.pack)
            unused -= pack.deadBytes
        }
        return repack
    }

    /// Packs that stay but hold a delta whose base leaves with the packs in `leaving` (the base
    /// is not live, so nothing keeps a copy of it): they are repacked as well, whatever their
    /// share of live data, so the dead delta leaves the index with its base (FORMAT.md §10,
    /// invariant 7). Repacking one may take away the base of a delta in another: until none.
    private func packsLosingBases(leaving: Set<PackID>) throws -> [PackID] {
        var leaving = leaving, forced: [PackID] = []
        while true {
            let more = try repository.catalog.packsWithDeltasLosingTheirBase(leaving: leaving)
            guard !more.isEmpty else { break }
            forced += more.sorted()
            leaving.formUnion(more)
        }
        report.packsRepackedForDeadDeltas = forced.count
        return forced
    }

    /// Copies the kept chunks of `packs` into new packs (stored bytes as they are, after
    /// authenticating them) and indexes those; the old packs can then be marked. A chunk kept
    /// elsewhere is not copied, nor a dead one: a dead delta leaves with its pack.
    private func repackKeptChunks(of packs: [PackID]) throws {
        let writer = try BlobWriter(repository: repository)
        var copied = Set<ChunkID>()
        for pack in packs {
            let data = try repository.store.get(ObjectKeys.pack(pack))
            for entry in try repository.catalog.keptEntries(inPack: pack) where copied.insert(entry.id).inserted {
                let start = Int(entry.offset), end = start + Int(entry.length)
                guard end <= data.count else { throw RepositoryError(.integrity, "pack \(pack.shortHex) is shorter than its index says") }
                let stored = Data(data[start..<end])
                _ = try repository.codec.decode(stored, id: entry.id, compression: entry.compression, rawLength: Int(entry.rawLength),
                                                base: try repository.basePlaintext(of: entry))
                try writer.add(EncodedBlob(id: entry.id, type: entry.type, compression: entry.compression,
                                           rawLength: Int(entry.rawLength), stored: stored, base: entry.base))
                report.bytesMoved += UInt64(entry.length)
            }
            report.packsRepacked += 1
            report.bytesRepacked += UInt64(data.count)
        }
        try writer.flush()
    }
}
