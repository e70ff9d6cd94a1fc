/// How one channel fared with one message or ping: kept in the history and shown by
/// `silo notify test`, so `error` is redacted (no URL path or query, no password or secret):
/// it names the channel and the host only.
public struct DeliveryResult: Sendable, Equatable {
    /// The channel's name from the configuration.
    public var channel: String
    public var succeeded: Bool
    /// How many times it was tried (1 when the first try worked, or failed for good).
    public var attempts: Int
    /// Why the last attempt failed; nil on success.
    public var error: String?

    public init(channel: String, succeeded: Bool, attempts: Int, error: String? = nil) {
        self.channel = channel
        self.succeeded = succeeded
        self.attempts = attempts
        self.error = error
    }
}
