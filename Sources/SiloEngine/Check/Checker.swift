import Foundation
import SiloFormat
import SiloRepository
import SiloStorage

public struct CheckOptions: Sendable {
    public var readData = false
    /// Read this percentage of packs (chosen at random) instead of all of them.
    public var readDataPercent: Double?
    /// Read group `index` of `count` (1-based, restic's `--read-data-subset n/t`) instead: the
    /// packs whose ID falls in that group. Reading groups 1…count in turn reads every pack
    /// once, which a random share cannot promise (`silo run` rotates through them).
    public var readDataGroup: ReadDataGroup?
    public init() {}
}

/// Group `index` of `count` of the packs, by their IDs: a fixed partition, so that the groups
/// read in turn cover every pack.
public struct ReadDataGroup: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `n/t` with 1 ≤ n ≤ t.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), let t = Int(parts[1]) else { return nil }
        self.init(index: n, count: t)
    }

    public func contains(_ pack: PackID) -> Bool { Int(pack.digest.w0 % UInt64(count)) == index - 1 }

    public var description: String { "\(index)/\(count)" }
}

public struct CheckReport: Sendable {
    public struct Damage: Sendable {
        public let chunk: ChunkID
        public let pack: PackID
        public let reason: String
    }
    public struct AffectedFile: Sendable {
        public let snapshot: SnapshotID
        public let path: String
    }

    public var errors: [String] = []
    public var notes: [String] = []
    public var snapshots = 0
    public var trees = 0
    public var packs = 0
    public var packsRead = 0
    public var chunksRead = 0
    public var bytesRead: UInt64 = 0
    public var damaged: [Damage] = []
    public var affected: [AffectedFile] = []

    public var isClean: Bool { errors.isEmpty }
}

/// Verifies a repository against the invariants of docs/FORMAT.md, reading the repository's
/// objects (not the catalog's copies) wherever that is what is being checked.
public final class Checker: @unchecked Sendable {
    private let repository: Repository
    private let options: CheckOptions
    private let onMessage: @Sendable (String) -> Void
    private var report = CheckReport()
    /// Chunks whose chain of delta bases was found whole in the index (each is walked once).
    private var chainsFound = Set<ChunkID>()
    /// Packs the index names that the store does not have, and the chunks that had their only
    /// copy there.
    private var missingPacks = Set<PackID>()
    /// Packs shorter than the index says, with the size they have.
    private var truncatedPacks: [PackID: UInt64] = [:]
    private var lostChunks = Set<ChunkID>()
    private var catalogDisagrees = 0

    public init(repository: Repository, options: CheckOptions, onMessage: @escaping @Sendable (String) -> Void = { _ in }) {
        self.repository = repository
        self.options = options
        self.onMessage = onMessage
    }

    public func run() throws -> CheckReport {
        let indexedPacks = try checkIndexFiles()
        if catalogDisagrees > 0 {
            error("the local catalog disagrees with the repository's index about \(catalogDisagrees) pack(s); the repository is not damaged: run `silo catalog rebuild`")
        }
        let damagedTrees = try repository.catalog.dropDamagedCachedTrees(identifier: repository.codec.identifier)
        if damagedTrees > 0 {
            note("dropped \(damagedTrees) tree(s) from the local cache that did not match their IDs (the cache was damaged, not the repository); they are read from the repository again")
        }
        for finding in repository.findings where finding.kind == .catalog { note(finding.message) }
        try checkKeyFiles()
        try checkDeletionMarkers()
        try checkPacks(indexedPacks: indexedPacks)
        try findLostChunks()
        try checkDeltaBases()

        // Snapshots and trees: every snapshot authenticates, every tree decodes, every chunk a
        // file names is in the index. A damaged snapshot is named and the others still checked.
        var snapshots: [(SnapshotID, Snapshot)] = []
        for key in try repository.store.list(prefix: ObjectKeys.snapshotsPrefix) {
            guard let id = ObjectKeys.id(from: key, as: SnapshotID.self) else { continue }
            do {
                snapshots.append((id, try repository.loadSnapshot(id)))
            } catch {
                self.error("snapshot \(id.shortHex) (\(key)) is damaged: \(error)")
            }
        }
        report.snapshots = snapshots.count
        var visitedTrees = Set<ChunkID>()
        var missingChunks = Set<ChunkID>()
        for (id, snapshot) in snapshots {
            checkTree(snapshot.tree, path: "", snapshot: id, visited: &visitedTrees, missing: &missingChunks)
        }
        report.trees = visitedTrees.count

        if options.readData || options.readDataPercent != nil || options.readDataGroup != nil {
            try readData(indexedPacks: indexedPacks)
        }
        if !report.damaged.isEmpty || !lostChunks.isEmpty {
            try findAffectedFiles(snapshots)
        }
        return report
    }

