/// Any command's error, on stderr.
struct ErrorMessage: JSONMessage {
    static let messageType = "error"
    static let commands = ["all"]
    static var sample: Self { Self(message: "cannot open the repository", exitCode: 1) }

    let message: String
    /// Only when this error ends the command.
    let exitCode: Int32?
}

/// A problem a command reports and carries on past.
struct WarningMessage: JSONMessage {
    static let messageType = "warning"
    static let commands = ["all"]
    static var sample: Self { Self(message: "skipped: a damaged snapshot") }

    let message: String
}

struct VersionMessage: JSONMessage {
    static let messageType = "version"
    static let commands = ["version"]
    static var sample: Self { Self(version: "0.1.0") }

    let version: String
}
