/// The end of `index rebuild`.
struct IndexRebuildSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["index rebuild"]
    static var sample: Self {
        Self(packsIndexed: 1, indexFilesWritten: 2, damagedIndexFilesRemoved: ["index/ab"], packsMissing: ["cd"], packsUnreadable: ["ef"])
    }

    let packsIndexed: Int
    let indexFilesWritten: Int
    let damagedIndexFilesRemoved: [String]
    let packsMissing: [String]
    let packsUnreadable: [String]
}
