import Foundation
import SiloConfig
import SiloFormat
import SiloOps

/// Everything the checks judge, gathered once (`MonitorFactsGathering`): the checks themselves
/// only compute, so that tests give them real repositories and histories and a chosen clock.
public struct MonitorFacts: Sendable {
    public var configuration: Configuration
    public var now: Date
    /// Only snapshots of this host count (nil: any host's, as when monitoring from elsewhere).
    public var host: String?
    /// The primary repository's snapshots, oldest first.
    public var snapshots: [(id: SnapshotID, snapshot: Snapshot)]
    /// nil when this machine has no run history (another host watching the repository): the
    /// checks that need it say so instead of guessing.
    public var history: RunHistory?
    public var ledger: AlertLedger?
    public var configurationKey: String
    public var space: SpaceFacts?
    public var leases: [LeaseFact]
    /// When each readable deletion marker was written, and how many packs it names.
    public var markers: [(marked: Date, packs: Int)]
    /// Permission bits of what hygiene looks at (nil: not found or not local).
    public var modes: ModeFacts
    /// The time zone the retention policy buckets days in.
    public var timeZone: TimeZone

    public init(configuration: Configuration, now: Date, host: String? = nil, snapshots: [(id: SnapshotID, snapshot: Snapshot)],
                history: RunHistory?, ledger: AlertLedger? = nil, configurationKey: String, space: SpaceFacts? = nil,
                leases: [LeaseFact] = [], markers: [(marked: Date, packs: Int)] = [], modes: ModeFacts = ModeFacts(),
                timeZone: TimeZone = .current) {
        self.configuration = configuration
        self.now = now
        self.host = host
        self.snapshots = snapshots
        self.history = history
        self.ledger = ledger
        self.configurationKey = configurationKey
        self.space = space
        self.leases = leases
        self.markers = markers
        self.modes = modes
        self.timeZone = timeZone
    }

    /// The snapshots of a source's series (its `source:NAME` tag), oldest first.
    public func series(_ source: SourceSettings) -> [(id: SnapshotID, snapshot: Snapshot)] {
        let tag = "source:" + source.name
        return snapshots.filter { $0.snapshot.tags.contains(tag) && (host == nil || $0.snapshot.host == host) }
    }
}

public struct SpaceFacts: Sendable, Equatable {
    /// The file system holding a local repository (nil on S3).
    public var fileSystemBytes: UInt64?
    public var freeBytes: UInt64?
    /// What the repository's packs hold.
    public var storedBytes: UInt64
    public var isRemote: Bool

    public init(fileSystemBytes: UInt64? = nil, freeBytes: UInt64? = nil, storedBytes: UInt64, isRemote: Bool) {
        self.fileSystemBytes = fileSystemBytes
        self.freeBytes = freeBytes
        self.storedBytes = storedBytes
        self.isRemote = isRemote
    }
}

public struct LeaseFact: Sendable, Equatable {
    public var purpose: String
    public var host: String
    public var pid: Int32
    public var started: Date
    public var refreshed: Date
    /// Its holder is gone or silent (the repository's own rule).
    public var stale: Bool

    public init(purpose: String, host: String, pid: Int32, started: Date, refreshed: Date, stale: Bool) {
        self.purpose = purpose
        self.host = host
        self.pid = pid
        self.started = started
        self.refreshed = refreshed
        self.stale = stale
    }
}

public struct ModeFacts: Sendable, Equatable {
    public var repositoryDirectory: mode_t?
    public var passwordFile: mode_t?
    public var configurationFile: mode_t?

    public init(repositoryDirectory: mode_t? = nil, passwordFile: mode_t? = nil, configurationFile: mode_t? = nil) {
        self.repositoryDirectory = repositoryDirectory
        self.passwordFile = passwordFile
        self.configurationFile = configurationFile
    }
}
