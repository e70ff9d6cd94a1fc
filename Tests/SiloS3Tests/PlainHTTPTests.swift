import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import SiloS3
import XCTest

/// The client's own HTTP/1.1 over a socket, against a scripted loopback server that answers
/// in the ways real servers do (the S3 tests cover the rest against the real Swift server):
/// chunked bodies, bodies that end with the connection, HEAD, interim 100 answers, and an idle
/// keep-alive connection the server closed.
final class PlainHTTPTests: XCTestCase {
    func testResponseFramings() throws {
        let server = try ScriptedServer(responses: [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\nETag: \"e\"\r\n\r\nabc",
            "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n",
            "HTTP/1.0 200 OK\r\n\r\nuntil the end",
            "HTTP/1.1 204 No Content\r\n\r\n",
        ])
        let client = HTTPClient(timeout: 5)
        let chunked = try client.send(request(server, "GET", "/chunked?a=b%2Fc"))
        XCTAssertEqual(chunked.status, 200)
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "hello world")
        let created = try client.send(request(server, "PUT", "/object", body: Data("payload".utf8)))
        XCTAssertEqual(created.status, 201)
        XCTAssertEqual(created.header("ETag"), "\"e\"")
        XCTAssertEqual(created.body, Data("abc".utf8))
        let head = try client.send(request(server, "HEAD", "/object"))
        XCTAssertEqual(head.header("Content-Length"), "12345")
        XCTAssertEqual(head.body, Data())
        let toEnd = try client.send(request(server, "GET", "/old"))
        XCTAssertEqual(String(decoding: toEnd.body, as: UTF8.self), "until the end")
        XCTAssertEqual(try client.send(request(server, "DELETE", "/object")).status, 204)

        // What the server received: the target as given (still percent-encoded), the Host
        // with its port, the body after its Content-Length; four requests on one connection,
        // then a new one after the answer that ended with its connection.
        let seen = server.requests
        XCTAssertEqual(seen.count, 5)
        XCTAssertTrue(seen[0].hasPrefix("GET /chunked?a=b%2Fc HTTP/1.1\r\n"), seen[0])
        XCTAssertTrue(seen[0].contains("\r\nHost: 127.0.0.1:\(server.port)\r\n"), seen[0])
        XCTAssertTrue(seen[1].contains("\r\nContent-Length: 7\r\n"), seen[1])
        XCTAssertTrue(seen[1].hasSuffix("\r\n\r\npayload"), seen[1])
        XCTAssertEqual(server.connections, 2, "kept alive until the answer without a length")
    }

    /// An idle connection the server closed is noticed, and the request goes again on a new
    /// one; a server that closes without answering a fresh connection is an error.
    func testStaleKeepAliveConnectionIsReplaced() throws {
        let server = try ScriptedServer(responses: [
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            ScriptedServer.closeWithoutAnswer,
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain",
            ScriptedServer.closeWithoutAnswer,
        ])
        let client = HTTPClient(timeout: 5)
        XCTAssertEqual(try client.send(request(server, "GET", "/one")).body, Data("ok".utf8))
        XCTAssertEqual(try client.send(request(server, "GET", "/two")).body, Data("again".utf8))
        XCTAssertThrowsError(try client.send(request(server, "GET", "/three"))) { error in
            XCTAssertTrue(error is HTTPClient.TransportError, "\(error)")
        }
    }

    func testSilentServerTimesOut() throws {
        let server = try ScriptedServer(responses: [ScriptedServer.neverAnswer])
        let started = Date()
        XCTAssertThrowsError(try HTTPClient(timeout: 0.5).send(request(server, "GET", "/slow"))) { error in
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    /// An IPv6 literal: connected to, and named in Host in brackets, as SigV4 signs it.
    func testIPv6LiteralHost() throws {
        let server: ScriptedServer
        do {
            server = try ScriptedServer(responses: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6"], ipv6: true)
        } catch {
            throw XCTSkip("no IPv6 loopback here")
        }
        let request = HTTPClient.Request(method: "GET", url: URL(string: "http://[::1]:\(server.port)/bucket/key")!)
        XCTAssertEqual(try HTTPClient(timeout: 5).send(request).body, Data("v6".utf8))
        XCTAssertTrue(server.requests.first?.contains("\r\nHost: [::1]:\(server.port)\r\n") == true, "\(server.requests)")
    }

    private func request(_ server: ScriptedServer, _ method: String, _ target: String, body: Data? = nil) -> HTTPClient.Request {
        HTTPClient.Request(method: method, url: URL(string: "http://127.0.0.1:\(server.port)\(target)")!, body: body ?? Data())
    }
}

/// A loopback server that answers each request it reads with the next scripted response, on
/// whatever connection it came; a response may also close the connection without answering,
/// or never answer. Test scaffolding only.
final class ScriptedServer: @unchecked Sendable {
    static let closeWithoutAnswer = "<close>"
    static let neverAnswer = "<silence>"
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var script: [String]
    private var seen: [String] = []
    private var accepted = 0

    var requests: [String] { lock.withLock { seen } }
    var connections: Int { lock.withLock { accepted } }

    /// Listens on 127.0.0.1, or on ::1 with `ipv6`.
    init(responses: [String], ipv6: Bool = false) throws {
        script = responses
        (listener, port) = try Self.listenOnLoopback(ipv6: ipv6)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { close(listener) }

    /// A listening socket on 127.0.0.1 (or ::1) and the port the kernel chose.
    static func listenOnLoopback(ipv6: Bool = false) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var storage = sockaddr_storage()
        var length = socklen_t(ipv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        withUnsafeMutableBytes(of: &storage) { raw in
            if ipv6 {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_addr = in6addr_loopback
                raw.storeBytes(of: address, as: sockaddr_in6.self)
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                raw.storeBytes(of: address, as: sockaddr_in.self)
            }
        }
        try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, listen(fd, 8) == 0, getsockname(fd, raw, &length) == 0 else {
                    close(fd)
                    throw POSIXError(.EADDRNOTAVAIL)
                }
            }
        }
        let port = withUnsafeBytes(of: &storage) { raw in
            UInt16(bigEndian: ipv6 ? raw.load(as: sockaddr_in6.self).sin6_port : raw.load(as: sockaddr_in.self).sin_port)
        }
        return (fd, port)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            lock.withLock { accepted += 1 }
            Thread.detachNewThread { [self] in serve(connection) }
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // A request: its head, then as many body bytes as its Content-Length says.
            var request: [UInt8]?
            while request == nil {
                if let end = Self.headEnd(pending) {
                    let head = String(decoding: pending[..<end], as: UTF8.self)
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    if pending.count >= end + length {
                        request = Array(pending[..<(end + length)])
                        pending.removeFirst(end + length)
                        break
                    }
                }
                let n = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                pending += chunk[..<n]
            }
            let answer: String? = lock.withLock {
                seen.append(String(decoding: request!, as: UTF8.self))
                return script.isEmpty ? nil : script.removeFirst()
            }
            guard let answer, answer != Self.closeWithoutAnswer else { return }
            if answer == Self.neverAnswer {
                sleep(3)
                return
            }
            _ = Array(answer.utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if answer.hasPrefix("HTTP/1.0") { return }
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
