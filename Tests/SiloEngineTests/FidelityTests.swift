import CLinux
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
import XCTest

/// Backup → restore must reproduce every kind of file and all its metadata exactly.
final class FidelityTests: XCTestCase {
    let isRoot = geteuid() == 0

    private func setTimes(_ path: String, atime: Int64, mtime: Int64) {
        var times = [timespec(tv_sec: Int(atime / 1_000_000_000), tv_nsec: Int(atime % 1_000_000_000)),
                     timespec(tv_sec: Int(mtime / 1_000_000_000), tv_nsec: Int(mtime % 1_000_000_000))]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW), 0, path)
    }

    /// Builds a tree with every kind of entry the issue lists.
    private func makeTree(_ s: Scratch) throws -> String {
        let src = s.path("src")
        let fm = FileManager.default
        try s.write("src/empty.txt", Data())
        try s.write("src/one.txt", Data("x".utf8))
        try s.write("src/text.txt", textData(3 << 20, seed: 1))
        try s.write("src/random.bin", pseudoRandomBytes(5 << 20 + 12345, seed: 2))
        try fm.createDirectory(atPath: s.path("src/empty-dir"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: s.path("src/deep/a/b/c"), withIntermediateDirectories: true)
        try s.write("src/deep/a/b/c/leaf.txt", Data("leaf\n".utf8))
        XCTAssertEqual(symlink("text.txt", s.path("src/link-to-text")), 0)
        XCTAssertEqual(symlink("/nonexistent/target", s.path("src/dangling")), 0)
        XCTAssertEqual(link(s.path("src/one.txt"), s.path("src/deep/hardlink-to-one")), 0)
        XCTAssertEqual(mkfifo(s.path("src/fifo"), 0o640), 0)
        // Names that are not UTF-8 or hold a newline.
        let odd: [UInt8] = Array(src.utf8) + Array("/odd-\u{1}".utf8) + [0xff, 0xfe] + Array("\nname".utf8)
        let fd = Paths.withCPath(odd) { open($0, O_WRONLY | O_CREAT, 0o600) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = write(fd, "odd", 3)
        close(fd)
        // Modes with setuid, setgid and sticky bits.
        try s.write("src/setuid", Data("#!/bin/sh\n".utf8))
        XCTAssertEqual(chmod(s.path("src/setuid"), 0o4755), 0)
        try s.write("src/setgid", Data("g".utf8))
        XCTAssertEqual(chmod(s.path("src/setgid"), 0o2750), 0)
        try fm.createDirectory(atPath: s.path("src/sticky"), withIntermediateDirectories: true)
        XCTAssertEqual(chmod(s.path("src/sticky"), 0o1777), 0)
        XCTAssertEqual(chmod(s.path("src/one.txt"), 0o400), 0)
        // Extended attributes.
        let value = "value\u{0}with nul"
        XCTAssertEqual(lsetxattr(s.path("src/text.txt"), "user.comment", value, value.utf8.count, 0), 0)
        XCTAssertEqual(lsetxattr(s.path("src/empty-dir"), "user.dir", "d", 1, 0), 0)
        // A sparse file: data, a 64 MiB hole, data.
        let sparse = open(s.path("src/sparse.img"), O_WRONLY | O_CREAT, 0o644)
        _ = pwrite(sparse, "start", 5, 0)
        _ = pwrite(sparse, "end", 3, 64 << 20)
        close(sparse)
        if isRoot {
            XCTAssertEqual(lchown(s.path("src/random.bin"), 1234, 5678), 0)
            XCTAssertEqual(lchown(s.path("src/dangling"), 4321, 8765), 0)
            XCTAssertEqual(mknod(s.path("src/null-device"), Glibc.S_IFCHR | 0o666, gnu_dev_makedev(1, 3)), 0)
            XCTAssertEqual(mknod(s.path("src/block-device"), Glibc.S_IFBLK | 0o600, gnu_dev_makedev(7, 0)), 0)
            XCTAssertEqual(lsetxattr(s.path("src/setgid"), "trusted.silo", "t", 1, 0), 0)
            // Set by name, not through a descriptor (FIFOs, devices and links are not opened).
            XCTAssertEqual(lsetxattr(s.path("src/fifo"), "trusted.fifo", "f", 1, 0), 0)
            XCTAssertEqual(lsetxattr(s.path("src/dangling"), "trusted.link", "l", 1, 0), 0)
        }
        // Nanosecond times, set last (children first so directory mtimes stick).
        var t: Int64 = 1_600_000_000_123_456_789
        var oddTimes = [timespec(tv_sec: 1_500_000_000, tv_nsec: 7), timespec(tv_sec: 1_500_000_001, tv_nsec: 999_999_999)]
        XCTAssertEqual(Paths.withCPath(odd) { utimensat(AT_FDCWD, $0, &oddTimes, 0) }, 0)
        // (Foundation's String paths cannot name the odd file; it got its times above.)
        for path in (try fm.subpathsOfDirectory(atPath: src)).sorted().reversed() where !path.contains("\u{FFFD}") {
            t += 1_000_000_007
            setTimes(src + "/" + path, atime: t + 500, mtime: t)
        }
        return src
    }

    func testEverythingRoundTrips() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        let src = try makeTree(s)
        let before = TreeManifest(src)
        let result = try s.backup(repository, [src])
        XCTAssertTrue(result.warnings.isEmpty, "\(result.warnings)")
        let summary = try s.restore(repository, result.snapshot, to: s.path("out"))
        XCTAssertTrue(summary.problems.isEmpty, "\(summary.problems)")
        let after = TreeManifest(s.path("out") + src)
        XCTAssertEqual(before.differences(from: after), [])
        XCTAssertEqual(before.entries.count, after.entries.count)

        // The hard link is restored as a link, not a copy.
        var a = stat(), b = stat()
        XCTAssertEqual(lstat(s.path("out") + src + "/one.txt", &a), 0)
        XCTAssertEqual(lstat(s.path("out") + src + "/deep/hardlink-to-one", &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino)
        // The sparse file is restored sparse: far fewer blocks than its size.
        var sp = stat()
        XCTAssertEqual(lstat(s.path("out") + src + "/sparse.img", &sp), 0)
        XCTAssertEqual(sp.st_size, (64 << 20) + 3)
        XCTAssertLessThan(Int(sp.st_blocks) * 512, 1 << 20, "sparse file was written out in full")
    }

    func testUnencryptedRepositoryRoundTrips() throws {
        let s = try Scratch()
        let repository = try s.initRepository(encrypted: false)
        XCTAssertFalse(repository.isEncrypted)
        try s.write("src/a.txt", textData(100_000, seed: 3))
        try s.write("src/b.bin", pseudoRandomBytes(2 << 20, seed: 4))
        let result = try s.backup(repository, [s.path("src")])
        _ = try s.restore(repository, result.snapshot, to: s.path("out"))
        XCTAssertEqual(TreeManifest(s.path("src")).differences(from: TreeManifest(s.path("out") + s.path("src"))), [])
    }

    /// Files above 4 GiB: offsets and sizes must not be truncated to 32 bits anywhere.
    func testFileLargerThan4GiB() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        try FileManager.default.createDirectory(atPath: s.path("src"), withIntermediateDirectories: true)
        let big = s.path("src/big.img")
        let fd = open(big, O_WRONLY | O_CREAT, 0o644)
        let marker = pseudoRandomBytes(1 << 20, seed: 9)
        marker.withUnsafeBytes { _ = pwrite(fd, $0.baseAddress!, $0.count, (4 << 30) + 12345) }
        marker.withUnsafeBytes { _ = pwrite(fd, $0.baseAddress!, 1000, 1 << 30) }
        close(fd)
        let result = try s.backup(repository, [s.path("src")])
        XCTAssertEqual(result.snapshot.summary.totalBytes, UInt64((4 << 30) + 12345 + (1 << 20)))
        _ = try s.restore(repository, result.snapshot, to: s.path("out"))
        let restored = s.path("out") + big
        var st = stat()
        XCTAssertEqual(lstat(restored, &st), 0)
        XCTAssertEqual(Int(st.st_size), (4 << 30) + 12345 + (1 << 20))
        let rfd = open(restored, O_RDONLY)
        defer { close(rfd) }
        var tail = Data(count: 1 << 20)
        tail.withUnsafeMutableBytes { _ = pread(rfd, $0.baseAddress!, $0.count, (4 << 30) + 12345) }
        XCTAssertEqual(tail, marker)
        var middle = Data(count: 1000)
        middle.withUnsafeMutableBytes { _ = pread(rfd, $0.baseAddress!, 1000, 1 << 30) }
        XCTAssertEqual(middle, marker.prefix(1000))
    }
}
