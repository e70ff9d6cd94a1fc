import Foundation

/// A schedule file `schedule install` wrote or `schedule remove` removed (or left alone).
struct ScheduleFileMessage: JSONMessage {
    static let messageType = "schedule_file"
    static let commands = ["schedule install", "schedule remove"]
    static var sample: Self { Self(kind: "systemd", unit: "silo.timer", path: "/etc/systemd/system/silo.timer", action: "written") }

    let kind: String
    let unit: String
    let path: String
    let action: String
}

/// The end of `schedule install`: when the schedule fires, and whether systemd was told.
struct ScheduleInstallSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["schedule install"]
    static var sample: Self {
        Self(kind: "systemd", calendar: "*-*-* 00/4:00:00", cadence: "4h", cadenceFrom: "sources.db.cadence", activated: false,
             commands: ["systemctl daemon-reload", "systemctl enable --now silo.timer"])
    }

    let kind: String
    let calendar: String
    let cadence: String
    let cadenceFrom: String
    let activated: Bool
    let commands: [String]
}

/// The end of `schedule remove`.
struct ScheduleRemoveSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["schedule remove"]
    static var sample: Self { Self(removed: 3, kept: 0, deactivated: true) }

    let removed: Int
    let kept: Int
    let deactivated: Bool
}

/// One schedule file as `schedule status` finds it.
struct ScheduleUnitMessage: JSONMessage {
    static let messageType = "schedule_unit"
    static let commands = ["schedule status"]
    static var sample: Self {
        Self(kind: "systemd", unit: "silo.timer", path: "/etc/systemd/system/silo.timer", installed: true,
             calendar: NullWhenAbsent("*-*-* 00/4:00:00"), nextRun: NullWhenAbsent("2026-01-02T04:00:00Z"), active: NullWhenAbsent(true))
    }

    let kind: String
    let unit: String
    let path: String
    let installed: Bool
    let calendar: NullWhenAbsent<String>
    let nextRun: NullWhenAbsent<String>
    let active: NullWhenAbsent<Bool>
}

/// What `schedule failed` (systemd's `OnFailure=`) did.
struct ScheduleFailureMessage: JSONMessage {
    static let messageType = "schedule_failure"
    static let commands = ["schedule failed"]
    static var sample: Self { Self(unit: "silo.service", recorded: true, runId: 7) }

    let unit: String
    let recorded: Bool
    let runId: Int64
}
