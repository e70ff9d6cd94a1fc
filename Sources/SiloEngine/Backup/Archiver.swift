import Foundation
import SiloFormat
import SiloRepository

/// Backs up file trees into a snapshot.
///
/// The reading thread walks the sources depth-first, reads and chunks each changed file and
/// hashes the chunks; new chunks go to the `ChunkPipeline`. A file whose size, mtime, ctime and
/// inode equal the parent snapshot's is not read: its chunk list is reused once the index
/// confirms those chunks still exist.
public final class Archiver: @unchecked Sendable {
    private let repository: Repository
    private let options: BackupOptions
    private let progress: BackupProgress
    private let onWarning: @Sendable (BackupWarning) -> Void
    private let builder: SnapshotBuilder
    private let metadata = MetadataReader()
    private let excludes: ExcludeMatcher
    private let rules: ExclusionRules
    private var summary = SnapshotSummary()
    private var warnings: [BackupWarning] = []
    private var sourceDevices: [UInt64] = []

    public init(repository: Repository, options: BackupOptions, progress: BackupProgress = BackupProgress(),
                onWarning: @escaping @Sendable (BackupWarning) -> Void = { _ in }) throws {
        self.repository = repository
        self.options = options
        self.progress = progress
        self.onWarning = onWarning
        builder = try SnapshotBuilder(repository: repository, dryRun: options.dryRun)
        excludes = ExcludeMatcher(patterns: options.excludes)
        rules = ExclusionRules(options)
    }

    /// Packs the index names that the store does not have: their chunks are stored again.
    public var missingPacks: [PackID] { builder.missingPacks }

    public struct Result: Sendable {
        public let id: SnapshotID
        public let snapshot: Snapshot
        public let warnings: [BackupWarning]
    }

    /// What a dry run found: the snapshot that would have been saved (never saved), whose
    /// summary says what would have been read and added.
    public struct Preview: Sendable {
        public let snapshot: Snapshot
        public let warnings: [BackupWarning]
    }

    public func run() throws -> Result {
        guard !options.dryRun else { throw RepositoryError(.invalidArgument, "a dry run saves no snapshot: call preview()") }
        defer {
            builder.release()
            progress.cancelScan()
        }
        do {
            let (saved, snapshot) = try backUp()
            guard let id = saved else { throw RepositoryError(.invalidArgument, "the snapshot was not saved") }
            return Result(id: id, snapshot: snapshot, warnings: warnings)
        } catch {
            throw builder.withLeftovers(error)
        }
    }

    /// The dry run (`options.dryRun`): reads and chunks like `run`, stores nothing.
    public func preview() throws -> Preview {
        guard options.dryRun else { throw RepositoryError(.invalidArgument, "preview() is for a dry run") }
        defer { progress.cancelScan() }
        let (_, snapshot) = try backUp()
        return Preview(snapshot: snapshot, warnings: warnings)
    }

    /// The snapshot, and its ID once saved (nil in a dry run).
    private func backUp() throws -> (SnapshotID?, Snapshot) {
        let started = Date()
        let sources = try normalizedSources()
        let parent = try findParent(sources: sources)
        // A parent whose trees cannot be read only costs re-reading files, never the backup.
        let parentRoot = parent.flatMap { try? repository.loadTree($0.snapshot.tree) }
        if options.countTotals { startScanner(sources) }

        // Streams first: a database is dumped before the files that refer to it are read.
        var streamNodes: [ByteString: Node] = [:]
        for stream in options.streams {
            let path = Paths.absolute(stream.path)
            guard streamNodes[path] == nil, !sources.contains(where: { path == $0 || path.starts(with: $0 + [47]) || $0.starts(with: path + [47]) }) else {
                throw RepositoryError(.invalidArgument, "stream path \(stream.path) collides with another source")
            }
            streamNodes[path] = try archiveStream(stream, path: path)
        }

        let trie = SourceTrie(sources, streams: streamNodes)
        let rootTree = try archiveVirtual(trie, path: [UInt8(ascii: "/")], parentTree: parentRoot)
        summary.warnings = warnings.count
        let time = options.time ?? Date()
        let paths = snapshotPaths(sources, streams: Array(streamNodes.keys))
        let make = { (counted: SnapshotSummary) -> Snapshot in
            var summary = counted
            summary.durationSeconds = Date().timeIntervalSince(started)
            return Snapshot(time: Int64((time.timeIntervalSince1970 * 1e9).rounded()), host: self.options.host, username: Host.user,
                            tags: self.options.tags, paths: paths, tree: rootTree,
                            parent: parent?.id, program: "silo \(SiloVersion.current)", summary: summary)
        }
        if options.dryRun { return (nil, builder.preview(make, summary: summary)) }
        let (id, snapshot) = try builder.commit(make, summary: summary)
        return (id, snapshot)
    }

