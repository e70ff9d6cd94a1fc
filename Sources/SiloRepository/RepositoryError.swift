import Foundation
import SiloFormat
import SiloStorage

/// A repository-level failure: what happened and, where there is one, what to do about it.
/// The CLI maps each code to a documented exit code (docs/CLI.md).
public struct RepositoryError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case repositoryNotFound
        case notARepository
        case alreadyExists
        case wrongPassword
        case unsupportedVersion
        /// Stored data failed authentication or hash verification.
        case integrity
        case readOnly
        case noSpace
        case catalog
        /// The local catalog file is damaged or not a catalog: it is set aside and rebuilt.
        case catalogDamaged
        case invalidArgument
        case notFound
        case storage
        /// A backup's lease may have been taken for stale: it must not commit.
        case leaseLost
        /// SIGINT or SIGTERM arrived: the command stops and commits nothing more.
        case interrupted
        /// Another process holds the lock this command needs (another prune).
        case locked
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Translates lower-layer errors into repository errors with a consistent code.
    public static func wrap(_ error: Error, context: String) -> Error {
        switch error {
        case let e as RepositoryError: return e
        case let e as StorageError:
            switch e.code {
            case .readOnly: return RepositoryError(.readOnly, "\(context): \(e)")
            case .noSpace: return RepositoryError(.noSpace, "\(context): \(e)")
            case .notFound: return RepositoryError(.notFound, "\(context): \(e)")
            default: return RepositoryError(.storage, "\(context): \(e)")
            }
        case let e as FormatError:
            switch e.code {
            case .unsupportedVersion: return RepositoryError(.unsupportedVersion, "\(context): \(e)")
            default: return RepositoryError(.integrity, "\(context): \(e)")
            }
        default: return error
        }
    }
}
