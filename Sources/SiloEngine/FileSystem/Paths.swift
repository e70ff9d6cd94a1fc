import Foundation
import SiloFormat

/// Paths are bytes on Linux. The engine keeps them as `ByteString` end to end so that names
/// that are not UTF-8 (or contain newlines) back up and restore unchanged.
public enum Paths {
    /// The most components a path Linux can open has: PATH_MAX is 4,096 bytes with the final
    /// NUL, so `a/a/…/a` stops at 2,048. Snapshots deeper than this cannot be restored or
    /// exported by path; an import refuses deeper members.
    public static let maxComponents = 2048

    public static func withCPath<R>(_ path: ByteString, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var buffer = path
        buffer.append(0)
        return try buffer.withUnsafeBufferPointer { raw in
            try raw.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    public static func join(_ base: ByteString, _ name: ByteString) -> ByteString {
        if base.isEmpty { return name }
        if base.last == UInt8(ascii: "/") { return base + name }
        return base + [UInt8(ascii: "/")] + name
    }

    /// Splits an absolute or relative path into its non-empty components.
    public static func components(_ path: ByteString) -> [ByteString] {
        path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Array($0) }
    }

    /// Makes a path absolute against the current directory and removes `.`, `..` and
    /// repeated slashes, without following symlinks.
    public static func absolute(_ path: String) -> ByteString {
        var bytes = ByteString(path)
        if bytes.first != UInt8(ascii: "/") {
            bytes = join(ByteString(FileManager.default.currentDirectoryPath), bytes)
        }
        var result: [ByteString] = []
        for part in components(bytes) {
            if part == ByteString(".") { continue }
            if part == ByteString("..") { _ = result.popLast(); continue }
            result.append(part)
        }
        return [UInt8(ascii: "/")] + Array(result.joined(separator: [UInt8(ascii: "/")]))
    }

    public static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// Linux's O_NOATIME (not exported without _GNU_SOURCE): reading a file for a backup should not
/// change its access time.
let O_NOATIME: Int32 = 0o1000000
