import CSQLite3
import Foundation
import SiloFormat

/// A thin wrapper over the SQLite C API: the catalog's lookups are on the hot path of every
/// backup, so statements are prepared once and reused (see docs/notes on GRDB's overhead).
package final class SQLiteDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?
    package let path: String

    package init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw RepositoryError(.catalog, "cannot open catalog \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 30_000)
    }

    deinit { sqlite3_close_v2(handle) }

    package func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            sqlite3_free(error)
            throw failure("catalog: \(sql.prefix(80))")
        }
    }

    package func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw failure("catalog: \(sql.prefix(80))")
        }
        return Statement(statement, database: self)
    }

    /// Runs `body` in a transaction. Inside an open one (a caller's batch, which rolls back
    /// as a whole when anything in it fails) the body simply joins it: a savepoint would copy
    /// every page the body first touches into a statement journal, gigabytes of writes over
    /// a prune's mark phase.
    private var cache: [String: Statement] = [:]

    /// `prepare(sql)` once per connection: for a statement run often from code that cannot
    /// keep one of its own (an extension in another module). Callers serialize, as for
    /// every statement of a connection.
    package func cached(_ sql: String) throws -> Statement {
        if let statement = cache[sql] { return statement }
        let statement = try prepare(sql)
        cache[sql] = statement
        return statement
    }

    package func transaction<T>(_ body: () throws -> T) throws -> T {
        if sqlite3_get_autocommit(handle) == 0 { return try body() }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// The error for a failed call: `.catalogDamaged` when SQLite found the file damaged or not
    /// a database at all (the catalog is then set aside and rebuilt), `.catalog` otherwise
    /// (a full disk, a lock, a read-only folder: nothing to rebuild).
    package func failure(_ what: String) -> RepositoryError {
        let rc = sqlite3_errcode(handle) & 0xff
        let damaged = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB
        return RepositoryError(damaged ? .catalogDamaged : .catalog, "\(what): \(lastError)")
    }

    /// Rows changed by the last statement.
    package var changes: Int32 { sqlite3_changes(handle) }

    package final class Statement {
        private let statement: OpaquePointer
        private unowned let database: SQLiteDatabase
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        init(_ statement: OpaquePointer, database: SQLiteDatabase) {
            self.statement = statement
            self.database = database
        }

        deinit { sqlite3_finalize(statement) }

        /// Binds the values (Int, Int64, UInt64, String, Data, Digest32, nil) to ?1, ?2, …
        @discardableResult
        package func bind(_ values: [Any?]) -> Statement {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            for (i, value) in values.enumerated() {
                let index = Int32(i + 1)
                // IDs first: most bindings are one, and each failed cast costs.
                switch value {
                case let v as Digest32: bindDigest(v, index)
                case nil: sqlite3_bind_null(statement, index)
                case let v as Int: sqlite3_bind_int64(statement, index, Int64(v))
                case let v as Int64: sqlite3_bind_int64(statement, index, v)
                case let v as UInt64: sqlite3_bind_int64(statement, index, Int64(bitPattern: v))
                case let v as UInt32: sqlite3_bind_int64(statement, index, Int64(v))
                case let v as Double: sqlite3_bind_double(statement, index, v)
                case let v as String: sqlite3_bind_text(statement, index, v, -1, Statement.transient)
                case let v as Data: bindBlob(v, index)
                default: preconditionFailure("unsupported SQLite binding \(type(of: value))")
                }
            }
            return self
        }

        /// A digest's 32 bytes, big-endian as `Digest32.data` gives them, without a `Data`.
        private func bindDigest(_ digest: Digest32, _ index: Int32) {
            var words = (digest.w0.bigEndian, digest.w1.bigEndian, digest.w2.bigEndian, digest.w3.bigEndian)
            withUnsafeBytes(of: &words) { raw in
                _ = sqlite3_bind_blob(statement, index, raw.baseAddress, 32, Statement.transient)
            }
        }

        private func bindBlob(_ data: Data, _ index: Int32) {
            data.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), Statement.transient)
            }
        }

        /// Runs a statement that returns no rows.
        package func run() throws {
            let rc = sqlite3_step(statement)
            sqlite3_reset(statement)
            guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
                throw database.failure("catalog write failed")
            }
        }

        /// Steps through the rows; `row` reads columns of the current row.
        package func forEach(_ row: (Row) throws -> Void) throws {
            defer { sqlite3_reset(statement) }
            while true {
                let rc = sqlite3_step(statement)
                if rc == SQLITE_DONE { return }
                guard rc == SQLITE_ROW else { throw database.failure("catalog read failed") }
                try row(Row(statement: statement))
            }
        }

        package func first<T>(_ transform: (Row) throws -> T) throws -> T? {
            var result: T?
            defer { sqlite3_reset(statement) }
            let rc = sqlite3_step(statement)
            if rc == SQLITE_ROW { result = try transform(Row(statement: statement)) } else if rc != SQLITE_DONE {
                throw database.failure("catalog read failed")
            }
            return result
        }
    }

    package struct Row {
        let statement: OpaquePointer
        package func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        package func text(_ column: Int32) -> String {
            sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
        }
        package func data(_ column: Int32) -> Data {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return Data() }
            return Data(bytes: pointer, count: count)
        }
        /// The column's digest, nil when it is NULL.
        package func optionalDigest(_ column: Int32) -> Digest32? {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : digest(column)
        }
        package func digest(_ column: Int32) -> Digest32 {
            let pointer = sqlite3_column_blob(statement, column)
            guard Int(sqlite3_column_bytes(statement, column)) == 32, let pointer else { return Digest32(data: Data(count: 32))! }
            return Digest32(bytes: UnsafeRawBufferPointer(start: pointer, count: 32))
        }
        package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    }
}
