import Foundation
import SiloOps
import SiloRepository

/// One run of the history, with its steps. Every field is present; one with no value is null.
struct RunMessage: JSONMessage {
    static let messageType = "run"
    static let commands = ["history"]
    static var sample: Self {
        Self(id: 1, configuration: "/etc/silo/silo.yaml", command: "run", trigger: "schedule", host: "web1", pid: 4242,
             started: "2026-01-02T03:04:05Z", ended: NullWhenAbsent("2026-01-02T03:05:05Z"), durationSeconds: NullWhenAbsent(60),
             status: "succeeded", exitCode: NullWhenAbsent(0), error: NullWhenAbsent("none"),
             summary: NullWhenAbsent(.object(["sources": .integer(1)])), steps: [.sample])
    }

    let id: Int64
    let configuration: String
    let command: String
    let trigger: String
    let host: String
    let pid: Int
    let started: String
    let ended: NullWhenAbsent<String>
    let durationSeconds: NullWhenAbsent<Double>
    let status: String
    let exitCode: NullWhenAbsent<Int>
    let error: NullWhenAbsent<String>
    let summary: NullWhenAbsent<JSONValue>
    let steps: [StepObject]

    /// One step of a run, inside its `steps`.
    struct StepObject: Encodable {
        static var sample: Self {
            Self(id: 1, kind: "backup", name: "uploads", started: "2026-01-02T03:04:05Z", ended: NullWhenAbsent("2026-01-02T03:04:35Z"),
                 durationSeconds: NullWhenAbsent(30), status: "succeeded", snapshotId: NullWhenAbsent("0a1b"),
                 dataAdded: NullWhenAbsent(2048), dataAddedStored: NullWhenAbsent(1024), storageRequests: NullWhenAbsent(3),
                 error: NullWhenAbsent("none"), details: NullWhenAbsent(.object([:])))
        }

        let id: Int64
        let kind: String
        let name: String
        let started: String
        let ended: NullWhenAbsent<String>
        let durationSeconds: NullWhenAbsent<Double>
        let status: String
        let snapshotId: NullWhenAbsent<String>
        let dataAdded: NullWhenAbsent<Int64>
        let dataAddedStored: NullWhenAbsent<Int64>
        let storageRequests: NullWhenAbsent<Int64>
        let error: NullWhenAbsent<String>
        let details: NullWhenAbsent<JSONValue>
    }
}

extension RunMessage {
    init(_ run: RunRecord, _ steps: [StepRecord]) {
        self.init(id: run.id, configuration: run.configuration, command: run.command.rawValue, trigger: run.trigger.rawValue, host: run.process.host,
                  pid: Int(run.process.pid), started: Timestamp.iso8601(run.started), ended: NullWhenAbsent(run.ended.map(Timestamp.iso8601)),
                  durationSeconds: NullWhenAbsent(run.duration.map(Self.rounded)), status: run.status.rawValue,
                  exitCode: NullWhenAbsent(run.exitCode.map { Int($0) }), error: NullWhenAbsent(run.error),
                  summary: NullWhenAbsent(JSONValue(text: run.summary)), steps: steps.map(StepObject.init))
    }

    /// Milliseconds are what the history keeps.
    fileprivate static func rounded(_ seconds: TimeInterval) -> Double { (seconds * 1000).rounded() / 1000 }
}

extension RunMessage.StepObject {
    init(_ step: StepRecord) {
        self.init(id: step.id, kind: step.kind.rawValue, name: step.name, started: Timestamp.iso8601(step.started),
                  ended: NullWhenAbsent(step.ended.map(Timestamp.iso8601)), durationSeconds: NullWhenAbsent(step.duration.map(RunMessage.rounded)),
                  status: step.status.rawValue, snapshotId: NullWhenAbsent(step.snapshot), dataAdded: NullWhenAbsent(step.bytesAdded),
                  dataAddedStored: NullWhenAbsent(step.bytesAddedStored), storageRequests: NullWhenAbsent(step.storageRequests),
                  error: NullWhenAbsent(step.error), details: NullWhenAbsent(JSONValue(text: step.details)))
    }
}
