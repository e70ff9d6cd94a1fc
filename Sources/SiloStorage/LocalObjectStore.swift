import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An object store in a local directory. Atomic puts come from write-to-temp, fsync, rename
/// and an fsync of the directory; directories are created 0700 and files 0600 because a
/// repository's objects are only ever read by its owner.
public struct LocalObjectStore: ObjectStore {
    public let root: String
    public var location: String { root }

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// Creates the root directory (0700) if it does not exist.
    public func createRoot() throws {
        try makeDirectories(root, key: "")
    }

    public func put(_ key: String, data: Data) throws {
        try Self.validate(key)
        let path = self.path(key)
        let directory = (path as NSString).deletingLastPathComponent
        try makeDirectories(directory, key: key)
        let temp = directory + "/.tmp-" + Self.randomSuffix()
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.error(errno, key: key, "create \(temp)") }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            try data.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw Self.error(errno, key: key, "write")
                    }
                    done += n
                }
            }
            guard fsync(fd) == 0 else { throw Self.error(errno, key: key, "fsync") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw Self.error(errno, key: key, "close") }
        guard rename(temp, path) == 0 else { throw Self.error(errno, key: key, "rename") }
        ok = true
        syncDirectory(directory)
    }

    public func get(_ key: String) throws -> Data {
        try Self.validate(key)
        let fd = try openForReading(key)
        defer { close(fd) }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { throw Self.error(errno, key: key, "stat") }
        // A folder of other keys is not an object (stat and list agree).
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw StorageError(.notFound, key: key, "not a regular file") }
        return try readFully(fd, offset: 0, length: Int(st.st_size), key: key)
    }

    public func get(_ key: String, offset: UInt64, length: Int) throws -> Data {
        try Self.validate(key)
        let fd = try openForReading(key)
        defer { close(fd) }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { throw Self.error(errno, key: key, "stat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw StorageError(.notFound, key: key, "not a regular file") }
        guard length >= 0, offset <= UInt64(Int64.max) - UInt64(length) else {
            throw StorageError(.outOfRange, key: key, "invalid range of \(length) bytes at \(offset)")
        }
        let data = try readFully(fd, offset: offset, length: length, key: key)
        guard data.count == length else {
            throw StorageError(.outOfRange, key: key, "asked \(length) bytes at \(offset), object is shorter")
        }
        return data
    }

    public func list(prefix: String) throws -> [String] {
        var result: [String] = []
        let folder = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        // A prefix such as "../" or "/etc/" would otherwise list files outside the repository.
        if !prefix.isEmpty { try Self.validate(folder) }
        try walk(prefix.isEmpty ? root : path(folder), relative: folder, into: &result)
        return result
    }

    public func stat(_ key: String) throws -> ObjectInfo {
        try Self.validate(key)
        var st = Glibc.stat()
        guard lstat(path(key), &st) == 0 else { throw Self.error(errno, key: key, "stat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw StorageError(.notFound, key: key, "not a regular file")
        }
        return ObjectInfo(key: key, size: UInt64(st.st_size))
    }

    public func delete(_ key: String) throws {
        try Self.validate(key)
        if unlink(path(key)) != 0 && errno != ENOENT {
            throw Self.error(errno, key: key, "delete")
        }
    }

    // MARK: - helpers

    private func path(_ key: String) -> String { key.isEmpty ? root : root + "/" + key }

    static func validate(_ key: String) throws {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let valid = !key.isEmpty && parts.allSatisfy { part in
            !part.isEmpty && part.first != "." && part.allSatisfy { c in
                c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
            }
        }
        if !valid { throw StorageError(.invalidKey, key: key, "invalid object key") }
    }

    private func openForReading(_ key: String) throws -> Int32 {
        let fd = open(path(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, key: key, "open") }
        return fd
    }

    private func readFully(_ fd: Int32, offset: UInt64, length: Int, key: String) throws -> Data {
        var data = Data(count: length)
        let got = try data.withUnsafeMutableBytes { raw -> Int in
            var done = 0
            while done < length {
                let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Self.error(errno, key: key, "read")
                }
                if n == 0 { break }
                done += n
            }
            return done
        }
        if got < length { data.removeSubrange(got...) }
        return data
    }

    private func makeDirectories(_ directory: String, key: String) throws {
        if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        if errno == ENOENT {
            try makeDirectories((directory as NSString).deletingLastPathComponent, key: key)
            if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        }
        throw Self.error(errno, key: key, "mkdir \(directory)")
    }

    private func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    private func walk(_ directory: String, relative: String, into result: inout [String]) throws {
        guard let dir = opendir(directory) else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw Self.error(errno, key: relative, "list")
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }  // ., .. and temp files of unfinished puts
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            let childPath = directory + "/" + name
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var st = Glibc.stat()
                if lstat(childPath, &st) == 0 { type = (st.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG) }
            }
            if type == UInt8(DT_DIR) {
                try walk(childPath, relative: childRelative, into: &result)
            } else if type == UInt8(DT_REG) {
                result.append(childRelative)
            }
        }
    }

    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    static func error(_ code: Int32, key: String, _ operation: String) -> StorageError {
        let text = operation + ": " + String(cString: strerror(code))
        switch code {
        case ENOENT: return StorageError(.notFound, key: key, text)
        case EROFS: return StorageError(.readOnly, key: key, text)
        case ENOSPC, EDQUOT: return StorageError(.noSpace, key: key, text)
        case EACCES, EPERM: return StorageError(.permissionDenied, key: key, text)
        default: return StorageError(.io, key: key, text)
        }
    }
}
