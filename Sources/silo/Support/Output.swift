import CLinux
import Foundation
import SiloEngine

/// Everything a command prints goes through here: human text on stdout, problems on stderr,
/// one JSON object per line with `--json`, and a progress line on a terminal.
final class Output: @unchecked Sendable {
    let json: Bool
    let quiet: Bool

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

    private func write(_ text: String, to stream: Int32) { StatusLine.write(text, to: stream) }

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

    /// Shows a progress line on a terminal every quarter second until `stop` is called. The
    /// width is asked each time, so a resized window is followed.
    private func startProgress(_ progress: BackupProgress, verb: String) -> ProgressTicker? {
        guard showsProgress else { return nil }
        let ticker = ProgressTicker()
        let interval = Self.progressInterval
        Thread.detachNewThread {
            while !ticker.isStopped {
                StatusLine.draw(Format.progress(progress.snapshot, verb: verb, width: Output.terminalColumns))
                usleep(interval)
            }
            StatusLine.clear()
            ticker.finished.signal()
        }
        return ticker
    }

    /// Microseconds between two drawings of the progress line: a quarter second, or for tests
    /// `SILO_TEST_PROGRESS_INTERVAL_MS` (at least 5), so that a run of a second draws many.
    private static var progressInterval: UInt32 {
        let milliseconds = ProcessInfo.processInfo.environment["SILO_TEST_PROGRESS_INTERVAL_MS"].flatMap(UInt32.init) ?? 250
        return max(5, min(milliseconds, 1000)) * 1000
    }

    /// The width of the terminal on stderr (80 when it does not say).
    static var terminalColumns: Int {
        let columns = Int(silo_terminal_columns(STDERR_FILENO))
        return columns > 0 ? columns : 80
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
    /// An age for people: seconds, minutes, hours or days.
    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: return String(format: "%.0f s", seconds)
        case ..<7_200: return String(format: "%.0f min", seconds / 60)
        case ..<172_800: return String(format: "%.1f h", seconds / 3_600)
        default: return String(format: "%.1f d", seconds / 86_400)
        }
    }

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

    /// The progress line in at most `width - 1` columns (a character in the last column makes
    /// some terminals wrap). The file count always shows (cut only if even it does not fit);
    /// the other counters are left out when the width is short, the rate first, then the ETA,
    /// the bytes, the error count; the current file gets what is left, shortened in the
    /// middle, where a path says least.
    static func progress(_ p: BackupProgress.Snapshot, verb: String, width: Int) -> String {
        let rate = p.elapsed > 0 ? Double(p.bytesDone) / p.elapsed : 0
        // The total is known once the scan has counted every file (a restore knows it at once).
        let files = p.scanDone && p.totalFiles > 0 ? "\(p.filesDone) / \(p.totalFiles)" : "\(p.filesDone)"
        let head = "[\(duration(p.elapsed))] \(verb) \(files) files"
        // In the order shown, each with its rank: lower ranks are kept first.
        var parts: [(text: String, rank: Int)] = [(bytes(p.bytesDone) + (p.totalBytes > 0 ? " / \(bytes(p.totalBytes))" : ""), 1),
                                                  ("\(bytes(UInt64(rate)))/s", 3)]
        if p.scanDone, rate > 0, p.totalBytes > p.bytesDone {
            parts.append(("ETA \(duration(Double(p.totalBytes - p.bytesDone) / rate))", 2))
        }
        if p.errors > 0 { parts.append(("\(p.errors) error\(p.errors == 1 ? "" : "s")", 0)) }
        let room = max(1, width - 1)
        guard head.count < room else { return String(head.prefix(room)) }
        var kept = Set<Int>()
        var used = head.count
        for index in parts.indices.sorted(by: { parts[$0].rank < parts[$1].rank }) where used + 2 + parts[index].text.count <= room {
            kept.insert(index)
            used += 2 + parts[index].text.count
        }
        let text = ([head] + parts.indices.filter(kept.contains).map { parts[$0].text }).joined(separator: ", ")
        let left = room - text.count - 2
        // A name that gets fewer columns than this says too little to be worth showing.
        guard !p.current.isEmpty, left >= 12 else { return text }
        return text + "  " + middleShortened(printable(p.current), to: left)
    }

    /// `text` in at most `count` characters, its middle replaced by "…" when it is longer.
    static func middleShortened(_ text: String, to count: Int) -> String {
        guard text.count > count else { return text }
        let head = (count - 1) / 2
        return String(text.prefix(head)) + "…" + String(text.suffix(count - 1 - head))
    }

    /// A file name may hold newlines and escapes: on one terminal line they would break it.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
