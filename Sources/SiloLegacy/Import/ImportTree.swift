import Foundation
import SiloEngine
import SiloFormat

/// The snapshot tree of an import, built in memory as members arrive in any order: metadata
/// and chunk lists only, never content, so memory grows with the member count, not the size.
/// Paths are checked here: nothing absolute, no `..`, nothing through a symbolic link.
final class ImportTree {
    final class Directory {
        var node: Node
        var children: [ByteString: Child] = [:]
        init(_ node: Node) { self.node = node }
    }
    final class Leaf {
        var node: Node
        init(_ node: Node) { self.node = node }
    }
    enum Child {
        case directory(Directory)
        case leaf(Leaf)
    }

    let root: Directory
    private let archive: String
    private var nextInode: UInt64 = 1
    /// Leaves by inode, for hard-link counts.
    private var byInode: [UInt64: [Leaf]] = [:]
    private let defaultTime: Int64

    /// The deepest member path accepted, in components (`Paths.maxComponents`); silo's own
    /// backup, which opens absolute paths, records at most 2,047. A deeper member could not be
    /// restored or exported by path, and an unlimited depth would let a small archive drive
    /// every walk of the snapshot as deep as it likes (a 51 KB archive of 200,000 levels
    /// crashed the import by recursion).
    static let maxDepth = Paths.maxComponents

    init(archive: String, time: Int64) {
        self.archive = archive
        defaultTime = time
        root = Directory(Node(name: [], type: .dir, mode: 0o755, mtime: time, atime: time, ctime: time))
    }

    /// The path's components after removing `./` and empty parts; refuses unsafe ones.
    func components(_ path: [UInt8], member: String) throws -> [ByteString] {
        if path.first == UInt8(ascii: "/") {
            throw LegacyArchiveError(.unsafeMember, "\(archive): member \(member) has an absolute path; refusing it (nothing was written)")
        }
        var parts: [ByteString] = []
        for part in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                throw LegacyArchiveError(.unsafeMember, "\(archive): member \(member) climbs out of the archive with '..'; refusing it (nothing was written)")
            }
            parts.append(ByteString(part))
            if parts.count > Self.maxDepth {
                let shown = member.count > 80 ? member.prefix(80) + "…" : Substring(member)
                throw LegacyArchiveError(.unsafeMember, "\(archive): member \(shown) is more than \(Self.maxDepth) levels deep (no Linux path reaches deeper); refusing it (nothing was written)")
            }
        }
        return parts
    }

    /// The directory that will hold `parts.last`, creating missing directories.
    private func parent(of parts: [ByteString], member: String) throws -> Directory {
        var directory = root
        for part in parts.dropLast() {
            switch directory.children[part] {
            case .directory(let next)?:
                directory = next
            case .leaf(let leaf)?:
                if leaf.node.type == .symlink {
                    throw LegacyArchiveError(.unsafeMember, "\(archive): member \(member) lies behind the symbolic link \(part.displayString); refusing it (nothing was written)")
                }
                throw LegacyArchiveError(.corrupt, "\(archive): member \(member) is inside \(part.displayString), which is not a directory")
            case nil:
                let made = Directory(Node(name: part, type: .dir, mode: 0o755, uid: root.node.uid, gid: root.node.gid,
                                          mtime: defaultTime, atime: defaultTime, ctime: defaultTime))
                directory.children[part] = .directory(made)
                directory = made
            }
        }
        return directory
    }

    /// Adds or updates a directory's metadata (it may already exist, made implicitly).
    func addDirectory(_ parts: [ByteString], _ node: Node, member: String) throws {
        guard let name = parts.last else {
            root.node = Self.withName(node, [])
            return
        }
        let directory = try parent(of: parts, member: member)
        if case .directory(let existing)? = directory.children[name] {
            existing.node = Self.withName(node, name)
        } else {
            directory.children[name] = .directory(Directory(Self.withName(node, name)))
        }
    }

    /// Adds a file, symlink or special node; a later member of the same path replaces it.
    func addLeaf(_ parts: [ByteString], _ node: Node, member: String) throws {
        guard let name = parts.last else { throw LegacyArchiveError(.corrupt, "\(archive): member \(member) has no name") }
        let directory = try parent(of: parts, member: member)
        if case .directory(let existing)? = directory.children[name], !existing.children.isEmpty {
            throw LegacyArchiveError(.corrupt, "\(archive): member \(member) would replace a directory that has content")
        }
        var node = Self.withName(node, name)
        node.inode = nextInode
        nextInode += 1
        let leaf = Leaf(node)
        directory.children[name] = .leaf(leaf)
        byInode[node.inode] = [leaf]
    }

    /// A hard link to an earlier file member.
    func addHardLink(_ parts: [ByteString], target: [ByteString], member: String) throws {
        guard case .leaf(let original)? = lookup(target), original.node.type == .file else {
            throw LegacyArchiveError(.corrupt, "\(archive): member \(member) is a hard link to \(target.map(\.displayString).joined(separator: "/")), which is not an earlier file of the archive")
        }
        guard let name = parts.last else { throw LegacyArchiveError(.corrupt, "\(archive): member \(member) has no name") }
        let parentDirectory = try parent(of: parts, member: member)
        let leaf = Leaf(Self.withName(original.node, name))
        parentDirectory.children[name] = .leaf(leaf)
        byInode[original.node.inode, default: []].append(leaf)
    }

    private func lookup(_ parts: [ByteString]) -> Child? {
        var directory = root
        for part in parts.dropLast() {
            guard case .directory(let next)? = directory.children[part] else { return nil }
            directory = next
        }
        return parts.last.flatMap { directory.children[$0] }
    }

    /// Sets link counts, then stores trees bottom-up; returns the root tree's ID.
    func store(_ storeTree: (Tree) throws -> ChunkID) throws -> ChunkID {
        for (_, leaves) in byInode where leaves.count > 1 {
            for leaf in leaves { leaf.node.links = UInt64(leaves.count) }
        }
        return try store(root, storeTree)
    }

    /// Recursive: `maxDepth` bounds the depth (so does the release of the nested directories).
    private func store(_ directory: Directory, _ storeTree: (Tree) throws -> ChunkID) throws -> ChunkID {
        var nodes: [Node] = []
        nodes.reserveCapacity(directory.children.count)
        for (_, child) in directory.children {
            switch child {
            case .directory(let sub):
                var node = sub.node
                node.subtree = try store(sub, storeTree)
                nodes.append(node)
            case .leaf(let leaf):
                nodes.append(leaf.node)
            }
        }
        return try storeTree(Tree(nodes: nodes))
    }

    static func withName(_ node: Node, _ name: ByteString) -> Node {
        var copy = node
        copy.name = name
        return copy
    }
}
