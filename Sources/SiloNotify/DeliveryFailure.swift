/// Why one attempt to deliver to a channel failed. Every case carries only what is safe to show:
/// the endpoint as `scheme://host[:port]` (`Endpoint`), never a URL's path or query (a Slack
/// webhook's path is its credential), never a password or signing secret.
enum DeliveryFailure: Error, Sendable, CustomStringConvertible {
    /// The channel's secret could not be resolved.
    case secret(SecretError)
    /// The settings cannot work (a URL that does not parse, AUTH asked over a plain connection…).
    case settings(String)
    /// The transfer failed before an answer: connection, TLS, timeout, SMTP refusal.
    case transfer(endpoint: String, reason: String, retryable: Bool)
    /// The server answered with an HTTP status >= 400.
    case httpStatus(endpoint: String, status: Int, answer: String?)

    /// Whether trying again later could help: network trouble, timeouts, 5xx, 408 and 429 could;
    /// a refused certificate, a wrong password, a 404 or a bad setting will not.
    var retryable: Bool {
        switch self {
        case .secret, .settings: false
        case .transfer(_, _, let retryable): retryable
        case .httpStatus(_, let status, _): status == 408 || status == 425 || status == 429 || status >= 500
        }
    }

    var description: String {
        switch self {
        case .secret(let error): error.description
        case .settings(let message): message
        case .transfer(let endpoint, let reason, _): "\(endpoint): \(reason)"
        case .httpStatus(let endpoint, let status, let answer):
            "\(endpoint) answered HTTP \(status)" + (answer.map { ": \($0)" } ?? "")
        }
    }
}
