import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

public struct ImportOptions: Sendable {
    public var host: String
    /// Tags besides `imported`.
    public var tags: [String] = []
    /// The snapshot's time; else from the archive's name; else its newest member's mtime.
    public var time: Date?
    /// Store `*.sql.gz` members decompressed (as `*.sql`, database chunking) so that daily
    /// dumps deduplicate against each other.
    public var expandDumps = false
    public var decryption = LegacyDecryption()
    public init(host: String) { self.host = host }
}

public struct ImportResult: Sendable {
    public let id: SnapshotID
    public let snapshot: Snapshot
    public let members: Int
    /// Bytes of the archive file read.
    public let archiveBytes: UInt64
    /// Bytes of member content stored (after --expand-dumps).
    public let contentBytes: UInt64
    public let seconds: Double
}

/// Imports one archive as one snapshot, reading it once as a stream: members are chunked as
/// they arrive and nothing is extracted to disk. Any error leaves no snapshot (chunks already
/// written are collected by a later prune).
public final class TarImporter {
    private let repository: Repository
    private let options: ImportOptions

    public init(repository: Repository, options: ImportOptions) {
        self.repository = repository
        self.options = options
    }

    public func run(_ path: String) throws -> ImportResult {
        let started = Date()
        let fileName = (path as NSString).lastPathComponent
        let file = try FileByteReader(path: path)
        let digesting = DigestingReader(file)
        let stream = try ArchiveOpener.open(digesting, name: fileName, decryption: options.decryption)
        let reader = TarReader(stream, name: fileName)
        let builder = try SnapshotBuilder(repository: repository)
        defer { builder.release() }
        do {
            let filesChunker = try builder.chunker(profile: .files)
            let databaseChunker = try builder.chunker(profile: .database)

            let namedTime = options.time ?? ArchiveTime.fromName(fileName)
            let tree = ImportTree(archive: fileName, time: namedTime.map { Int64($0.timeIntervalSince1970 * 1e9) } ?? 0)
            var summary = SnapshotSummary()
            var newest: Int64 = 0
            var members = 0
            while let entry = try reader.next() {
                members += 1
                let member = entry.displayPath
                var parts = try tree.components(entry.path, member: member)
                var node = Node(name: [], type: .file, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime,
                                atime: entry.atime ?? entry.mtime, ctime: entry.ctime ?? entry.mtime)
                node.user = entry.userName
                node.group = entry.groupName
                if !entry.xattrs.isEmpty { node.xattrs = entry.xattrs.map { ExtendedAttribute(name: $0.name, value: $0.value) } }
                newest = max(newest, entry.mtime)
                switch entry.kind {
                case .directory:
                    node.type = .dir
                    node.atime = node.mtime
                    try tree.addDirectory(parts, node, member: member)
                    summary.directories += 1
                case .file:
                    let expand = options.expandDumps && member.hasSuffix(".sql.gz")
                    let (content, size): ([ChunkID], UInt64)
                    if expand {
                        let gzip = try GzipReader(MemberReader(reader), name: "\(fileName): \(member)")
                        (content, size) = try builder.ingest(with: databaseChunker, deltas: ContentProfile.database.storesDeltas, read: gzip.read)
                        parts[parts.count - 1].removeLast(3)  // ".gz"
                    } else {
                        (content, size) = try builder.ingest(with: filesChunker, read: reader.readContent)
                    }
                    node.content = content
                    node.size = size
                    try tree.addLeaf(parts, node, member: member)
                    summary.filesNew += 1
                    summary.totalBytes += size
                    summary.bytesRead += size
                case .symlink:
                    node.type = .symlink
                    node.linkTarget = entry.linkTarget
                    try tree.addLeaf(parts, node, member: member)
                    summary.otherNodes += 1
                case .hardLink:
                    let target = try tree.components(entry.linkTarget, member: member)
                    try tree.addHardLink(parts, target: target, member: member)
                    summary.filesNew += 1
                case .characterDevice, .blockDevice, .fifo:
                    node.type = entry.kind == .fifo ? .fifo : (entry.kind == .characterDevice ? .chardev : .blockdev)
                    if entry.kind != .fifo { node.rdev = Self.deviceNumber(major: entry.devMajor, minor: entry.devMinor) }
                    try tree.addLeaf(parts, node, member: member)
                    summary.otherNodes += 1
                }
            }
            let time = namedTime.map { Int64(($0.timeIntervalSince1970 * 1e9).rounded()) } ?? newest
            let root = try tree.store(builder.storeTree)
            let digest = try digesting.finish()
            let archiveSize = digesting.count
            let tags = ImportIdentity.tags(options)
            let host = options.host
            let (id, snapshot) = try builder.commit({ counted in
                var summary = counted
                summary.durationSeconds = Date().timeIntervalSince(started)
                var snapshot = Snapshot(time: time, host: host, username: Host.user, tags: tags, paths: ["/"], tree: root,
                                        parent: nil, program: "silo \(SiloVersion.current)", summary: summary)
                snapshot.origin = fileName
                snapshot.originSHA256 = digest
                snapshot.originSize = archiveSize
                return snapshot
            }, summary: summary)
            return ImportResult(id: id, snapshot: snapshot, members: members, archiveBytes: file.bytesRead,
                                contentBytes: summary.totalBytes, seconds: Date().timeIntervalSince(started))
        } catch {
            throw builder.withLeftovers(error)
        }
    }

    /// Linux's dev_t encoding (glibc `makedev`).
    static func deviceNumber(major: UInt64, minor: UInt64) -> UInt64 {
        (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
    }
}

/// The current member's content as a `ByteReader` (for decompressing a member on the fly).
private final class MemberReader: ByteReader {
    private let reader: TarReader
    init(_ reader: TarReader) { self.reader = reader }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try reader.readContent(into: buffer) }
}
