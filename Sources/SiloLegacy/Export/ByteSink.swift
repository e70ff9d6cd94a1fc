import Foundation

/// Where an export's bytes go: a file, or a compressor in front of one.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes everything; the sink is unusable afterwards.
    func finish() throws
}

extension ByteSink {
    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }
}

/// A descriptor (a file being written, or standard output).
public final class DescriptorSink: ByteSink {
    private let fd: Int32
    private let name: String
    public private(set) var bytesWritten: UInt64 = 0

    public init(descriptor: Int32, name: String) {
        fd = descriptor
        self.name = name
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw LegacyArchiveError(.unreadable, "cannot write \(name): \(String(cString: strerror(errno)))")
            }
            done += n
        }
        bytesWritten += UInt64(bytes.count)
    }

    public func finish() throws {}
}