    // MARK: sources

    /// The sources, and for streams their top directory (`/postgres`), sorted.
    private func snapshotPaths(_ sources: [ByteString], streams: [ByteString]) -> [String] {
        let tops = Set(streams.compactMap { Paths.components($0).first.map { [47] + $0 } })
        return (sources + tops).map { $0.displayString }.sorted()
    }

    private func normalizedSources() throws -> [ByteString] {
        if options.paths.isEmpty && !options.streams.isEmpty { return [] }
        guard !options.paths.isEmpty else { throw RepositoryError(.invalidArgument, "nothing to back up: give at least one path") }
        var paths = Array(Set(options.paths.map { Paths.absolute($0) })).sorted { $0.lexicographicallyPrecedes($1) }
        // A path inside another source is already covered by it.
        paths = paths.filter { p in !paths.contains { q in q != p && (q == [47] || p.starts(with: q + [47])) } }
        for path in paths {
            switch MetadataReader.lstatus(path) {
            case .failure(let code):
                throw RepositoryError(.invalidArgument, "source \(path.displayString): \(Paths.errorText(code.rawValue))")
            case .success(let status):
                sourceDevices.append(UInt64(status.st.st_dev))
            }
        }
        return paths
    }

    private func findParent(sources: [ByteString]) throws -> (id: SnapshotID, snapshot: Snapshot)? {
        if options.force { return nil }
        let all = try repository.snapshots()
        if let id = options.parent { return all.first { $0.id == id } }
        let wanted = sources.map { $0.displayString }
        return all.last { $0.snapshot.host == options.host && $0.snapshot.paths == wanted }
    }

    private func startScanner(_ sources: [ByteString]) {
        let excludes = self.excludes
        let progress = self.progress
        let oneFileSystem = options.oneFileSystem
        Thread.detachNewThread {
            for source in sources {
                Scanner(excludes: excludes, progress: progress, oneFileSystem: oneFileSystem).scan(source)
            }
            progress.scanFinished()
        }
    }

    // MARK: walking

