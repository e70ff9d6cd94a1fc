import Foundation

/// One archive member with every attribute the formats can carry, after GNU long-name and
/// PAX extended headers have been applied.
struct TarEntry {
    enum Kind: Equatable { case file, hardLink, symlink, characterDevice, blockDevice, directory, fifo }

    var path: [UInt8]
    var kind: Kind
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var userName: String?
    var groupName: String?
    /// Nanoseconds since the epoch.
    var mtime: Int64
    var atime: Int64?
    var ctime: Int64?
    /// Bytes of content that follow the header (0 for anything but files).
    var size: UInt64
    var linkTarget: [UInt8]
    var devMajor: UInt64
    var devMinor: UInt64
    var xattrs: [(name: String, value: Data)]

    var displayPath: String { String(decoding: path, as: UTF8.self) }
}
