import SiloEngine

struct PruneSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["prune"]
    static var sample: Self {
        Self(liveChunks: 1, packsDeleted: 2, bytesFreed: 3, packsDeletedNow: 1, bytesFreedNow: 2, indexFilesRewritten: 4, packsMarked: 5,
             bytesMarked: 6, packsRepacked: 7, bytesRepacked: 8, bytesMoved: 6, bytesRepackedUnused: 2, packsRepackedForDeadDeltas: 1,
             packsWaiting: 9, bytesWaiting: 10, waitReasons: ["backup_running"], packsRevived: 1, packsKeptAsBases: 1, packsMissing: ["ab"],
             leftoversRemoved: 1, leftoverBytes: 11, durationSeconds: 1.5, dryRun: false)
    }

    let liveChunks: Int
    let packsDeleted: Int
    let bytesFreed: UInt64
    let packsDeletedNow: Int
    let bytesFreedNow: UInt64
    let indexFilesRewritten: Int
    let packsMarked: Int
    let bytesMarked: UInt64
    let packsRepacked: Int
    let bytesRepacked: UInt64
    let bytesMoved: UInt64
    let bytesRepackedUnused: UInt64
    let packsRepackedForDeadDeltas: Int
    let packsWaiting: Int
    let bytesWaiting: UInt64
    let waitReasons: [String]
    let packsRevived: Int
    let packsKeptAsBases: Int
    let packsMissing: [String]
    let leftoversRemoved: Int
    let leftoverBytes: UInt64
    let durationSeconds: Double
    let dryRun: Bool
}

extension PruneSummaryMessage {
    init(_ report: PruneReport, dryRun: Bool) {
        self.init(liveChunks: report.liveChunks, packsDeleted: report.packsDeleted, bytesFreed: report.bytesFreed,
                  packsDeletedNow: report.packsDeletedNow, bytesFreedNow: report.bytesFreedNow, indexFilesRewritten: report.indexFilesRewritten,
                  packsMarked: report.packsMarked, bytesMarked: report.bytesMarked, packsRepacked: report.packsRepacked,
                  bytesRepacked: report.bytesRepacked, bytesMoved: report.bytesMoved, bytesRepackedUnused: report.bytesRepackedUnused,
                  packsRepackedForDeadDeltas: report.packsRepackedForDeadDeltas, packsWaiting: report.packsWaiting,
                  bytesWaiting: report.bytesWaiting,
                  waitReasons: PruneReport.WaitReason.allCases.filter { report.waitReasons.contains($0) }.map(\.rawValue),
                  packsRevived: report.packsRevived, packsKeptAsBases: report.packsKeptAsBases, packsMissing: report.packsMissing.map(\.hex),
                  leftoversRemoved: report.leftoversRemoved, leftoverBytes: report.leftoverBytes, durationSeconds: report.seconds,
                  dryRun: dryRun)
    }
}
