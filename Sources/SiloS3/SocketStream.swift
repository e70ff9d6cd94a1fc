import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection with receive and send timeouts. Sends use MSG_NOSIGNAL: a server
/// that closed the connection is an error to retry, not a SIGPIPE that ends the process.
final class SocketStream: ByteStream {
    let fd: Int32

    /// Connects to the first address of `host` that answers.
    init(host: String, port: UInt16, timeout: TimeInterval) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw HTTPClient.TransportError(message: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var address: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let candidate = address {
            let fd = socket(candidate.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd >= 0 {
                Self.setTimeouts(fd, timeout)
                if connect(fd, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 {
                    connected = fd
                    break
                }
                lastError = errno
                close(fd)
            } else {
                lastError = errno
            }
            address = candidate.pointee.ai_next
        }
        guard connected >= 0 else {
            throw HTTPClient.TransportError(message: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
        }
        fd = connected
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    private static func setTimeouts(_ fd: Int32, _ timeout: TimeInterval) {
        var value = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress!, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw HTTPClient.TransportError(message: errno == EAGAIN || errno == EWOULDBLOCK
                ? "timed out waiting for the server" : "receive failed: \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw HTTPClient.TransportError(message: n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                ? "timed out sending to the server" : "send failed: \(String(cString: strerror(errno)))")
        }
    }
}
