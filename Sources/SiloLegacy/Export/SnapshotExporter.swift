import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

public struct ExportOptions: Sendable {
    /// Absolute paths inside the snapshot to export (all of it when empty).
    public var paths: [String] = []
    /// Put every member under this directory (the legacy layout's `o4o_backup_<time>/`).
    public var prefix: [UInt8] = []
    public init() {}
}

public struct ExportSummary: Sendable {
    public var members = 0
    public var contentBytes: UInt64 = 0
}

/// Writes a snapshot, or parts of it, as a pax tar stream: paths relative to `/` (as GNU tar
/// stores absolute paths), directories before their content, the second and later names of a
/// hard-linked file as hard links to the first. Content is authenticated chunk by chunk
/// before it is written; a damaged chunk stops the export with an integrity error.
public final class SnapshotExporter {
    private let repository: Repository
    private let snapshot: Snapshot
    private let options: ExportOptions
    private var firstNames: [[UInt64]: [UInt8]] = [:]
    private var summary = ExportSummary()

    public init(repository: Repository, snapshot: Snapshot, options: ExportOptions) {
        self.repository = repository
        self.snapshot = snapshot
        self.options = options
    }

    public func run(to sink: ByteSink) throws -> ExportSummary {
        let writer = TarWriter(sink)
        let walker = TreeWalker(repository: repository)
        if options.paths.isEmpty {
            try exportTree(snapshot.tree, relative: [], writer)
        } else {
            for path in options.paths {
                let absolute = Paths.absolute(path)
                guard let node = try walker.node(at: absolute, root: snapshot.tree) else {
                    throw RepositoryError(.notFound, "\(path) is not in the snapshot")
                }
                let relative = Array(absolute.drop { $0 == UInt8(ascii: "/") })
                if let subtree = try export(node, relative: relative, writer) { try exportTree(subtree, relative: relative, writer) }
            }
        }
        try writer.finish()
        return summary
    }

    /// Everything below a directory, each directory before its content. A loop over an
    /// explicit stack of nodes still to write, not recursion: a snapshot's depth comes from its
    /// data, and recursion as deep as that overflows the thread's stack (a 5,000-level snapshot
    /// crashed `export`). A directory's nodes are pushed in reverse, so they come out in order.
    private func exportTree(_ tree: ChunkID, relative: [UInt8], _ writer: TarWriter) throws {
        var pending: [(node: Node, relative: [UInt8])] = []
        func push(_ tree: ChunkID, under relative: [UInt8]) throws {
            for node in try repository.loadTree(tree).nodes.reversed() {
                pending.append((node, relative.isEmpty ? node.name : relative + [UInt8(ascii: "/")] + node.name))
            }
        }
        try push(tree, under: relative)
        while let next = pending.popLast() {
            if let subtree = try export(next.node, relative: next.relative, writer) { try push(subtree, under: next.relative) }
        }
    }

    /// Writes one member; for a directory, returns the tree of its content, for the caller to write next.
    private func export(_ node: Node, relative: [UInt8], _ writer: TarWriter) throws -> ChunkID? {
        let path = options.prefix.isEmpty ? relative : options.prefix + [UInt8(ascii: "/")] + relative
        var member = TarWriter.Member(path: path, kind: .file, mode: node.mode, uid: node.uid, gid: node.gid,
                                      userName: node.user, groupName: node.group, mtime: node.mtime, atime: node.atime)
        member.xattrs = (node.xattrs ?? []).map { ($0.name, $0.value) }
        summary.members += 1
        switch node.type {
        case .dir:
            member.kind = .directory
            member.atime = nil
            try writer.begin(member)
            return node.subtree
        case .file:
            let key = [node.device, node.inode]
            if node.links > 1, let first = firstNames[key] {
                member.kind = .hardLink
                member.linkTarget = first
                try writer.begin(member)
                return nil
            }
            if node.links > 1 { firstNames[key] = path }
            member.size = node.size ?? 0
            try writer.begin(member)
            var written: UInt64 = 0
            for id in node.content ?? [] {
                let data = try repository.loadBlob(id)
                try data.withUnsafeBytes { try writer.content($0) }
                written += UInt64(data.count)
            }
            guard written == member.size else {
                throw RepositoryError(.integrity, "\(String(decoding: relative, as: UTF8.self)): stored content is \(written) bytes, its size says \(member.size)")
            }
            summary.contentBytes += written
        case .symlink:
            member.kind = .symlink
            member.linkTarget = node.linkTarget ?? []
            try writer.begin(member)
        case .fifo:
            member.kind = .fifo
            try writer.begin(member)
        case .chardev, .blockdev:
            member.kind = node.type == .chardev ? .characterDevice : .blockDevice
            let rdev = node.rdev ?? 0
            member.devMajor = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))
            member.devMinor = (rdev & 0xff) | ((rdev >> 12) & ~UInt64(0xff))
            try writer.begin(member)
        default:
            summary.members -= 1  // sockets cannot be archived; tar skips them too
        }
        return nil
    }
}