    /// The directories above the sources (`/srv` for source `/srv/app`), with their own
    /// metadata but only the sources' branches inside.
    private func archiveVirtual(_ trie: SourceTrie, path: ByteString, parentTree: Tree?) throws -> ChunkID {
        if trie.isSource { return try archiveDirectoryContents(path, parentTree: parentTree) }
        var nodes: [Node] = []
        let parentNodes = parentTree.map { Dictionary($0.nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
        for (name, child) in trie.children.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let childPath = Paths.join(path, name)
            if let stream = child.stream {
                var node = stream
                node.name = name
                nodes.append(node)
                continue
            }
            if !child.hasFileSource {
                // A directory that only holds streams: it exists in the snapshot alone.
                var node = syntheticNode(name: name, type: .dir, mode: 0o700)
                let parentSubtree = parentNodes[name]?.subtree.flatMap { try? repository.loadTree($0) }
                node.subtree = try archiveVirtual(child, path: childPath, parentTree: parentSubtree)
                summary.directories += 1
                nodes.append(node)
                continue
            }
            guard case .success(let status) = MetadataReader.lstatus(childPath) else { continue }
            if child.isSource {
                if let node = try archiveEntry(name: name, path: childPath, status: status, parent: parentNodes[name], isSourceRoot: true) {
                    nodes.append(node)
                }
            } else {
                var node = metadata.node(name: name, path: childPath, status: status)
                let parentSubtree = parentNodes[name]?.subtree.flatMap { try? repository.loadTree($0) }
                node.subtree = try archiveVirtual(child, path: childPath, parentTree: parentSubtree)
                summary.directories += 1
                nodes.append(node)
            }
        }
        return try storeTree(Tree(nodes: nodes))
    }

    private func archiveDirectoryContents(_ path: ByteString, parentTree: Tree?) throws -> ChunkID {
        let parentNodes = parentTree.map { Dictionary($0.nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
        let nodes = try MetadataReader.withDirectory(path) { listing, directory -> [Node] in
            let names: [ByteString]
            switch listing {
            case .failure(let code):
                warn(path, "cannot list directory: \(Paths.errorText(code.rawValue))")
                return []
            case .success(let list):
                names = rules.kept(list, in: directory)
            }
            var nodes: [Node] = []
            nodes.reserveCapacity(names.count)
            for name in names {
                let childPath = Paths.join(path, name)
                if excludes.excludes(path: childPath, name: name) { continue }
                switch MetadataReader.lstatus(name, in: directory) {
                case .failure(let code):
                    warn(childPath, "cannot stat: \(Paths.errorText(code.rawValue))")
                case .success(let status):
                    if options.oneFileSystem, status.type == .dir, !sourceDevices.contains(UInt64(status.st.st_dev)) { continue }
                    if status.type == .file, rules.excludes(fileSize: UInt64(status.st.st_size)) { continue }
                    if let node = try archiveEntry(name: name, path: childPath, status: status, parent: parentNodes[name], isSourceRoot: false) {
                        nodes.append(node)
                    }
                }
            }
            return nodes
        }
        return try storeTree(Tree(nodes: nodes))
    }

    private func archiveEntry(name: ByteString, path: ByteString, status: MetadataReader.Status, parent: Node?,
                              isSourceRoot: Bool) throws -> Node? {
        // Setting an extended attribute changes ctime: same ctime and inode, same xattrs.
        let sameInode = parent.map { $0.ctime == MetadataReader.nanoseconds(status.st.st_ctim) && $0.inode == UInt64(status.st.st_ino) }
        var node = metadata.node(name: name, path: path, status: status,
                                 reuseXattrs: sameInode == true && !options.force ? .some(parent?.xattrs) : nil)
        switch status.type {
        case .dir:
            let parentSubtree = parent?.subtree.flatMap { try? repository.loadTree($0) }
            node.subtree = try archiveDirectoryContents(path, parentTree: parentSubtree)
            summary.directories += 1
        case .file:
            progress.fileStarted(path.displayString)
            defer { progress.fileDone() }
            if let parent, !options.force, Self.unchanged(node, parent), let content = parent.content,
               try content.allSatisfy({ try builder.isKnown($0) }) {
                node.content = content
                summary.filesUnmodified += 1
                summary.totalBytes += node.size ?? 0
                progress.bytes(Int(node.size ?? 0))
                return node
            }
            guard let (content, size) = try readFile(path, status: status) else { return nil }
            node.content = content
            node.size = size
            summary.totalBytes += size
            if parent == nil { summary.filesNew += 1 } else { summary.filesChanged += 1 }
        case .symlink:
            guard let target = MetadataReader.readLink(path) else {
                warn(path, "cannot read symlink: \(Paths.errorText(errno))")
                return nil
            }
            node.linkTarget = target
            summary.otherNodes += 1
        default:
            summary.otherNodes += 1
        }
        return node
    }

    static func unchanged(_ node: Node, _ parent: Node) -> Bool {
        parent.type == .file && node.size == parent.size && node.mtime == parent.mtime && node.ctime == parent.ctime
            && node.inode == parent.inode
    }

    /// Reads, chunks and hashes one file. Returns nil (after a warning) when it cannot be read.
    private func readFile(_ path: ByteString, status: MetadataReader.Status) throws -> ([ChunkID], UInt64)? {
        var fd = Paths.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME) }
        if fd < 0 && errno == EPERM { fd = Paths.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) } }
        guard fd >= 0 else {
            warn(path, "cannot open: \(Paths.errorText(errno))")
            return nil
        }
        defer { close(fd) }
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let content: [ChunkID], total: UInt64
        do {
            (content, total) = try builder.ingest(options.profile, progress: progress.bytes, read: SnapshotBuilder.reader(fd))
        } catch let failure as SnapshotBuilder.ReadFailure {
            warn(path, "read error: \(Paths.errorText(failure.code))")
            return nil
        }
        summary.bytesRead += total
        var after = stat()
        if fstat(fd, &after) == 0,
           MetadataReader.nanoseconds(after.st_mtim) != MetadataReader.nanoseconds(status.st.st_mtim)
            || after.st_size != status.st.st_size || UInt64(total) != UInt64(status.st.st_size) {
            warn(path, "file changed while being read; the stored copy may mix old and new content")
        }
        return (content, total)
    }

    /// Reads one stream to its end into a file node; the producer's failure fails the backup.
    private func archiveStream(_ stream: StreamSource, path: ByteString) throws -> Node {
        progress.fileStarted(stream.path)
        defer { progress.fileDone() }
        let content: [ChunkID], size: UInt64
        switch try stream.start() {
        case .descriptor(let fd):
            defer { close(fd) }
            do {
                (content, size) = try builder.ingest(stream.profile, progress: progress.bytes,
                                                     read: SnapshotBuilder.reader(fd))
            } catch let failure as SnapshotBuilder.ReadFailure {
                throw RepositoryError(.storage, "\(stream.path): read error: \(Paths.errorText(failure.code))")
            }
        case .data(let data):
            var offset = 0
            (content, size) = try builder.ingest(stream.profile, progress: progress.bytes) { buffer in
                let n = min(buffer.count, data.count - offset)
                data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
                offset += n
                return n
            }
        }
        try stream.finish()
        var node = syntheticNode(name: [], type: .file, mode: 0o600)
        node.content = content
        node.size = size
        summary.bytesRead += size
        summary.totalBytes += size
        summary.filesNew += 1
        return node
    }

    /// A node for something that is not on disk (a database dump, standard input): owned by
    /// this process, dated now. Its owner's names are recorded as a file's are, so that
    /// listings show them rather than bare ids.
    private func syntheticNode(name: ByteString, type: NodeType, mode: UInt32) -> Node {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = MetadataReader.nanoseconds(now)
        var node = Node(name: name, type: type, mode: mode, uid: getuid(), gid: getgid(),
                        mtime: nanoseconds, atime: nanoseconds, ctime: nanoseconds)
        node.user = metadata.userName(node.uid)
        node.group = metadata.groupName(node.gid)
        return node
    }

    private func storeTree(_ tree: Tree) throws -> ChunkID { try builder.storeTree(tree) }

    private func warn(_ path: ByteString, _ message: String) {
        let warning = BackupWarning(path: path.displayString, message: message)
        warnings.append(warning)
        progress.errorReported()
        onWarning(warning)
    }
}

