import Foundation

/// A failure of the operations layer's own machinery: the state directory and its databases,
/// the schedule units.
/// (A held run lock is its own type, `RunLockHeld`, because the CLI gives it its own exit code.)
public struct OpsError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The state directory or a database in it cannot be created, opened, read or written.
        case state
        /// A state database is damaged or not a database. Unlike the catalog it is never set
        /// aside and rebuilt: the repository cannot give the state back.
        case stateDamaged
        /// A caller passed something the layer cannot record (a summary that is not JSON).
        case invalidArgument
        /// A schedule unit or cron file cannot be written or removed, is not silo's to replace,
        /// or systemctl refused it.
        case schedule
    }

    public let code: Code
    public let message: String
    public var description: String { message }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
