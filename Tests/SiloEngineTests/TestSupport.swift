import CLinux
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// What engine tests do with a scratch repository (SiloTestSupport's `Scratch`).
extension Scratch {
    func backup(_ repository: Repository, _ paths: [String], time: Date? = nil, configure: (inout BackupOptions) -> Void = { _ in })
        throws -> Archiver.Result {
        var options = BackupOptions(paths: paths, host: "testhost")
        options.time = time
        configure(&options)
        return try Archiver(repository: repository, options: options).run()
    }

    func restore(_ repository: Repository, _ snapshot: Snapshot, to target: String, includes: [String] = []) throws -> RestoreSummary {
        var options = RestoreOptions(target: target)
        options.includes = includes
        return try Restorer(repository: repository, snapshot: snapshot, options: options).run()
    }
}

func textData(_ count: Int, seed: Int) -> Data {
    var s = ""
    var i = seed
    while s.utf8.count < count {
        s += "line \(i): the quick brown fox \(i * 7919 % 1000) jumps over the lazy dog\n"
        i += 1
    }
    return Data(s.utf8.prefix(count))
}

/// Everything `lstat` and friends say about a tree, keyed by relative path, for comparing a
/// source with its restored copy.
struct TreeManifest: Equatable {
    struct Entry: Equatable, CustomStringConvertible {
        var type: UInt32
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: Int64
        var mtimeNs: Int64
        var atimeNs: Int64?
        var contentHash: String?
        var linkTarget: [UInt8]?
        var rdev: UInt64
        var xattrs: [String: Data]
        /// Index of the hard-link group (files sharing an inode), -1 when alone.
        var linkGroup: Int
        var description: String {
            "type=\(String(type, radix: 8)) mode=\(String(mode, radix: 8)) uid=\(uid) gid=\(gid) size=\(size) mtime=\(mtimeNs) atime=\(atimeNs.map(String.init) ?? "-") hash=\(contentHash ?? "-") xattrs=\(xattrs.keys.sorted()) group=\(linkGroup)"
        }
    }

    var entries: [[UInt8]: Entry] = [:]

    /// `compareAtime`: directories' atimes change when they are read, so only files' are compared.
    init(_ root: String, compareAtime: Bool = true) {
        var groups: [[UInt64]: Int] = [:]
        var counts: [[UInt64]: Int] = [:]
        var all: [([UInt8], stat)] = []
        func walk(_ relative: [UInt8]) {
            let full = Array(root.utf8) + relative
            var st = stat()
            guard Paths.withCPath(full, { lstat($0, &st) }) == 0 else { return }
            all.append((relative, st))
            counts[[UInt64(st.st_dev), UInt64(st.st_ino)], default: 0] += 1
            if st.st_mode & Glibc.S_IFMT == Glibc.S_IFDIR {
                guard let dir = Paths.withCPath(full, { opendir($0) }) else { return }
                var names: [[UInt8]] = []
                while let e = readdir(dir) {
                    let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                    if name != [46] && name != [46, 46] { names.append(name) }
                }
                closedir(dir)
                for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) { walk(relative + [47] + name) }
            }
        }
        walk([])
        for (relative, st) in all {
            let full = Array(root.utf8) + relative
            let type = UInt32(st.st_mode & Glibc.S_IFMT)
            var hash: String?
            if type == UInt32(Glibc.S_IFREG), let data = Self.read(full) {
                hash = Crypto.sha256(data).hex
            }
            var link: [UInt8]?
            if type == UInt32(Glibc.S_IFLNK) {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = Paths.withCPath(full) { p in buffer.withUnsafeMutableBufferPointer { readlink(p, UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 4096) } }
                link = Array(buffer[0..<max(n, 0)])
            }
            let key = [UInt64(st.st_dev), UInt64(st.st_ino)]
            var group = -1
            if type == UInt32(Glibc.S_IFREG), counts[key, default: 0] > 1 {
                if groups[key] == nil { groups[key] = groups.count }
                group = groups[key]!
            }
            let isRoot = relative.isEmpty
            entries[relative] = Entry(
                type: type, mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid,
                size: type == UInt32(Glibc.S_IFDIR) ? 0 : Int64(st.st_size),
                mtimeNs: isRoot ? 0 : Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                atimeNs: compareAtime && type == UInt32(Glibc.S_IFREG) ? Int64(st.st_atim.tv_sec) * 1_000_000_000 + Int64(st.st_atim.tv_nsec) : nil,
                contentHash: hash, linkTarget: link,
                rdev: (type == UInt32(Glibc.S_IFCHR) || type == UInt32(Glibc.S_IFBLK)) ? UInt64(st.st_rdev) : 0,
                xattrs: Self.xattrs(full), linkGroup: group)
            if isRoot { entries[relative]!.mode = 0; entries[relative]!.uid = 0; entries[relative]!.gid = 0 }
        }
    }

    static func read(_ path: [UInt8]) -> Data? {
        // O_NOATIME: reading for the comparison must not change what is compared.
        let fd = Paths.withCPath(path) { open($0, O_RDONLY | 0o1000000) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }

    static func xattrs(_ path: [UInt8]) -> [String: Data] {
        var result: [String: Data] = [:]
        Paths.withCPath(path) { p in
            var names = [CChar](repeating: 0, count: 65536)
            let n = llistxattr(p, &names, names.count)
            guard n > 0 else { return }
            for raw in names[0..<n].split(separator: 0) {
                let name = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                var value = [UInt8](repeating: 0, count: 65536)
                let m = lgetxattr(p, name, &value, value.count)
                if m >= 0 { result[name] = Data(value[0..<m]) }
            }
        }
        return result
    }

    /// Human-readable differences, empty when equal.
    func differences(from other: TreeManifest) -> [String] {
        var result: [String] = []
        for key in Set(entries.keys).union(other.entries.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let name = String(decoding: key, as: UTF8.self)
            switch (entries[key], other.entries[key]) {
            case (nil, _?): result.append("only in restored: \(name)")
            case (_?, nil): result.append("missing in restored: \(name)")
            case (let a?, let b?) where a != b: result.append("\(name):\n  source   \(a)\n  restored \(b)")
            default: break
            }
        }
        return result
    }
}

/// Flips bits in the middle of a stored chunk, in its pack, as a failing disk would.
func damage(_ repository: Repository, _ location: ChunkLocation, bits: UInt8 = 0x01) throws {
    let key = ObjectKeys.pack(location.pack)
    var pack = try repository.store.get(key)
    pack[Int(location.entry.offset) + Int(location.entry.length) / 2] ^= bits
    try repository.store.put(key, data: pack)
}

/// Counts calls across threads (a fault-injection rule's "fail after the n-th pack upload").
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int { lock.withLock { count += 1; return count } }
}