/// The source paths as a tree of names, so that `/srv/a` and `/srv/b` share the node `srv`.
final class SourceTrie {
    var children: [ByteString: SourceTrie] = [:]
    var isSource = false
    /// The stored node of a stream at this path.
    var stream: Node?
    /// Whether a file source lies at or below this node (else it exists only in the snapshot).
    var hasFileSource = false

    init(_ sources: [ByteString], streams: [ByteString: Node] = [:]) {
        for source in sources { descend(source, markingFileSource: true).isSource = true }
        for (path, node) in streams { descend(path, markingFileSource: false).stream = node }
    }

    private func descend(_ path: ByteString, markingFileSource: Bool) -> SourceTrie {
        var node = self
        if markingFileSource { node.hasFileSource = true }
        for part in Paths.components(path) {
            if let next = node.children[part] { node = next } else {
                let next = SourceTrie([])
                node.children[part] = next
                node = next
            }
            if markingFileSource { node.hasFileSource = true }
        }
        return node
    }
}

/// Counts what a backup will read, in parallel with it, so progress can show an ETA.
struct Scanner {
    let excludes: ExcludeMatcher
    let progress: BackupProgress
    let oneFileSystem: Bool

    func scan(_ path: ByteString) {
        guard case .success(let status) = MetadataReader.lstatus(path) else { return }
        walk(path, status: status, device: status.st.st_dev)
    }

    private func walk(_ path: ByteString, status: MetadataReader.Status, device: UInt) {
        switch status.type {
        case .file:
            progress.scanned(files: 1, bytes: UInt64(status.st.st_size))
        case .dir:
            if progress.isScanCancelled { return }
            MetadataReader.withDirectory(path) { listing, directory in
                guard case .success(let names) = listing else { return }
                for name in names {
                    let child = Paths.join(path, name)
                    if excludes.excludes(path: child, name: name) { continue }
                    guard case .success(let s) = MetadataReader.lstatus(name, in: directory) else { continue }
                    if oneFileSystem && s.type == .dir && s.st.st_dev != device { continue }
                    walk(child, status: s, device: device)
                }
            }
        default:
            break
        }
    }
}
