import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import SiloStorage
import SiloTestSupport
import XCTest

/// A temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "silo-storage-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        chmodAll(path)
        _ = try? FileManager.default.removeItem(atPath: path)
    }

    /// Makes everything writable again so that a test that removed permissions can be cleaned up.
    private func chmodAll(_ directory: String) {
        chmod(directory, 0o700)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            var st = Glibc.stat()
            let child = directory + "/" + name
            if lstat(child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { chmodAll(child) }
        }
    }

    /// Every file and directory below the root, relative to it (hidden ones included).
    func allEntries(_ relative: String = "") -> [String] {
        let directory = relative.isEmpty ? path : path + "/" + relative
        var result: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let child = relative.isEmpty ? name : relative + "/" + name
            result.append(child)
            var st = Glibc.stat()
            if lstat(path + "/" + child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                result += allEntries(child)
            }
        }
        return result
    }
}

func permissions(_ path: String) throws -> mode_t {
    var st = Glibc.stat()
    guard lstat(path, &st) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return st.st_mode & 0o7777
}

/// Runs the `ObjectStore` conformance suite against `LocalObjectStore`, one test per check.
final class LocalObjectStoreConformanceTests: XCTestCase {
    private var directories: [TemporaryDirectory] = []

    override func tearDown() {
        directories.removeAll()
        super.tearDown()
    }

    private var suite: ObjectStoreConformance {
        ObjectStoreConformance(makeStore: { [unowned self] in try self.makeStore() },
                               plantUnfinishedPut: LocalObjectStoreConformanceTests.plantTempFile)
    }

    private func makeStore() throws -> ObjectStore {
        let directory = try TemporaryDirectory()
        directories.append(directory)
        let store = LocalObjectStore(root: directory.path + "/repo")
        try store.createRoot()
        return store
    }

    /// What a crash in the middle of `LocalObjectStore.put` leaves: a `.tmp-` file next to the key.
    static func plantTempFile(_ store: ObjectStore, _ key: String) throws {
        // `location` is the root directory, also through a wrapping FaultInjectingStore.
        let path = store.location + "/" + key
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temp = directory + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        XCTAssertTrue(FileManager.default.createFile(atPath: temp, contents: Data("half of an obj".utf8)))
    }

    /// Keeps this class in step with the suite: every check must be run by a test method below
    /// (read from this file, so a check added to the suite and not here fails by name).
    func testAllChecksAreListedHere() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let missing = ObjectStoreConformance.allChecks.map(\.0).filter { !source.contains("try suite.\($0)()") }
        XCTAssertEqual(missing, [], "conformance checks with no test method here")
        XCTAssertFalse(ObjectStoreConformance.allChecks.isEmpty)
    }

    func testRoundTripEmptyObject() throws { try suite.roundTripEmptyObject() }
    func testRoundTripOneByte() throws { try suite.roundTripOneByte() }
    func testRoundTripSeveralMiB() throws { try suite.roundTripSeveralMiB() }
    func testRoundTripPageAlignedObjects() throws { try suite.roundTripPageAlignedObjects() }
    func testRoundTripAllByteValues() throws { try suite.roundTripAllByteValues() }
    func testOverwriteReplaces() throws { try suite.overwriteReplaces() }
    func testGetMissingKeyIsNotFound() throws { try suite.getMissingKeyIsNotFound() }
    func testFolderIsNotAnObject() throws { try suite.folderIsNotAnObject() }
    func testRangedGet() throws { try suite.rangedGet() }
    func testRangedGetOutOfRange() throws { try suite.rangedGetOutOfRange() }
    func testListByPrefix() throws { try suite.listByPrefix() }
    func testListHidesUnfinishedPuts() throws { try suite.listHidesUnfinishedPuts() }
    func testStatSizes() throws { try suite.statSizes() }
    func testDeleteThenNotFound() throws { try suite.deleteThenNotFound() }
    func testDeleteMissingKeyIsFine() throws { try suite.deleteMissingKeyIsFine() }
    func testInvalidKeysRejected() throws { try suite.invalidKeysRejected() }
    func testValidKeysAccepted() throws { try suite.validKeysAccepted() }
    func testConcurrentPutsAllVisible() throws { try suite.concurrentPutsAllVisible() }

    /// The one-call entry point a future backend will use, run here through a pass-through
    /// `FaultInjectingStore` so that the wrapper is shown to keep the contract too.
    func testWholeSuiteThroughPassThroughFaultInjectingStore() throws {
        try runObjectStoreConformance(plantUnfinishedPut: Self.plantTempFile) { [unowned self] in
            FaultInjectingStore(try self.makeStore())
        }
    }
}

