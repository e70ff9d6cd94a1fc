/// The end of `repair snapshots`.
struct RepairSnapshotsSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["repair snapshots"]
    static var sample: Self { Self(removed: ["snapshots/ab"]) }

    /// The keys of the damaged snapshot objects deleted.
    let removed: [String]
}
