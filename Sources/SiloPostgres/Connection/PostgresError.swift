/// What went wrong talking to PostgreSQL or its tools, and what to do about it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        /// Server unreachable, authentication failed.
        case connection
        /// A statement failed.
        case query
        /// `pg_dump`, `pg_restore` or `pg_dumpall` failed.
        case tool
        /// The named database, table or snapshot entry does not exist.
        case notFound
        /// The restored database does not match the manifest taken at backup time.
        case verification
        case invalidArgument
    }

    public let code: Code
    public let message: String
    /// The server's SQLSTATE, when the server sent one.
    public let sqlState: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { message }
}
