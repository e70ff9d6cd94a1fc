import Foundation

/// The one thing that identifies a configuration across runs: its file's absolute path with
/// symbolic links resolved (so `/etc/silo/silo.yaml` and `./silo.yaml` run from `/etc/silo` are
/// one), or the name itself for a configuration that has no file. The run lock and the run
/// history both key on it.
public enum ConfigurationIdentity {
    public static func key(for configuration: String) -> String {
        guard configuration.contains("/") || FileManager.default.fileExists(atPath: configuration) else { return configuration }
        return URL(fileURLWithPath: configuration).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

/// Another `silo run` of the same configuration holds the run lock (the CLI's exit code 11).
public struct RunLockHeld: Error, CustomStringConvertible, Sendable {
    public let configuration: String
    public let lockFile: String
    /// Who holds it, as it wrote into the lock file; nil when it has not written yet.
    public let holder: RunLock.Holder?

    public init(configuration: String, lockFile: String, holder: RunLock.Holder?) {
        self.configuration = configuration
        self.lockFile = lockFile
        self.holder = holder
    }

    public var description: String {
        var text = "another silo run of \(configuration) is running"
        if let holder {
            text += ": pid \(holder.pid) on \(holder.host), since \(RunLock.formatted(holder.started))"
        }
        return text + " (lock \(lockFile))"
    }
}

/// One `silo run` at a time per configuration: `flock(LOCK_EX | LOCK_NB)` on a lock file in the
/// state directory named from the configuration (a hash of `ConfigurationIdentity.key`). The
/// kernel releases the lock when its holder's descriptor closes, however the holder ends: a
/// killed run (SIGKILL, OOM) never leaves it held, and there is nothing to take over or clean
/// up. The file is never deleted (deleting a lock file races with a taker that opened it).
///
/// The descriptor is close-on-exec, so a hook or a daemon a hook starts never inherits the lock.
/// Two `RunLock`s in one process are two open file descriptions, so they exclude each other
/// just as two processes do.
public final class RunLock: @unchecked Sendable {
    /// What the holder writes into the lock file, for the message the next taker gets.
    public struct Holder: Sendable, Equatable, Codable {
        public var pid: Int32
        public var host: String
        public var started: Date
        public var configuration: String

        public init(pid: Int32, host: String, started: Date, configuration: String) {
            self.pid = pid
            self.host = host
            self.started = started
            self.configuration = configuration
        }
    }

    public let path: String
    public let configuration: String
    private var fd: Int32
    private let lock = NSLock()

    private init(path: String, configuration: String, fd: Int32) {
        self.path = path
        self.configuration = configuration
        self.fd = fd
    }

    deinit { release() }

    /// The lock file's name for a configuration: `run-` and 16 hex digits of a 64-bit FNV-1a
    /// hash of its key (a name, not a secret: collisions among a host's few configurations are
    /// not a concern).
    public static func fileName(for configuration: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ConfigurationIdentity.key(for: configuration).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return "run-" + String(format: "%016llx", hash) + ".lock"
    }

    /// Takes the lock at once or throws `RunLockHeld` naming who holds it since when.
    /// `now` is for tests (the time written as the holder's start).
    public static func acquire(configuration: String, in directory: StateDirectory, process: ProcessIdentity = .current,
                               now: () -> Date = { Date() }) throws -> RunLock {
        try directory.create()
        let key = ConfigurationIdentity.key(for: configuration)
        let path = directory.file(fileName(for: configuration))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OpsError(.state, "cannot open the run lock \(path): \(String(cString: strerror(errno)))") }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let error = errno
            let holder = readHolder(fd)
            close(fd)
            if error == EWOULDBLOCK { throw RunLockHeld(configuration: key, lockFile: path, holder: holder) }
            throw OpsError(.state, "cannot lock \(path): \(String(cString: strerror(error)))")
        }
        let holder = Holder(pid: process.pid, host: process.host, started: now(), configuration: key)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        let bytes = Array(((try? encoder.encode(holder)) ?? Data()) + Data("\n".utf8))
        guard ftruncate(fd, 0) == 0, bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw OpsError(.state, "cannot write the run lock \(path): \(message)")
        }
        return RunLock(path: path, configuration: key, fd: fd)
    }

    /// Who holds the lock of `configuration` now, as its file says (without trying the lock:
    /// a probe would make a run starting at that instant fail). A record left by a killed
    /// holder of this host is recognized by its dead pid.
    public static func holder(configuration: String, in directory: StateDirectory) -> Holder? {
        let fd = open(directory.file(fileName(for: configuration)), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let holder = readHolder(fd) else { return nil }
        let process = ProcessIdentity(host: holder.host, pid: holder.pid, startTicks: nil)
        return process.isAliveHere == false ? nil : holder
    }

    /// Releases the lock (also done when the object goes, or the process ends). The holder's
    /// record is cleared first, so that the file never names a run that has ended.
    public func release() {
        lock.withLock {
            guard fd >= 0 else { return }
            _ = ftruncate(fd, 0)
            close(fd)
            fd = -1
        }
    }

    private static func readHolder(_ fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Holder.self, from: Data(buffer[0..<n]))
    }

    static func formatted(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
