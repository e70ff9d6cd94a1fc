import Foundation
import SiloFormat

public struct BackupOptions: Sendable {
    public var paths: [String]
    public var excludes: [String] = []
    public var oneFileSystem = false
    public var tags: [String] = []
    public var host: String
    /// The snapshot's time; now when nil (imports and tests set it).
    public var time: Date?
    /// Compare against this snapshot instead of the latest one of the same host and paths.
    public var parent: SnapshotID?
    /// Read every file even when its metadata says it is unchanged.
    public var force = false
    /// How the files of `paths` are cut and stored.
    public var profile = ContentProfile.files
    /// Program outputs and in-memory content stored as files, read before the paths.
    public var streams: [StreamSource] = []
    /// Walk the sources a second time, on another thread, to count what the backup will read:
    /// the totals and ETA of a progress line. Worth its stat calls only when someone sees
    /// that line (a no-change backup of 30,000 files spent a sixth of its CPU there).
    public var countTotals = true
    /// Read and chunk everything, but store nothing: no pack, index, snapshot or lease
    /// (`backup --dry-run`). The result's summary says what would have been added.
    public var dryRun = false
    /// Leave out directories holding a `CACHEDIR.TAG` with the standard signature.
    public var excludeCaches = false
    /// Leave out directories holding a file of one of these names.
    public var excludeIfPresent: [String] = []
    /// Leave out files larger than this many bytes.
    public var excludeLargerThan: UInt64?

    public init(paths: [String], host: String) {
        self.paths = paths
        self.host = host
    }
}

/// A problem with one source file that does not stop the backup (exit code 3 at the end).
public struct BackupWarning: Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// Live counters for progress display, updated by the archiver and its scanner.
public final class BackupProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var _filesDone = 0
    private var _bytesDone: UInt64 = 0
    private var _totalFiles = 0
    private var _totalBytes: UInt64 = 0
    private var _scanDone = false
    private var _current = ""
    private var _errors = 0
    public let started = Date()

    public init() {}

    public struct Snapshot: Sendable {
        public let filesDone: Int
        public let bytesDone: UInt64
        public let totalFiles: Int
        public let totalBytes: UInt64
        public let scanDone: Bool
        /// The file being read or written, as the user knows it (empty before the first).
        public let current: String
        /// Files that could not be read (backup) or restored so far.
        public let errors: Int
        public let elapsed: Double
    }

    public var snapshot: Snapshot {
        lock.withLock {
            Snapshot(filesDone: _filesDone, bytesDone: _bytesDone, totalFiles: _totalFiles, totalBytes: _totalBytes,
                     scanDone: _scanDone, current: _current, errors: _errors, elapsed: Date().timeIntervalSince(started))
        }
    }

    func fileStarted(_ path: String) { lock.withLock { _current = path } }
    func bytes(_ n: Int) { lock.withLock { _bytesDone += UInt64(n) } }
    func fileDone() { lock.withLock { _filesDone += 1 } }
    func errorReported() { lock.withLock { _errors += 1 } }
    func scanned(files: Int, bytes: UInt64) {
        lock.withLock {
            _totalFiles += files
            _totalBytes += bytes
        }
    }
    func scanFinished() { lock.withLock { _scanDone = true } }
    /// Set when the backup ends: the scanner stops instead of walking on for nothing.
    private var _scanCancelled = false
    func cancelScan() { lock.withLock { _scanCancelled = true } }
    var isScanCancelled: Bool { lock.withLock { _scanCancelled } }
}

/// Exclude patterns, restic's conventions: a pattern with a `/` matches the whole path,
/// one without matches any single name; `*`, `?` and `[...]` as in the shell.
struct ExcludeMatcher: Sendable {
    let patterns: [String]

    func excludes(path: ByteString, name: ByteString) -> Bool {
        for pattern in patterns {
            let target = pattern.contains("/") ? path : name
            if Paths.withCPath(target, { fnmatch(pattern, $0, 0) }) == 0 { return true }
            // A pattern naming a directory also excludes what is inside it.
            if pattern.contains("/"), !pattern.hasSuffix("*"),
               path.starts(with: ByteString(pattern) + [UInt8(ascii: "/")]) { return true }
        }
        return false
    }
}
