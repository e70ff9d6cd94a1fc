import Foundation

/// One HTTP/1.1 connection over a `ByteStream`: a plain socket for `http://`, TLS for
/// `https://`. Both are silo's own, not URLSession's: URLSession on Linux drives libcurl
/// through dispatch sources; its threads took about half a CPU-second of a 559 MB backup (perf),
/// and now and then it handed over a response a second after it arrived, with every thread of
/// the backup idle meanwhile (Benchmarks/RESULTS.md, S3). A blocking stream per request thread
/// has neither cost.
///
/// Bodies are sent with Content-Length; responses are read by Content-Length, chunked
/// transfer coding, or to the end of the connection.
final class HTTPConnection {
    private let stream: ByteStream
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var start = 0
    private var end = 0
    /// Whether any byte of the current response has arrived (a reused connection the server
    /// closed fails before that, and the request can safely go again on a new one).
    private(set) var responseStarted = false

    init(stream: ByteStream) {
        self.stream = stream
    }

    /// Sends one request and reads its response. `keepAlive` says whether the connection can
    /// carry another request.
    func exchange(method: String, target: String, headers: [(String, String)], body: Data) throws
        -> (response: HTTPClient.Response, keepAlive: Bool) {
        responseStarted = false
        var head = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try sendAll(Array(head.utf8))
        if !body.isEmpty { try body.withUnsafeBytes { try sendAll($0) } }

        var (status, fields) = try readHead()
        // Interim answers (100 Continue, never asked for): the real one follows.
        while (100..<200).contains(status.code) { (status, fields) = try readHead() }
        return try finish(method: method, status: status, fields: fields)
    }

    /// A status line and header fields (names lowercased).
    private func readHead() throws -> (status: (code: Int, version: String), fields: [String: String]) {
        let status = try readStatusLine()
        var fields: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { return (status, fields) }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { $0 + ", " + value } ?? value
        }
    }

    private func finish(method: String, status: (code: Int, version: String), fields: [String: String])
        throws -> (response: HTTPClient.Response, keepAlive: Bool) {
        var keepAlive = status.version == "HTTP/1.1"
        if let connection = fields["connection"]?.lowercased() {
            if connection.contains("close") { keepAlive = false }
            if connection.contains("keep-alive") { keepAlive = true }
        }
        var body = Data()
        let noBody = method == "HEAD" || status.code == 204 || status.code == 304
        if !noBody {
            if fields["transfer-encoding"]?.lowercased().contains("chunked") == true {
                body = try readChunked()
            } else if let length = fields["content-length"].flatMap({ Int($0) }) {
                body = try readExactly(length)
            } else {
                body = try readToEnd()
                keepAlive = false
            }
        }
        return (HTTPClient.Response(status: status.code, headers: fields, body: body), keepAlive)
    }

    // MARK: reading

    private func fill() throws -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            } else {
                buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))
            }
        }
        let n = try buffer.withUnsafeMutableBytes { try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[end...])) }
        guard n > 0 else { return false }
        end += n
        responseStarted = true
        return true
    }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 10) {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
                start = newline + 1
                return line
            }
            guard end - start < 64 << 10 else { throw HTTPClient.TransportError(message: "response line too long") }
            guard try fill() else { throw HTTPClient.TransportError(message: "connection closed by the server") }
        }
    }

    private func readStatusLine() throws -> (code: Int, version: String) {
        let line = try readLine()
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            throw HTTPClient.TransportError(message: "not an HTTP response: \(line.prefix(80))")
        }
        return (code, String(parts[0]))
    }

    private func readExactly(_ count: Int) throws -> Data {
        var data = Data(capacity: count)
        while data.count < count {
            if start == end {
                guard try fill() else { throw HTTPClient.TransportError(message: "connection closed in the middle of a response") }
            }
            let take = min(count - data.count, end - start)
            data.append(contentsOf: buffer[start..<(start + take)])
            start += take
        }
        return data
    }

    private func readChunked() throws -> Data {
        var data = Data()
        while true {
            let sizeLine = try readLine()
            let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(hex, radix: 16), size >= 0 else {
                throw HTTPClient.TransportError(message: "bad chunk size: \(sizeLine.prefix(40))")
            }
            if size == 0 {
                while try !readLine().isEmpty {}  // trailers
                return data
            }
            data.append(try readExactly(size))
            guard try readLine().isEmpty else { throw HTTPClient.TransportError(message: "malformed chunked body") }
        }
    }

    private func readToEnd() throws -> Data {
        var data = Data()
        while true {
            if start < end {
                data.append(contentsOf: buffer[start..<end])
                start = end
            }
            guard try fill() else { return data }
        }
    }

    // MARK: writing

    private func sendAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try stream.write($0) }
    }

    private func sendAll(_ bytes: UnsafeRawBufferPointer) throws {
        try stream.write(bytes)
    }
}
