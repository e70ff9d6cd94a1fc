struct InitializedMessage: JSONMessage {
    static let messageType = "initialized"
    static let commands = ["init"]
    static var sample: Self { Self(id: "5f0c", repository: "/srv/backup", encrypted: true) }

    let id: String
    let repository: String
    let encrypted: Bool
}
