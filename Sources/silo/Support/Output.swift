import Foundation
import SiloEngine

/// Everything a command prints goes through here: human text on stdout, problems on stderr,
/// one JSON object per line with `--json`, and a progress line on a terminal.
final class Output: @unchecked Sendable {
    let json: Bool
    let quiet: Bool
    private let lock = NSLock()
    private var progressShown = false

    init(json: Bool, quiet: Bool) {
        self.json = json
        self.quiet = quiet
    }

    var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    /// Whether `withProgress` shows a progress line.
    var showsProgress: Bool { !json && !quiet && isTerminal }

    func line(_ text: String) {
        guard !json, !quiet else { return }
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// A result line printed even in quiet mode (e.g. `find` hits, `ls` entries).
    func result(_ text: String) {
        guard !json else { return }
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// One line on stderr; under `--json` an `error` object there, with the exit code the
    /// command ends with when this error ends it.
    func error(_ text: String, exitCode: Int32? = nil) {
        if json {
            emit(ErrorMessage(message: text, exitCode: exitCode), to: STDERR_FILENO)
        } else {
            write("silo: " + text + "\n", to: STDERR_FILENO)
        }
    }

    func warning(_ text: String) {
        if json {
            emit(WarningMessage(message: text))
        } else {
            write("warning: " + text + "\n", to: STDERR_FILENO)
        }
    }

    func emit(_ message: some JSONMessage, to stream: Int32 = STDOUT_FILENO) {
        guard json else { return }
        write(String(decoding: message.jsonLine, as: UTF8.self) + "\n", to: stream)
    }

    private func write(_ text: String, to stream: Int32) {
        lock.withLock {
            if progressShown {
                Output.raw("\r\u{1B}[K", STDERR_FILENO)
                progressShown = false
            }
            Output.raw(text, stream)
        }
    }

    static func raw(_ text: String, _ fd: Int32) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }

    /// Runs `body` with a progress line on a terminal, removed when it ends however it ends.
    func withProgress<T>(_ progress: BackupProgress, verb: String, _ body: () throws -> T) rethrows -> T {
        let ticker = startProgress(progress, verb: verb)
        defer { ticker?.stop() }
        return try body()
    }

    /// Shows a progress line on a terminal every quarter second until `stop` is called.
    private func startProgress(_ progress: BackupProgress, verb: String) -> ProgressTicker? {
        guard showsProgress else { return nil }
        let ticker = ProgressTicker()
        Thread.detachNewThread { [self] in
            while !ticker.isStopped {
                let text = Format.progress(progress.snapshot, verb: verb)
                lock.withLock {
                    Output.raw("\r\u{1B}[K" + text, STDERR_FILENO)
                    progressShown = true
                }
                usleep(250_000)
            }
            lock.withLock {
                if progressShown { Output.raw("\r\u{1B}[K", STDERR_FILENO); progressShown = false }
                ticker.finished.signal()
            }
        }
        return ticker
    }
}

final class ProgressTicker: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    let finished = DispatchSemaphore(value: 0)
    var isStopped: Bool { lock.withLock { stopped } }
    func stop() {
        lock.withLock { stopped = true }
        finished.wait()
    }
}

enum Format {
    static func bytes(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.2f %@", value, units[unit])
    }

    /// What a backup added, in the words both `backup` and `snapshots` use: the stored bytes
    /// (compressed and encrypted) first, the plaintext they hold after.
    static func added(stored: UInt64, plaintext: UInt64) -> String {
        "\(bytes(stored)) stored (\(bytes(plaintext)) before compression and encryption)"
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func progress(_ p: BackupProgress.Snapshot, verb: String) -> String {
        let rate = p.elapsed > 0 ? Double(p.bytesDone) / p.elapsed : 0
        var text = "[\(duration(p.elapsed))] \(verb) \(p.filesDone) files, \(bytes(p.bytesDone))"
        if p.totalBytes > 0 { text += " / \(bytes(p.totalBytes))" }
        text += ", \(bytes(UInt64(rate)))/s"
        if p.scanDone, rate > 0, p.totalBytes > p.bytesDone {
            text += ", ETA \(duration(Double(p.totalBytes - p.bytesDone) / rate))"
        }
        return text
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
