import CSQLite3
import Foundation

/// The state's own small SQLite wrapper. The catalog's (`SQLiteDatabase` in SiloRepository) is
/// not reused: it binds the format's digests and reports `RepositoryError.catalogDamaged`, on
/// which the catalog is set aside and rebuilt — the one thing never to do with the state,
/// which the repository cannot give back (docs/ARCHITECTURE.md, "SiloOps").
final class StateDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?
    let path: String
    private let lock = NSRecursiveLock()

    /// Opens (creating it 0600 if missing) the database at `path`, in WAL mode so that readers
    /// (`silo history`, monitoring) never wait for a run that is writing.
    /// `scratch`: a throwaway copy (the history saved into the repository) that is read once and
    /// deleted: no WAL, no syncs.
    init(path: String, scratch: Bool = false) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if fd < 0 { throw OpsError(.state, "cannot create \(path): \(String(cString: strerror(errno)))") }
            close(fd)
        }
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw OpsError(.state, "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        if scratch {
            try execute("PRAGMA journal_mode=OFF")
            try execute("PRAGMA synchronous=OFF")
            return
        }
        try execute("PRAGMA journal_mode=WAL")
    }

    deinit { sqlite3_close_v2(handle) }

    /// Serializes whole operations (a statement's bind-step-read) across threads.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            sqlite3_free(error)
            throw failure("\(sql.prefix(60))")
        }
    }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        try locked {
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
    }

    /// Runs one statement with `values` bound to ?1, ?2, … and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: [Value] = []) throws -> [Row] {
        try locked {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                throw failure("\(sql.prefix(60))")
            }
            defer { sqlite3_finalize(statement) }
            for (i, value) in values.enumerated() {
                let index = Int32(i + 1)
                switch value {
                case .null: sqlite3_bind_null(statement, index)
                case .int(let v): sqlite3_bind_int64(statement, index, v)
                case .text(let v): sqlite3_bind_text(statement, index, v, -1, StateDatabase.transient)
                }
            }
            var rows: [Row] = []
            while true {
                let rc = sqlite3_step(statement)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw failure("\(sql.prefix(60))") }
                let count = sqlite3_column_count(statement)
                rows.append(Row(values: (0..<count).map { column in
                    switch sqlite3_column_type(statement, column) {
                    case SQLITE_NULL: return .null
                    case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, column))
                    default: return .text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "")
                    }
                }))
            }
            return rows
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func failure(_ what: String) -> OpsError {
        let rc = sqlite3_errcode(handle) & 0xff
        let message = String(cString: sqlite3_errmsg(handle))
        if rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB {
            return OpsError(.stateDamaged, "the state database \(path) is damaged (\(message)); it is not rebuilt: move it aside to start a new one")
        }
        return OpsError(.state, "state database \(path): \(what): \(message)")
    }

    enum Value {
        case null
        case int(Int64)
        case text(String)

        static func optional(_ v: Int64?) -> Value { v.map(Value.int) ?? .null }
        static func optional(_ v: String?) -> Value { v.map(Value.text) ?? .null }
    }

    struct Row {
        let values: [Value]
        func int(_ i: Int) -> Int64 { if case .int(let v) = values[i] { return v }; return 0 }
        func optionalInt(_ i: Int) -> Int64? { if case .int(let v) = values[i] { return v }; return nil }
        func text(_ i: Int) -> String { optionalText(i) ?? "" }
        func optionalText(_ i: Int) -> String? {
            switch values[i] {
            case .text(let v): return v
            case .int(let v): return String(v)
            case .null: return nil
            }
        }
    }

    /// Applies the named migrations not yet applied, in order, in one transaction. A file
    /// from a newer silo (a migration this one does not know) is opened as it is: migrations
    /// only ever add, so this silo's queries still work on it.
    func migrate(_ migrations: [(name: String, sql: String)], now: Date) throws {
        try execute("CREATE TABLE IF NOT EXISTS migrations(name TEXT PRIMARY KEY, applied INTEGER NOT NULL)")
        try transaction {
            let applied = Set(try query("SELECT name FROM migrations").map { $0.text(0) })
            for migration in migrations where !applied.contains(migration.name) {
                try execute(migration.sql)
                try query("INSERT INTO migrations VALUES (?1, ?2)", [.text(migration.name), .int(Int64(now.timeIntervalSince1970))])
            }
        }
    }
}
