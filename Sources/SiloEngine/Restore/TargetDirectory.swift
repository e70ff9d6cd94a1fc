import Foundation
import SiloFormat

/// A directory of the restore's target as the walk made it, through a chain of descriptors
/// opened with O_NOFOLLOW from the target down: never through a symbolic link planted there.
///
/// Files are written later, by workers, and one descriptor per directory for the whole
/// restore would exceed the descriptor limit. So a worker opens a directory again by path,
/// which may cross links, and keeps the descriptor only if it is the same directory (device
/// and inode) the walk opened: whatever the path now leads through, what it reaches is inside
/// the target.
struct TargetDirectory: Sendable {
    /// For messages, and to open the directory again.
    let path: ByteString
    let device: UInt64
    let inode: UInt64
    /// The target itself (no node): the user named it, so it may be a link, and it is followed.
    let node: Node?

    /// The identity of the directory open as `fd`; nil if fstat fails.
    init?(path: ByteString, descriptor fd: Int32, node: Node?) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        self.path = path
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        self.node = node
    }

    /// A new descriptor of this directory, checked to be the one the walk made.
    func open() throws(TargetError) -> Int32 {
        let follow = node == nil ? 0 : O_NOFOLLOW
        let fd = Paths.withCPath(path) { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC | follow) }
        guard fd >= 0 else { throw TargetError("cannot open directory \(path.displayString)", errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else {
            close(fd)
            throw TargetError("directory \(path.displayString) changed during the restore; nothing written into it")
        }
        return fd
    }
}

/// Why an entry of the target could not be made or reached.
struct TargetError: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) { description = message }
    init(_ what: String, errno code: Int32) { description = "\(what): \(Paths.errorText(code))" }
}
