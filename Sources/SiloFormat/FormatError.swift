import Foundation

/// A failure to encode, decode or authenticate repository data.
public struct FormatError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// Authentication failed: the bytes were altered, truncated, or the key is wrong.
        case authenticationFailed
        /// The content hash does not match the ID it was stored under.
        case hashMismatch
        /// The structure could not be parsed.
        case malformed
        /// A structure of a version this program does not know.
        case unsupportedVersion
        /// The C library reported an error.
        case library
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
