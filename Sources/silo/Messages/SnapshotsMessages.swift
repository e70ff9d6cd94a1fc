import SiloFormat
import SiloRepository

/// One snapshot of `snapshots`.
struct SnapshotMessage: JSONMessage {
    static let messageType = "snapshot"
    static let commands = ["snapshots"]
    static var sample: Self {
        Self(id: "ab", shortId: "ab", time: "2026-01-02T03:04:05Z", timeNs: 1, host: "web1", username: "root", tags: ["daily"],
             paths: ["/etc"], tree: "cd", parent: NullWhenAbsent("ef"), totalBytes: 2, dataAdded: 3, dataAddedStored: 4, filesNew: 5,
             filesChanged: 6, filesUnmodified: 7, origin: "o4o_backup_20250129_120000.tar.gz", originSha256: "01", originSize: 8,
             original: "23")
    }

    let id: String
    let shortId: String
    let time: String
    let timeNs: Int64
    let host: String
    let username: String
    let tags: [String]
    let paths: [String]
    let tree: String
    /// `null` for the first snapshot of its line.
    let parent: NullWhenAbsent<String>
    let totalBytes: UInt64
    /// Plaintext of the chunks the backup added, as backup's summary says it.
    let dataAdded: UInt64
    /// The same chunks as stored: compressed and encrypted.
    let dataAddedStored: UInt64
    let filesNew: Int
    let filesChanged: Int
    let filesUnmodified: Int
    /// Imported snapshots: the archive's name, and its digest and size when recorded.
    let origin: String?
    let originSha256: String?
    let originSize: UInt64?
    /// Copied snapshots: the snapshot's ID in the repository it was copied from.
    let original: String?
}

extension SnapshotMessage {
    init(_ id: SnapshotID, _ s: Snapshot) {
        self.init(id: id.hex, shortId: id.shortHex, time: Timestamp.iso8601(s.date), timeNs: s.time, host: s.host, username: s.username,
                  tags: s.tags, paths: s.paths, tree: s.tree.hex, parent: NullWhenAbsent(s.parent?.hex), totalBytes: s.summary.totalBytes,
                  dataAdded: s.summary.rawBytesAdded, dataAddedStored: s.summary.bytesAdded, filesNew: s.summary.filesNew,
                  filesChanged: s.summary.filesChanged, filesUnmodified: s.summary.filesUnmodified, origin: s.origin,
                  originSha256: s.originSHA256, originSize: s.originSize, original: s.original?.hex)
    }
}
