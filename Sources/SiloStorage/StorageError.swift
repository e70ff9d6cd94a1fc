import Foundation

/// A failure of the storage layer, with what happened and what the user can do.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case notFound
        case outOfRange
        case permissionDenied
        case readOnly
        case noSpace
        case invalidKey
        case io
    }

    public let code: Code
    public let key: String
    public let message: String

    public init(_ code: Code, key: String, _ message: String) {
        self.code = code
        self.key = key
        self.message = message
    }

    public var description: String {
        switch code {
        case .notFound: return "object \(key) not found: \(message)"
        case .readOnly: return "cannot write \(key): the repository is read-only (\(message)); mount it read-write or use a writable location"
        case .noSpace: return "cannot write \(key): no space left on device (what was written of it was removed); free space or move the repository"
        case .permissionDenied: return "permission denied on \(key): \(message); check the repository's owner and permissions"
        default: return "storage error on \(key): \(message)"
        }
    }
}
