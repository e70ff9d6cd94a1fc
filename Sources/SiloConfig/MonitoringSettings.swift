/// `monitoring`: the thresholds `silo monitor` judges by, and where `silo run` writes its
/// metrics. Every threshold has a default that follows the schedule (a source's cadence, the
/// checks' cadences), so that an empty section — or none — already monitors sensibly.
public struct MonitoringSettings: Sendable, Equatable {
    /// The newest good snapshot of a source older than `warning` × its cadence is a warning,
    /// older than `critical` × its cadence is critical.
    public var freshness: Factors
    /// Consecutive failed runs (or failed backups of one source) that make a warning / critical.
    public var failures: Counts
    /// Size anomalies against the median of the last `window` snapshots of a source.
    public var size: SizeThresholds
    /// How old the last structure check / data read may be: nil follows `checks` (twice the
    /// cadence). A loaded configuration has both filled in (`following(_:)`).
    public var checkMaxAge: Duration?
    public var readDataMaxAge: Duration?
    public var space: SpaceThresholds
    /// How far an off-site copy may lag behind the primary before a warning; nil: 1.5× its cadence
    /// (critical at 2.5×, like freshness).
    public var copyLag: Duration?
    /// How old the last restore drill may be; nil: drills are reported, never a warning.
    public var drillMaxAge: Duration?
    /// A lock older than this, of a process that is gone or silent, is stale.
    public var staleLockAge: Duration
    /// `node_exporter` textfile-collector directory: `silo run` writes `silo.prom` there at its end.
    public var textfileDirectory: String?

    public init(freshness: Factors = Factors(warning: 1.5, critical: 2.5), failures: Counts = Counts(warning: 1, critical: 3),
                size: SizeThresholds = SizeThresholds(), checkMaxAge: Duration? = nil, readDataMaxAge: Duration? = nil,
                space: SpaceThresholds = SpaceThresholds(), copyLag: Duration? = nil, drillMaxAge: Duration? = nil,
                staleLockAge: Duration = .seconds(6 * 3600), textfileDirectory: String? = nil) {
        self.freshness = freshness
        self.failures = failures
        self.size = size
        self.checkMaxAge = checkMaxAge
        self.readDataMaxAge = readDataMaxAge
        self.space = space
        self.copyLag = copyLag
        self.drillMaxAge = drillMaxAge
        self.staleLockAge = staleLockAge
        self.textfileDirectory = textfileDirectory
    }

    /// These settings with the check ages not given filled from `checks`: twice each cadence, so
    /// that one late or failed check is tolerated and the second is not.
    public func following(_ checks: CheckSettings) -> MonitoringSettings {
        var settings = self
        if settings.checkMaxAge == nil { settings.checkMaxAge = checks.structure.interval * 2 }
        if settings.readDataMaxAge == nil { settings.readDataMaxAge = checks.readData.cadence.interval * 2 }
        return settings
    }

    public struct Factors: Sendable, Equatable {
        public var warning: Double
        public var critical: Double
        public init(warning: Double, critical: Double) {
            self.warning = warning
            self.critical = critical
        }
    }

    public struct Counts: Sendable, Equatable {
        public var warning: Int
        public var critical: Int
        public init(warning: Int, critical: Int) {
            self.warning = warning
            self.critical = critical
        }
    }

    /// Shares are fractions (0.2 for 20%).
    public struct SizeThresholds: Sendable, Equatable {
        /// How many earlier snapshots the median is taken over.
        public var window: Int
        /// A database dump smaller than the median by more than this is critical (a truncated dump).
        public var dumpShrinkCritical: Double
        /// A file source with fewer files than the median by more than this is critical (a deleted folder).
        public var fileLossCritical: Double
        /// Any size, file count or bytes-added change beyond this share of the median is a warning.
        public var changeWarning: Double

        public init(window: Int = 10, dumpShrinkCritical: Double = 0.2, fileLossCritical: Double = 0.1, changeWarning: Double = 0.5) {
            self.window = window
            self.dumpShrinkCritical = dumpShrinkCritical
            self.fileLossCritical = fileLossCritical
            self.changeWarning = changeWarning
        }
    }

    public struct SpaceThresholds: Sendable, Equatable {
        /// Free share of the repository's file system below which it is a warning / critical.
        public var freeWarning: Double
        public var freeCritical: Double
        /// Days until full at the 30-day growth rate below which it is a warning / critical.
        public var daysToFullWarning: Double
        public var daysToFullCritical: Double
        /// Bytes an S3 repository may hold; nil: no quota.
        public var quotaBytes: UInt64?
        /// Minimum free bytes, beside the share (a threshold set above the free space is how tests
        /// trigger this check where no small file system can be made).
        public var freeBytesCritical: UInt64?

        public init(freeWarning: Double = 0.15, freeCritical: Double = 0.05, daysToFullWarning: Double = 30, daysToFullCritical: Double = 7,
                    quotaBytes: UInt64? = nil, freeBytesCritical: UInt64? = nil) {
            self.freeWarning = freeWarning
            self.freeCritical = freeCritical
            self.daysToFullWarning = daysToFullWarning
            self.daysToFullCritical = daysToFullCritical
            self.quotaBytes = quotaBytes
            self.freeBytesCritical = freeBytesCritical
        }
    }
}
