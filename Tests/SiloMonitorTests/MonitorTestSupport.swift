import Foundation
import SiloConfig
import SiloFormat
import SiloOps
@testable import SiloMonitor

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { [self] in self.now } }
}

enum Fixture {
    static let start = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-29T…Z
    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400

    static func configuration(sources: [SourceSettings] = [files, database], copies: [CopySettings] = [],
                              monitoring: MonitoringSettings = MonitoringSettings(), notifications: NotificationSettings = NotificationSettings()) -> Configuration {
        var configuration = Configuration(file: "/etc/silo/silo.yaml", repository: RepositorySettings(location: "/srv/backup", password: nil, cacheDirectory: nil),
                                          copies: copies, sources: sources, state: StateSettings(directory: "/var/lib/silo"))
        configuration.monitoring = monitoring
        configuration.notifications = notifications
        return configuration
    }

    static let files = SourceSettings(name: "files", kind: .paths(PathSource(paths: ["/srv/uploads"])))
    static let database = SourceSettings(name: "database", kind: .postgres(PostgresSource(url: "postgresql://app@localhost/app", password: nil)))

    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }

    /// A snapshot of `source` taken at `date` with the given totals.
    static func snapshot(_ source: String, at date: Date, bytes: UInt64 = 1_000_000, files: Int = 100, added: UInt64 = 10_000,
                         warnings: Int = 0, host: String = "web1") -> (id: SnapshotID, snapshot: Snapshot) {
        let n = counter.next()
        let hex = String(format: "%064x", n)
        var summary = SnapshotSummary()
        summary.totalBytes = bytes
        summary.filesUnmodified = files
        summary.bytesAdded = added
        summary.warnings = warnings
        let snapshot = Snapshot(time: Int64(date.timeIntervalSince1970 * 1e9), host: host, username: "root", tags: ["source:" + source],
                                paths: ["/srv"], tree: ChunkID(hex: hex)!, parent: nil, program: "silo test", summary: summary)
        return (SnapshotID(hex: hex)!, snapshot)
    }

    /// Snapshots of `source` every `every` seconds from `from` up to `to` (inclusive).
    static func series(_ source: String, from: Date, to: Date, every: TimeInterval, bytes: UInt64 = 1_000_000, files: Int = 100) -> [(id: SnapshotID, snapshot: Snapshot)] {
        stride(from: from.timeIntervalSince1970, through: to.timeIntervalSince1970, by: every).map {
            snapshot(source, at: Date(timeIntervalSince1970: $0), bytes: bytes, files: files)
        }
    }

    static func facts(_ configuration: Configuration, now: Date, snapshots: [(id: SnapshotID, snapshot: Snapshot)], history: RunHistory? = nil,
                      space: SpaceFacts? = SpaceFacts(fileSystemBytes: 100 << 30, freeBytes: 50 << 30, storedBytes: 1 << 30, isRemote: false)) -> MonitorFacts {
        MonitorFacts(configuration: configuration, now: now, snapshots: snapshots.sorted { $0.snapshot.time < $1.snapshot.time }, history: history,
                     ledger: history.map { AlertLedger(history: $0, configuration: configuration.file) }, configurationKey: configuration.file,
                     space: space, timeZone: TimeZone(identifier: "UTC")!)
    }

    static func check(_ report: MonitorReport, _ id: String) -> CheckResult? { report.checks.first { $0.id == id } }

    /// A run history in a fresh temporary file, on `clock`.
    static func history(_ clock: TestClock) throws -> RunHistory {
        let directory = NSTemporaryDirectory() + "silo-monitor-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try RunHistory(path: directory + "/history.sqlite", now: clock.function)
    }

    /// Records a finished run with one step per `(kind, name, status, details)`.
    @discardableResult
    static func run(_ history: RunHistory, configuration: String = "/etc/silo/silo.yaml", status: RunStatus,
                    steps: [(StepKind, String, StepStatus, String?)] = []) throws -> Int64 {
        let run = try history.beginRun(configuration: configuration, trigger: .schedule)
        for (kind, name, stepStatus, details) in steps {
            let step = try history.beginStep(run: run, kind: kind, name: name)
            try history.endStep(step, StepOutcome(status: stepStatus, error: stepStatus.isFailure ? "\(kind.rawValue) \(name) failed" : nil, details: details))
        }
        try history.endRun(run, status: status, exitCode: status == .succeeded ? 0 : 1, error: status == .succeeded ? nil : "a step failed")
        return run
    }
}
