import CLinux
import Foundation
import SiloFormat

/// An entry of the restore's target whose metadata is being set: through an open descriptor
/// (files, directories), or by name relative to its directory's descriptor without following
/// it (links, FIFOs and devices, which cannot be opened for this without side effects). Never
/// by a path, which a link planted in the target could redirect.
enum MetadataTarget {
    case descriptor(Int32)
    case name(ByteString, in: Int32)

    func chown(_ uid: UInt32, _ gid: UInt32) -> Int32 {
        switch self {
        case .descriptor(let fd): return fchown(fd, uid, gid)
        case .name(let name, let parent): return Paths.withCPath(name) { fchownat(parent, $0, uid, gid, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// By name, glibc refuses a link (EOPNOTSUPP) and changes anything else through an O_PATH
    /// descriptor of it.
    func chmod(_ mode: UInt32) -> Int32 {
        switch self {
        case .descriptor(let fd): return fchmod(fd, mode_t(mode))
        case .name(let name, let parent): return Paths.withCPath(name) { fchmodat(parent, $0, mode_t(mode), AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// By name through /proc/self/fd/<directory>/<name>: the kernel enters the directory open
    /// as `parent` and, this being lsetxattr, does not follow `name`. (Linux has no
    /// setxattr relative to a descriptor before 6.13.)
    func setExtendedAttribute(_ attribute: String, _ value: Data) -> Int32 {
        value.withUnsafeBytes { raw in
            switch self {
            case .descriptor(let fd):
                return fsetxattr(fd, attribute, raw.baseAddress, raw.count, 0)
            case .name(let name, let parent):
                return Paths.withCPath(ByteString("/proc/self/fd/\(parent)/") + name) { lsetxattr($0, attribute, raw.baseAddress, raw.count, 0) }
            }
        }
    }

    /// Access and modification times, in that order.
    func setTimes(_ times: [timespec]) -> Int32 {
        switch self {
        case .descriptor(let fd): return futimens(fd, times)
        case .name(let name, let parent): return Paths.withCPath(name) { utimensat(parent, $0, times, AT_SYMLINK_NOFOLLOW) }
        }
    }
}
