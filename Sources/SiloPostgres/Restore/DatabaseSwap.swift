import Foundation

/// Swapping a restored database in for the live one, and back, from the `postgres` database
/// (docs/FORMAT.md §13). Both renames run in one transaction: either both happen or neither.
enum DatabaseSwap {
    /// `live` becomes `live_old_<stamp>` and `staging` becomes `live`. Returns the old name.
    static func replace(live: String, with staging: String, stamp: String, admin: PostgresConnection) throws -> String {
        let old = try generatedName(live, "_old_" + stamp)
        try swap([(live, old), (staging, live)], blocking: [live, staging], admin: admin)
        return old
    }

    /// Undoes the latest `replace` of `name`: `name` becomes `name_failed_<stamp>`, the newest
    /// `name_old_*` becomes `name`. Returns (failed, restored).
    static func rollback(_ name: String, stamp: String, admin: PostgresConnection) throws -> (failed: String, restored: String) {
        let pattern = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "_", with: "\\_")
            .replacingOccurrences(of: "%", with: "\\%") + "\\_old\\_%"
        guard let old = try admin.query("SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname DESC LIMIT 1", [pattern]).first?[0] else {
            throw PostgresError(.notFound, "no database \(name)_old_* to roll back to")
        }
        let failed = try generatedName(name, "_failed_" + stamp)
        let liveExists = try admin.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [name]) != nil
        let renames = liveExists ? [(name, failed), (old, name)] : [(old, name)]
        try swap(renames, blocking: liveExists ? [name, old] : [old], admin: admin)
        return (liveExists ? failed : "", old)
    }

    static func generatedName(_ base: String, _ suffix: String) throws -> String {
        let name = base + suffix
        guard name.utf8.count <= 63 else {
            throw PostgresError(.invalidArgument, "\(name) is longer than PostgreSQL's 63-byte limit for names; restore with --as SHORTER_NAME")
        }
        return name
    }

    static func swap(_ renames: [(from: String, to: String)], blocking: [String], admin: PostgresConnection) throws {
        for database in blocking { try admin.execute("ALTER DATABASE \(quoteIdentifier(database)) ALLOW_CONNECTIONS false") }
        do {
            try admin.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()",
                            [arrayLiteral(blocking)])
            try admin.execute("BEGIN")
            do {
                for rename in renames {
                    try admin.execute("ALTER DATABASE \(quoteIdentifier(rename.from)) RENAME TO \(quoteIdentifier(rename.to))")
                }
                try admin.execute("COMMIT")
            } catch {
                try? admin.execute("ROLLBACK")
                throw error
            }
        } catch {
            for database in blocking { try? admin.execute("ALTER DATABASE \(quoteIdentifier(database)) ALLOW_CONNECTIONS true") }
            throw error
        }
        // Both take connections again: the live one for the applications, the one moved aside so
        // that people can look into it (applications do not know its new name).
        for rename in renames { try admin.execute("ALTER DATABASE \(quoteIdentifier(rename.to)) ALLOW_CONNECTIONS true") }
    }

    static func arrayLiteral(_ names: [String]) -> String {
        "{" + names.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }
}
