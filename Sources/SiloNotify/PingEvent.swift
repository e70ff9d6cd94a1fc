/// What a healthchecks-style ping says about a `silo run`: it began, it succeeded, it failed.
/// Each goes to its own URL (`URL/start`, `URL`, `URL/fail`), as healthchecks.io expects.
public enum PingEvent: String, Sendable {
    case start, success, failure

    /// The suffix appended to the channel's URL.
    var pathSuffix: String {
        switch self {
        case .start: "/start"
        case .success: ""
        case .failure: "/fail"
        }
    }
}
