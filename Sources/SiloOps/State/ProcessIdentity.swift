import Foundation

/// Who is running: the host, the pid and the process's start time (so that a pid reused by
/// another process after a crash or a reboot is not taken for the run still going).
public struct ProcessIdentity: Sendable, Equatable {
    public var host: String
    public var pid: Int32
    /// The process's start time in clock ticks after boot (`/proc/PID/stat`, field 22); nil
    /// where it cannot be read.
    public var startTicks: Int64?

    public init(host: String, pid: Int32, startTicks: Int64?) {
        self.host = host
        self.pid = pid
        self.startTicks = startTicks
    }

    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(host: hostName, pid: pid, startTicks: startTicks(of: pid))
    }

    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Field 22 of `/proc/PID/stat`; the command name (field 2) may hold spaces and
    /// parentheses, so fields are counted after its last `)`.
    public static func startTicks(of pid: Int32) -> Int64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": field 3 (state) is fields[0], so field 22 is fields[19].
        return fields.count > 19 ? Int64(fields[19]) : nil
    }

    /// Whether this process is still the one running, as far as this host can tell: nil when
    /// it runs on another host (only its silence can tell then).
    public var isAliveHere: Bool? {
        guard host == ProcessIdentity.hostName else { return nil }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        // A zombie (killed, not yet reaped) is gone too.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"),
           stat[stat.index(after: close)...].split(separator: " ").first == "Z" { return false }
        if let recorded = startTicks, let now = ProcessIdentity.startTicks(of: pid), now != recorded { return false }
        return true
    }
}
