import Foundation

/// Whether a TCP port accepts a connection within a timeout: a non-blocking connect per
/// address the name resolves to, each waited for with poll.
enum TCPProbe {
    static func connect(host: String, port: Int, timeout: Double) -> (Bool, String) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else { return (false, "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))") }
        defer { freeaddrinfo(list) }
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no address for \(host)"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return (true, "connected to \(host):\(port)") }
            guard errno == EINPROGRESS else {
                last = "connect to \(host):\(port): \(String(cString: strerror(errno)))"
                continue
            }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let wait = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, wait) == 1 else {
                last = "no answer from \(host):\(port) within \(timeout) s"
                continue
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return (true, "connected to \(host):\(port)") }
            last = "connect to \(host):\(port): \(String(cString: strerror(error)))"
        }
        return (false, last)
    }
}
