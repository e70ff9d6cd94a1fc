import SiloEngine

struct CheckSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["check"]
    static var sample: Self {
        Self(errors: ["pack ab is missing"], snapshots: 1, trees: 2, packs: 3, packsRead: 4, chunksRead: 5, bytesRead: 6,
             damagedChunks: [DamagedChunk(chunk: "ab", pack: "cd", reason: "does not authenticate")],
             affected: [AffectedFile(snapshot: "ef", path: "/etc/hosts")])
    }

    struct DamagedChunk: Encodable {
        let chunk: String
        let pack: String
        let reason: String
    }

    struct AffectedFile: Encodable {
        let snapshot: String
        let path: String
    }

    let errors: [String]
    let snapshots: Int
    let trees: Int
    let packs: Int
    let packsRead: Int
    let chunksRead: Int
    let bytesRead: UInt64
    let damagedChunks: [DamagedChunk]
    let affected: [AffectedFile]
}

extension CheckSummaryMessage {
    init(_ report: CheckReport) {
        self.init(errors: report.errors, snapshots: report.snapshots, trees: report.trees, packs: report.packs, packsRead: report.packsRead,
                  chunksRead: report.chunksRead, bytesRead: report.bytesRead,
                  damagedChunks: report.damaged.map { DamagedChunk(chunk: $0.chunk.hex, pack: $0.pack.hex, reason: $0.reason) },
                  affected: report.affected.map { AffectedFile(snapshot: $0.snapshot.hex, path: $0.path) })
    }
}
