struct ExportSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["export"]
    static var sample: Self {
        Self(snapshotId: "ab", file: "/tmp/etc.tar", format: "tar", members: 1, contentBytes: 2, archiveBytes: 3, durationSeconds: 1.5)
    }

    let snapshotId: String
    let file: String
    let format: String
    let members: Int
    let contentBytes: UInt64
    let archiveBytes: UInt64
    let durationSeconds: Double
}
