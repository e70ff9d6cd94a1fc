import Foundation

struct TaggedMessage: JSONMessage {
    static let messageType = "tagged"
    static let commands = ["tag"]
    static var sample: Self { Self(snapshotId: "0a1b", newId: "2c3d", tags: ["daily"]) }

    /// The old ID, now removed.
    let snapshotId: String
    let newId: String
    let tags: [String]
}

struct TagSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["tag"]
    static var sample: Self { Self(changed: 1, unchanged: 0) }

    let changed: Int
    let unchanged: Int
}
