import Foundation
import SiloOps

/// One step of `silo run`, as it ended.
struct RunStepMessage: JSONMessage {
    static let messageType = "run_step"
    static let commands = ["run"]
    static var sample: Self {
        Self(runId: 1, kind: "backup", name: "uploads", status: "succeeded", snapshotId: "0a1b", dataAdded: 2048, dataAddedStored: 1024,
             storageRequests: 3, error: "none", durationSeconds: 1.5, details: .object([:]))
    }

    let runId: Int64
    let kind: String
    let name: String
    let status: String
    let snapshotId: String?
    let dataAdded: Int64?
    let dataAddedStored: Int64?
    let storageRequests: Int64?
    let error: String?
    let durationSeconds: Double
    let details: JSONValue?

    init(runId: Int64, kind: String, name: String, status: String, snapshotId: String?, dataAdded: Int64?, dataAddedStored: Int64?,
         storageRequests: Int64?, error: String?, durationSeconds: Double, details: JSONValue?) {
        self.runId = runId
        self.kind = kind
        self.name = name
        self.status = status
        self.snapshotId = snapshotId
        self.dataAdded = dataAdded
        self.dataAddedStored = dataAddedStored
        self.storageRequests = storageRequests
        self.error = error
        self.durationSeconds = durationSeconds
        self.details = details
    }

    init(run: Int64, _ report: StepReport) {
        self.init(runId: run, kind: report.kind.rawValue, name: report.name, status: report.status.rawValue, snapshotId: report.snapshot,
                  dataAdded: report.bytesAdded, dataAddedStored: report.bytesAddedStored, storageRequests: report.storageRequests,
                  error: report.error, durationSeconds: (report.seconds * 1000).rounded() / 1000, details: JSONValue(text: report.details))
    }
}

/// The end of `silo run`.
struct RunSummaryMessage: JSONMessage {
    static let messageType = "run_summary"
    static let commands = ["run"]
    static var sample: Self {
        Self(runId: 1, status: "failed", exitCode: 1, steps: 4, failed: ["backup uploads"], snapshots: ["0a1b"], crashedRuns: [7],
             durationSeconds: 12.5)
    }

    let runId: Int64
    let status: String
    let exitCode: Int32
    let steps: Int
    let failed: [String]
    let snapshots: [String]
    let crashedRuns: [Int64]
    let durationSeconds: Double
}

/// One piece of work of `silo run --dry-run`'s plan.
struct PlanItemMessage: JSONMessage {
    static let messageType = "plan_item"
    static let commands = ["run"]
    static var sample: Self { Self(kind: "backup", name: "uploads", due: true, reason: "never done", next: "2026-01-02T03:04:05Z") }

    let kind: String
    let name: String
    let due: Bool
    let reason: String
    let next: String?
}
