import Foundation
import SiloConfig
import SiloRepository

/// How the run reaches a repository: the CLI knows the storage backends (local, S3) and the
/// terminal; the run knows only the location and where its password comes from.
public protocol RepositoryOpening: Sendable {
    /// `password` nil: silo's usual sources (SILO_PASSWORD, a prompt).
    func open(location: String, password: RepositoryPassword?, cacheDirectory: String?) throws -> Repository
}

/// Where the run says what it does, as it does it (the CLI prints lines and `--json` objects).
/// Warnings may come from the backup's worker threads.
public protocol RunReporter: AnyObject, Sendable {
    func stepBegan(_ kind: StepKind, name: String)
    func stepEnded(_ report: StepReport)
    /// A problem the run carries on past (a file that could not be read).
    func warning(_ message: String)
}

/// One step as it ended: what the history records, and a line for people.
public struct StepReport: Sendable {
    public var kind: StepKind
    public var name: String
    public var status: StepStatus
    public var snapshot: String?
    public var bytesAdded: Int64?
    public var bytesAddedStored: Int64?
    public var storageRequests: Int64?
    public var error: String?
    /// A JSON object's text (the history's `details`).
    public var details: String?
    public var seconds: Double
    /// For people: "3 new, 1 changed files; added 2.1 MiB (1.0 MiB stored)".
    public var line: String

    public var outcome: StepOutcome {
        StepOutcome(status: status, snapshot: snapshot, bytesAdded: bytesAdded, bytesAddedStored: bytesAddedStored,
                    storageRequests: storageRequests, error: error, details: details)
    }
}

/// How the whole run ended.
public struct RunOutcome: @unchecked Sendable {
    public var status: RunStatus
    public var steps: [StepReport]
    /// The first error a failed step threw (the CLI derives the exit code from it).
    public var firstError: Error?

    public var failedSteps: [StepReport] { steps.filter { $0.status.isFailure } }

    /// The summary the history keeps with the run (a JSON object's text): what each source and
    /// target ended as, and the snapshots made.
    public var summaryJSON: String {
        var steps: [[String: Any]] = []
        for step in self.steps {
            var entry: [String: Any] = ["kind": step.kind.rawValue, "name": step.name, "status": step.status.rawValue]
            if let snapshot = step.snapshot { entry["snapshot_id"] = snapshot }
            if let error = step.error { entry["error"] = error }
            steps.append(entry)
        }
        return StepDetails.json(["status": status.rawValue, "steps": steps,
                                 "failed": failedSteps.map { "\($0.kind.rawValue) \($0.name)" }])
    }
}

/// Step details (and the run's summary) as a JSON object's text.
public enum StepDetails {
    public static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
