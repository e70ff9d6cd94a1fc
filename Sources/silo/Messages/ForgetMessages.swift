/// What the policy (or the command line) decided for one snapshot.
struct DecisionMessage: JSONMessage {
    static let messageType = "decision"
    static let commands = ["forget"]
    static var sample: Self { Self(group: "host web1, paths /etc", id: "ab", time: "2026-01-02T03:04:05Z", keep: true, reasons: ["last"], dryRun: false) }

    let group: String
    let id: String
    let time: String
    let keep: Bool
    let reasons: [String]
    let dryRun: Bool
}

struct ForgetSummaryMessage: JSONMessage {
    static let messageType = "summary"
    static let commands = ["forget"]
    static var sample: Self { Self(kept: 1, removed: 2, dryRun: false) }

    let kept: Int
    let removed: Int
    let dryRun: Bool
}

/// Prune's summary under `forget --prune`: its own type, so that it is not taken for forget's
/// `summary`, which a script reading `forget`'s output already knows.
struct ForgetPruneSummaryMessage: JSONMessage {
    static let messageType = "prune_summary"
    static let commands = ["forget --prune"]
    static var sample: Self { Self(prune: .sample) }

    let prune: PruneSummaryMessage

    func encode(to encoder: any Encoder) throws { try prune.encode(to: encoder) }
}
