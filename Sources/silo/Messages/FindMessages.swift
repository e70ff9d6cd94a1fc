/// A `find` hit: the node's fields and the snapshot it is in.
struct MatchMessage: JSONMessage {
    static let messageType = "match"
    static let commands = ["find"]
    static var sample: Self { Self(node: .sample, snapshot: "ab") }

    let node: NodeMessage
    let snapshot: String

    private enum CodingKeys: String, CodingKey { case snapshot }

    func encode(to encoder: any Encoder) throws {
        try node.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(snapshot, forKey: .snapshot)
    }
}
