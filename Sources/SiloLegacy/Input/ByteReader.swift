import Foundation

/// A forward-only source of bytes: a file, or a decoder over another reader.
/// `read` returns 0 only at the end.
public protocol ByteReader: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteReader {
    /// Reads exactly `buffer.count` bytes; false if the end came first (after reading what there was).
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var done = 0
        while done < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { return false }
            done += n
        }
        return true
    }
}

/// What went wrong with a legacy archive, naming the archive and, where known, the member.
public struct LegacyArchiveError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        case unreadable, truncated, corrupt, wrongPassword, unsafeMember, unsupported, invalidArgument
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// A file read through its descriptor; counts bytes for progress and throughput.
public final class FileByteReader: ByteReader {
    private let fd: Int32
    public private(set) var bytesRead: UInt64 = 0
    private let path: String

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LegacyArchiveError(.unreadable, "cannot open \(path): \(String(cString: strerror(errno)))") }
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    /// Standard input or another descriptor we do not own.
    public init(descriptor: Int32, name: String) {
        fd = dup(descriptor)
        path = name
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 {
                bytesRead += UInt64(n)
                return n
            }
            if errno != EINTR { throw LegacyArchiveError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))") }
        }
    }
}

/// A reader that first returns bytes already consumed (for format sniffing), then its source.
final class PrefixedReader: ByteReader {
    private var prefix: [UInt8]
    private var offset = 0
    private let source: ByteReader

    init(prefix: [UInt8], source: ByteReader) {
        self.prefix = prefix
        self.source = source
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < prefix.count {
            let n = min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
            return n
        }
        return try source.read(into: buffer)
    }
}
