import Foundation

/// What an error may say about where a channel sends: `scheme://host[:port]`. A webhook URL's
/// path and query are often its only credential (Slack's `/services/T…/B…/…`), and a URL's user
/// part can hold a password, so neither ever reaches an error, a log or the history.
enum Endpoint {
    static func describe(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host,
              !host.isEmpty
        else { return "an unparsable URL" }
        let port = components.port.map { ":\($0)" } ?? ""
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme.lowercased())://\(shownHost)\(port)"
    }
}

/// Belt and braces after `Endpoint`: libcurl's messages and a server's answer are text we do
/// not write, so every secret of the channel (and the parts of a secret URL) is cut out of them.
struct Redactor: Sendable {
    private var secrets: [String] = []

    /// Adds a secret; a URL also adds its path, query, user info and each longer path segment,
    /// the pieces a message could quote on their own.
    mutating func add(_ secret: String?, isURL: Bool = false) {
        guard let secret, !secret.isEmpty else { return }
        secrets.append(secret)
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret {
            secrets.append(encoded)
        }
        guard isURL, let components = URLComponents(string: secret) else { return }
        let path = components.percentEncodedPath
        if path.count > 1 { secrets.append(path) }
        if let query = components.percentEncodedQuery, !query.isEmpty { secrets.append(query) }
        if let user = components.percentEncodedUser, !user.isEmpty { secrets.append(user) }
        if let password = components.percentEncodedPassword, !password.isEmpty { secrets.append(password) }
        for segment in path.split(separator: "/") where segment.count >= 6 { secrets.append(String(segment)) }
        if let items = components.queryItems {
            for item in items { if let value = item.value, value.count >= 6 { secrets.append(value) } }
        }
    }

    /// Longest first, so a whole URL goes before the path inside it.
    func scrub(_ text: String) -> String {
        var text = text
        for secret in secrets.sorted(by: { $0.count > $1.count }) where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }
}
