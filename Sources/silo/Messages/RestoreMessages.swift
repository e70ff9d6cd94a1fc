/// The end of a restore, or of `restore --dry-run` (which has only what it would restore).
struct RestoreSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["restore"]
    static var sample: Self {
        Self(dryRun: false, snapshotId: "ab", files: 1, dirs: 2, others: 3, bytes: 4, errors: 0, filesNotRestored: 0, durationSeconds: 1.5,
             storageRequests: 5, verifiedFiles: 1, verifiedBytes: 4, verifyMismatches: 0)
    }

    let dryRun: Bool
    let snapshotId: String
    let files: Int
    let dirs: Int
    let others: Int
    let bytes: UInt64
    let errors: Int?
    let filesNotRestored: Int?
    let durationSeconds: Double?
    let storageRequests: Int?
    /// With `--verify`.
    let verifiedFiles: Int?
    let verifiedBytes: UInt64?
    let verifyMismatches: Int?
}

/// The end of `restore --postgres`.
struct DatabaseRestoreSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["restore --postgres"]
    static var sample: Self {
        Self(snapshotId: "ab", database: "shop", tablesVerified: 1, rowsVerified: 2, durationSeconds: 1.5, test: false, warnings: 0,
             timings: ["verify": 0.5], previousDatabase: "shop_previous", table: "public.orders")
    }

    let snapshotId: String
    let database: String
    let tablesVerified: Int
    let rowsVerified: Int64
    let durationSeconds: Double
    let test: Bool
    let warnings: Int
    /// Seconds by step.
    let timings: [String: Double]
    let previousDatabase: String?
    let table: String?
}
