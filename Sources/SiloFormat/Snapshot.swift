import Foundation

/// Counters a backup records in its snapshot, shown by `snapshots` and `stats`.
public struct SnapshotSummary: Codable, Sendable, Equatable {
    public var filesNew = 0
    public var filesChanged = 0
    public var filesUnmodified = 0
    public var directories = 0
    public var otherNodes = 0
    /// Bytes of file content in the snapshot (logical size).
    public var totalBytes: UInt64 = 0
    /// Bytes actually read from disk by this backup.
    public var bytesRead: UInt64 = 0
    /// Chunks and stored (compressed, encrypted) bytes this backup added to the repository.
    public var chunksAdded = 0
    public var bytesAdded: UInt64 = 0
    /// Plaintext bytes of the chunks this backup added.
    public var rawBytesAdded: UInt64 = 0
    public var warnings = 0
    public var durationSeconds: Double = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case filesNew = "files_new", filesChanged = "files_changed", filesUnmodified = "files_unmodified"
        case directories, otherNodes = "other_nodes", totalBytes = "total_bytes", bytesRead = "bytes_read"
        case chunksAdded = "chunks_added", bytesAdded = "bytes_added", rawBytesAdded = "raw_bytes_added"
        case warnings, durationSeconds = "duration_seconds"
    }
}

/// A snapshot: the root tree of one backup and what describes it.
public struct Snapshot: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public static let kind = "silo.snapshot"

    public var version: Int
    /// Nanoseconds since the epoch (UTC).
    public var time: Int64
    public var host: String
    public var username: String
    public var tags: [String]
    /// Absolute source paths as given to `backup`.
    public var paths: [String]
    public var tree: ChunkID
    public var parent: SnapshotID?
    public var program: String
    public var summary: SnapshotSummary
    /// Where the content came from when it was not a backup of live paths: the file name of an
    /// imported archive. Absent (not null) otherwise, so older readers are unaffected.
    public var origin: String?
    /// For an imported snapshot: the SHA-256 (hex) and size of the archive file, which with
    /// the host and tags identify the import, so the same archive is not imported twice and a
    /// different one of the same name is. Absent on snapshots imported before they were recorded.
    public var originSHA256: String?
    public var originSize: UInt64?
    /// For a snapshot made by `copy`: the ID of the snapshot it was first copied from (kept
    /// through copies of copies), so that a later copy knows it is already there. Absent otherwise.
    public var original: SnapshotID?

    enum CodingKeys: String, CodingKey {
        case version, time, host, username, tags, paths, tree, parent, program, summary, origin, original
        case originSHA256 = "origin_sha256", originSize = "origin_size"
    }

    public init(time: Int64, host: String, username: String, tags: [String], paths: [String], tree: ChunkID,
                parent: SnapshotID?, program: String, summary: SnapshotSummary) {
        self.version = Snapshot.currentVersion
        self.time = time
        self.host = host
        self.username = username
        self.tags = tags
        self.paths = paths
        self.tree = tree
        self.parent = parent
        self.program = program
        self.summary = summary
    }

    public func encode(sealer: ObjectSealer) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return sealer.seal(try! encoder.encode(self), kind: Snapshot.kind)
    }

    public static func decode(_ stored: Data, sealer: ObjectSealer) throws -> Snapshot {
        let plain = try sealer.open(stored, kind: kind)
        let snapshot: Snapshot
        do {
            snapshot = try JSONDecoder().decode(Snapshot.self, from: plain)
        } catch {
            throw FormatError(.malformed, "snapshot does not parse: \(error)")
        }
        guard snapshot.version == currentVersion else {
            throw FormatError(.unsupportedVersion, "snapshot version \(snapshot.version) is not supported")
        }
        return snapshot
    }

    public var date: Date { Date(timeIntervalSince1970: Double(time) / 1e9) }
}
