import Foundation
import SiloFormat

/// `silo serve --auth FILE`: one password, read from a file and kept only as an scrypt hash
/// with a random salt; a login gives a random session token in a cookie (`HttpOnly`,
/// `SameSite=Strict`, `Secure` under TLS) that lasts 12 hours; failed logins are rate-limited
/// per client address (5 a minute, then refused until the minute is over). The repository's
/// password is a different secret and never reaches the browser.
final class Authenticator: @unchecked Sendable {
    static let cookieName = "silo_session"
    static let sessionLifetime: TimeInterval = 12 * 3600
    static let failuresPerMinute = 5

    private let salt: Data
    private let hash: Data
    private let lock = NSLock()
    private var sessions: [String: Date] = [:]
    private var failures: [String: [Date]] = [:]
    /// SHA-256 of the one password, once a Basic request proved it.
    private var verified = Set<String>()
    private let now: @Sendable () -> Date

    init(password: String, now: @escaping @Sendable () -> Date = { Date() }) throws {
        salt = Crypto.randomBytes(16)
        hash = try Self.derive(password, salt: salt)
        self.now = now
    }

    private static func derive(_ password: String, salt: Data) throws -> Data {
        try Crypto.scrypt(password: Data(password.utf8), salt: salt, n: 1 << 14, r: 8, p: 1)
    }

    enum LoginResult: Equatable {
        case session(String)
        case wrong
        case tooMany
    }

    func login(password: String, client: String) -> LoginResult {
        let time = now()
        let recent = lock.withLock { failures[client, default: []].filter { time.timeIntervalSince($0) < 60 } }
        if recent.count >= Self.failuresPerMinute { return .tooMany }
        guard let derived = try? Self.derive(password, salt: salt), Self.constantTimeEqual(derived, hash) else {
            lock.withLock { failures[client] = recent + [time] }
            return .wrong
        }
        let token = Crypto.randomBytes(32).map { String(format: "%02x", $0) }.joined()
        lock.withLock {
            failures[client] = nil
            sessions = sessions.filter { time.timeIntervalSince($0.value) < Self.sessionLifetime }
            sessions[token] = time
        }
        return .session(token)
    }

    /// A password sent with every request (WebDAV's Basic authentication): checked like a login,
    /// rate limit included, but remembered (as its SHA-256) once right, so that a drive's many
    /// requests do not each pay for scrypt; no session is made.
    func checkEachRequest(password: String, client: String) -> Bool {
        let key = Crypto.sha256(Data(password.utf8)).hex
        if lock.withLock({ verified.contains(key) }) { return true }
        let time = now()
        let recent = lock.withLock { failures[client, default: []].filter { time.timeIntervalSince($0) < 60 } }
        if recent.count >= Self.failuresPerMinute { return false }
        guard let derived = try? Self.derive(password, salt: salt), Self.constantTimeEqual(derived, hash) else {
            lock.withLock { failures[client] = recent + [time] }
            return false
        }
        lock.withLock { _ = verified.insert(key) }
        return true
    }

    func isValid(session token: String?) -> Bool {
        guard let token else { return false }
        let time = now()
        return lock.withLock { sessions[token].map { time.timeIntervalSince($0) < Self.sessionLifetime } ?? false }
    }

    func logout(_ token: String?) {
        guard let token else { return }
        _ = lock.withLock { sessions.removeValue(forKey: token) }
    }

    static func cookie(_ token: String, secure: Bool) -> String {
        "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(sessionLifetime))" + (secure ? "; Secure" : "")
    }

    static func session(fromCookieHeader header: String?) -> String? {
        for part in (header ?? "").split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookieName + "=") { return String(pair.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    private static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func loginPage(language: Language, message: String?, next: String) -> String {
        let t = language.strings
        return HTML.page(title: t.login, language: language, body: """
            \(message.map { "<p class=del>\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/login"><label>\(t.password) <input type="password" name="password" autofocus></label>
            <input type="hidden" name="next" value="\(HTML.escape(next))"><button>\(t.login)</button></form>
            """)
    }
}

/// A failure of `silo serve` itself (its options, its files), one line.
public struct WebError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
