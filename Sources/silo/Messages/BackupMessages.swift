/// The end of a backup, or of `backup --dry-run` (which has no snapshot and no stored size).
struct BackupSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["backup"]
    static var sample: Self {
        Self(dryRun: false, snapshotId: String(repeating: "ab", count: 32), filesNew: 1, filesChanged: 2, filesUnmodified: 3, dirs: 4,
             totalBytes: 5, bytesRead: 6, dataAdded: 7, dataAddedStored: 8, chunksAdded: 9, warnings: 0, durationSeconds: 1.5,
             storageRequests: 10)
    }

    let dryRun: Bool
    let snapshotId: String?
    let filesNew: Int
    let filesChanged: Int
    let filesUnmodified: Int
    let dirs: Int
    let totalBytes: UInt64
    let bytesRead: UInt64
    /// Plaintext of the new chunks.
    let dataAdded: UInt64
    /// The same chunks as stored: compressed and encrypted.
    let dataAddedStored: UInt64?
    let chunksAdded: Int
    let warnings: Int
    let durationSeconds: Double
    let storageRequests: Int?
}
