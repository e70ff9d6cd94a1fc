import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An object of a `LocalObjectStore` being written: a temporary file (`.tmp-…`, which listings
/// skip) in the folder it was started in, fsync'ed and renamed onto its key at `finish`, and
/// the key's directory fsync'ed after. A crash leaves at most the temporary file.
///
/// Whole pages starting on a page boundary are written with O_DIRECT. A backup would otherwise
/// fill the page cache with packs nobody reads soon, evicting the server's own hot data; and on
/// a virtual machine that hands freed memory back to its host, every new page-cache page costs
/// a fault in the host: about 1 CPU-second per 440 MiB written, measured here, against 0.15 s
/// direct. The rest, and the metadata, go through the page cache and the final `fsync`.
final class LocalObjectUpload: ObjectUpload {
    private let store: LocalObjectStore
    private let temp: String
    /// The key messages name until `finish` knows the real one.
    private var key: String
    private var fd: Int32
    private var written = 0
    /// Renamed onto its key: the temporary name is gone and must not be unlinked again.
    private var finished = false
    /// Removes the temporary file if the process is interrupted first.
    private var cleanup: InterruptCleanup.Token?

    private static let pageSize = 4096
    /// Appends of at least this many bytes may go past the page cache.
    static let directWriteThreshold = 1 << 20

    init(store: LocalObjectStore, folder: String, key: String) throws {
        self.store = store
        self.key = key
        let directory = store.path(folder)
        try store.makeDirectories(directory, key: key)
        temp = directory + "/.tmp-" + LocalObjectStore.randomSuffix()
        fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LocalObjectStore.error(errno, key: key, "create \(temp)") }
        let temp = self.temp
        cleanup = InterruptCleanup.shared.register(.temporaries) { _ = unlink(temp) }
    }

    deinit { abandon() }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw StorageError(.io, key: key, "append after the upload ended") }
        var done = writeDirect(bytes)
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let error = LocalObjectStore.error(errno, key: key, "write")
                abandon()
                throw error
            }
            done += n
        }
        written += bytes.count
    }

    func finish(as key: String) throws {
        guard fd >= 0 else { throw StorageError(.io, key: key, "finish after the upload ended") }
        self.key = key
        do {
            try LocalObjectStore.validate(key)
            guard fsync(fd) == 0 else { throw LocalObjectStore.error(errno, key: key, "fsync") }
            let closing = fd
            fd = -1
            guard close(closing) == 0 else { throw LocalObjectStore.error(errno, key: key, "close") }
            let path = store.path(key)
            let directory = (path as NSString).deletingLastPathComponent
            try store.makeDirectories(directory, key: key)
            guard rename(temp, path) == 0 else { throw LocalObjectStore.error(errno, key: key, "rename") }
            finished = true
            InterruptCleanup.shared.unregister(cleanup)
            cleanup = nil
            store.forgetOpenFile(key)
            store.syncDirectory(directory)
        } catch {
            abandon()
            throw error
        }
    }

    func abandon() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if !finished { unlink(temp) }
        InterruptCleanup.shared.unregister(cleanup)
        cleanup = nil
    }

    /// Writes the whole pages at the head of `bytes` with O_DIRECT when they start on a page
    /// boundary, at a page-aligned file offset; returns how many bytes it wrote (0 when the
    /// piece is small or unaligned, or the file system refuses).
    private func writeDirect(_ bytes: UnsafeRawBufferPointer) -> Int {
        let pages = bytes.count & ~(Self.pageSize - 1)
        guard bytes.count >= Self.directWriteThreshold, written % Self.pageSize == 0,
              let base = bytes.baseAddress, Int(bitPattern: base) % Self.pageSize == 0 else { return 0 }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | silo_o_direct()) == 0 else { return 0 }
        defer { _ = fcntl(fd, F_SETFL, flags) }
        var done = 0
        while done < pages {
            let n = write(fd, base + done, pages - done)
            if n < 0 && errno == EINTR { continue }
            // Refused (EINVAL on a file system without O_DIRECT) or cut short: buffered writes
            // go on from where this stopped.
            guard n > 0 else { break }
            done += n
            if n % Self.pageSize != 0 { break }
        }
        return done
    }
}
