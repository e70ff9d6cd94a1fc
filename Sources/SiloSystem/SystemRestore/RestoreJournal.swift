import Foundation

/// A system restore's record of what it has done, written (atomically, fsynced) before and after
/// every change to the system, so that after a kill -9 at any point `--resume` finishes the
/// restore and `--rollback` undoes it. Where a crash may fall between a change and its record
/// (a rename, a database swap), the state is read back from the system itself (docs/RESTORE.md).
public struct RestoreJournal: Codable, Sendable {
    public enum Phase: String, Codable, Sendable {
        case planned, verifying, stopping, databases, files, starting, succeeded
        case rollingBack = "rolling_back"
        case rolledBack = "rolled_back"
        /// The rollback itself could not undo everything: the report names what is left.
        case rollbackFailed = "rollback_failed"
        /// `--cleanup` removed its kept copies: it can no longer be rolled back.
        case cleaned

        public var isFinished: Bool { [.succeeded, .rolledBack, .rollbackFailed, .cleaned].contains(self) }
    }

    /// Per path or database: `staged` once its restored copy is complete beside the live one,
    /// `swapped` once it is the live one, `undone` once a rollback put the old one back.
    public enum ItemState: String, Codable, Sendable {
        case pending, staged, swapped, undone
    }

    public struct Timing: Codable, Sendable {
        public var step: String
        public var seconds: Double
    }

    public var plan: SystemRestorePlan
    public var phase: Phase = .planned
    /// Services this restore stopped, in the order it stopped them.
    public var stopped: [String] = []
    /// Services this restore started (or found running) and checked healthy.
    public var started: [String] = []
    public var paths: [String: ItemState] = [:]
    public var databases: [String: ItemState] = [:]
    /// Whether each database existed when its step began (nothing to keep otherwise).
    public var databaseExisted: [String: Bool] = [:]
    public var timings: [Timing] = []
    public var health: [HealthOutcome] = []
    /// What failed: the reason for the rollback.
    public var failure: String?
    /// What the rollback did, and what it could not do.
    public var rollbackNotes: [String] = []
    public var warnings: [String] = []
    public var began: Date
    public var ended: Date?

    public init(plan: SystemRestorePlan, began: Date = Date()) {
        self.plan = plan
        self.began = began
        for item in plan.paths { paths[item.path] = .pending }
        for item in plan.databases { databases[item.database] = .pending }
    }

    /// The measured RTO: from the first check to the last healthy tier.
    public var recoverySeconds: Double { timings.filter { $0.step != "plan" }.reduce(0) { $0 + $1.seconds } }
}

/// The journals of one state directory: `restores/<id>.json`, newest by name.
public struct RestoreJournalStore: Sendable {
    public let directory: String

    public init(stateDirectory: String) { directory = stateDirectory + "/restores" }

    public func path(_ id: String) -> String { "\(directory)/\(id).json" }

    /// Write-then-rename with fsyncs: a crash leaves the old journal or the new, never half.
    public func write(_ journal: RestoreJournal) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(journal)
        let final = path(journal.plan.id)
        let temporary = final + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemRestoreRefusal("cannot write the restore journal \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0, rename(temporary, final) == 0 else {
            throw SystemRestoreRefusal("cannot write the restore journal \(final): \(String(cString: strerror(errno)))")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    public func read(_ id: String) throws -> RestoreJournal {
        guard let data = FileManager.default.contents(atPath: path(id)) else {
            throw SystemRestoreRefusal("no system restore \(id) in \(directory)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(RestoreJournal.self, from: data)
        } catch {
            throw SystemRestoreRefusal("the restore journal \(path(id)) cannot be read (\(error)): undo by hand with the kept copies it names")
        }
    }

    /// Every journal, oldest first.
    public func ids() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func latest() throws -> RestoreJournal? { try ids().last.map(read) }
}
