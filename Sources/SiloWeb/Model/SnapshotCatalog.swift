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

struct SnapshotCatalog: Sendable {
    let repository: Repository

    /// Newest first.
    func entries() throws -> [SnapshotEntry] {
        try repository.snapshots().filter { !$0.snapshot.tags.contains(SnapshotSelector.configurationTag) }
            .map { SnapshotEntry(id: $0.id, snapshot: $0.snapshot) }
            .sorted { ($0.snapshot.time, $0.id.hex) > ($1.snapshot.time, $1.id.hex) }
    }

    /// By full ID or a prefix of at least 8 hex digits (what URLs carry).
    func entry(_ reference: String) throws -> SnapshotEntry? {
        let prefix = reference.lowercased()
        guard prefix.count >= 8, prefix.allSatisfy(\.isHexDigit) else { return nil }
        let matches = try entries().filter { $0.id.hex.hasPrefix(prefix) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The node at `path` of the snapshot, or nil; the root is a directory node of its own.
    func node(_ entry: SnapshotEntry, at path: ByteString) throws -> Node? {
        if path.isEmpty || path == [47] {
            var root = Node(name: [], type: .dir, mode: 0o755)
            root.subtree = entry.snapshot.tree
            root.mtime = entry.snapshot.time
            return root
        }
        return try TreeWalker(repository: repository).node(at: path, root: entry.snapshot.tree)
    }

    /// A directory's entries, as the tree lists them.
    func children(of node: Node) throws -> [Node] {
        guard node.type == .dir, let tree = node.subtree else { return [] }
        return try repository.loadTree(tree).nodes
    }
}