/// Behaviour specific to the local directory backend.
final class LocalObjectStoreTests: XCTestCase {
    func testRootIsNormalisedAndReported() {
        XCTAssertEqual(LocalObjectStore(root: "/srv/repo/").root, "/srv/repo")
        XCTAssertEqual(LocalObjectStore(root: "/srv/repo").location, "/srv/repo")
        XCTAssertEqual(LocalObjectStore(root: "/").root, "/")
    }

    func testCreateRootMakesMissingParentsWith0700AndIsIdempotent() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/a/b/repo")
        try store.createRoot()
        try store.createRoot()
        for path in ["/a", "/a/b", "/a/b/repo"] {
            XCTAssertEqual(try permissions(temp.path + path), 0o700, path)
        }
    }

    func testDirectoriesAre0700AndFilesAre0600() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        // No createRoot: put creates the root too.
        try store.put("packs/ab/cd/pack1", data: Data(repeating: 7, count: 3000))
        try store.put("config", data: Data("{}".utf8))
        // Overwriting keeps 0600.
        try store.put("config", data: Data("{ }".utf8))
        for directory in ["", "/packs", "/packs/ab", "/packs/ab/cd"] {
            XCTAssertEqual(try permissions(temp.path + "/repo" + directory), 0o700, "directory repo\(directory)")
        }
        for file in ["/packs/ab/cd/pack1", "/config"] {
            XCTAssertEqual(try permissions(temp.path + "/repo" + file), 0o600, "file repo\(file)")
        }
    }

    func testFilesAre0600EvenWithAPermissiveUmask() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        let old = umask(0)
        defer { umask(old) }
        try store.put("keys/k", data: Data([1]))
        XCTAssertEqual(try permissions(temp.path + "/repo/keys"), 0o700)
        XCTAssertEqual(try permissions(temp.path + "/repo/keys/k"), 0o600)
    }

    /// Packs (large, page-aligned bytes) are written past the page cache; other objects
    /// through it. Residency is read back with mincore(2).
    func testLargeAlignedObjectsAreWrittenPastThePageCache() throws {
        let temp = try TemporaryDirectory()
        let probe = open(temp.path + "/probe", O_WRONLY | O_CREAT | O_CLOEXEC | silo_o_direct(), 0o600)
        guard probe >= 0 else { throw XCTSkip("the file system of \(temp.path) refuses O_DIRECT") }
        close(probe)
        let store = LocalObjectStore(root: temp.path + "/repo")
        let size = (4 << 20) + 100
        var memory: UnsafeMutableRawPointer?
        XCTAssertEqual(posix_memalign(&memory, 4096, size + 4096), 0)
        defer { free(memory) }
        memset(memory!, 0x5A, size + 4096)
        try store.put("packs/aligned", data: Data(bytesNoCopy: memory!, count: size, deallocator: .none))
        try store.put("packs/unaligned", data: Data(bytesNoCopy: memory! + 16, count: size, deallocator: .none))
        let aligned = try residentPages(temp.path + "/repo/packs/aligned")
        let unaligned = try residentPages(temp.path + "/repo/packs/unaligned")
        // At most the partial last page of the aligned object is cached.
        XCTAssertLessThanOrEqual(aligned.resident, 1, "\(aligned)")
        XCTAssertEqual(unaligned.resident, unaligned.total, "\(unaligned)")
        XCTAssertEqual(try store.get("packs/aligned"), Data(repeating: 0x5A, count: size))
    }

    private func residentPages(_ path: String) throws -> (resident: Int, total: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var st = Glibc.stat()
        XCTAssertEqual(fstat(fd, &st), 0)
        let size = Int(st.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        defer { munmap(mapped, size) }
        let pages = (size + 4095) / 4096
        var vector = [UInt8](repeating: 0, count: pages)
        XCTAssertEqual(mincore(mapped, size, &vector), 0)
        return (vector.filter { $0 & 1 != 0 }.count, pages)
    }

    /// An upload in pieces (page-aligned whole pages, a ragged piece, aligned pages at an
    /// unaligned offset) is invisible until `finish`, then reads back byte for byte.
    func testUploadIsInvisibleUntilFinishedAndReadsBackExactly() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        XCTAssertTrue(store.acceptsUploads)
        var memory: UnsafeMutableRawPointer?
        XCTAssertEqual(posix_memalign(&memory, 4096, 3 << 20), 0)
        defer { free(memory) }
        var expected = Data()
        let upload = try XCTUnwrap(try store.beginUpload(folder: "packs"))
        for (index, size) in [2 << 20, 2 << 20, 12_345, 2 << 20, 77].enumerated() {
            for i in 0..<size { memory!.storeBytes(of: UInt8(truncatingIfNeeded: i * 7 + index), toByteOffset: i, as: UInt8.self) }
            let piece = UnsafeRawBufferPointer(start: memory, count: size)
            try upload.append(piece)
            expected.append(contentsOf: piece)
            XCTAssertEqual(try store.list(prefix: ""), [], "nothing listed before finish")
        }
        try upload.finish(as: "packs/ab/abcdef")
        XCTAssertEqual(try store.list(prefix: ""), ["packs/ab/abcdef"])
        XCTAssertTrue(try store.get("packs/ab/abcdef") == expected)
        XCTAssertEqual(try permissions(temp.path + "/repo/packs/ab/abcdef"), 0o600)
        XCTAssertEqual(temp.allEntries().filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }, [])
        XCTAssertThrowsError(try Data([1]).withUnsafeBytes { try upload.append($0) }, "an upload ends at finish")
    }

    func testAbandonedDroppedAndMisnamedUploadsLeaveNothing() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        let abandoned = try XCTUnwrap(try store.beginUpload(folder: "packs"))
        try Data(repeating: 1, count: 100).withUnsafeBytes { try abandoned.append($0) }
        abandoned.abandon()
        do {
            let dropped = try XCTUnwrap(try store.beginUpload(folder: "packs"))
            try Data(repeating: 2, count: 100).withUnsafeBytes { try dropped.append($0) }
        }
        let misnamed = try XCTUnwrap(try store.beginUpload(folder: "packs"))
        try Data(repeating: 3, count: 100).withUnsafeBytes { try misnamed.append($0) }
        XCTAssertThrowsError(try misnamed.finish(as: "../outside")) { XCTAssertTrue($0 is StorageError, "\($0)") }
        XCTAssertEqual(try store.list(prefix: ""), [])
        XCTAssertEqual(temp.allEntries(), ["repo", "repo/packs"])
    }

    func testObjectsAreStoredAtTheirKeyPath() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        let data = Data("hello".utf8)
        try store.put("snapshots/s1", data: data)
        XCTAssertEqual(FileManager.default.contents(atPath: temp.path + "/repo/snapshots/s1"), data)
    }

    func testNoTempFilesLeftAfterPuts() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        for i in 0..<30 {
            try store.put("packs/\(i % 3)/p\(i)", data: Data(repeating: UInt8(i), count: i * 100))
            try store.put("config", data: Data(repeating: UInt8(i), count: 10))
        }
        let entries = temp.allEntries()
        XCTAssertEqual(entries.filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }, [])
        XCTAssertEqual(entries.count, 1 + 1 + 1 + 3 + 30, "repo, config, packs, 3 folders, 30 packs: \(entries)")
    }

    func testFailedPutLeavesNoTempFile() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        try store.put("dir/child", data: Data([1]))
        // "dir" is a directory, so the final rename fails after the temp file was written.
        XCTAssertThrowsError(try store.put("dir", data: Data([2]))) { error in
            XCTAssertTrue(error is StorageError, "\(error)")
        }
        // A key whose folder is a file cannot be created either.
        XCTAssertThrowsError(try store.put("dir/child/grandchild", data: Data([3]))) { error in
            XCTAssertTrue(error is StorageError, "\(error)")
        }
        XCTAssertEqual(temp.allEntries().filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }, [])
        XCTAssertEqual(try store.get("dir/child"), Data([1]))
        XCTAssertEqual(try store.list(prefix: ""), ["dir/child"])
    }

    func testListDoesNotFollowSymlinksOrShowOtherFileTypes() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        try store.put("packs/real", data: Data([1]))
        let outside = temp.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: outside + "/secret", contents: Data([2])))
        XCTAssertEqual(symlink(outside, temp.path + "/repo/packs/link"), 0)
        XCTAssertEqual(mkfifo(temp.path + "/repo/packs/fifo", 0o600), 0)
        XCTAssertEqual(try store.list(prefix: "packs/"), ["packs/real"])
        XCTAssertEqual(try store.list(prefix: ""), ["packs/real"])
    }

    func testListRejectsPrefixesOutsideTheStore() throws {
        let temp = try TemporaryDirectory()
        XCTAssertTrue(FileManager.default.createFile(atPath: temp.path + "/outside-object", contents: Data([1])))
        let store = LocalObjectStore(root: temp.path + "/repo")
        try store.put("inside", data: Data([2]))
        for prefix in ["../", "..", "/", "/etc/", "a//", ".hidden/"] {
            ObjectStoreConformance.assertStorageError(.invalidKey, "list \(prefix.debugDescription)") {
                try store.list(prefix: prefix)
            }
        }
    }

    func testListOfMissingRootIsEmpty() throws {
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/never-created")
        XCTAssertEqual(try store.list(prefix: ""), [])
        XCTAssertEqual(try store.list(prefix: "packs/"), [])
    }

    func testPutIntoReadOnlyDirectoryIsPermissionDenied() throws {
        try XCTSkipIf(geteuid() == 0, """
            running as root, which ignores permission bits, so chmod 0500 cannot make a directory \
            read-only; a read-only bind mount needs CAP_SYS_ADMIN, which the test sandbox lacks. \
            The errno mapping is covered by testErrnoMapping.
            """)
        let temp = try TemporaryDirectory()
        let store = LocalObjectStore(root: temp.path + "/repo")
        try store.put("packs/existing", data: Data([1]))
        XCTAssertEqual(chmod(temp.path + "/repo/packs", 0o500), 0)
        ObjectStoreConformance.assertStorageError(.permissionDenied, "put into a 0500 folder") {
            try store.put("packs/new", data: Data([2]))
        }
        ObjectStoreConformance.assertStorageError(.permissionDenied, "delete in a 0500 folder") {
            try store.delete("packs/existing")
        }
        XCTAssertEqual(chmod(temp.path + "/repo", 0o500), 0)
        ObjectStoreConformance.assertStorageError(.permissionDenied, "put needing a new folder in a 0500 root") {
            try store.put("index/new", data: Data([2]))
        }
        XCTAssertEqual(try store.get("packs/existing"), Data([1]), "reading still works")
    }

    func testErrnoMapping() {
        let cases: [(Int32, StorageError.Code)] = [
            (ENOENT, .notFound), (EROFS, .readOnly), (ENOSPC, .noSpace), (EDQUOT, .noSpace),
            (EACCES, .permissionDenied), (EPERM, .permissionDenied), (EIO, .io), (EISDIR, .io),
        ]
        for (code, expected) in cases {
            let error = LocalObjectStore.error(code, key: "packs/p", "write")
            XCTAssertEqual(error.code, expected, "errno \(code)")
            XCTAssertEqual(error.key, "packs/p")
            XCTAssertTrue(error.message.hasPrefix("write: "), error.message)
            XCTAssertTrue(error.message.contains(String(cString: strerror(code))), error.message)
        }
    }

    func testErrorDescriptionsTellTheUserWhatToDo() {
        XCTAssertTrue(StorageError(.readOnly, key: "config", "EROFS").description.contains("read-only"))
        XCTAssertTrue(StorageError(.noSpace, key: "packs/p", "ENOSPC").description.contains("no space left"))
        XCTAssertTrue(StorageError(.permissionDenied, key: "keys/k", "EACCES").description.contains("permissions"))
        XCTAssertTrue(StorageError(.notFound, key: "snapshots/x", "gone").description.contains("snapshots/x"))
    }
}
