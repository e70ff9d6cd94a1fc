import Foundation
import SiloFormat
import SiloRepository

/// Whether a restore of (part of) a snapshot can succeed, found before anything is touched:
/// every tree on the way loads, every chunk the selected files need is in the index and its
/// pack is in the store's listing; with `readData`, every chunk is also read and
/// authenticated. `silo restore --system` refuses to stop a single service until this passes.
public struct RestoreReadiness: Sendable {
    public struct Gap: Sendable, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { "\(path): \(message)" }
    }

    public var files = 0
    public var chunks = 0
    /// Content bytes the selection restores.
    public var bytes: UInt64 = 0
    /// Only with `readData`: the stored chunks read and authenticated.
    public var chunksRead = 0
    public var gaps: [Gap] = []

    public var isReady: Bool { gaps.isEmpty }

    /// `missingPacks`: the store's listing compared with the index once (`syncPackListing`),
    /// shared by the selections of one restore.
    public init(repository: Repository, snapshot: Snapshot, includes: [String], readData: Bool, missingPacks: Set<PackID>) throws {
        let selection = RestoreSelection({ var options = RestoreOptions(target: "/"); options.includes = includes; return options }())
        var checked = Set<ChunkID>()
        var report = RestoreReadiness()
        try selection.walk(repository, tree: snapshot.tree) { path, node in
            guard node.type == .file, let content = node.content else { return }
            report.files += 1
            report.bytes += node.size ?? 0
            for id in content where checked.insert(id).inserted {
                report.chunks += 1
                let shown = String(decoding: path, as: UTF8.self)
                guard let location = try repository.catalog.location(of: id) else {
                    report.gaps.append(Gap(path: shown, message: "chunk \(id.shortHex) is not in the index"))
                    continue
                }
                if missingPacks.contains(location.pack) {
                    report.gaps.append(Gap(path: shown, message: "pack \(location.pack.shortHex) holding chunk \(id.shortHex) is missing from the store"))
                    continue
                }
                guard readData else { continue }
                do {
                    _ = try repository.loadBlob(at: location)
                    report.chunksRead += 1
                } catch {
                    report.gaps.append(Gap(path: shown, message: "chunk \(id.shortHex) cannot be read: \(error)"))
                }
            }
        }
        self = report
    }

    private init() {}
}
