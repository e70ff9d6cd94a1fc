import Foundation

/// The proxy `https://` requests go through, from `https_proxy`/`HTTPS_PROXY` as curl reads
/// them (`http://[user:password@]host[:port]`, port 1080 by default; a URL without a scheme is
/// taken as http), less the hosts `no_proxy`/`NO_PROXY` lists. The proxy sees only a CONNECT
/// to the object store's host and port; TLS runs through that tunnel end to end, with the
/// object store's certificate checked as without a proxy.
struct HTTPSProxy: Sendable {
    let host: String
    let port: UInt16
    /// `user:password` in Basic form, when the URL has them.
    let authorization: String?
    /// Host names (and their subdomains) and addresses reached directly; `*` is every host.
    let exclusions: [String]

    init(url: String, noProxy: String?) throws {
        let text = url.contains("://") ? url : "http://" + url
        guard let parsed = URLComponents(string: text), parsed.scheme?.lowercased() == "http", let host = parsed.host, !host.isEmpty,
              let port = UInt16(exactly: parsed.port ?? 1080) else {
            throw HTTPClient.NotTransientError(message: "cannot use the proxy \(url) (https_proxy): expected http://host:port")
        }
        self.host = host
        self.port = port
        if let user = parsed.user {
            let pair = (user.removingPercentEncoding ?? user) + ":" + (parsed.password.map { $0.removingPercentEncoding ?? $0 } ?? "")
            authorization = Data(pair.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        exclusions = (noProxy ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
            .filter { !$0.isEmpty }
    }

    /// Whether requests to `host` go through the proxy.
    func applies(to host: String) -> Bool {
        let host = host.lowercased()
        return !exclusions.contains { $0 == "*" || host == $0 || host.hasSuffix("." + $0) }
    }

    /// A connection to `host:port` through the proxy. A proxy that cannot be reached, or
    /// answers 5xx, may be back later; one that refuses the tunnel otherwise will not.
    func tunnel(to host: String, port: UInt16, timeout: TimeInterval) throws -> SocketStream {
        let socket: SocketStream
        do {
            socket = try SocketStream(host: self.host, port: self.port, timeout: timeout)
        } catch let error as HTTPClient.TransportError {
            throw HTTPClient.TransportError(message: "the proxy (https_proxy): \(error.message)")
        }
        let authority = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        var head = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let authorization { head += "Proxy-Authorization: Basic \(authorization)\r\n" }
        head += "\r\n"
        try Array(head.utf8).withUnsafeBytes { try socket.write($0) }

        // Byte by byte up to the blank line: what follows it is the object store's TLS.
        var answer: [UInt8] = []
        var byte: UInt8 = 0
        while !answer.ends(with: [13, 10, 13, 10]) {
            let n = try withUnsafeMutableBytes(of: &byte) { try socket.read(into: $0) }
            guard n == 1 else { throw HTTPClient.TransportError(message: "the proxy \(self.host):\(self.port) closed the connection before answering CONNECT") }
            answer.append(byte)
            guard answer.count < 16 << 10 else { throw HTTPClient.NotTransientError(message: "the proxy \(self.host):\(self.port) sent an oversized answer to CONNECT") }
        }
        let statusLine = String(decoding: answer.prefix { $0 != 13 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            throw HTTPClient.NotTransientError(message: "the proxy \(self.host):\(self.port) does not speak HTTP: \(statusLine.prefix(80))")
        }
        switch code {
        case 200..<300:
            return socket
        case 407:
            throw HTTPClient.NotTransientError(message: "the proxy \(self.host):\(self.port) wants credentials (407): put them in https_proxy as http://user:password@host:port")
        case 500...:
            throw HTTPClient.TransportError(message: "the proxy \(self.host):\(self.port) answered CONNECT \(authority) with \(statusLine)")
        default:
            throw HTTPClient.NotTransientError(message: "the proxy \(self.host):\(self.port) refused CONNECT \(authority): \(statusLine); set no_proxy to reach it directly")
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
