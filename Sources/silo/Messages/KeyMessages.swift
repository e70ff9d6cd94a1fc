/// One key of `key list`.
struct KeyMessage: JSONMessage {
    static let messageType = "key"
    static let commands = ["key list"]
    static var sample: Self {
        Self(id: "ab", current: true, user: "root", host: "web1", created: "2026-01-02T03:04:05Z", neverTried: "asks for more memory than allowed")
    }

    let id: String
    let current: Bool
    let user: String
    let host: String
    let created: String
    /// Why a key file whose scrypt parameters are beyond the limits is never tried.
    let neverTried: String?
}

struct KeyAddedMessage: JSONMessage {
    static let messageType = "key_added"
    static let commands = ["key add"]
    static var sample: Self { Self(id: "ab") }

    let id: String
}

struct KeyRemovedMessage: JSONMessage {
    static let messageType = "key_removed"
    static let commands = ["key remove"]
    static var sample: Self { Self(id: "ab") }

    /// The full ID, also when given a prefix.
    let id: String
}

struct KeyChangedMessage: JSONMessage {
    static let messageType = "key_changed"
    static let commands = ["key passwd"]
    static var sample: Self { Self(id: "ab", removedId: "cd") }

    /// The new key.
    let id: String
    /// The old key, now removed.
    let removedId: String
}
