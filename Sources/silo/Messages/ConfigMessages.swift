import Foundation
import SiloConfig

struct ConfigErrorMessage: JSONMessage {
    static let messageType = "config_error"
    static let commands = ["config validate", "config show"]
    static var sample: Self { Self(file: "/etc/silo/silo.yaml", line: 4, column: 3, keyPath: "sources.uploads.paths[1]", message: "unknown key") }

    let file: String
    /// Only when the error has a position.
    let line: Int?
    let column: Int?
    let keyPath: String
    let message: String
}

struct ConfigSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["config validate"]
    static var sample: Self { Self(file: "/etc/silo/silo.yaml", valid: true, errors: 0, sources: ["uploads"], copies: ["offsite"]) }

    let file: String
    let valid: Bool
    let errors: Int
    /// Names, only when the configuration is valid.
    let sources: [String]?
    let copies: [String]?
}

struct ConfigurationMessage: JSONMessage {
    static let messageType = "configuration"
    static let commands = ["config show"]
    static var sample: Self { Self(file: "/etc/silo/silo.yaml", configuration: .object(["sources": .object([:])])) }

    let file: String
    /// The effective configuration, secrets as `***`.
    let configuration: JSONValue
}

struct ConfigWrittenMessage: JSONMessage {
    static let messageType = "config_written"
    static let commands = ["config init"]
    static var sample: Self { Self(file: "/etc/silo/silo.yaml", passwordFile: "/etc/silo/repository.password", passwordFileCreated: true) }

    let file: String
    let passwordFile: String
    let passwordFileCreated: Bool
}

extension JSONValue {
    init(_ value: ConfigValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .integer(let number): self = .integer(number)
        case .number(let number): self = .number(number)
        case .boolean(let flag): self = .boolean(flag)
        case .null: self = .null
        case .list(let items): self = .list(items.map(JSONValue.init))
        // The first of a repeated key, as the configuration reads it.
        case .mapping(let pairs): self = .object(Dictionary(pairs.map { ($0.key, JSONValue($0.value)) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}

/// `config recover`: which saved configuration was written out, and where.
struct ConfigRecoveredMessage: JSONMessage {
    static let messageType = "config_recovered"
    static let commands = ["config recover"]
    static var sample: Self {
        Self(snapshotId: "0a1b", host: "web1", time: "2026-01-02T03:04:05Z", file: "/etc/silo/silo.yaml", historyFile: "/var/lib/silo/history.sqlite")
    }

    let snapshotId: String
    let host: String
    let time: String
    /// nil: printed on standard output (not under --json).
    let file: String?
    let historyFile: String?
}
