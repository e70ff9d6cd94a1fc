import Foundation

/// A blocking HTTP/1.1 exchange (the callers are synchronous threads) on silo's own
/// connections, kept alive in a pool: a socket for `http://`, TLS over one for `https://`
/// (`HTTPConnection` says why not URLSession), through `https_proxy` when set.
final class HTTPClient: @unchecked Sendable {
    struct Request {
        var method: String
        var url: URL
        var headers: [(String, String)] = []
        var body = Data()
    }

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// A request that got no HTTP answer: refused, reset, timed out. Worth retrying.
    struct TransportError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// A failure retrying cannot mend: a certificate the trusted CAs do not vouch for or that
    /// names another host, a server that does not speak TLS, an unreadable CA bundle, a proxy
    /// that refuses the tunnel. The message says which, and what to change.
    struct NotTransientError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private let timeout: TimeInterval
    private let caBundle: String?
    private let proxyURL: String?
    private let noProxy: String?

    /// Idle keep-alive connections by "scheme://host:port".
    private let poolLock = NSLock()
    private var idle: [String: [HTTPConnection]] = [:]
    /// Made at the first `https://` connection, shared by all of them.
    private var tls: Result<(context: TLSContext, proxy: HTTPSProxy?), Error>?

    /// `caBundle`: the PEM file of the CAs to trust instead of the system's; `httpsProxy` and
    /// `noProxy` as the environment variables of those names spell them.
    init(timeout: TimeInterval, caBundle: String? = nil, httpsProxy: String? = nil, noProxy: String? = nil) {
        self.timeout = timeout
        self.caBundle = caBundle
        proxyURL = httpsProxy
        self.noProxy = noProxy
    }

    /// A request that fails on a reused connection before any byte of the answer came goes
    /// again on a new one: the server may have closed the idle connection meanwhile.
    func send(_ request: Request) throws -> Response {
        let url = request.url
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host,
              let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let port = UInt16(exactly: url.port ?? (scheme == "https" ? 443 : 80)) else {
            throw NotTransientError(message: "not a valid http:// or https:// URL: \(url)")
        }
        let endpoint = "\(scheme)://\(host):\(port)"
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        // The Host as it was signed: an IPv6 literal in brackets, the port when the URL has one.
        let hostName = host.contains(":") ? "[\(host)]" : host
        var headers: [(String, String)] = [("Host", url.port.map { "\(hostName):\($0)" } ?? hostName)]
        headers += request.headers.filter { $0.0.lowercased() != "host" }
        if !request.body.isEmpty && !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            headers.append(("Content-Length", String(request.body.count)))
        }
        while true {
            let pooled = poolLock.withLock { idle[endpoint]?.popLast() }
            let connection = try pooled ?? connect(https: scheme == "https", host: host, port: port)
            do {
                let (response, keepAlive) = try connection.exchange(method: request.method, target: target, headers: headers, body: request.body)
                if keepAlive {
                    poolLock.withLock { if idle[endpoint, default: []].count < 16 { idle[endpoint, default: []].append(connection) } }
                }
                return response
            } catch {
                if pooled != nil && !connection.responseStarted { continue }
                throw error
            }
        }
    }

    private func connect(https: Bool, host: String, port: UInt16) throws -> HTTPConnection {
        guard https else { return HTTPConnection(stream: try SocketStream(host: host, port: port, timeout: timeout)) }
        let (context, proxy) = try tlsSetup()
        let socket = try proxy.flatMap { $0.applies(to: host) ? $0 : nil }.map { try $0.tunnel(to: host, port: port, timeout: timeout) }
            ?? SocketStream(host: host, port: port, timeout: timeout)
        return HTTPConnection(stream: try TLSStream(socket: socket, host: host, port: port, context: context))
    }

    private func tlsSetup() throws -> (context: TLSContext, proxy: HTTPSProxy?) {
        try poolLock.withLock {
            if tls == nil {
                tls = Result {
                    (try TLSContext(caBundle: caBundle), try proxyURL.map { try HTTPSProxy(url: $0, noProxy: noProxy) })
                }
            }
            return try tls!.get()
        }
    }
}