    /// Each index file must hash to its name and authenticate; returns the packs they name
    /// with the sizes they record.
    private func checkIndexFiles() throws -> [PackID: UInt64] {
        var indexedPacks: [PackID: UInt64] = [:]
        for key in try repository.store.list(prefix: ObjectKeys.indexPrefix) {
            do {
                let data = try repository.store.get(key)
                guard let id = ObjectKeys.id(from: key, as: IndexID.self), Crypto.sha256(data) == id.digest else {
                    error("index file \(key) does not match its name (damaged); run `silo index rebuild`")
                    continue
                }
                for pack in try IndexFile.decode(data, sealer: repository.sealer).packs {
                    indexedPacks[pack.id] = pack.size
                    try compareWithCatalog(pack, indexFile: key)
                }
            } catch {
                self.error("index file \(key) is damaged: \(error); run `silo index rebuild`")
            }
        }
        return indexedPacks
    }

    /// Key files hash to their names (invariant 4) and parse; one that does not is named even
    /// when another key opened the repository.
    private func checkKeyFiles() throws {
        for key in try repository.store.list(prefix: ObjectKeys.keysPrefix) {
            guard let id = ObjectKeys.id(from: key, as: KeyID.self) else { continue }
            let data = try repository.store.get(key)
            if Repository.intactKeyFile(data, id: id) == nil {
                error("key file \(key) is damaged: its content does not match its name; remove it with `silo key remove \(id.shortHex)`")
            }
        }
    }

    /// Deletion markers hash to their names and authenticate (invariant 4).
    private func checkDeletionMarkers() throws {
        _ = try repository.deletionMarkers()
        for finding in repository.findings where finding.kind == .deletionMarker {
            error("\(finding.message) (it does not match its name or does not authenticate); the next prune removes it")
        }
    }

    /// Every pack the index names exists with the size the index records (invariant 5); a
    /// shorter one loses the chunks past its end.
    private func checkPacks(indexedPacks: [PackID: UInt64]) throws {
        var storedPacks: [PackID: UInt64] = [:]
        for key in try repository.store.list(prefix: ObjectKeys.packsPrefix) {
            guard let id = ObjectKeys.id(from: key, as: PackID.self) else { continue }
            storedPacks[id] = try repository.store.stat(key).size
        }
        report.packs = storedPacks.count
        for (id, size) in indexedPacks {
            guard let stored = storedPacks[id] else {
                error("pack \(id.shortHex) is named by the index but missing")
                missingPacks.insert(id)
                continue
            }
            if stored != size {
                error("pack \(id.shortHex) has \(stored) bytes, the index says \(size)")
                if stored < size { truncatedPacks[id] = stored }
            }
        }
        if let temporaryFiles = repository.store.temporaryFiles {
            let leftovers = try temporaryFiles.leftovers()
            if !leftovers.isEmpty {
                let bytes = leftovers.reduce(UInt64(0)) { $0 + $1.size }
                note("\(leftovers.count) temporary file(s), \(bytes) bytes, left by interrupted runs (or written right now); harmless, prune removes those older than every running backup")
            }
        }
        let unindexed = storedPacks.keys.filter { indexedPacks[$0] == nil }
        if !unindexed.isEmpty {
            note("\(unindexed.count) pack(s) are not in any index (left by an interrupted backup; harmless, removed by a later prune)")
        }
    }

