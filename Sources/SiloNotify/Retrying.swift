import SiloConfig

/// The retry loop every channel shares: up to `attempts` tries, waiting `backoff`, then twice
/// that, four times… between them, and giving up at once on a failure no retry can mend.
struct Retrying: Sendable {
    var attempts: Int
    var backoff: Duration
    var sleep: @Sendable (Duration) -> Void

    func run(channel: ChannelSettings, _ body: () throws(DeliveryFailure) -> Void) -> DeliveryResult {
        let limit = max(1, attempts)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try body()
                return DeliveryResult(channel: channel.name, succeeded: true, attempts: attempt)
            } catch {
                guard error.retryable, attempt < limit else {
                    return DeliveryResult(channel: channel.name, succeeded: false, attempts: attempt,
                                          error: "\(channel.typeName) channel \(channel.name): \(error)")
                }
                sleep(delay(after: attempt))
            }
        }
    }

    /// backoff × 2^(attempt-1), the exponent capped so a large `attempts` cannot overflow.
    func delay(after attempt: Int) -> Duration {
        backoff * (1 << min(attempt - 1, 20))
    }
}
