import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

/// The snapshots a browser sees: every snapshot but the saved configurations, newest first, with
/// the source each belongs to (`silo run` tags them `source:NAME`).
struct SnapshotEntry: Sendable {
    let id: SnapshotID
    let snapshot: Snapshot

    var source: String { snapshot.tags.first { $0.hasPrefix("source:") }.map { String($0.dropFirst(7)) } ?? snapshot.paths.joined(separator: " ") }
    var date: Date { snapshot.date }
    var shortID: String { id.shortHex }
}

/// Filters of the snapshot list (`?host=&tag=&source=`).
struct SnapshotFilter: Sendable, Equatable {
    var host: String?
    var tag: String?
    var source: String?

    func matches(_ entry: SnapshotEntry) -> Bool {
        (host.map { entry.snapshot.host == $0 } ?? true) && (tag.map { entry.snapshot.tags.contains($0) } ?? true)
            && (source.map { entry.source == $0 } ?? true)
    }
}

/// The repository as the server reads it, with two caches that cannot go stale in a way that
/// matters: decoded trees (content-addressed, so immutable) up to a budget of nodes, and the
/// snapshot list for two seconds (a backup made meanwhile shows on the next refresh).
final class SnapshotCatalog: @unchecked Sendable {
    let repository: Repository
    private let lock = NSLock()
    private var listed: (at: Date, entries: [SnapshotEntry])?
    private var trees: [ChunkID: [Node]] = [:]
    private var treeOrder: [ChunkID] = []
    private var cachedNodes = 0
    static let nodeBudget = 600_000
    static let listLifetime: TimeInterval = 2

    init(repository: Repository) { self.repository = repository }

    /// Newest first.
    func entries() throws -> [SnapshotEntry] {
        if let listed = lock.withLock({ listed }), Date().timeIntervalSince(listed.at) < Self.listLifetime { return listed.entries }
        let fresh = try repository.snapshots().filter { !$0.snapshot.tags.contains(SnapshotSelector.configurationTag) }
            .map { SnapshotEntry(id: $0.id, snapshot: $0.snapshot) }
            .sorted { ($0.snapshot.time, $0.id.hex) > ($1.snapshot.time, $1.id.hex) }
        lock.withLock { listed = (Date(), fresh) }
        return fresh
    }

    /// By full ID or a prefix of at least 8 hex digits (what URLs carry).
    func entry(_ reference: String) throws -> SnapshotEntry? {
        let prefix = reference.lowercased()
        guard prefix.count >= 8, prefix.allSatisfy(\.isHexDigit) else { return nil }
        let matches = try entries().filter { $0.id.hex.hasPrefix(prefix) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// A tree's nodes, decoded once.
    func nodes(of tree: ChunkID) throws -> [Node] {
        if let nodes = lock.withLock({ trees[tree] }) { return nodes }
        let nodes = try repository.loadTree(tree).nodes
        lock.withLock {
            guard trees[tree] == nil else { return }
            trees[tree] = nodes
            treeOrder.append(tree)
            cachedNodes += nodes.count
            while cachedNodes > Self.nodeBudget, treeOrder.count > 1 {
                let oldest = treeOrder.removeFirst()
                cachedNodes -= trees.removeValue(forKey: oldest)?.count ?? 0
            }
        }
        return nodes
    }

    /// The node at `path` of the snapshot, or nil; the root is a directory node of its own.
    func node(_ entry: SnapshotEntry, at path: ByteString) throws -> Node? {
        var current = Node(name: [], type: .dir, mode: 0o755)
        current.subtree = entry.snapshot.tree
        current.mtime = entry.snapshot.time
        for component in path.split(separator: 47) {
            guard current.type == .dir, let tree = current.subtree,
                  let next = try nodes(of: tree).first(where: { $0.name.elementsEqual(component) }) else { return nil }
            current = next
        }
        return current
    }

    /// A directory's entries, as the tree lists them.
    func children(of node: Node) throws -> [Node] {
        guard node.type == .dir, let tree = node.subtree else { return [] }
        return try nodes(of: tree)
    }
}
