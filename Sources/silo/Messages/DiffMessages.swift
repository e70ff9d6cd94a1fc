/// One difference of `diff`.
struct ChangeMessage: JSONMessage {
    static let messageType = "change"
    static let commands = ["diff"]
    static var sample: Self { Self(modifier: "M", path: "/etc/hosts") }

    /// One of `+ - M U T`.
    let modifier: String
    let path: String
}
