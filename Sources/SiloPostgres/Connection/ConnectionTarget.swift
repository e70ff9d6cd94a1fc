import Foundation

/// Where a PostgreSQL server is and how to log in: parsed from a `postgresql://` URL, with
/// libpq's environment (`PGHOST`, `PGPORT`, `PGUSER`, `.pgpass`) filling what it leaves out.
///
/// The password is never printed and never put on a command line: it comes from the URL (where
/// it is taken out at once), `DB_PASSWORD` (the platform's scripts' name) or `PGPASSWORD`, and
/// reaches child programs only through their environment. `.pgpass` works as usual.
public struct ConnectionTarget: Sendable, CustomStringConvertible {
    public var host: String?
    public var port: String?
    public var user: String?
    /// The database named by the URL; nil means "every database" for a backup.
    public var database: String?
    public var sslMode: String?
    var password: String?

    public init(host: String? = nil, port: String? = nil, user: String? = nil, database: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        password = environment["DB_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGPASSWORD"]
    }

    /// Parses `postgresql://[user[:password]@][host][:port][/database][?sslmode=…&host=…]`.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.init(environment: environment)
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else {
            throw PostgresError(.invalidArgument, "not a PostgreSQL URL (expected postgresql://user@host:port/database)")
        }
        guard let components = URLComponents(string: text) else {
            throw PostgresError(.invalidArgument, "cannot parse the PostgreSQL URL (check its quoting; the password is not shown)")
        }
        host = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding ?? $0 }
        port = components.port.map(String.init)
        user = components.user.flatMap { $0.removingPercentEncoding ?? $0 }
        if let secret = components.password { password = secret.removingPercentEncoding ?? secret }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : (path.removingPercentEncoding ?? path)
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode": sslMode = item.value
            case "host": host = item.value
            case "port": port = item.value
            case "user": user = item.value
            case "dbname": database = item.value
            case "password": password = item.value
            default: throw PostgresError(.invalidArgument, "unsupported PostgreSQL URL parameter '\(item.name)'")
            }
        }
    }

    /// The same server, another database.
    public func with(database: String?) -> ConnectionTarget {
        var copy = self
        copy.database = database
        return copy
    }

    /// For messages: user@host:port/database, never the password.
    public var description: String {
        "\(user.map { $0 + "@" } ?? "")\(host ?? "localhost")\(port.map { ":" + $0 } ?? "")/\(database ?? "")"
    }

    /// libpq keyword/value pairs for `PQconnectdbParams`.
    var keywords: [(String, String)] {
        var pairs: [(String, String)] = [("application_name", "silo"), ("connect_timeout", "10")]
        if let host { pairs.append(("host", host)) }
        if let port { pairs.append(("port", port)) }
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        if let sslMode { pairs.append(("sslmode", sslMode)) }
        return pairs
    }

    /// Environment for `pg_dump` and friends: the connection, without any command-line secret.
    var toolEnvironment: [String: String] {
        var env = ["PGAPPNAME": "silo", "PGCONNECT_TIMEOUT": "10"]
        if let host { env["PGHOST"] = host }
        if let port { env["PGPORT"] = port }
        if let user { env["PGUSER"] = user }
        if let password { env["PGPASSWORD"] = password }
        if let database { env["PGDATABASE"] = database }
        if let sslMode { env["PGSSLMODE"] = sslMode }
        return env
    }
}
