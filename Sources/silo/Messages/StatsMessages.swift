struct StatsMessage: JSONMessage {
    static let messageType = "stats"
    static let commands = ["stats"]
    static var sample: Self {
        Self(snapshots: 1, totalSize: 2, uniqueSize: 3, storedSize: 4, packBytes: 5, chunks: 6, packs: 7, dedupRatio: 1.5, compressionRatio: 2.5)
    }

    let snapshots: Int
    let totalSize: UInt64
    let uniqueSize: UInt64
    let storedSize: UInt64
    let packBytes: UInt64
    let chunks: Int
    let packs: Int
    let dedupRatio: Double
    let compressionRatio: Double
}
