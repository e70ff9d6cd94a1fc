import CLinux
import Foundation
import SiloFormat

/// Entries of the restore's target, made relative to their parent directory's descriptor one
/// name at a time (a tree's names are single components, FORMAT.md §9) and never through a
/// symbolic link: a path walked again for each call could be redirected by a link planted in
/// the target. Whatever is in the way of a new entry is replaced, unless it is a directory,
/// which may hold other files and is never removed.
enum TargetEntries {
    /// Creates the directory `name` (0700 until its metadata is applied at the end), or finds
    /// it, and opens it. A link or any other non-directory there is replaced, not followed.
    static func makeDirectory(_ name: ByteString, in parent: Int32) throws(TargetError) -> Int32 {
        let (_, code) = creating(name, in: parent) { Paths.withCPath(name) { mkdirat(parent, $0, 0o700) } }
        if code != 0 && code != EEXIST { throw TargetError("cannot create directory", errno: code) }
        let fd = Paths.withCPath(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw TargetError("cannot open directory", errno: errno) }
        return fd
    }

    /// Creates a new file for writing. (Trying the create first saves a stat per file on a
    /// fresh target.)
    static func createFile(_ name: ByteString, in parent: Int32) throws(TargetError) -> Int32 {
        let (fd, code) = creating(name, in: parent) {
            Paths.withCPath(name) { openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        }
        guard fd >= 0 else { throw TargetError("cannot create file", errno: code) }
        return fd
    }

    /// Opens again a file this restore created, to write more of it.
    static func openFile(_ name: ByteString, in parent: Int32) throws(TargetError) -> Int32 {
        let fd = Paths.withCPath(name) { openat(parent, $0, O_WRONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw TargetError("cannot open file", errno: errno) }
        return fd
    }

    /// Makes a symbolic link, FIFO or device node (FIFOs and devices 0600 until their metadata
    /// is applied).
    static func makeSpecial(_ node: Node, in parent: Int32) throws(TargetError) {
        let make: () -> Int32 = {
            Paths.withCPath(node.name) { name in
                switch node.type {
                case .symlink:
                    return Paths.withCPath(node.linkTarget ?? []) { symlinkat($0, parent, name) }
                case .fifo:
                    return mkfifoat(parent, name, 0o600)
                case .chardev, .blockdev:
                    let kind: mode_t = node.type == .chardev ? Glibc.S_IFCHR : Glibc.S_IFBLK
                    return mknodat(parent, name, kind | 0o600, dev_t(node.rdev ?? 0))
                default:
                    errno = EINVAL
                    return -1
                }
            }
        }
        let (_, code) = creating(node.name, in: parent, make)
        if code != 0 { throw TargetError("cannot create \(node.type.rawValue)", errno: code) }
    }

    /// Links `name` in `parent` to `original` in `originalParent` (a hard link: the restore
    /// made both names), replacing what is in the way.
    static func link(_ original: ByteString, in originalParent: Int32, as name: ByteString, in parent: Int32) throws(TargetError) {
        let (_, code) = creating(name, in: parent) {
            Paths.withCPath(original) { from in Paths.withCPath(name) { linkat(originalParent, from, parent, $0, 0) } }
        }
        if code != 0 { throw TargetError("cannot link to \(original.displayString)", errno: code) }
    }

    /// Removes `name` unless it is a directory; says whether it did.
    @discardableResult
    static func removeUnlessDirectory(_ name: ByteString, in parent: Int32) -> Bool {
        Paths.withCPath(name) { cname in
            var st = stat()
            guard fstatat(parent, cname, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & Glibc.S_IFMT != Glibc.S_IFDIR else { return false }
            // A directory put there since the stat makes this fail (EISDIR): it stays.
            return unlinkat(parent, cname, 0) == 0
        }
    }

    /// Runs `make`, a create call (-1 and errno on failure); when the name is taken by anything
    /// but a directory, removes that and runs it once more. Returns its result and errno (0
    /// on success).
    private static func creating(_ name: ByteString, in parent: Int32, _ make: () -> Int32) -> (result: Int32, errno: Int32) {
        let result = make()
        if result >= 0 { return (result, 0) }
        let code = errno
        guard code == EEXIST, removeUnlessDirectory(name, in: parent) else { return (result, code) }
        let again = make()
        return (again, again >= 0 ? 0 : errno)
    }
}
