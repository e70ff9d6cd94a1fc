import Foundation
import SiloFormat
import SiloRepository

/// Depth-first traversal of a snapshot's trees, yielding each node with its absolute path.
public struct TreeWalker {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Visits nodes in path order. Return false from `visit` for a directory to skip its contents.
    public func walk(_ tree: ChunkID, path: ByteString = [UInt8(ascii: "/")],
                     visit: (_ path: ByteString, _ node: Node) throws -> Bool) throws {
        for node in try repository.loadTree(tree).nodes {
            let childPath = Paths.join(path, node.name)
            let descend = try visit(childPath, node)
            if descend, node.type == .dir, let subtree = node.subtree {
                try walk(subtree, path: childPath, visit: visit)
            }
        }
    }

    /// The node at an absolute path, or nil. The root directory itself has no node.
    public func node(at path: ByteString, root: ChunkID) throws -> Node? {
        var tree = root
        let parts = Paths.components(path)
        for (i, part) in parts.enumerated() {
            guard let node = try repository.loadTree(tree).node(named: part) else { return nil }
            if i == parts.count - 1 { return node }
            guard node.type == .dir, let subtree = node.subtree else { return nil }
            tree = subtree
        }
        return nil
    }

    /// The tree of the directory at `path` ("/" for the root).
    public func tree(at path: ByteString, root: ChunkID) throws -> ChunkID? {
        if Paths.components(path).isEmpty { return root }
        guard let node = try node(at: path, root: root), node.type == .dir else { return nil }
        return node.subtree
    }
}
