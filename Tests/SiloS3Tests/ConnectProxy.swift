import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP CONNECT proxy on 127.0.0.1 for tests: it records each CONNECT line, opens the
/// tunnel to a loopback port only, and relays bytes both ways. Test scaffolding only.
final class ConnectProxy: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var lines: [String] = []

    /// The request lines received, e.g. "CONNECT 127.0.0.1:18085 HTTP/1.1".
    var requests: [String] { lock.withLock { lines } }

    init() throws {
        (listener, port) = try ScriptedServer.listenOnLoopback()
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) {
            guard recv(client, &byte, 1, 0) == 1 else { close(client); return }
            head.append(byte)
        }
        let line = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self)
        lock.withLock { lines.append(line) }
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT", parts[1].hasPrefix("127.0.0.1:"),
              let port = UInt16(parts[1].dropFirst("127.0.0.1:".count)), let upstream = Self.connectLoopback(port) else {
            Self.send(client, Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8))
            close(client)
            return
        }
        Self.send(client, Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8))
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Self.pump(from: client, to: upstream)
            done.signal()
        }
        Self.pump(from: upstream, to: client)
        done.wait()
        close(client)
        close(upstream)
    }

    private static func connectLoopback(_ port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc == 0 { return fd }
        close(fd)
        return nil
    }

    /// Copies until `source` ends, then ends the other direction's writing.
    private static func pump(from source: Int32, to target: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            if !send(target, Array(buffer[..<n])) { break }
        }
        shutdown(target, Int32(SHUT_WR))
    }

    @discardableResult
    private static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