    /// The chunks whose every copy is in a missing pack or past the end of a truncated one;
    /// every file needing one is named at the end.
    private func findLostChunks() throws {
        guard !missingPacks.isEmpty || !truncatedPacks.isEmpty else { return }
        // The catalog learns which packs are gone, so that a copy elsewhere is preferred.
        if !missingPacks.isEmpty { try repository.syncPackListing() }
        // Copies that cannot be read, as (pack, chunk) pairs.
        var unusable = Set<[Digest32]>()
        for pack in missingPacks {
            for entry in try repository.catalog.entries(inPack: pack) { unusable.insert([pack.digest, entry.id.digest]) }
        }
        for (pack, size) in truncatedPacks {
            for entry in try repository.catalog.entries(inPack: pack) where UInt64(entry.offset) + UInt64(entry.length) > size {
                unusable.insert([pack.digest, entry.id.digest])
            }
        }
        for chunk in Set(unusable.map { ChunkID($0[1]) }) where !lostChunks.contains(chunk) {
            let copies = try repository.catalog.packs(holding: chunk)
            if copies.allSatisfy({ unusable.contains([$0.digest, chunk.digest]) }) { lostChunks.insert(chunk) }
        }
    }

    /// Every base of every indexed delta is indexed (invariant 7), reached by a snapshot or not.
    private func checkDeltaBases() throws {
        for (delta, base) in try repository.catalog.deltasWithoutBase() {
            error("delta chunk \(delta.shortHex) is indexed but its base \(base.shortHex) is not (a later backup could reuse it and fail to restore); run `silo index rebuild`, then `silo check --read-data`")
        }
    }

    /// Work left in a snapshot's trees, last first: a tree to read, or a node whose chunks to look up.
    private enum Step {
        case tree(ChunkID, path: String)
        case content(Node, path: String)
    }

    /// Every tree below `id` decodes and every chunk a file names is in the index. A loop over
    /// an explicit stack, not recursion: a snapshot's depth comes from its data, and recursion as
    /// deep as that overflows the thread's stack. A tree's steps are pushed in reverse, each
    /// node's subtree above its chunks, which keeps recursion's order of messages.
    private func checkTree(_ id: ChunkID, path: String, snapshot: SnapshotID, visited: inout Set<ChunkID>,
                           missing: inout Set<ChunkID>) {
        var steps: [Step] = [.tree(id, path: path)]
        while let step = steps.popLast() {
            switch step {
            case .tree(let id, let path):
                guard visited.insert(id).inserted else { continue }
                let tree: Tree
                do {
                    tree = try repository.loadTree(id, useCache: false)
                } catch {
                    self.error("snapshot \(snapshot.shortHex): tree \(id.shortHex) at \(path.isEmpty ? "/" : path) cannot be read: \(error)")
                    continue
                }
                for node in tree.nodes.reversed() {
                    let childPath = path + "/" + node.name.displayString
                    if node.content != nil { steps.append(.content(node, path: childPath)) }
                    if let subtree = node.subtree { steps.append(.tree(subtree, path: childPath)) }
                }
            case .content(let node, let path):
                for chunk in node.content ?? [] where !missing.contains(chunk) && !chainsFound.contains(chunk) {
                    if let problem = chainProblem(chunk) {
                        missing.insert(chunk)
                        self.error("snapshot \(snapshot.shortHex): \(path) needs chunk \(chunk.shortHex): \(problem)")
                    } else {
                        chainsFound.insert(chunk)
                    }
                }
            }
        }
    }

    /// The catalog is the fast local view of the index: its rows for a pack must be the index
    /// file's entries, or lookups would send reads to the wrong bytes.
    private func compareWithCatalog(_ pack: IndexFile.Pack, indexFile: String) throws {
        let cataloged = try repository.catalog.entries(inPack: pack.id).sorted { $0.offset < $1.offset }
        var seen = Set<ChunkID>()
        let indexed = pack.entries.filter { seen.insert($0.id).inserted }.sorted { $0.offset < $1.offset }
        if cataloged != indexed {
            catalogDisagrees += 1
            onMessage("error: the local catalog's entries for pack \(pack.id.shortHex) differ from \(indexFile)")
        }
    }

