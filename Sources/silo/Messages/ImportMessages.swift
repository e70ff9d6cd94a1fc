/// One archive imported as a snapshot.
struct ImportedMessage: JSONMessage {
    static let messageType = "imported"
    static let commands = ["import"]
    static var sample: Self {
        Self(archive: "o4o_backup_20250129_120000.tar.gz", snapshotId: "ab", time: "2025-01-29T11:00:00Z", members: 1, archiveBytes: 2,
             contentBytes: 3, dataAddedStored: 4, durationSeconds: 1.5)
    }

    let archive: String
    let snapshotId: String
    let time: String
    let members: Int
    let archiveBytes: UInt64
    let contentBytes: UInt64
    let dataAddedStored: UInt64
    let durationSeconds: Double
}

/// An archive imported before.
struct ImportSkippedMessage: JSONMessage {
    static let messageType = "skipped"
    static let commands = ["import"]
    static var sample: Self { Self(archive: "o4o_backup_20250129_120000.tar.gz", snapshotId: "ab") }

    let archive: String
    /// The earlier import.
    let snapshotId: String
}

struct ImportSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["import"]
    static var sample: Self { Self(imported: 1, skipped: 2) }

    let imported: Int
    let skipped: Int
}
