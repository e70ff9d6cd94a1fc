import CLinux
import Foundation
import SiloFormat

/// Reads file metadata into `Node`s and writes it back. Owner names are looked up once per id.
final class MetadataReader: @unchecked Sendable {
    private var users: [UInt32: String?] = [:]
    private var groups: [UInt32: String?] = [:]
    private let lock = NSLock()

    struct Status {
        var st: stat
        var type: NodeType {
            switch st.st_mode & S_IFMT {
            case S_IFDIR: return .dir
            case S_IFLNK: return .symlink
            case S_IFIFO: return .fifo
            case S_IFCHR: return .chardev
            case S_IFBLK: return .blockdev
            case S_IFSOCK: return .socket
            default: return .file
            }
        }
    }

    /// `lstat` of a name relative to an open directory: no walk of the whole path.
    static func lstatus(_ name: ByteString, in directory: Int32) -> Result<Status, Errno> {
        var st = stat()
        let rc = Paths.withCPath(name) { fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) }
        if rc != 0 { return .failure(Errno(errno)) }
        return .success(Status(st: st))
    }

    static func lstatus(_ path: ByteString) -> Result<Status, Errno> {
        var st = stat()
        let rc = Paths.withCPath(path) { lstat($0, &st) }
        if rc != 0 { return .failure(Errno(errno)) }
        return .success(Status(st: st))
    }

    static func nanoseconds(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec) }

    /// A node from `lstat` data. Extended attributes are read from `path` unless `reuse` gives
    /// them: a file whose ctime is unchanged has unchanged xattrs, and skipping the read saves
    /// a path walk per file on a no-change backup.
    func node(name: ByteString, path: ByteString, status: Status, reuseXattrs reuse: [ExtendedAttribute]?? = nil) -> Node {
        let st = status.st
        var node = Node(name: name, type: status.type, mode: UInt32(st.st_mode) & 0o7777, uid: st.st_uid, gid: st.st_gid,
                        mtime: Self.nanoseconds(st.st_mtim), atime: Self.nanoseconds(st.st_atim), ctime: Self.nanoseconds(st.st_ctim),
                        inode: UInt64(st.st_ino), device: UInt64(st.st_dev), links: UInt64(st.st_nlink))
        node.user = userName(st.st_uid)
        node.group = groupName(st.st_gid)
        switch status.type {
        case .dir:
            // Listing a directory changes its atime; recording it would make every backup
            // store new trees for unchanged directories.
            node.atime = node.mtime
        case .file: node.size = UInt64(st.st_size)
        case .chardev, .blockdev: node.rdev = UInt64(st.st_rdev)
        default: break
        }
        if let reuse {
            node.xattrs = reuse
        } else {
            let xattrs = Self.readExtendedAttributes(path)
            if !xattrs.isEmpty { node.xattrs = xattrs }
        }
        return node
    }

    func userName(_ uid: UInt32) -> String? {
        lock.withLock {
            if let cached = users[uid] { return cached }
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 4096)
            let name: String? = getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
                ? String(cString: entry.pw_name) : nil
            users[uid] = name
            return name
        }
    }

    func groupName(_ gid: UInt32) -> String? {
        lock.withLock {
            if let cached = groups[gid] { return cached }
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: 4096)
            let name: String? = getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
                ? String(cString: entry.gr_name) : nil
            groups[gid] = name
            return name
        }
    }

    static func readExtendedAttributes(_ path: ByteString) -> [ExtendedAttribute] {
        Paths.withCPath(path) { cpath -> [ExtendedAttribute] in
            let size = llistxattr(cpath, nil, 0)
            guard size > 0 else { return [] }
            var names = [CChar](repeating: 0, count: size)
            let got = llistxattr(cpath, &names, size)
            guard got > 0 else { return [] }
            var result: [ExtendedAttribute] = []
            for rawName in names[0..<got].split(separator: 0) {
                let name = String(decoding: rawName.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let valueSize = lgetxattr(cpath, name, nil, 0)
                guard valueSize >= 0 else { continue }
                var value = [UInt8](repeating: 0, count: valueSize)
                let read = valueSize == 0 ? 0 : lgetxattr(cpath, name, &value, valueSize)
                guard read >= 0 else { continue }
                result.append(ExtendedAttribute(name: name, value: Data(value[0..<read])))
            }
            return result.sorted { $0.name < $1.name }
        }
    }

    static func readLink(_ path: ByteString) -> ByteString? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Paths.withCPath(path) { cpath in
            buffer.withUnsafeMutableBufferPointer { readlink(cpath, UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
        }
        guard n >= 0 else { return nil }
        return Array(buffer[0..<n])
    }

    /// Names in a directory, sorted by bytes, without `.` and `..`, given to `body` with the
    /// directory's descriptor for `lstatus(_:in:)`.
    static func withDirectory<T>(_ path: ByteString, _ body: (Result<[ByteString], Errno>, Int32) throws -> T) rethrows -> T {
        guard let dir = Paths.withCPath(path, { opendir($0) }) else {
            return try body(.failure(Errno(errno)), -1)
        }
        defer { closedir(dir) }
        return try body(readNames(dir), dirfd(dir))
    }

    private static func readNames(_ dir: OpaquePointer) -> Result<[ByteString], Errno> {
        var names: [ByteString] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return .success(names)
    }
}

/// A failed system call's errno, as a value.
struct Errno: Error {
    let rawValue: Int32
    init(_ code: Int32) { rawValue = code }
}
