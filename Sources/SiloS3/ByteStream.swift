/// The transport under `HTTPConnection`'s HTTP/1.1 framing: a TCP socket for `http://`, TLS
/// over one for `https://`. Blocking; each connection is used by one thread at a time.
protocol ByteStream: AnyObject {
    /// Reads what is available, at most `buffer.count` bytes; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws
}
