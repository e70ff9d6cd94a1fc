/// A snapshot already in the destination.
struct CopySkippedMessage: JSONMessage {
    static let messageType = "skipped"
    static let commands = ["copy"]
    static var sample: Self { Self(snapshotId: "ab", destinationId: "cd") }

    let snapshotId: String
    let destinationId: String
}

struct CopiedMessage: JSONMessage {
    static let messageType = "copied"
    static let commands = ["copy"]
    static var sample: Self { Self(snapshotId: "ab", destinationId: "cd", blobsSent: 3, bytesSent: 4096) }

    let snapshotId: String
    let destinationId: String
    let blobsSent: Int
    /// Stored bytes.
    let bytesSent: UInt64
}

/// A snapshot whose data is damaged, left behind.
struct NotCopiedMessage: JSONMessage {
    static let messageType = "not_copied"
    static let commands = ["copy"]
    static var sample: Self { Self(snapshotId: "ab", reason: "chunk does not authenticate") }

    let snapshotId: String
    let reason: String
}

struct CopySummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["copy"]
    static var sample: Self {
        Self(snapshotsCopied: 1, snapshotsSkipped: 2, snapshotsNotCopied: ["ab"], blobsSent: 3, dataSent: 4, dataSentStored: 5,
             chunksRead: 6, chunkingDiffers: false, durationSeconds: 1.5, storageRequests: 7)
    }

    let snapshotsCopied: Int
    let snapshotsSkipped: Int
    let snapshotsNotCopied: [String]
    let blobsSent: Int
    let dataSent: UInt64
    let dataSentStored: UInt64
    let chunksRead: Int
    let chunkingDiffers: Bool
    let durationSeconds: Double
    let storageRequests: Int?
}
