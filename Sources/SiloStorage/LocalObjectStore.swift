import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An object store in a local directory. Atomic puts come from write-to-temp, fsync, rename
/// and an fsync of the directory; directories are created 0700 and files 0600 because a
/// repository's objects are only ever read by its owner.
public struct LocalObjectStore: ObjectStore, TemporaryFiles {
    public let root: String
    public var location: String { root }
    /// Ranged reads come by the thousand from a few packs during a restore; opening the pack
    /// for each cost more than the read. Objects are immutable, so an open descriptor stays
    /// right; `put` and `delete` in this process drop theirs.
    private let openFiles = OpenFileCache(capacity: 32)

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// Creates the root directory (0700) if it does not exist.
    public func createRoot() throws {
        try makeDirectories(root, key: "")
    }

    /// Writes through a `LocalObjectUpload` (temporary file, fsync, rename, directory fsync).
    public func put(_ key: String, data: Data) throws {
        try Self.validate(key)
        // The temporary file sits beside the key (its folder: "" for the root).
        let folder = key.lastIndex(of: "/").map { String(key[..<$0]) } ?? ""
        let upload = try LocalObjectUpload(store: self, folder: folder, key: key)
        try data.withUnsafeBytes { try upload.append($0) }
        try upload.finish(as: key)
    }

    public var acceptsUploads: Bool { true }

    public var locality: StoreLocality { .local(root: root) }

    /// True: `put` renames a complete temporary file over the old one.
    public var hasAtomicReplace: Bool { true }

    public var temporaryFiles: (any TemporaryFiles)? { self }

    public func createContainer() throws { try createRoot() }
    /// A directory listing shows every file renamed into place before it, and none unlinked.
    public var listingIsReadAfterWrite: Bool { true }

    public func beginUpload(folder: String) throws -> ObjectUpload? {
        try Self.validate(folder)
        return try LocalObjectUpload(store: self, folder: folder, key: folder)
    }

    /// After an object is replaced or created, a descriptor cached for its key is stale.
    func forgetOpenFile(_ key: String) { openFiles.forget(key) }

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
        let fd = try openFiles.descriptor(for: key) {
            let fd = try openForReading(key)
            var st = Glibc.stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                let code = errno
                close(fd)
                throw (st.st_mode & S_IFMT) == S_IFREG ? Self.error(code, key: key, "stat") : StorageError(.notFound, key: key, "not a regular file")
            }
            return fd
        }
        defer { openFiles.release(fd) }
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
        openFiles.forget(key)
        if unlink(path(key)) != 0 && errno != ENOENT {
            throw Self.error(errno, key: key, "delete")
        }
    }

    // MARK: - helpers

    func path(_ key: String) -> String { key.isEmpty ? root : root + "/" + key }

    static func validate(_ key: String) throws { try ObjectKey.validate(key) }

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

    func makeDirectories(_ directory: String, key: String) throws {
        if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        if errno == ENOENT {
            try makeDirectories((directory as NSString).deletingLastPathComponent, key: key)
            if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        }
        throw Self.error(errno, key: key, "mkdir \(directory)")
    }

    func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// With `temporaries`, collects the `.tmp-` files of unfinished writes instead of objects.
    private func walk(_ directory: String, relative: String, into result: inout [String], temporaries: Bool = false) throws {
        guard let dir = opendir(directory) else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw Self.error(errno, key: relative, "list")
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            let temporary = name.hasPrefix(".tmp-")
            if name.hasPrefix(".") && !(temporaries && temporary) { continue }  // ., .. and temp files of unfinished puts
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            let childPath = directory + "/" + name
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var st = Glibc.stat()
                if lstat(childPath, &st) == 0 { type = (st.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG) }
            }
            if type == UInt8(DT_DIR) && !temporary {
                try walk(childPath, relative: childRelative, into: &result, temporaries: temporaries)
            } else if type == UInt8(DT_REG) && temporary == temporaries {
                result.append(childRelative)
            }
        }
    }

    /// The temporary files that writers killed mid-write left behind (`.tmp-…` beside the
    /// objects they were to become), with their sizes and last changes.
    public func leftovers() throws -> [Leftover] {
        var paths: [String] = []
        try walk(root, relative: "", into: &paths, temporaries: true)
        return paths.compactMap { relative in
            var st = Glibc.stat()
            guard lstat(path(relative), &st) == 0 else { return nil }  // finished or removed meanwhile
            return Leftover(path: relative, size: UInt64(st.st_size),
                            modified: Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9))
        }
    }

    /// Removes a leftover found by `leftovers()`.
    public func removeLeftover(_ leftover: Leftover) throws {
        guard leftover.path.split(separator: "/").last?.hasPrefix(".tmp-") == true, !leftover.path.contains("..") else {
            throw StorageError(.invalidKey, key: leftover.path, "not a temporary file")
        }
        if unlink(path(leftover.path)) != 0 && errno != ENOENT { throw Self.error(errno, key: leftover.path, "remove") }
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

/// A few open read-only descriptors, least recently used closed first. A descriptor in use by
/// a reader is closed only when that reader releases it.
final class OpenFileCache: @unchecked Sendable {
    private struct Entry {
        let fd: Int32
        var users: Int
        var lastUse: UInt64
    }

    private let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var retired: [Int32: Int] = [:]  // forgotten descriptors still in use → users
    private var clock: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    deinit {
        for entry in entries.values { close(entry.fd) }
    }

    func descriptor(for key: String, open: () throws -> Int32) throws -> Int32 {
        if let fd = lock.withLock({ () -> Int32? in
            guard var entry = entries[key] else { return nil }
            clock += 1
            entry.users += 1
            entry.lastUse = clock
            entries[key] = entry
            return entry.fd
        }) { return fd }
        let fd = try open()
        return lock.withLock {
            clock += 1
            if let existing = entries[key] {  // another thread opened it meanwhile
                close(fd)
                entries[key]!.users += 1
                return existing.fd
            }
            if entries.count >= capacity, let victim = entries.filter({ $0.value.users == 0 }).min(by: { $0.value.lastUse < $1.value.lastUse }) {
                close(victim.value.fd)
                entries[victim.key] = nil
            }
            entries[key] = Entry(fd: fd, users: 1, lastUse: clock)
            return fd
        }
    }

    func release(_ fd: Int32) {
        lock.withLock {
            if let users = retired[fd] {
                if users <= 1 {
                    retired[fd] = nil
                    close(fd)
                } else {
                    retired[fd] = users - 1
                }
                return
            }
            if let key = entries.first(where: { $0.value.fd == fd })?.key { entries[key]!.users -= 1 }
        }
    }

    /// Drops the descriptor of an object that was replaced or deleted.
    func forget(_ key: String) {
        lock.withLock {
            guard let entry = entries.removeValue(forKey: key) else { return }
            if entry.users == 0 { close(entry.fd) } else { retired[entry.fd] = entry.users }
        }
    }
}

/// A temporary file of an unfinished write (`LocalObjectStore.leftovers`).
public struct Leftover: Sendable, Equatable {
    /// Relative to the store's root.
    public let path: String
    public let size: UInt64
    public let modified: Date
}
