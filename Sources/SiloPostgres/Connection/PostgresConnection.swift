import CLibPQ
import Foundation

/// One libpq connection. Not shared between threads.
public final class PostgresConnection {
    private let connection: OpaquePointer
    public let target: ConnectionTarget

    public init(_ target: ConnectionTarget) throws {
        self.target = target
        let pairs = target.keywords
        let keys = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        let made = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in PQconnectdbParams(k.baseAddress, v.baseAddress, 0) }
        }
        guard let made else { throw PostgresError(.connection, "cannot connect to \(target): out of memory") }
        // Checked before `connection` is set: once it is, a throw would run deinit (a second PQfinish).
        guard PQstatus(made) == CONNECTION_OK else {
            let message = Self.clean(String(cString: PQerrorMessage(made)))
            PQfinish(made)
            throw PostgresError(.connection, "cannot connect to PostgreSQL at \(target): \(message)")
        }
        connection = made
        // Server NOTICEs ("does not exist, skipping") are not for the user's terminal.
        PQsetNoticeProcessor(made, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    /// Server version as PostgreSQL prints it (e.g. "15.18").
    public var serverVersion: String {
        let number = versionNumber
        return "\(number / 10000).\(number % 10000)"
    }

    /// `server_version_num`, e.g. 150018: catalog columns differ between major versions.
    public var versionNumber: Int { Int(PQserverVersion(connection)) }

    /// Runs one statement with text parameters; returns its rows as text (nil for NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let result = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { params in
            PQexecParams(connection, sql, Int32(parameters.count), nil, params.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, sql)
        var rows: [[String?]] = []
        let rowCount = PQntuples(result), columnCount = PQnfields(result)
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        return rows
    }

    /// Runs one or more statements without parameters.
    public func execute(_ sql: String) throws {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result, sql)
    }

    /// The first column of the first row.
    public func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        try query(sql, parameters).first?.first ?? nil
    }

    /// Copies the rows `copyOut` (a `COPY … TO STDOUT`) yields on this connection into
    /// `copyIn` (a `COPY … FROM STDIN`) on `destination`, without holding them in memory.
    public func copy(_ copyOut: String, to destination: PostgresConnection, _ copyIn: String) throws {
        let outResult = PQexec(connection, copyOut)
        guard PQresultStatus(outResult) == PGRES_COPY_OUT else {
            defer { PQclear(outResult) }
            try check(outResult, copyOut)
            throw PostgresError(.query, "COPY did not start")
        }
        PQclear(outResult)
        let inResult = PQexec(destination.connection, copyIn)
        guard PQresultStatus(inResult) == PGRES_COPY_IN else {
            defer { PQclear(inResult) }
            try destination.check(inResult, copyIn)
            throw PostgresError(.query, "COPY did not start")
        }
        PQclear(inResult)
        var failure: String?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(connection, &buffer, 0)
            if n > 0, let buffer {
                if failure == nil && PQputCopyData(destination.connection, buffer, n) != 1 {
                    failure = Self.clean(String(cString: PQerrorMessage(destination.connection)))
                }
                PQfreemem(buffer)
                continue
            }
            break
        }
        try drainResults(copyOut)
        PQputCopyEnd(destination.connection, failure)
        try destination.drainResults(copyIn)
        if let failure { throw PostgresError(.query, "copying rows failed: \(failure)") }
    }

    private func drainResults(_ sql: String) throws {
        var firstError: PostgresError?
        while let result = PQgetResult(connection) {
            do { try check(result, sql) } catch let error as PostgresError { firstError = firstError ?? error }
            PQclear(result)
        }
        if let firstError { throw firstError }
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws {
        let status = PQresultStatus(result)
        guard status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE || result == nil else { return }
        let message = Self.clean(result.map { String(cString: PQresultErrorMessage($0)) } ?? String(cString: PQerrorMessage(connection)))
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        if PQstatus(connection) != CONNECTION_OK {
            throw PostgresError(.connection, "lost the connection to \(target): \(message)", sqlState: state)
        }
        throw PostgresError(.query, message, sqlState: state)
    }

    private static func clean(_ message: String) -> String {
        message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

/// `"name"` with embedded quotes doubled: safe to splice into SQL as an identifier.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `'text'` with embedded quotes doubled: a SQL string literal.
func quoteLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
