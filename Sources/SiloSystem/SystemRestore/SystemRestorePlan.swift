import Foundation
import SiloConfig

/// What `silo restore --system` will do, decided before anything is touched, and kept in the
/// journal so that `--resume` and `--rollback` act on exactly this (docs/RESTORE.md).
public struct SystemRestorePlan: Codable, Sendable {
    public struct Service: Codable, Sendable {
        public var name: String
        public var priority: String
        /// Not stopped (the database server); still started when down, and checked.
        public var keepRunning: Bool
    }

    /// One path taken back: staged beside the original, then swapped in by rename.
    public struct PathItem: Codable, Sendable {
        public var service: String
        public var path: String
        public var source: String
        public var snapshot: String
        public var snapshotTime: Date
        public var files: Int
        public var bytes: UInt64
        /// Whether the path existed when planned: if not, nothing is kept and a rollback moves
        /// the restored copy aside instead of renaming an old one back.
        public var existed: Bool

        public var staging: String { SystemRestorePlan.sibling(of: path, "silo-staging") }
        public func kept(_ id: String) -> String { path + ".silo-old-" + id }
        public func failed(_ id: String) -> String { path + ".silo-failed-" + id }
        /// Where the restorer puts the path inside the staging directory (the snapshot keeps
        /// absolute paths).
        public var staged: String { staging + path }
    }

    /// One database: restored into `NAME_restore`, verified, swapped in (`NAME_old_<id>` kept).
    public struct DatabaseItem: Codable, Sendable {
        public var service: String
        public var database: String
        public var source: String
        public var snapshot: String
        public var snapshotTime: Date
        public var bytes: UInt64
        public var existed: Bool
        public var priority: String

        public func kept(_ id: String) -> String { database + "_old_" + id }
        public func failed(_ id: String) -> String { database + "_failed_" + id }
        public var staging: String { database + "_restore" }
    }

    /// `yyyyMMdd_HHmmss` (UTC) of `created`: the suffix of every kept copy.
    public var id: String
    public var created: Date
    public var host: String
    /// The configuration file, for `--resume` and `--rollback` to find the same services.
    public var configuration: String
    /// In priority order, most important first.
    public var services: [Service]
    public var paths: [PathItem]
    public var databases: [DatabaseItem]
    public var verifyData: Bool
    public var estimatedSeconds: Double

    public var bytes: UInt64 { paths.reduce(0) { $0 + $1.bytes } + databases.reduce(0) { $0 + $1.bytes } }

    /// Assumed rates for the estimate until a drill has measured this machine: files as a
    /// restore writes them to disk, a dump as pg_restore loads it (indexes built).
    public static let fileRate = 150.0 * 1_048_576
    public static let databaseRate = 25.0 * 1_048_576

    static func sibling(of path: String, _ suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + "." + suffix
    }

    public static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter.string(from: date)
    }

    /// Services to stop, lowest priority first (those kept running left out).
    public var stopOrder: [Service] { services.reversed().filter { !$0.keepRunning } }

    /// Tiers to start, highest priority first.
    public var startTiers: [[Service]] {
        ServiceSettings.Priority.allCases.map { tier in services.filter { $0.priority == tier.rawValue } }.filter { !$0.isEmpty }
    }
}
