/// The end of `catalog rebuild`.
struct CatalogRebuildSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["catalog rebuild"]
    static var sample: Self {
        Self(snapshots: 1, packs: 2, chunks: 3, skipped: [Skipped(kind: "snapshot", key: "snapshots/ab", message: "does not authenticate")])
    }

    /// An object left out as damaged.
    struct Skipped: Encodable {
        let kind: String
        let key: String
        let message: String
    }

    let snapshots: Int
    let packs: Int
    let chunks: Int
    let skipped: [Skipped]
}
