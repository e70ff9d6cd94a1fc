import Foundation
import SiloRepository

struct LeaseRemovedMessage: JSONMessage {
    static let messageType = "lease_removed"
    static let commands = ["unlock"]
    static var sample: Self {
        Self(key: "locks/0a1b", reason: "stale", purpose: "backup", host: "web1", pid: 4242, refreshed: "2026-01-02T03:04:05Z")
    }

    let key: String
    let reason: String
    /// The rest only for a lease that could be read.
    let purpose: String?
    let host: String?
    let pid: Int?
    let refreshed: String?
}

extension LeaseRemovedMessage {
    init(_ removed: Repository.RemovedLease) {
        let held = removed.lease
        self.init(key: removed.key, reason: removed.reason.rawValue, purpose: held?.purpose.rawValue, host: held?.host,
                  pid: held.map { Int($0.pid) }, refreshed: held.map { Timestamp.iso8601(Date(timeIntervalSince1970: $0.refreshed)) })
    }
}

struct UnlockSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["unlock"]
    static var sample: Self { Self(removed: 1) }

    let removed: Int
}
