import Foundation
import SiloSystem

/// One path or database of a system restore's plan.
struct SystemRestoreItemJSON: Encodable {
    let service: String
    let kind: String
    let name: String
    let source: String
    let snapshotId: String
    let snapshotTime: String
    let bytes: UInt64
}

/// `restore --system`'s plan (with `--dry-run`, the only output).
struct SystemRestorePlanMessage: JSONMessage {
    static let messageType = "system_restore_plan"
    static let commands = ["restore --system"]
    static var sample: Self { Self(restoreId: "20261208_030000", services: ["database"], items: [], bytes: 1, estimatedSeconds: 1, stopOrder: ["web"], startTiers: [["database"]]) }

    let restoreId: String
    let services: [String]
    let items: [SystemRestoreItemJSON]
    let bytes: UInt64
    let estimatedSeconds: Double
    let stopOrder: [String]
    let startTiers: [[String]]
}

extension SystemRestorePlanMessage {
    init(_ plan: SystemRestorePlan) {
        let iso = ISO8601DateFormatter()
        self.init(restoreId: plan.id, services: plan.services.map(\.name),
                  items: plan.databases.map { SystemRestoreItemJSON(service: $0.service, kind: "database", name: $0.database, source: $0.source, snapshotId: $0.snapshot,
                                                                    snapshotTime: iso.string(from: $0.snapshotTime), bytes: $0.bytes) }
                      + plan.paths.map { SystemRestoreItemJSON(service: $0.service, kind: "path", name: $0.path, source: $0.source, snapshotId: $0.snapshot,
                                                               snapshotTime: iso.string(from: $0.snapshotTime), bytes: $0.bytes) },
                  bytes: plan.bytes, estimatedSeconds: plan.estimatedSeconds, stopOrder: plan.stopOrder.map(\.name),
                  startTiers: plan.startTiers.map { $0.map(\.name) })
    }
}

/// The end of `restore --system` (and of `--resume`, `--rollback`).
struct SystemRestoreSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["restore --system"]
    static var sample: Self {
        Self(restoreId: "20261208_030000", phase: "succeeded", rtoSeconds: 1, timings: ["verify": 1], failure: "x", rollback: ["x"],
             health: [HealthJSON(service: "web", check: "http http://127.0.0.1/", passed: true, attempts: 1, seconds: 0.1)], warnings: 0)
    }

    struct HealthJSON: Encodable {
        let service: String
        let check: String
        let passed: Bool
        let attempts: Int
        let seconds: Double
    }

    let restoreId: String
    let phase: String
    let rtoSeconds: Double
    let timings: [String: Double]
    let failure: String?
    let rollback: [String]?
    let health: [HealthJSON]
    let warnings: Int
}

extension SystemRestoreSummaryMessage {
    init(_ journal: RestoreJournal) {
        self.init(restoreId: journal.plan.id, phase: journal.phase.rawValue, rtoSeconds: journal.recoverySeconds,
                  timings: Dictionary(journal.timings.map { ($0.step, $0.seconds) }, uniquingKeysWith: +), failure: journal.failure,
                  rollback: journal.rollbackNotes.isEmpty ? nil : journal.rollbackNotes,
                  health: journal.health.map { HealthJSON(service: $0.service, check: $0.check, passed: $0.passed, attempts: $0.attempts, seconds: $0.seconds) },
                  warnings: journal.warnings.count)
    }
}

/// `restore --system --cleanup DAYS`.
struct SystemRestoreCleanupMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["restore --system --cleanup"]
    static var sample: Self { Self(removed: ["/srv/app/uploads.silo-old-20261208_030000"]) }

    let removed: [String]
}

/// The end of `silo drill`.
struct DrillSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["drill"]
    static var sample: Self { Self(drillId: "20261208_030000", passed: true, rtoSeconds: 1, rpoSeconds: 2, items: [], smoke: [], failure: "x", leftovers: ["x"]) }

    struct Item: Encodable {
        let source: String
        let snapshotId: String
        let kind: String
        let name: String
        let seconds: Double
        let verified: String
    }

    let drillId: String
    let passed: Bool
    let rtoSeconds: Double
    let rpoSeconds: Double
    let items: [Item]
    let smoke: [String]
    let failure: String?
    let leftovers: [String]?
}

extension DrillSummaryMessage {
    init(_ report: DrillReport) {
        self.init(drillId: report.id, passed: report.passed, rtoSeconds: report.rtoSeconds, rpoSeconds: report.rpoSeconds,
                  items: report.items.map { Item(source: $0.source, snapshotId: $0.snapshot, kind: $0.kind, name: $0.name, seconds: $0.seconds, verified: $0.verified) },
                  smoke: report.smoke.map { "\($0.command): \($0.result)" }, failure: report.failure,
                  leftovers: report.leftovers.isEmpty ? nil : report.leftovers)
    }
}

/// `silo serve` listens (the URL, with the port it got).
struct ServeListeningMessage: JSONMessage {
    static let messageType = "listening"
    static let commands = ["serve"]
    static var sample: Self { Self(url: "http://127.0.0.1:8080/", port: 8080) }

    let url: String
    let port: Int
}
