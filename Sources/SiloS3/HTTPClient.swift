import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A blocking HTTP exchange (the callers are synchronous threads): our own socket for
/// `http://`, URLSession (libcurl, with TLS) for `https://`.
final class HTTPClient: @unchecked Sendable {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// A request that got no HTTP answer: refused, reset, timed out.
    struct TransportError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private let session: URLSession

    init(timeout: TimeInterval) {
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = max(timeout * 10, 600)
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    /// Idle keep-alive connections to `http://` endpoints, by "host:port".
    private let poolLock = NSLock()
    private var idle: [String: [PlainHTTPConnection]] = [:]
    private let timeout: TimeInterval

    func send(_ request: URLRequest) throws -> Response {
        if let url = request.url, url.scheme == "http" { return try sendPlain(request, url: url) }
        return try sendWithURLSession(request)
    }

    /// `http://` on our own socket (`PlainHTTPConnection` says why). A request that fails on a
    /// reused connection before any byte of the answer came goes again on a new one: the server
    /// may have closed the idle connection meanwhile.
    private func sendPlain(_ request: URLRequest, url: URL) throws -> Response {
        guard let host = url.host, let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let port = UInt16(exactly: url.port ?? 80) else {
            throw TransportError(message: "not a valid URL: \(url)")
        }
        let endpoint = "\(host):\(port)"
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        let method = request.httpMethod ?? "GET"
        let body = request.httpBody ?? Data()
        // The Host as it was signed: an IPv6 literal in brackets, the port when the URL has one.
        let hostName = host.contains(":") ? "[\(host)]" : host
        var headers: [(String, String)] = [("Host", url.port.map { "\(hostName):\($0)" } ?? hostName)]
        for (name, value) in request.allHTTPHeaderFields ?? [:] where name.lowercased() != "host" {
            headers.append((name, value))
        }
        if !body.isEmpty && !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            headers.append(("Content-Length", String(body.count)))
        }
        while true {
            let pooled = poolLock.withLock { idle[endpoint]?.popLast() }
            let connection = try pooled ?? PlainHTTPConnection(host: host, port: port, timeout: timeout)
            do {
                let (response, keepAlive) = try connection.exchange(method: method, target: target, headers: headers, body: body)
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

    private func sendWithURLSession(_ request: URLRequest) throws -> Response {
        final class Box: @unchecked Sendable {
            var result: Result<Response, Error>?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(TransportError(message: error.localizedDescription))
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in http.allHeaderFields {
                    if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
                }
                box.result = .success(Response(status: http.statusCode, headers: headers, body: data ?? Data()))
            } else {
                box.result = .failure(TransportError(message: "no HTTP response"))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result!.get()
    }
}
