/// Where a value sits in the configuration: `sources.uploads.paths[1]`.
public struct KeyPath: Sendable, Equatable, CustomStringConvertible {
    public enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public private(set) var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public static let root = KeyPath()

    public func appending(_ key: String) -> KeyPath { KeyPath(components + [.key(key)]) }
    public func appending(_ index: Int) -> KeyPath { KeyPath(components + [.index(index)]) }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// A line and column of the configuration file, both counted from 1 (Yams' `Mark`).
public struct SourcePosition: Sendable, Equatable {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// One thing wrong with a configuration, and where: printed as `FILE:LINE:COLUMN: KEY.PATH: message`
/// so that editors and terminals jump to it.
public struct ConfigurationIssue: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let position: SourcePosition?
    public let keyPath: KeyPath
    public let message: String

    public init(file: String, position: SourcePosition?, keyPath: KeyPath, message: String) {
        self.file = file
        self.position = position
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var text = file
        if let position { text += ":\(position.line):\(position.column)" }
        if !keyPath.components.isEmpty { text += ": \(keyPath)" }
        return text + ": " + message
    }
}

/// A configuration that cannot be used, with every issue found (not only the first), in file order.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let issues: [ConfigurationIssue]

    public init(_ issues: [ConfigurationIssue]) { self.issues = issues }

    /// One line: the first issue, and how many more there are.
    public var description: String {
        guard let first = issues.first else { return "the configuration is invalid" }
        let more = issues.count - 1
        return first.description + (more > 0 ? " (and \(more) more: run `silo config validate`)" : "")
    }
}