    private func readData(indexedPacks: [PackID: UInt64]) throws {
        var packs = indexedPacks.keys.sorted()
        if let group = options.readDataGroup {
            packs = packs.filter(group.contains)
        } else if let percent = options.readDataPercent {
            let count = max(1, Int((Double(packs.count) * percent / 100).rounded(.up)))
            packs = Array(packs.shuffled().prefix(count))
        }
        for pack in packs {
            let data: Data
            do {
                data = try repository.store.get(ObjectKeys.pack(pack))
            } catch {
                self.error("pack \(pack.shortHex) cannot be read: \(error)")
                continue
            }
            report.packsRead += 1
            report.bytesRead += UInt64(data.count)
            if Crypto.sha256(data) != pack.digest {
                self.error("pack \(pack.shortHex) is damaged: its content does not match its ID")
            }
            let indexed = try repository.catalog.entries(inPack: pack)
            compareTrailer(of: pack, data: data, with: indexed)
            for entry in indexed {
                report.chunksRead += 1
                let start = Int(entry.offset), end = start + Int(entry.length)
                guard end <= data.count else {
                    damage(entry.id, pack, "lies beyond the end of the pack")
                    continue
                }
                do {
                    _ = try repository.codec.decode(Data(data[start..<end]), id: entry.id, compression: entry.compression,
                                                    rawLength: Int(entry.rawLength), base: try repository.basePlaintext(of: entry))
                } catch {
                    damage(entry.id, pack, "\(error)")
                }
            }
        }
    }

    /// The pack's own trailer against the index's entries for it.
    private func compareTrailer(of pack: PackID, data: Data, with indexed: [PackEntry]) {
        do {
            let trailer = try PackFormat.entries(fromTail: data, sealer: repository.sealer, packSize: UInt64(data.count))
            let trailerStart = UInt64(data.count) - UInt64(try PackFormat.trailerLength(fromTail: data) + 4)
            for problem in PackTrailerComparison(trailer: trailer, indexed: indexed, trailerStart: trailerStart).problems {
                self.error("pack \(pack.shortHex): \(problem)")
            }
        } catch {
            self.error("pack \(pack.shortHex): its trailer cannot be read: \(error)")
        }
    }

    /// Why `chunk` cannot be read from what the index names (it, or a base of it as a delta,
    /// is missing, or its chain is too long or loops); nil when the chain is whole.
    private func chainProblem(_ chunk: ChunkID) -> String? {
        var current = chunk
        for hops in 0...Repository.maxDeltaDepth {
            if hops > 0 && chainsFound.contains(current) { return nil }
            let location: ChunkLocation?
            do {
                location = try repository.catalog.location(of: current)
            } catch {
                return "the catalog cannot be read: \(error)"
            }
            guard let location else {
                return current == chunk ? "it is not in the index" : "its base \(current.shortHex) is not in the index"
            }
            if missingPacks.contains(location.pack) || lostChunks.contains(current) {
                return current == chunk ? "its pack \(location.pack.shortHex) is missing" : "its base \(current.shortHex) is in pack \(location.pack.shortHex), which is missing"
            }
            guard location.entry.compression == .zstdDelta else { return nil }
            guard let base = location.entry.base else { return "delta chunk \(current.shortHex) names no base" }
            current = base
        }
        return "its chain of delta bases is longer than \(Repository.maxDeltaDepth) (or loops)"
    }

    /// Names every snapshot and file that needs a damaged chunk or one lost with a missing pack.
    private func findAffectedFiles(_ snapshots: [(SnapshotID, Snapshot)]) throws {
        let damaged = Set(report.damaged.map(\.chunk)).union(lostChunks)
        let walker = TreeWalker(repository: repository)
        for (id, snapshot) in snapshots {
            if damaged.contains(snapshot.tree) {
                report.affected.append(.init(snapshot: id, path: "/"))
                continue
            }
            try? walker.walk(snapshot.tree) { path, node in
                if let subtree = node.subtree, damaged.contains(subtree) {
                    report.affected.append(.init(snapshot: id, path: path.displayString))
                    return false
                }
                if (node.content ?? []).contains(where: damaged.contains) {
                    report.affected.append(.init(snapshot: id, path: path.displayString))
                }
                return true
            }
        }
        for file in report.affected {
            error("snapshot \(file.snapshot.shortHex): \(file.path) is affected by damaged or missing data")
        }
    }

    private func damage(_ chunk: ChunkID, _ pack: PackID, _ reason: String) {
        report.damaged.append(.init(chunk: chunk, pack: pack, reason: reason))
        error("chunk \(chunk.hex) in pack \(pack.hex) is damaged: \(reason)")
    }

    private func error(_ message: String) {
        report.errors.append(message)
        onMessage("error: " + message)
    }

    private func note(_ message: String) {
        report.notes.append(message)
        onMessage(message)
    }
}
