import Foundation
import SiloFormat
import SiloRepository

/// Depth-first traversal of a snapshot's trees, yielding each node with its absolute path.
public struct TreeWalker {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Visits nodes in path order. Return false from `visit` for a directory to skip its contents.
    ///
    /// A loop over an explicit stack, not recursion: a snapshot's depth comes from its data
    /// (an imported archive, a damaged or hostile repository), and recursion as deep as that
    /// overflows the thread's stack. Each level keeps its nodes, the next one to visit and the
    /// length of its directory's path, so memory grows with the depth, not with its square.
    public func walk(_ tree: ChunkID, path: ByteString = [UInt8(ascii: "/")],
                     visit: (_ path: ByteString, _ node: Node) throws -> Bool) throws {
        var levels: [(nodes: [Node], next: Int, pathLength: Int)] = [(try repository.loadTree(tree).nodes, 0, path.count)]
        var current = path
        while let level = levels.last {
            guard level.next < level.nodes.count else {
                levels.removeLast()
                continue
            }
            levels[levels.count - 1].next += 1
            let node = level.nodes[level.next]
            current.removeSubrange(level.pathLength...)
            current = Paths.join(current, node.name)
            if try visit(current, node), node.type == .dir, let subtree = node.subtree {
                levels.append((try repository.loadTree(subtree).nodes, 0, current.count))
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
