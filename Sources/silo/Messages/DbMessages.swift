/// The end of `db rollback`.
struct RollbackSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["db rollback"]
    static var sample: Self { Self(database: "shop", failedDatabase: "shop_failed", restoredFrom: "shop_previous") }

    let database: String
    /// Empty when there was no live database.
    let failedDatabase: String
    let restoredFrom: String
}
